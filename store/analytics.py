"""Engagement analytics as aggregation pipelines; each returns counts, `domain.metrics` the rates.

Where a raw scan would grow with history the pipelines read rollups kept on write instead:
`appActivity` (one document per owner and month with the days of app use) and
`notificationEngagement` (per day, kind and owner group). Surveys, service dues and repairs are
few enough next to touchpoints to aggregate raw, through their time indexes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from domain.appointments import AppointmentStatus
from domain.metrics import Filter, Interval, Scores, Share
from store.client import Database, Document
from store.stats import CountedCollection

UNITS = {Interval.WEEK: {"unit": "week", "startOfWeek": "monday"},
         Interval.MONTH: {"unit": "month"}}


class MongoAnalyticsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._owners = CountedCollection(db["owners"])
        self._feedback = CountedCollection(db["feedback"])
        self._activity = CountedCollection(db["appActivity"])
        self._engagement = CountedCollection(db["notificationEngagement"])
        self._dues = CountedCollection(db["serviceDues"])
        self._appointments = CountedCollection(db["appointments"])
        self._centers = CountedCollection(db["serviceCenters"])
        self._transitions = CountedCollection(db["stageTransitions"])

    async def owners_by_stage(self, f: Filter) -> dict[str, int]:
        rows = await self._aggregate(self._owners, [
            {"$match": _dims(f, model="primaryModelId")},
            {"$group": {"_id": "$stage", "n": {"$sum": 1}}}])
        return {row["_id"] or "": row["n"] for row in rows}  # "": not swept yet

    async def scores(self, f: Filter) -> tuple[Scores, dict[str, Scores]]:
        """All answers in the period, and per touchpoint."""
        [facet] = await self._aggregate(self._feedback, [
            {"$match": {**_dims(f), "at": _between(f.start, f.end)}},
            {"$facet": {"all": [_score_group(None), _owner_count],
                        "touchpoint": [_score_group("$touchpoint"), _owner_count]}}])
        overall = _scores(facet["all"][0]) if facet["all"] else Scores()
        return overall, {row["_id"]: _scores(row) for row in facet["touchpoint"]}

    async def scores_by_period(self, f: Filter, interval: Interval) -> dict[datetime, Scores]:
        rows = await self._aggregate(self._feedback, [
            {"$match": {**_dims(f), "at": _between(f.start, f.end)}},
            _score_group({"$dateTrunc": {"date": "$at", **UNITS[interval]}}), _owner_count])
        return {row["_id"]: _scores(row) for row in rows}

    async def active_owners(self, f: Filter, start: datetime, end: datetime) -> int:
        """Distinct owners with app use on a day in [start, end)."""
        rows = await self._aggregate(self._activity, [
            *self._active_days(f, start, end),
            {"$group": {"_id": "$ownerId"}}, {"$count": "n"}])
        return int(rows[0]["n"]) if rows else 0

    async def active_owners_by_period(self, f: Filter, interval: Interval
                                      ) -> dict[datetime, int]:
        rows = await self._aggregate(self._activity, [
            *self._active_days(f, f.start, f.end),
            {"$group": {"_id": {"period": {"$dateTrunc": {"date": "$days", **UNITS[interval]}},
                                "owner": "$ownerId"}}},
            {"$group": {"_id": "$_id.period", "n": {"$sum": 1}}}])
        return {row["_id"]: row["n"] for row in rows}

    def _active_days(self, f: Filter, start: datetime, end: datetime) -> list[Document]:
        months = {"$gte": start.strftime("%Y-%m"), "$lte": end.strftime("%Y-%m")}
        return [{"$match": {**_dims(f), "month": months}}, {"$unwind": "$days"},
                {"$match": {"days": _between(start, end)}}]

    async def notification_counts(self, f: Filter, interval: Interval | None = None
                                  ) -> dict[datetime | None, dict[str, int]]:
        """Delivered, opened and acted in the period (per period when `interval` is given)."""
        key: Any = {"$dateTrunc": {"date": "$date", **UNITS[interval]}} if interval else None
        rows = await self._aggregate(self._engagement, [
            {"$match": {**_dims(f), "date": _between(f.start, f.end)}},
            {"$group": {"_id": key, "delivered": {"$sum": "$delivered"},
                        "opened": {"$sum": "$opened"}, "acted": {"$sum": "$acted"}}}])
        return {row["_id"]: {k: int(row.get(k) or 0) for k in ("delivered", "opened", "acted")}
                for row in rows}

    async def service_retention(self, f: Filter, grace: timedelta) -> dict[str, Share]:
        """Per region: dues whose grace period ended in the period (so each is decided:
        serviced in time, or not), and those serviced."""
        rows = await self._aggregate(self._dues, [
            {"$match": {**_dims(f), "dueOn": _between(f.start - grace, f.end - grace),
                        "status": {"$in": ["RETAINED", "LAPSED"]}}},
            {"$group": {"_id": "$region", "whole": {"$sum": 1},
                        "part": {"$sum": {"$cond": [{"$eq": ["$status", "RETAINED"]}, 1, 0]}},
                        "owners": {"$addToSet": "$ownerId"}}}])
        return {row["_id"] or "": _share(row) for row in rows}

    async def first_time_fix(self, f: Filter, until: datetime) -> dict[str, Share]:
        """Per center region: repairs completed in [from, until) and those not reopened."""
        match: Document = {"status": AppointmentStatus.COMPLETED.value,
                           "completedAt": _between(f.start, until),
                           "concernCategories.0": {"$exists": True}}
        stages: list[Document] = [{"$match": match}, *await self._by_center_region(f)]
        if f.models:
            stages += [{"$lookup": {"from": "vehicles", "localField": "vehicleId",
                                    "foreignField": "_id", "as": "vehicle"}},
                       {"$match": {"vehicle.modelId": {"$in": list(f.models)}}}]
        rows = await self._aggregate(self._appointments, [*stages, {"$group": {
            "_id": "$region", "whole": {"$sum": 1},
            "part": {"$sum": {"$cond": ["$reopened", 0, 1]}},
            "owners": {"$addToSet": "$ownerId"}}}])
        return {row["_id"] or "": _share(row) for row in rows}

    async def _by_center_region(self, f: Filter) -> list[Document]:
        """Adds each appointment's center region (centers are few: one small query)."""
        query: Document = {"region": {"$in": list(f.regions)}} if f.regions else {}
        centers = await self._centers.find(query, {"region": 1}).to_list(None)
        branches = [{"case": {"$eq": ["$centerId", c["_id"]]}, "then": c["region"]}
                    for c in centers]
        region: Any = {"$switch": {"branches": branches, "default": None}} if branches else None
        return [{"$match": {"centerId": {"$in": [c["_id"] for c in centers]}}},
                {"$addFields": {"region": region}}]

    async def transitions(self, f: Filter) -> list[tuple[str | None, str, int]]:
        rows = await self._aggregate(self._transitions, [
            {"$match": {**_dims(f, stage="after"), "at": _between(f.start, f.end)}},
            {"$group": {"_id": {"before": "$before", "after": "$after"}, "n": {"$sum": 1}}},
            {"$sort": {"n": -1}}])
        return [(row["_id"].get("before"), row["_id"]["after"], row["n"]) for row in rows]

    @staticmethod
    async def _aggregate(collection: Any, pipeline: list[Document]) -> list[Document]:
        rows: list[Document] = await (await collection.aggregate(pipeline)).to_list(None)
        return rows


_owner_count: Document = {"$addFields": {"owners": {"$size": "$owners"}}}


def _score_group(key: Any) -> Document:
    def count(condition: Document) -> Document:
        return {"$sum": {"$cond": [condition, 1, 0]}}

    nps, csat = "$npsScore", "$csatScore"
    return {"$group": {
        "_id": key, "owners": {"$addToSet": "$ownerId"},
        "npsResponses": count({"$ne": [{"$ifNull": [nps, None]}, None]}),
        "promoters": count({"$gte": [{"$ifNull": [nps, -1]}, 9]}),
        "detractors": count({"$and": [{"$ne": [{"$ifNull": [nps, None]}, None]},
                                      {"$lte": [nps, 6]}]}),
        "csatResponses": count({"$ne": [{"$ifNull": [csat, None]}, None]}),
        "satisfied": count({"$gte": [{"$ifNull": [csat, -1]}, 4]})}}


def _scores(row: Document) -> Scores:
    return Scores(owners=row["owners"], nps_responses=row["npsResponses"],
                  promoters=row["promoters"], detractors=row["detractors"],
                  csat_responses=row["csatResponses"], satisfied=row["satisfied"])


def _share(row: Document) -> Share:
    return Share(part=row["part"], whole=row["whole"], owners=len(row["owners"]))


def _between(start: datetime, end: datetime) -> Document:
    return {"$gte": start, "$lt": end}


def _dims(f: Filter, model: str = "modelId", stage: str = "stage") -> Document:
    """The filter's model, region and stage conditions on denormalized fields."""
    query: Document = {}
    if f.models:
        query[model] = {"$in": list(f.models)}
    if f.regions:
        query["region"] = {"$in": list(f.regions)}
    if f.stages:
        query[stage] = {"$in": [s.value for s in f.stages]}
    return query
