"""Charging sessions in `chargingSessions`; statistics by aggregation, never by loading sessions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.charging import ChargingSession, LocationType
from domain.charging_stats import SessionFilter, StatsRow, StatsWindow
from domain.pagination import Page, PageRequest, page_from_rows
from store.client import Database, Document, duplicate_key_failures
from store.documents import find_by_ids, from_document, to_document
from store.paging import find_page, grouped_pages_pipeline
from store.stats import CountedCollection


class MongoChargingRepository:
    def __init__(self, db: Database) -> None:
        self._sessions = CountedCollection(db["chargingSessions"])

    async def get_many(self, ids: Sequence[str]) -> list[ChargingSession | None]:
        return await find_by_ids(self._sessions, ChargingSession, ids)

    async def add_many(
        self, sessions: Sequence[ChargingSession]
    ) -> list[tuple[ChargingSession, bool]]:
        """Inserts what is new in one round-trip; duplicates come back as the stored sessions."""
        if not sessions:
            return []
        duplicate_at = await self._insert_unordered(sessions)
        existing = await self._by_external_id([sessions[i] for i in sorted(duplicate_at)])
        earlier = iter(existing)
        return [(next(earlier), False) if index in duplicate_at else (session, True)
                for index, session in enumerate(sessions)]

    async def _insert_unordered(self, sessions: Sequence[ChargingSession]) -> set[int]:
        return await duplicate_key_failures(
            self._sessions.insert_many([_document(s) for s in sessions], ordered=False))

    async def _by_external_id(self, sessions: Sequence[ChargingSession]) -> list[ChargingSession]:
        if not sessions:
            return []
        keys = [_dedup_key(s) for s in sessions]
        docs = await self._sessions.find({"dedupKey": {"$in": keys}}).to_list(None)
        found = {d["dedupKey"]: from_document(ChargingSession, d) for d in docs}
        return [found[key] for key in keys]

    async def pages(self, vehicle_ids: Sequence[str], request: PageRequest,
                    where: SessionFilter) -> list[Page[ChargingSession]]:
        """Newest first, per vehicle; one query for any number of vehicles."""
        query = _session_filter(vehicle_ids, where)
        if len(vehicle_ids) == 1:
            rows = await find_page(self._sessions, query, request, descending=True)
            return [_page(rows, request)]
        pipeline = grouped_pages_pipeline("vehicleId", query, request, descending=True)
        groups = await (await self._sessions.aggregate(pipeline)).to_list(None)
        docs = {group["_id"]: group["docs"] for group in groups}
        return [_page(docs.get(vehicle_id, []), request) for vehicle_id in vehicle_ids]

    async def stats_rows(self, vehicle_ids: Sequence[str], window: StatsWindow,
                         timezone: str) -> dict[str, list[StatsRow]]:
        pipeline = _stats_pipeline(vehicle_ids, window, timezone)
        groups = await (await self._sessions.aggregate(pipeline)).to_list(None)
        rows: dict[str, list[StatsRow]] = {vehicle_id: [] for vehicle_id in vehicle_ids}
        for group in groups:
            rows[group["_id"]["vehicleId"]].append(_stats_row(group))
        return rows


def _dedup_key(session: ChargingSession) -> str:
    return f"{session.vehicle_id}:{session.external_id}"


def _document(session: ChargingSession) -> Document:
    return {**to_document(session), "dedupKey": _dedup_key(session)}


def _page(rows: list[Document], request: PageRequest) -> Page[ChargingSession]:
    return page_from_rows([from_document(ChargingSession, doc) for doc in rows], request.first)


def _session_filter(vehicle_ids: Sequence[str], where: SessionFilter) -> Document:
    query: Document = {"vehicleId": vehicle_ids[0] if len(vehicle_ids) == 1
                       else {"$in": list(vehicle_ids)}}
    query.update(_window_filter(where.window))
    if where.location_type is not None:
        query["locationType"] = where.location_type.value
    return query


def _window_filter(window: StatsWindow) -> Document:
    bounds: dict[str, Any] = {}
    if window.start is not None:
        bounds["$gte"] = window.start
    if window.end is not None:
        bounds["$lt"] = window.end
    return {"startedAt": bounds} if bounds else {}


def _stats_pipeline(vehicle_ids: Sequence[str], window: StatsWindow,
                    timezone: str) -> list[Document]:
    month = {"$dateToString": {"format": "%Y-%m", "date": "$startedAt", "timezone": timezone}}
    return [
        {"$match": _session_filter(vehicle_ids, SessionFilter(window))},
        {"$group": {
            "_id": {"vehicleId": "$vehicleId", "month": month, "location": "$locationType",
                    "currency": "$currency"},
            "sessions": {"$sum": 1},
            "energy": {"$sum": "$energyDeliveredKwh"},
            "cost": {"$sum": {"$ifNull": ["$cost", 0]}},
            "millis": {"$sum": {"$subtract": ["$endedAt", "$startedAt"]}},
        }},
    ]


def _stats_row(group: Document) -> StatsRow:
    key = group["_id"]
    return StatsRow(month=key["month"], location_type=LocationType(key["location"]),
                    currency=key.get("currency"), sessions=group["sessions"],
                    energy_kwh=group["energy"], cost=group["cost"],
                    minutes=group["millis"] / 60_000)
