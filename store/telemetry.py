"""Telemetry in `telemetry` (raw events) and `vehicleStatus` (one newest state per vehicle).

Raw events are keyed `_id` = "<vin>:<eventId>": that is the idempotency check, without a
compound unique index (mongoeco checks those in O(n) per insert). A status is replaced only if
it is still the one the writer read (compare-and-set on its `at`), so concurrent batches for
one vehicle never lose driving figures: the loser reloads and folds its events again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from pymongo import UpdateOne

from domain.telemetry import TelemetryEvent, VehicleStatus
from store.client import Database, Document, duplicate_key_failures
from store.documents import from_document, ids_filter, to_document
from store.stats import CountedCollection


class MongoTelemetryRepository:
    def __init__(self, db: Database) -> None:
        self._events = CountedCollection(db["telemetry"])
        self._statuses = CountedCollection(db["vehicleStatus"])

    async def add_many(self, events: Sequence[TelemetryEvent]) -> list[bool]:
        """Inserts in one round-trip; False for each event stored before (same VIN, eventId)."""
        if not events:
            return []
        docs = [{**to_document(event), "_id": event_key(event)} for event in events]
        duplicates = await duplicate_key_failures(self._events.insert_many(docs,
                                                                               ordered=False))
        return [index not in duplicates for index in range(len(events))]

    async def statuses(self, vehicle_ids: Sequence[str]) -> list[VehicleStatus | None]:
        if not vehicle_ids:
            return []
        docs = await self._statuses.find(ids_filter(vehicle_ids)).to_list(None)
        by_id = {doc["_id"]: _status(doc) for doc in docs}
        return [by_id.get(vehicle_id) for vehicle_id in vehicle_ids]

    async def swap_statuses(
        self, changes: Sequence[tuple[VehicleStatus | None, VehicleStatus]]
    ) -> list[bool]:
        """Writes each new status where the stored one is still `before`, in one round-trip.

        False where another writer got there first: the upsert then collides with the
        existing `_id`, which is how a missed compare-and-set shows in a bulk write.
        """
        if not changes:
            return []
        ops = [UpdateOne(_expected(before, after.vehicle_id), _update(after),
                         upsert=True) for before, after in changes]
        conflicts = await duplicate_key_failures(self._statuses.bulk_write(ops,
                                                                               ordered=False))
        return [index not in conflicts for index in range(len(changes))]


def event_key(event: TelemetryEvent) -> str:
    return f"{event.vin}:{event.event_id}"


def _expected(before: VehicleStatus | None, vehicle_id: str) -> Document:
    at: datetime | Document = before.at if before else {"$exists": False}
    return {"_id": vehicle_id, "at": at}


def _update(status: VehicleStatus) -> Document:
    doc = to_document(status)
    del doc["vehicleId"]  # it is the _id
    now = datetime.now(UTC)
    return {"$set": {**doc, "updatedAt": now}, "$setOnInsert": {"createdAt": now}}


def _status(doc: Document) -> VehicleStatus:
    return from_document(VehicleStatus, {**doc, "vehicleId": doc["_id"]})
