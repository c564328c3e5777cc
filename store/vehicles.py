"""Vehicles in the `vehicles` collection."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from pymongo import ReturnDocument, UpdateOne

from domain.errors import DuplicateVin
from domain.pagination import Page, PageRequest, page_from_rows
from domain.vehicles import Vehicle
from store.client import DUPLICATE_KEY_ERRORS, Database
from store.documents import find_by_ids, from_document, to_document, to_fields
from store.paging import find_page, grouped_pages_pipeline
from store.stats import CountedCollection


class MongoVehicleRepository:
    def __init__(self, db: Database) -> None:
        self._vehicles = CountedCollection(db["vehicles"])

    async def get_many(self, ids: Sequence[str]) -> list[Vehicle | None]:
        return await find_by_ids(self._vehicles, Vehicle, ids)

    async def get_by_vin(self, vin: str) -> Vehicle | None:
        doc = await self._vehicles.find_one({"vin": vin})
        return from_document(Vehicle, doc) if doc else None

    async def get_many_by_vin(self, vins: Sequence[str]) -> list[Vehicle | None]:
        query = {"vin": vins[0]} if len(vins) == 1 else {"vin": {"$in": list(vins)}}
        docs = await self._vehicles.find(query).to_list(None)
        by_vin = {doc["vin"]: from_document(Vehicle, doc) for doc in docs}
        return [by_vin.get(vin) for vin in vins]

    async def add(self, vehicle: Vehicle) -> None:
        try:
            await self._vehicles.insert_one(to_document(vehicle))
        except DUPLICATE_KEY_ERRORS:
            raise DuplicateVin("a vehicle with this VIN is registered", field="vin") from None

    async def add_many(self, vehicles: Sequence[Vehicle]) -> None:
        if vehicles:
            await self._vehicles.insert_many([to_document(vehicle) for vehicle in vehicles])

    async def update(self, vehicle_id: str, fields: dict[str, object]) -> Vehicle | None:
        """Sets the fields atomically; None if the vehicle is gone or the odometer would drop."""
        query: dict[str, object] = {"_id": vehicle_id}
        if "odometer_km" in fields:
            # Checked in the same write, so a concurrent smaller reading cannot win a race.
            query["odometerKm"] = {"$lte": fields["odometer_km"]}
        doc = await self._vehicles.find_one_and_update(
            query, {"$set": to_fields(fields)}, return_document=ReturnDocument.AFTER
        )
        return from_document(Vehicle, doc) if doc else None

    async def raise_odometers(self, readings: Mapping[str, float], at: datetime) -> None:
        """Raises each vehicle's odometer to its reading in one round-trip; never lowers it."""
        if readings:
            await self._vehicles.bulk_write([UpdateOne(
                {"_id": vehicle_id, "odometerKm": {"$lt": km}},
                {"$max": {"odometerKm": km}, "$set": {"updatedAt": at}})
                for vehicle_id, km in readings.items()], ordered=False)

    async def pages_by_owner(
        self, owner_ids: Sequence[str], request: PageRequest
    ) -> list[Page[Vehicle]]:
        if len(owner_ids) == 1:
            rows = await find_page(self._vehicles, {"ownerId": owner_ids[0]}, request)
            return [page_from_rows([from_document(Vehicle, d) for d in rows], request.first)]
        pipeline = grouped_pages_pipeline("ownerId", {"ownerId": {"$in": list(owner_ids)}},
                                          request)
        groups = await (await self._vehicles.aggregate(pipeline)).to_list(None)
        docs_by_owner = {group["_id"]: group["docs"] for group in groups}
        return [
            page_from_rows([from_document(Vehicle, d) for d in docs_by_owner.get(owner, [])],
                           request.first)
            for owner in owner_ids
        ]
