"""Appointments in `appointments`. Status changes are compare-and-set on the current status, so
two staff members clicking at once cannot both move the same appointment."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pymongo import ReturnDocument

from domain.appointments import Appointment, AppointmentStatus, HistoryEntry
from domain.charging_stats import StatsWindow
from domain.pagination import Page, PageRequest, page_from_rows
from domain.service_centers import ServiceType
from domain.service_schedule import LastService
from store.client import DUPLICATE_KEY_ERRORS, Database, Document
from store.documents import find_by_ids, from_document, to_document, to_fields
from store.paging import find_page, grouped_pages_pipeline
from store.stats import CountedCollection


class MongoAppointmentRepository:
    def __init__(self, db: Database) -> None:
        self._appointments = CountedCollection(db["appointments"])

    async def get_many(self, ids: Sequence[str]) -> list[Appointment | None]:
        return await find_by_ids(self._appointments, Appointment, ids)

    async def by_idempotency_key(self, vehicle_id: str, key: str) -> Appointment | None:
        doc = await self._appointments.find_one({"bookingKey": f"{vehicle_id}:{key}"})
        return from_document(Appointment, doc) if doc else None

    async def add(self, appointment: Appointment) -> bool:
        """False when the vehicle already has an appointment with this idempotency key."""
        try:
            await self._appointments.insert_one(_document(appointment))
        except DUPLICATE_KEY_ERRORS:
            return False
        return True

    async def add_many(self, appointments: Sequence[Appointment]) -> None:
        if appointments:
            await self._appointments.insert_many([_document(a) for a in appointments])

    async def change(self, appointment: Appointment, entry: HistoryEntry,
                     fields: dict[str, object]) -> Appointment | None:
        """Applies the change only if status and start are still what the caller saw."""
        doc = await self._appointments.find_one_and_update(
            {"_id": appointment.id, "status": appointment.status.value,
             "start": appointment.start},
            {"$set": to_fields({**fields, "status": entry.status}),
             "$push": {"history": to_fields(entry.model_dump())}},
            return_document=ReturnDocument.AFTER)
        return from_document(Appointment, doc) if doc else None

    async def mark_reopened(self, appointment_id: str) -> None:
        await self._appointments.update_one({"_id": appointment_id}, {"$set": {"reopened": True}})

    async def last_completed(self, vehicle_id: str, categories: Sequence[str],
                             since: datetime) -> Appointment | None:
        doc = await self._appointments.find_one(
            {"vehicleId": vehicle_id, "status": AppointmentStatus.COMPLETED.value,
             "completedAt": {"$gte": since}, "concernCategories": {"$in": list(categories)}},
            sort=[("completedAt", -1)])
        return from_document(Appointment, doc) if doc else None

    async def pages_by_vehicle(self, vehicle_ids: Sequence[str],
                               request: PageRequest) -> list[Page[Appointment]]:
        return await self._pages("vehicleId", vehicle_ids, {}, request)

    async def pages_by_center(self, center_ids: Sequence[str], request: PageRequest,
                              window: StatsWindow, status: AppointmentStatus | None
                              ) -> list[Page[Appointment]]:
        extra: Document = {}
        if window.start or window.end:
            extra["start"] = {k: v for k, v in (("$gte", window.start), ("$lt", window.end)) if v}
        if status is not None:
            extra["status"] = status.value
        return await self._pages("centerId", center_ids, extra, request)

    async def _pages(self, key: str, parent_ids: Sequence[str], extra: Document,
                     request: PageRequest) -> list[Page[Appointment]]:
        """Newest first per parent, one query for any number of parents."""
        query = {key: {"$in": list(parent_ids)}, **extra}
        if len(parent_ids) == 1:
            rows = await find_page(self._appointments, {**query, key: parent_ids[0]}, request,
                                   descending=True)
            return [_page(rows, request)]
        pipeline = grouped_pages_pipeline(key, query, request, descending=True)
        groups = await (await self._appointments.aggregate(pipeline)).to_list(None)
        docs = {group["_id"]: group["docs"] for group in groups}
        return [_page(docs.get(parent, []), request) for parent in parent_ids]

    async def next_for_vehicles(self, vehicle_ids: Sequence[str],
                                now: datetime) -> list[Appointment | None]:
        """Per vehicle, the soonest visit still to come (booked, not yet started)."""
        docs = await (await self._appointments.aggregate([
            {"$match": {"vehicleId": _one_or_in(vehicle_ids), "start": {"$gte": now},
                        "status": {"$in": [s.value for s in UPCOMING]}}},
            {"$sort": {"start": 1}},
            {"$group": {"_id": "$vehicleId", "next": {"$first": "$$ROOT"}}}])).to_list(None)
        found = {doc["_id"]: from_document(Appointment, doc["next"]) for doc in docs}
        return [found.get(vehicle_id) for vehicle_id in vehicle_ids]

    async def last_services(self, vehicle_ids: Sequence[str]
                            ) -> list[dict[ServiceType, LastService]]:
        """Per vehicle, the latest completed visit that included each service type."""
        pipeline: list[Document] = [
            {"$match": {"vehicleId": {"$in": list(vehicle_ids)},
                        "status": AppointmentStatus.COMPLETED.value}},
            {"$unwind": "$serviceTypes"},
            {"$sort": {"completedAt": 1}},
            {"$group": {"_id": {"vehicle": "$vehicleId", "type": "$serviceTypes"},
                        "at": {"$last": "$completedAt"}, "km": {"$last": "$odometerKm"}}},
        ]
        groups = await (await self._appointments.aggregate(pipeline)).to_list(None)
        found: dict[str, dict[ServiceType, LastService]] = {v: {} for v in vehicle_ids}
        for group in groups:
            found[group["_id"]["vehicle"]][ServiceType(group["_id"]["type"])] = LastService(
                group["at"], group.get("km"))
        return [found[vehicle_id] for vehicle_id in vehicle_ids]


def _document(appointment: Appointment) -> Document:
    doc = to_document(appointment)
    if appointment.idempotency_key:
        doc["bookingKey"] = f"{appointment.vehicle_id}:{appointment.idempotency_key}"
    return doc


def _page(rows: list[Document], request: PageRequest) -> Page[Appointment]:
    return page_from_rows([from_document(Appointment, doc) for doc in rows], request.first)


UPCOMING = (AppointmentStatus.REQUESTED, AppointmentStatus.CONFIRMED)


def _one_or_in(values: Sequence[str]) -> object:
    """Equality for one value: mongoeco's memory engine scans for `$in`."""
    return values[0] if len(values) == 1 else {"$in": list(values)}
