"""`serviceDues`: each time a scheduled service came due, and whether it was done in time.

OPEN when it comes due; RETAINED when a visit with that service completes; LAPSED when the grace
period passes without one. The retention rate reads the decided ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from domain.service_centers import ServiceType
from store.client import Database, Document, duplicate_key_failures
from store.stats import CountedCollection


class MongoServiceDueRepository:
    def __init__(self, db: Database) -> None:
        self._dues = CountedCollection(db["serviceDues"])

    async def open(self, dues: Sequence[Document]) -> int:
        """Adds dues not recorded yet (their `_id` is vehicle, service and due date)."""
        if not dues:
            return 0
        # insert_many, not bulk_write of InsertOne: the embedded engine takes ~5 ms per
        # InsertOne, which made the daily sweep of a few hundred cars take seconds.
        refused = await duplicate_key_failures(self._dues.insert_many(
            [{**due, "status": "OPEN"} for due in dues], ordered=False))
        return len(dues) - len(refused)

    async def retain(self, vehicle_id: str, services: Sequence[ServiceType],
                     at: datetime) -> int:
        result = await self._dues.update_many(
            {"vehicleId": vehicle_id, "status": "OPEN",
             "serviceType": {"$in": [s.value for s in services]}},
            {"$set": {"status": "RETAINED", "servicedAt": at}})
        return int(result.modified_count)

    async def lapse(self, due_before: datetime) -> int:
        result = await self._dues.update_many(
            {"status": "OPEN", "dueOn": {"$lt": due_before}}, {"$set": {"status": "LAPSED"}})
        return int(result.modified_count)

    async def add_settled(self, dues: Sequence[Document]) -> int:
        """Adds dues already decided, with their `status` (RETAINED with `servicedAt`, or
        LAPSED) as given: history from an import or the demo. Dues recorded already are kept."""
        if not dues:
            return 0
        refused = await duplicate_key_failures(self._dues.insert_many(list(dues), ordered=False))
        return len(dues) - len(refused)
