"""The real-time feed across instances: each delivery is written to `notificationFeed`, and every
instance's relay follows that collection into its own subscribers: by its change stream on a
replica set or sharded cluster, else by polling its time index. Inserts are watched, not updates
of the inbox itself: an insert event carries the whole document on every server and engine."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from domain.notifications.model import Notification
from domain.ports import NotificationFeed
from store.client import BULK_WRITE_ERRORS, DATABASE_ERRORS, Database, Document
from store.notifications import notification_from_document, notification_to_document
from store.stats import CountedCollection

log = logging.getLogger("evjourney.feed")
FEED = "notificationFeed"
INSERTS: list[Document] = [{"$match": {"operationType": "insert"}}]


async def supports_change_streams(db: Database) -> bool:
    """True on a replica set or through mongos; a standalone server has no change streams."""
    try:
        hello: Document = await db.command("hello")
    except DATABASE_ERRORS:
        return False
    return bool(hello.get("setName")) or hello.get("msg") == "isdbgrid"


class CollectionFeed:
    """Publishing writes the feed; subscribers listen on the local feed the relay fills."""

    def __init__(self, db: Database, local: NotificationFeed) -> None:
        self._feed = CountedCollection(db[FEED])
        self._local = local

    async def publish(self, notifications: Sequence[Notification]) -> None:
        if not notifications:
            return
        docs = [{"_id": n.id, "at": n.delivered_at or n.created_at,
                 "notification": notification_to_document(n)} for n in notifications]
        # A duplicate is a retried delivery, already published: subscribers had it once.
        with contextlib.suppress(*BULK_WRITE_ERRORS):
            await self._feed.insert_many(docs, ordered=False)

    def subscribe(self, owner_id: str) -> AsyncIterator[Notification]:
        return self._local.subscribe(owner_id)


async def relay_feed(db: Database, local: NotificationFeed, retry_seconds: float = 1.0) -> None:
    """Runs until cancelled; resumes after errors from where it was."""
    resume_after: Any = None
    while True:
        try:
            stream = await db[FEED].watch(INSERTS, resume_after=resume_after)
            try:
                while True:
                    change = await stream.next()
                    resume_after = change["_id"]
                    doc = change["fullDocument"]["notification"]
                    await local.publish([notification_from_document(doc)])
            finally:
                await _close(stream)
        except DATABASE_ERRORS:
            log.exception("notification change stream failed; resuming")
            await asyncio.sleep(retry_seconds)


POLL_SECONDS = 0.5
# Instances' clocks and commits are not in step: each poll looks this far back and skips the ids
# it has already handed on.
POLL_LOOKBACK = timedelta(seconds=10)


async def poll_feed(db: Database, local: NotificationFeed, now: Callable[[], datetime],
                    interval: float = POLL_SECONDS) -> None:
    """Where there are no change streams (a standalone server, mongoeco's wire server): reads
    the feed by its indexed time every `interval`, from when this instance started."""
    feed = CountedCollection(db[FEED])
    since, seen = now(), _Seen()
    while True:
        try:
            docs = await feed.find({"at": {"$gte": since - POLL_LOOKBACK}}).sort(
                [("at", 1), ("_id", 1)]).to_list(None)
            fresh = [d for d in docs if seen.first_time(d["_id"])]
            if fresh:
                await local.publish([notification_from_document(d["notification"])
                                     for d in fresh])
                since = max(since, max(d["at"] for d in fresh))
        except DATABASE_ERRORS:
            log.exception("polling the notification feed failed; trying again")
        await asyncio.sleep(interval)


class _Seen:
    """The ids handed on recently (more than a lookback's worth)."""

    LIMIT = 10_000

    def __init__(self) -> None:
        self._ids: dict[str, None] = {}

    def first_time(self, key: str) -> bool:
        if key in self._ids:
            return False
        self._ids[key] = None
        if len(self._ids) > self.LIMIT:
            for old in list(self._ids)[: self.LIMIT // 2]:
                del self._ids[old]
        return True


async def _close(stream: Any) -> None:
    """PyMongo's close is a coroutine; mongoeco's in-process one is not (see STYLE.md)."""
    closing = stream.close()
    if inspect.isawaitable(closing):
        await closing
