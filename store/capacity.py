"""Booked capacity in `serviceCapacity`: one document per center and month of counters.

A hold is one conditional `$inc` on that document: every unit it needs must still be below
capacity in the same write, so however many requests race for the last bay, exactly as many
succeed as there is room. A reschedule inside one month is one write too (old units -1, new +1).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Sequence

from domain.availability import Hold, Usage, capacity, first_full
from domain.errors import LoanerUnavailable, SlotUnavailable
from domain.service_centers import ServiceCenter
from store.client import DUPLICATE_KEY_ERRORS, Database, Document
from store.stats import CountedCollection


class MongoCapacityRepository:
    def __init__(self, db: Database) -> None:
        self._capacity = CountedCollection(db["serviceCapacity"])

    async def usage(self, center_id: str, months: Sequence[str]) -> Usage:
        ids = [_doc_id(center_id, month) for month in months]
        docs = await self._capacity.find({"_id": {"$in": ids}}).to_list(None)
        merged: dict[str, dict[str, int]] = {}
        for doc in docs:
            for counter in ("bays", "ev", "mobile", "loaners"):
                merged.setdefault(counter, {}).update(doc.get(counter, {}))
        return Usage(merged)

    async def hold(self, center: ServiceCenter, month: str, hold: Hold) -> None:
        await self.move(center, month, Hold(), hold)

    async def release(self, center_id: str, month: str, hold: Hold) -> None:
        deltas = {f"{counter}.{key}": -1 for counter, key in hold.items()}
        if deltas:
            await self._capacity.update_one({"_id": _doc_id(center_id, month)}, {"$inc": deltas})

    async def move(self, center: ServiceCenter, month: str, old: Hold, new: Hold) -> None:
        """Releases `old` and takes `new` in one write; raises if `new` does not fit."""
        doc_id = _doc_id(center.id, month)
        net = Counter(f"{c}.{k}" for c, k in new.items())
        net.subtract(f"{c}.{k}" for c, k in old.items())
        taken = [path for path, delta in net.items() if delta > 0]
        query: Document = {"_id": doc_id, **{
            path: {"$not": {"$gte": capacity(center, path.split(".")[0])}} for path in taken}}
        changes = {path: delta for path, delta in net.items() if delta}
        if not changes:
            return
        await self._ensure(doc_id)
        result = await self._capacity.update_one(query, {"$inc": changes})
        if result.modified_count == 0:
            await self._explain_refusal(center, month, new)

    async def _ensure(self, doc_id: str) -> None:
        # A concurrent first booking of the month may create it first: that is fine.
        with contextlib.suppress(*DUPLICATE_KEY_ERRORS):
            await self._capacity.update_one({"_id": doc_id}, {"$setOnInsert": {"created": 1}},
                                            upsert=True)

    async def _explain_refusal(self, center: ServiceCenter, month: str, hold: Hold) -> None:
        usage = await self.usage(center.id, [month])
        if first_full(center, usage, Hold(loaners=hold.loaners)) is not None:
            raise LoanerUnavailable("no loaner car left that day", field="loanerRequested")
        raise SlotUnavailable("that slot has just been taken; pick another", field="start")


def _doc_id(center_id: str, month: str) -> str:
    return f"{center_id}:{month}"
