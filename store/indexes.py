"""Indexes, created at start-up. `create_indexes` with IndexModel works on both engines."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel

from store.client import Database

INDEXES: dict[str, list[IndexModel]] = {
    "owners": [
        IndexModel([("email", ASCENDING)], unique=True, name="email_unique"),
    ],
    "vehicles": [
        IndexModel([("vin", ASCENDING)], unique=True, name="vin_unique"),
        # Owner.vehicles pages by _id within one owner.
        IndexModel([("ownerId", ASCENDING), ("_id", ASCENDING)], name="owner_id"),
    ],
}


async def ensure_indexes(db: Database) -> None:
    for collection, models in INDEXES.items():
        await db[collection].create_indexes(models)
