"""OTA updates: `softwareReleases`, `updateCampaigns` (with live status counters) and
`vehicleUpdates` (one per vehicle and campaign, enforced by a unique index)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from pymongo import ReturnDocument

from domain.ota import (
    CampaignStatus,
    Counts,
    SoftwareRelease,
    UpdateCampaign,
    UpdateHistoryEntry,
    UpdateStatus,
    VehicleUpdate,
)
from domain.pagination import Page, PageRequest, page_from_rows
from store.client import Database, Document, duplicate_key_failures
from store.documents import find_by_ids, from_document, to_document, to_fields
from store.paging import find_page, grouped_pages_pipeline
from store.stats import CountedCollection

OPEN_STATUSES = [s.value for s in (UpdateStatus.OFFERED, UpdateStatus.SCHEDULED,
                                   UpdateStatus.DOWNLOADING, UpdateStatus.INSTALLING,
                                   UpdateStatus.FAILED)]


class MongoOtaRepository:
    def __init__(self, db: Database) -> None:
        self._releases = CountedCollection(db["softwareReleases"])
        self._campaigns = CountedCollection(db["updateCampaigns"])
        self._updates = CountedCollection(db["vehicleUpdates"])
        self._vehicles = CountedCollection(db["vehicles"])

    async def add_release(self, release: SoftwareRelease) -> None:
        await self._releases.insert_one(to_document(release))

    async def releases(self, ids: Sequence[str]) -> list[SoftwareRelease | None]:
        return await find_by_ids(self._releases, SoftwareRelease, ids)

    async def add_campaign(self, campaign: UpdateCampaign) -> None:
        await self._campaigns.insert_one({**to_document(campaign), "counts": {}})

    async def campaigns(self, ids: Sequence[str]) -> list[UpdateCampaign | None]:
        return await find_by_ids(self._campaigns, UpdateCampaign, ids)

    async def campaign_page(self, request: PageRequest,
                            status: CampaignStatus | None) -> Page[UpdateCampaign]:
        query = {"status": status.value} if status else {}
        rows = await find_page(self._campaigns, query, request, descending=True)
        return page_from_rows([from_document(UpdateCampaign, d) for d in rows], request.first)

    async def replace_campaign(self, before: UpdateCampaign,
                               after: UpdateCampaign) -> UpdateCampaign | None:
        """Compare-and-set on status and stage: a concurrent change makes this return None."""
        fields = to_fields(after.model_dump(exclude={"id"}))
        doc = await self._campaigns.find_one_and_update(
            {"_id": before.id, "status": before.status.value,
             "currentStage": before.current_stage},
            {"$set": fields}, return_document=ReturnDocument.AFTER)
        return from_document(UpdateCampaign, doc) if doc else None

    async def counts(self, campaign_ids: Sequence[str]) -> list[Counts]:
        docs = await self._campaigns.find({"_id": {"$in": list(campaign_ids)}},
                                          {"counts": 1}).to_list(None)
        by_id = {doc["_id"]: _counts(doc.get("counts", {})) for doc in docs}
        return [by_id.get(campaign_id, Counts()) for campaign_id in campaign_ids]

    async def fleet(self, model_ids: Sequence[str],
                    batch: int = 5000) -> AsyncIterator[list[Document]]:
        """Vehicles of these models, id/owner/model/version only, in batches."""
        cursor = self._vehicles.find({"modelId": {"$in": list(model_ids)}},
                                     {"_id": 1, "ownerId": 1, "modelId": 1,
                                      "softwareVersion": 1}).sort("_id", 1)
        rows: list[Document] = []
        async for doc in cursor:
            rows.append(doc)
            if len(rows) >= batch:
                yield rows
                rows = []
        if rows:
            yield rows

    async def add_offers(self, updates: Sequence[VehicleUpdate]) -> list[VehicleUpdate]:
        """Inserts offers; a vehicle already offered in this campaign is skipped. Returns new."""
        if not updates:
            return []
        skipped = await duplicate_key_failures(self._updates.insert_many(
            [{**to_document(u), "offerKey": f"{u.campaign_id}:{u.vehicle_id}"}
             for u in updates], ordered=False))
        added = [u for i, u in enumerate(updates) if i not in skipped]
        if added:
            await self._campaigns.update_one({"_id": updates[0].campaign_id},
                                             {"$inc": {"counts.OFFERED": len(added)}})
        return added

    async def stage_counts(self, campaign_id: str, stage: int) -> Counts:
        pipeline: list[Document] = [
            {"$match": {"campaignId": campaign_id, "stage": stage}},
            {"$group": {"_id": "$status", "n": {"$sum": 1}}},
        ]
        rows = await (await self._updates.aggregate(pipeline)).to_list(None)
        return _counts({row["_id"]: row["n"] for row in rows})

    async def updates(self, ids: Sequence[str]) -> list[VehicleUpdate | None]:
        return await find_by_ids(self._updates, VehicleUpdate, ids)

    async def open_update(self, vehicle_id: str, version: str) -> VehicleUpdate | None:
        doc = await self._updates.find_one({"vehicleId": vehicle_id, "version": version},
                                           sort=[("_id", -1)])
        return from_document(VehicleUpdate, doc) if doc else None

    async def open_for_vehicles(self, vehicle_ids: Sequence[str]) -> list[list[VehicleUpdate]]:
        docs = await self._updates.find({"vehicleId": {"$in": list(vehicle_ids)},
                                         "status": {"$in": OPEN_STATUSES}}).to_list(None)
        found: dict[str, list[VehicleUpdate]] = {v: [] for v in vehicle_ids}
        for doc in docs:
            found[doc["vehicleId"]].append(from_document(VehicleUpdate, doc))
        return [found[v] for v in vehicle_ids]

    async def update_pages(self, vehicle_ids: Sequence[str],
                           request: PageRequest) -> list[Page[VehicleUpdate]]:
        """Newest first, per vehicle; one query for any number of vehicles."""
        query = {"vehicleId": {"$in": list(vehicle_ids)}}
        pipeline = grouped_pages_pipeline("vehicleId", query, request, descending=True)
        groups = await (await self._updates.aggregate(pipeline)).to_list(None)
        docs = {group["_id"]: group["docs"] for group in groups}
        return [page_from_rows([from_document(VehicleUpdate, d) for d in docs.get(v, [])],
                               request.first) for v in vehicle_ids]

    async def replace_update(self, before: VehicleUpdate,
                             after: VehicleUpdate) -> VehicleUpdate | None:
        """Compare-and-set on the last applied report; moves the campaign's counters along."""
        entry: UpdateHistoryEntry | None = after.history[-1] if len(after.history) > len(
            before.history) else None
        change: Document = {"$set": to_fields(after.model_dump(exclude={"id", "history"}))}
        if entry is not None:
            change["$push"] = {"history": to_fields(entry.model_dump())}
        doc = await self._updates.find_one_and_update(
            {"_id": before.id, "status": before.status.value, "reportedAt": before.reported_at},
            change, return_document=ReturnDocument.AFTER)
        if doc is None:
            return None
        if after.status is not before.status:
            await self._campaigns.update_one({"_id": before.campaign_id}, {"$inc": {
                f"counts.{before.status.value}": -1, f"counts.{after.status.value}": 1}})
        return from_document(VehicleUpdate, doc)

    async def version_distribution(self, model_id: str | None) -> list[tuple[str, str, int]]:
        match: Document = {"modelId": model_id} if model_id else {}
        pipeline: list[Document] = [
            {"$match": match},
            {"$group": {"_id": {"model": "$modelId", "version": "$softwareVersion"},
                        "vehicles": {"$sum": 1}}},
            {"$sort": {"_id.model": 1, "vehicles": -1}},
        ]
        rows = await (await self._vehicles.aggregate(pipeline)).to_list(None)
        return [(r["_id"]["model"], r["_id"].get("version") or "unknown", r["vehicles"])
                for r in rows]


def _counts(raw: dict[str, Any]) -> Counts:
    return Counts(**{status.value.lower(): int(raw.get(status.value, 0))
                     for status in UpdateStatus})
