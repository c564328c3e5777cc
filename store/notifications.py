"""Notifications (the inbox), their dedup claims and the engagement rollups.

An inbox entry becomes visible when it is delivered: `deliveredAt` and `inboxKey` (a time-ordered
id taken at delivery, so deferred reminders sort by when they arrived) are set together.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ReturnDocument, UpdateOne

from domain.ids import new_id
from domain.notifications.model import (
    EngagementCount,
    Notification,
    NotificationEngagement,
    Priority,
)
from domain.pagination import Page, PageRequest, page_from_rows
from store.client import Database, Document, duplicate_key_failures
from store.documents import from_document, ids_filter, to_document
from store.stats import CountedCollection


class MongoNotificationRepository:
    def __init__(self, db: Database) -> None:
        self._inbox = CountedCollection(db["notifications"])
        self._claims = CountedCollection(db["notificationClaims"])
        self._engagement = CountedCollection(db["notificationEngagement"])

    async def claim(self, keys: Sequence[tuple[str, datetime]], now: datetime) -> list[bool]:
        """Claims each dedup key until its time, unless a live claim holds it: one write."""
        if not keys:
            return []
        # An upsert on a held key finds no expired claim and collides with the live one.
        held = await duplicate_key_failures(self._claims.bulk_write(
            [UpdateOne({"_id": key, "until": {"$lte": now}}, {"$set": {"until": until}},
                       upsert=True) for key, until in keys], ordered=False))
        return [index not in held for index in range(len(keys))]

    async def booked(self, owner_ids: Sequence[str], since: datetime,
                     until: datetime) -> dict[str, list[datetime]]:
        """When each owner's non-critical notifications are, or will be, delivered."""
        rows = await self._inbox.find(
            {"ownerId": _one_or_in(owner_ids), "deliverAfter": {"$gte": since, "$lt": until},
             "priority": {"$ne": Priority.CRITICAL.value}},
            {"ownerId": 1, "deliverAfter": 1}).to_list(None)
        found: dict[str, list[datetime]] = {owner: [] for owner in owner_ids}
        for row in rows:
            found[row["ownerId"]].append(row["deliverAfter"])
        return found

    async def add_many(self, notifications: Sequence[Notification]) -> None:
        if notifications:
            await self._inbox.insert_many(
                [notification_to_document(n) for n in notifications], ordered=False)

    async def withdraw(self, keys: Sequence[tuple[str, str]]) -> int:
        """Deletes what is still undelivered under these (owner, withdraw key) pairs."""
        if not keys:
            return 0
        result = await self._inbox.delete_many({
            "$or": [{"ownerId": owner, "withdrawKey": key} for owner, key in keys],
            "deliveredAt": None})
        return int(result.deleted_count)

    async def deliver(self, ids: Sequence[str], now: datetime) -> list[Notification]:
        """Marks the undelivered ones delivered; returns those this call delivered (a race with
        another worker delivers each once)."""
        if not ids:
            return []
        keys = {notification_id: new_id(now) for notification_id in ids}
        await self._inbox.bulk_write(
            [UpdateOne({"_id": nid, "deliveredAt": None},
                       {"$set": {"deliveredAt": now, "inboxKey": key}})
             for nid, key in keys.items()], ordered=False)
        docs = await self._inbox.find(ids_filter(list(ids))).to_list(None)
        return [notification_from_document(doc) for doc in docs
                if doc.get("inboxKey") == keys[doc["_id"]]]

    async def due(self, now: datetime, limit: int) -> list[Notification]:
        docs = await self._inbox.find({"deliveredAt": None, "deliverAfter": {"$lte": now}}
                                      ).sort("deliverAfter", 1).limit(limit).to_list(None)
        return [notification_from_document(doc) for doc in docs]

    async def expire(self, now: datetime) -> int:
        """Drops undelivered notifications whose moment passed (a reminder after the visit).

        `$type` keeps null out: mongoeco's `$lte` matches null, MongoDB's does not."""
        result = await self._inbox.delete_many(
            {"deliveredAt": None, "expiresAt": {"$type": "date", "$lte": now}})
        return int(result.deleted_count)

    async def get_many(self, ids: Sequence[str]) -> list[Notification | None]:
        found = await self._inbox.find(ids_filter(ids)).to_list(None)
        by_id = {doc["_id"]: notification_from_document(doc) for doc in found}
        return [by_id.get(key) for key in ids]

    async def page(self, owner_id: str, request: PageRequest,
                   unread_only: bool) -> Page[Notification]:
        """Newest delivered first; the cursor is the inbox key."""
        query: Document = {"ownerId": owner_id, "inboxKey": {"$type": "string"}}
        if request.after is not None:
            query["inboxKey"] = {"$lt": request.after}
        if unread_only:
            query["readAt"] = None
        docs = await self._inbox.find(query).sort("inboxKey", -1).limit(
            request.first + 1).to_list(None)
        return page_from_rows([notification_from_document(doc) for doc in docs],
                              request.first)

    async def inbox_keys(self, ids: Sequence[str]) -> dict[str, str]:
        docs = await self._inbox.find(ids_filter(ids), {"inboxKey": 1}).to_list(None)
        return {doc["_id"]: doc["inboxKey"] for doc in docs if doc.get("inboxKey")}

    async def mark(self, notification_id: str, field: str, now: datetime
                   ) -> tuple[Notification | None, bool]:
        """Sets readAt/actedAt once; (the notification, whether this call set it)."""
        doc = await self._inbox.find_one_and_update(
            {"_id": notification_id, field: None, "deliveredAt": {"$ne": None}},
            {"$set": {field: now}}, return_document=ReturnDocument.AFTER)
        if doc is not None:
            return notification_from_document(doc), True
        found = await self.get_many([notification_id])
        return found[0], False

    async def count(self, rows: Sequence[tuple[Notification, NotificationEngagement]],
                    at: datetime) -> None:
        """Adds one per row to the day's rollup of the notification's owner group: the totals
        the analytics sum, and per kind."""
        day = datetime(at.year, at.month, at.day, tzinfo=UTC)
        totals: dict[Group, dict[str, int]] = {}
        for n, what in rows:
            increments = totals.setdefault((n.region, n.model_id, n.stage), {})
            for name in (what.value, f"kinds.{n.kind.value}.{what.value}"):
                increments[name] = increments.get(name, 0) + 1
        if totals:
            await self._engagement.bulk_write([UpdateOne(
                {"_id": _engagement_id(day, group)},
                {"$inc": increments, "$setOnInsert": _engagement_group(day, group)}, upsert=True)
                for group, increments in totals.items()], ordered=False)

    async def add_engagement(self, counts: Sequence[EngagementCount]) -> int:
        """Adds whole days' rollups (imports, demo history) under the ids `count` uses; a day
        and group already counted is left as it is. Returns how many day-groups were added."""
        docs: dict[str, Document] = {}
        for c in counts:
            day, group = datetime(c.day.year, c.day.month, c.day.day, tzinfo=UTC), (
                c.region, c.model_id, c.stage)
            doc = docs.setdefault(_engagement_id(day, group), {
                **_engagement_group(day, group), "delivered": 0, "opened": 0, "acted": 0,
                "kinds": {}})
            kind = doc["kinds"].setdefault(c.kind.value, {"delivered": 0, "opened": 0, "acted": 0})
            for name, n in (("delivered", c.delivered), ("opened", c.opened), ("acted", c.acted)):
                doc[name] += n
                kind[name] += n
        if not docs:
            return 0
        rows = [{"_id": key, **doc} for key, doc in docs.items()]
        refused = await duplicate_key_failures(self._engagement.insert_many(rows, ordered=False))
        return len(rows) - len(refused)


type Group = tuple[str | None, str | None, str | None]  # region, model, stage


def _engagement_id(day: datetime, group: Group) -> str:
    """One rollup document per day and owner group: what analytics read grows with days and
    groups, not with owners or notification kinds."""
    region, model, stage = group
    return f"{day.date()}:{region}:{model}:{stage}"


def _engagement_group(day: datetime, group: Group) -> Document:
    region, model, stage = group
    return {"date": day, "region": region, "modelId": model, "stage": stage}


def notification_to_document(notification: Notification) -> Document:
    # `data` is the app's free-form JSON: its keys are kept exactly as they are.
    return {**to_document(notification.model_copy(update={"data": {}})),
            "data": notification.data}


def notification_from_document(doc: Document) -> Notification:
    return from_document(Notification, {**doc, "data": {}}).model_copy(
        update={"data": doc.get("data", {})})


def _one_or_in(values: Sequence[str]) -> Any:
    return values[0] if len(values) == 1 else {"$in": list(values)}
