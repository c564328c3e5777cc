"""Public charging stations in `chargingStations`. Imports upsert by `_id` in one bulk write;
nearby search is an indexed lat/lng box plus a stored `maxPowerKw`, exact distance in the domain
(mongoeco's geo operators are not faithful to MongoDB's, see shared/STYLE.md)."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import ASCENDING, IndexModel, ReplaceOne

from domain.stations import ChargingStation
from store.client import Database, Document
from store.documents import find_by_ids, from_document, to_document
from store.stats import CountedCollection

COLLECTION = "chargingStations"
# Add to store/indexes.py as INDEXES["chargingStations"]. No compound unique index: mongoeco
# checks those in O(n) per insert; `_id` is the only uniqueness needed.
INDEXES: list[IndexModel] = [
    IndexModel([("location.lat", ASCENDING), ("location.lng", ASCENDING)], name="lat_lng"),
    IndexModel([("maxPowerKw", ASCENDING)], name="max_power_kw"),
]


def station_document(station: ChargingStation) -> Document:
    doc = to_document(station)
    doc["maxPowerKw"] = station.max_power_kw  # derived, stored so queries can filter on it
    return doc


class MongoChargingStationRepository:
    def __init__(self, db: Database) -> None:
        self._stations = CountedCollection(db[COLLECTION])

    async def upsert_many(self, stations: Sequence[ChargingStation]) -> tuple[int, int]:
        """Inserts new stations and replaces known ones, in one round trip.
        Returns (inserted, updated); a replaced station counts as updated even if unchanged."""
        if not stations:
            return 0, 0
        requests = [ReplaceOne({"_id": station.id}, station_document(station), upsert=True)
                    for station in stations]
        result = await self._stations.bulk_write(requests, ordered=False)
        return int(result.upserted_count), int(result.matched_count)

    async def get_many(self, ids: Sequence[str]) -> list[ChargingStation | None]:
        """The stations with these ids, in the order asked (None where unknown)."""
        # The model ignores the stored, derived `maxPowerKw`.
        return await find_by_ids(self._stations, ChargingStation, ids) if ids else []

    async def in_box(self, south: float, west: float, north: float, east: float,
                     min_power_kw: float = 0.0) -> list[ChargingStation]:
        """Stations inside the box with at least one connector of `min_power_kw` or more."""
        query: Document = {"location.lat": {"$gte": south, "$lte": north},
                           "location.lng": {"$gte": west, "$lte": east}}
        if min_power_kw > 0:
            query["maxPowerKw"] = {"$gte": min_power_kw}
        docs = await self._stations.find(query).to_list(None)
        return [from_document(ChargingStation, doc) for doc in docs]
