"""Request counters per caller and minute, shared by every instance (MongoDB, not memory)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pymongo import ReturnDocument

from store.client import Database
from store.stats import CountedCollection


class MongoRateLimits:
    def __init__(self, db: Database) -> None:
        self._windows = CountedCollection(db["rateLimits"])

    async def hit(self, caller: str, window_start: datetime, window: timedelta) -> int:
        """Counts one request in the caller's current window; returns the count so far."""
        doc = await self._windows.find_one_and_update(
            {"_id": f"{caller}:{window_start.isoformat()}"},
            {"$inc": {"n": 1}, "$setOnInsert": {"expiresAt": window_start + 2 * window}},
            upsert=True, return_document=ReturnDocument.AFTER)
        return int(doc["n"]) if doc else 1
