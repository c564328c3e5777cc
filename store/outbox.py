"""The push outbox in `pushOutbox`: `_id` is the item id (the idempotency key), so enqueueing
twice keeps one item; claims are leases taken with one atomic `find_one_and_update` each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from pymongo import ReturnDocument

from domain.notifications import outbox
from domain.notifications.model import OutboxItem, OutboxStatus
from store.client import Database, Document, duplicate_key_failures
from store.documents import from_document, ids_filter, to_document
from store.stats import CountedCollection


class MongoOutboxRepository:
    def __init__(self, db: Database) -> None:
        self._items = CountedCollection(db["pushOutbox"])

    async def enqueue(self, items: Sequence[OutboxItem]) -> int:
        if not items:
            return 0
        refused = await duplicate_key_failures(
            self._items.insert_many([_document(item) for item in items], ordered=False))
        return len(items) - len(refused)

    async def claim_due(self, now: datetime, lease: timedelta,
                        limit: int) -> list[OutboxItem]:
        # One document per command: each claim is atomic on its own, so concurrent workers
        # split the due items between them instead of both taking a batch.
        claimed: list[OutboxItem] = []
        while len(claimed) < limit:
            doc = await self._items.find_one_and_update(
                _due(now), {"$set": {"lockedUntil": now + lease, "updatedAt": now},
                            "$inc": {"attempts": 1}},
                sort=[("dueAt", 1)], return_document=ReturnDocument.AFTER)
            if doc is None:
                break
            claimed.append(_item(doc))
        return claimed

    async def mark_sent(self, item: OutboxItem, at: datetime) -> bool:
        return await self._settle(item, outbox.sent(item, at), at)

    async def mark_skipped(self, item: OutboxItem, at: datetime, reason: str) -> bool:
        return await self._settle(item, outbox.skipped(item, reason), at)

    async def retry_later(self, item: OutboxItem, at: datetime, due_at: datetime,
                          error: str) -> bool:
        return await self._settle(item, outbox.retry_later(item, due_at, error), at)

    async def mark_dead(self, item: OutboxItem, at: datetime, error: str) -> bool:
        return await self._settle(item, outbox.dead(item, error), at)

    async def get_many(self, ids: Sequence[str]) -> list[OutboxItem | None]:
        docs = await self._items.find(ids_filter(ids)).to_list(None)
        by_id = {doc["_id"]: _item(doc) for doc in docs}
        return [by_id.get(key) for key in ids]

    async def counts(self) -> dict[OutboxStatus, int]:
        pipeline: list[Document] = [{"$group": {"_id": "$status", "n": {"$sum": 1}}}]
        rows = await (await self._items.aggregate(pipeline)).to_list(None)
        found = {row["_id"]: row["n"] for row in rows}
        return {status: int(found.get(status.value, 0)) for status in OutboxStatus}

    async def _settle(self, claimed: OutboxItem, after: OutboxItem, at: datetime) -> bool:
        """Every claim adds one to `attempts`: an unchanged count means nobody claimed the item
        since, so a worker whose lease ran out cannot overwrite its successor's outcome."""
        result = await self._items.update_one(
            {"_id": claimed.id, "status": OutboxStatus.PENDING.value,
             "attempts": claimed.attempts},
            {"$set": {"status": after.status.value, "dueAt": after.due_at,
                      "lockedUntil": after.locked_until, "lastError": after.last_error,
                      "sentAt": after.sent_at, "updatedAt": at}})
        return bool(result.modified_count)


def _due(now: datetime) -> Document:
    return {"status": OutboxStatus.PENDING.value, "dueAt": {"$lte": now},
            "$or": [{"lockedUntil": None}, {"lockedUntil": {"$lte": now}}]}


def _document(item: OutboxItem) -> Document:
    # The payload is the gateway's JSON as it will be sent: its keys are kept, not renamed.
    doc = to_document(item.model_copy(update={"payload": {}}))
    return {**doc, "payload": item.payload, "updatedAt": item.created_at}


def _item(doc: Document) -> OutboxItem:
    fields = {key: value for key, value in doc.items() if key not in ("payload", "updatedAt")}
    return from_document(OutboxItem, {**fields, "payload": {}}).model_copy(
        update={"payload": doc.get("payload", {})})
