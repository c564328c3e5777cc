"""Touchpoints (the journey timeline), app-activity rollups, stage transitions, service dues."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from pymongo import UpdateOne

from domain.journey import (
    APP_USE,
    AppUseMonth,
    OwnershipStage,
    StageChanged,
    Touchpoint,
    TouchpointKind,
)
from domain.owners import Owner
from domain.pagination import Page, PageRequest, page_from_rows
from store.client import Database, Document, duplicate_key_failures
from store.documents import find_by_ids, from_document, to_document
from store.stats import CountedCollection

HISTORY_CHUNK = 500  # per insert_many: bigger batches cost more per document on the wire server


class MongoJourneyRepository:
    def __init__(self, db: Database) -> None:
        self._touchpoints = CountedCollection(db["touchpoints"])
        self._activity = CountedCollection(db["appActivity"])
        self._transitions = CountedCollection(db["stageTransitions"])
        self._owners = CountedCollection(db["owners"])

    async def add_touchpoints(self, touchpoints: Sequence[Touchpoint],
                              owners: dict[str, Owner]) -> list[bool]:
        """Stores each once (by its event key); app use also lands in the monthly rollup."""
        if not touchpoints:
            return []
        refused = await duplicate_key_failures(self._touchpoints.insert_many(
            [to_document(t) for t in touchpoints], ordered=False))
        stored = [i not in refused for i in range(len(touchpoints))]
        used = [t for t, ok in zip(touchpoints, stored, strict=True)
                if ok and t.kind in APP_USE and t.owner_id in owners]
        if used:
            await self._activity.bulk_write(
                [_activity_update(t, owners[t.owner_id]) for t in used], ordered=False)
        return stored

    async def add_history(self, touchpoints: Iterable[Touchpoint]) -> int:
        """Bulk inserts (taken from `touchpoints` a batch at a time) without the appActivity
        rollup: history comes with its rollups written apart, or needs none, and the rollup
        would cost a write per owner-month."""
        added = 0
        for part in itertools.batched(touchpoints, HISTORY_CHUNK, strict=False):
            refused = await duplicate_key_failures(self._touchpoints.insert_many(
                [to_document(t) for t in part], ordered=False))
            added += len(part) - len(refused)
        return added

    async def get_many(self, ids: Sequence[str]) -> list[Touchpoint | None]:
        return await find_by_ids(self._touchpoints, Touchpoint, ids)

    async def page(self, owner_id: str, request: PageRequest,
                   kinds: Sequence[TouchpointKind]) -> Page[Touchpoint]:
        """Newest first."""
        query: Document = {"ownerId": owner_id}
        if kinds:
            query["kind"] = {"$in": [k.value for k in kinds]}
        if request.after:
            query["_id"] = {"$lt": request.after}
        docs = await self._touchpoints.find(query).sort("_id", -1).limit(
            request.first + 1).to_list(None)
        return page_from_rows([from_document(Touchpoint, d) for d in docs], request.first)

    async def record_stages(self, changes: Sequence[tuple[Owner, StageChanged, str | None]]
                            ) -> None:
        """The owners' new stages (and primary models), and a transition record for each stage
        that moved."""
        if not changes:
            return
        await self._owners.bulk_write([UpdateOne(
            {"_id": owner.id}, {"$set": {"stage": change.after.value, "primaryModelId": model}})
            for owner, change, model in changes], ordered=False)
        await self.add_transitions(changes)

    async def add_transitions(self, changes: Sequence[tuple[Owner, StageChanged, str | None]]
                              ) -> None:
        """A transition record for each change that moved a stage (the owner's region, the
        model); alone, without touching owners, it writes history (imports, the demo)."""
        moved = [c for c in changes if c[1].before is not c[1].after]
        if not moved:
            return
        await self._transitions.insert_many([{
            "_id": f"{change.owner_id}:{change.at.isoformat()}", "ownerId": change.owner_id,
            "vehicleId": change.vehicle_id, "before": _value(change.before),
            "after": change.after.value, "at": change.at, "region": owner.region,
            "modelId": model} for owner, change, model in moved], ordered=False)

    async def record_app_use(self, owner: Owner, at: datetime) -> None:
        """The owner used the app on `at`'s day (idempotent: a day is a set member)."""
        await self._activity.bulk_write([_day_of_use(owner, at)])

    async def add_app_use(self, months: Sequence[AppUseMonth]) -> int:
        """Adds whole months of app use to the rollup (imports, demo history), in the shape the
        live `$addToSet` writes; an owner-month already there is left as it is. Returns how
        many were added."""
        if not months:
            return 0
        refused = await duplicate_key_failures(self._activity.insert_many([{
            "_id": f"{m.owner_id}:{m.month}", "ownerId": m.owner_id, "month": m.month,
            "days": [_midnight(day) for day in m.days], "region": m.region,
            "modelId": m.model_id, "stage": _value(m.stage)} for m in months], ordered=False))
        return len(months) - len(refused)


def _activity_update(touchpoint: Touchpoint, owner: Owner) -> UpdateOne:
    return _day_of_use(owner, touchpoint.at)


def _day_of_use(owner: Owner, at: datetime) -> UpdateOne:
    month = at.astimezone(UTC).strftime("%Y-%m")
    return UpdateOne(
        {"_id": f"{owner.id}:{month}"},
        {"$addToSet": {"days": _midnight(at)},
         "$set": {"ownerId": owner.id, "month": month, "region": owner.region,
                  "modelId": owner.primary_model_id, "stage": _value(owner.stage)}},
        upsert=True)


def _value(stage: OwnershipStage | None) -> str | None:
    return stage.value if stage else None


def _midnight(at: datetime) -> datetime:
    day = at.astimezone(UTC)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
