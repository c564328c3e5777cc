"""Per-vehicle battery state in `batteryStates`: counters and capped per-month capacity samples.

Each batch of sessions is one atomic update ($inc, $push with $slice, $max), so concurrent
writers never lose a sample and a health read is one small document, whatever the history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from pymongo import ReturnDocument

from domain.battery import MAX_SAMPLES_PER_MONTH, BatteryState, SessionContribution
from store.client import Database, Document
from store.documents import SCHEMA_VERSION, ids_filter
from store.stats import CountedCollection


class MongoBatteryRepository:
    def __init__(self, db: Database) -> None:
        self._states = CountedCollection(db["batteryStates"])

    async def get_many(self, vehicle_ids: Sequence[str]) -> list[BatteryState | None]:
        docs = await self._states.find(ids_filter(vehicle_ids)).to_list(None)
        by_id = {doc["_id"]: _state(doc) for doc in docs}
        return [by_id.get(vehicle_id) for vehicle_id in vehicle_ids]

    async def apply(self, vehicle_id: str,
                    contributions: Sequence[SessionContribution]) -> BatteryState:
        before = await self._states.find_one_and_update(
            {"_id": vehicle_id}, _update(contributions), upsert=True,
            return_document=ReturnDocument.BEFORE)
        return _state(before) if before else BatteryState()


def _update(contributions: Sequence[SessionContribution]) -> Document:
    samples: dict[str, list[float]] = defaultdict(list)
    for c in sorted(contributions, key=lambda c: c.at):
        if c.capacity_kwh is not None:
            samples[c.month].append(c.capacity_kwh)
    update: Document = {
        "$inc": {
            "sessions": len(contributions),
            "energyAddedKwh": sum(c.energy_added_kwh for c in contributions),
            "energyDeliveredKwh": sum(c.energy_delivered_kwh for c in contributions),
            "dcEnergyDeliveredKwh": sum(c.energy_delivered_kwh for c in contributions if c.dc),
            "highSocSessions": sum(c.high_soc for c in contributions),
            "deepDischargeSessions": sum(c.deep_discharge for c in contributions),
        },
        "$max": {"lastSessionAt": max(c.at for c in contributions)},
        "$set": {"updatedAt": datetime.now(UTC), "schemaVersion": SCHEMA_VERSION},
    }
    if samples:
        # Mirrors domain.battery.apply: pushed in session order, a month keeps its newest samples.
        update["$push"] = {f"months.{month}": {"$each": items, "$slice": -MAX_SAMPLES_PER_MONTH}
                           for month, items in samples.items()}
    return update


def _state(doc: Document) -> BatteryState:
    return BatteryState(
        months=doc.get("months", {}),
        sessions=doc.get("sessions", 0), energy_added_kwh=doc.get("energyAddedKwh", 0.0),
        energy_delivered_kwh=doc.get("energyDeliveredKwh", 0.0),
        dc_energy_delivered_kwh=doc.get("dcEnergyDeliveredKwh", 0.0),
        high_soc_sessions=doc.get("highSocSessions", 0),
        deep_discharge_sessions=doc.get("deepDischargeSessions", 0),
        last_session_at=doc.get("lastSessionAt"))
