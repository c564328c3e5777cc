"""Leases on named jobs: one instance at a time runs a periodic job, until the lease expires."""

from __future__ import annotations

from datetime import datetime

from store.client import DUPLICATE_KEY_ERRORS, Database
from store.stats import CountedCollection


class MongoLeases:
    def __init__(self, db: Database) -> None:
        self._leases = CountedCollection(db["leases"])

    async def claim(self, name: str, holder: str, until: datetime, now: datetime) -> bool:
        """True when this holder now has `name` until `until`: nobody held it, or their lease
        ran out. One conditional upsert: two instances never both win."""
        try:
            await self._leases.update_one(
                {"_id": name, "until": {"$lte": now}},
                {"$set": {"until": until, "holder": holder, "claimedAt": now}}, upsert=True)
        except DUPLICATE_KEY_ERRORS:
            return False
        return True
