"""Change-stream relay: every notification delivered by any instance reaches this instance's
subscribers. Needs a replica set or sharded cluster (change streams)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from domain.notifications.model import Notification
from store.client import DATABASE_ERRORS, Database, Document
from store.documents import from_document

log = logging.getLogger("evjourney.feed")
type Publish = Callable[[Sequence[Notification]], Awaitable[None]]

# Delivery sets deliveredAt on an existing notification (see store/notifications.py).
DELIVERED: list[Document] = [{"$match": {
    "operationType": "update",
    "updateDescription.updatedFields.deliveredAt": {"$exists": True}}}]


async def supports_change_streams(db: Database) -> bool:
    """True on a replica set or through mongos; a standalone server has no change streams."""
    try:
        hello: Document = await db.command("hello")
    except DATABASE_ERRORS:
        return False
    return bool(hello.get("setName")) or hello.get("msg") == "isdbgrid"


async def relay_deliveries(db: Database, publish: Publish, retry_seconds: float = 1.0) -> None:
    """Runs until cancelled; resumes after errors from where it was."""
    resume_after: Any = None
    while True:
        try:
            stream = await db["notifications"].watch(
                DELIVERED, full_document="updateLookup", resume_after=resume_after)
            try:
                while True:
                    change = await stream.next()
                    resume_after = change["_id"]
                    if change.get("fullDocument"):
                        await publish([from_document(Notification, change["fullDocument"])])
            finally:
                await stream.close()
        except DATABASE_ERRORS:
            log.exception("notification change stream failed; resuming")
            await asyncio.sleep(retry_seconds)
