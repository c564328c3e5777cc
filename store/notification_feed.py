"""The real-time feed across instances: each delivery is written to `notificationFeed`, and every
instance's relay follows that collection's change stream into its own subscribers. Needs a replica
set or sharded cluster (change streams). Inserts are watched, not updates of the inbox itself:
an insert event carries the whole document on every server version and engine."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import AsyncIterator, Sequence
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


class ChangeStreamFeed:
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


async def _close(stream: Any) -> None:
    """PyMongo's close is a coroutine; mongoeco's in-process one is not (see STYLE.md)."""
    closing = stream.close()
    if inspect.isawaitable(closing):
        await closing
