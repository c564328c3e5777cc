"""Service centers in `serviceCenters`. Nearby search: an indexed lat/lng box, exact distance in
the domain (mongoeco's geo operators are not faithful to MongoDB's, see shared/STYLE.md)."""

from __future__ import annotations

from collections.abc import Sequence

from domain.service_centers import ServiceCenter
from store.client import Database
from store.documents import find_by_ids, from_document, to_document
from store.stats import CountedCollection


class MongoServiceCenterRepository:
    def __init__(self, db: Database) -> None:
        self._centers = CountedCollection(db["serviceCenters"])

    async def get_many(self, ids: Sequence[str]) -> list[ServiceCenter | None]:
        return await find_by_ids(self._centers, ServiceCenter, ids)

    async def add_many(self, centers: Sequence[ServiceCenter]) -> None:
        if centers:
            await self._centers.insert_many([to_document(center) for center in centers])

    async def in_box(self, south: float, west: float, north: float,
                     east: float) -> list[ServiceCenter]:
        query = {"location.lat": {"$gte": south, "$lte": north},
                 "location.lng": {"$gte": west, "$lte": east}}
        docs = await self._centers.find(query).to_list(None)
        return [from_document(ServiceCenter, doc) for doc in docs]
