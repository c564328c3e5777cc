"""Engagement analytics as aggregation pipelines; each returns counts, `domain.metrics` the rates.

Where a raw scan would grow with history the pipelines read rollups kept on write instead:
`appActivity` (one document per owner and month with the days of app use) and
`notificationEngagement` (per day and owner group). Surveys, service dues and repairs are
few enough next to touchpoints to aggregate raw, through their time indexes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from domain.appointments import AppointmentStatus
from domain.metrics import Filter, Interval, Scores, Share, answer_counts
from store.client import Database, Document, aggregate_options, duplicate_key_failures
from store.stats import CountedCollection

UNITS = {Interval.WEEK: {"unit": "week", "startOfWeek": "monday"},
         Interval.MONTH: {"unit": "month"}}


class MongoAnalyticsRepository:
    def __init__(self, db: Database, max_seconds: float = 60.0) -> None:
        self._db = db
        self._options = aggregate_options(db, max_seconds)
        self._owners = CountedCollection(db["owners"])
        self._feedback = CountedCollection(db["feedback"])
        self._activity = CountedCollection(db["appActivity"])
        self._engagement = CountedCollection(db["notificationEngagement"])
        self._dues = CountedCollection(db["serviceDues"])
        self._appointments = CountedCollection(db["appointments"])
        self._centers = CountedCollection(db["serviceCenters"])
        self._transitions = CountedCollection(db["stageTransitions"])
        self._census = CountedCollection(db["stageCensus"])

    async def owners_by_stage(self, f: Filter) -> dict[str, int]:
        """As the latest census counted them."""
        latest = await self._census.find_one({}, {"at": 1}, sort=[("at", -1)])
        if latest is None:
            return {}
        rows = await self._aggregate(self._census, [
            {"$match": {**_dims(f), "at": latest["at"]}},
            {"$group": {"_id": "$stage", "n": {"$sum": "$owners"}}}])
        return {row["_id"]: row["n"] for row in rows}

    async def take_census(self, at: datetime) -> None:
        """Owners per stage and group as the daily sweep left them (stages change only there),
        then the older censuses go: the funnel reads a few hundred rows instead of grouping
        every owner on each request. Readers take the latest `at`, so never half of one."""
        rows = await self._aggregate(self._owners, [
            {"$match": {"stage": {"$type": "string"}}},
            {"$group": {"_id": {"region": "$region", "modelId": "$primaryModelId",
                                "stage": "$stage"}, "owners": {"$sum": 1}}}])
        census = [{**row["_id"], "_id": "{}:{region}:{modelId}:{stage}".format(
            at.isoformat(), **row["_id"]), "at": at, "owners": row["owners"]} for row in rows]
        if census:  # the same instant twice (a retried sweep) counted the same owners
            await duplicate_key_failures(self._census.insert_many(census, ordered=False))
        await self._census.delete_many({"at": {"$lt": at}})

    async def scores(self, f: Filter) -> tuple[Scores, dict[str, Scores]]:
        """All answers in the period, and per touchpoint."""
        [facet] = await self._aggregate(self._feedback, [
            {"$match": {**_dims(f), "at": _between(f.start, f.end)}},
            {"$group": {"_id": {"k": "$touchpoint", "o": "$ownerId"}, **SCORE_COUNTS}},
            {"$facet": {"all": [{"$group": {"_id": "$_id.o", **_resum(SCORE_COUNTS)}},
                                _per_key(None, SCORE_COUNTS)],
                        "touchpoint": [_per_key("$_id.k", SCORE_COUNTS)]}}])
        overall = _scores(facet["all"][0]) if facet["all"] else Scores()
        return overall, {row["_id"]: _scores(row) for row in facet["touchpoint"]}

    async def scores_by_period(self, f: Filter, interval: Interval) -> dict[datetime, Scores]:
        period = {"$dateTrunc": {"date": "$at", **UNITS[interval]}}
        rows = await self._aggregate(self._feedback, [
            {"$match": {**_dims(f), "at": _between(f.start, f.end)}},
            *_distinct_owners(period, SCORE_COUNTS)])
        return {row["_id"]: _scores(row) for row in rows}

    async def active_owners(self, f: Filter, start: datetime, end: datetime) -> int:
        """Distinct owners with app use on a day in [start, end)."""
        rows = await self._aggregate(self._activity, [
            self._active_months(f, start, end), {"$group": {"_id": "$ownerId"}}, {"$count": "n"}])
        return int(rows[0]["n"]) if rows else 0

    async def active_owners_by_period(self, f: Filter, interval: Interval
                                      ) -> dict[datetime, int]:
        """Distinct owners with app use per period."""
        if interval is Interval.MONTH:
            return await self._active_owners_by_month(f)
        days = {"$filter": {"input": "$days", "cond": {
            "$and": [{"$gte": ["$$this", f.start]}, {"$lt": ["$$this", f.end]}]}}}
        weeks = {"$setUnion": [{"$map": {
            "input": days, "in": {"$dateTrunc": {"date": "$$this", **UNITS[interval]}}}}]}
        # A week may span two months, so one owner's two rollup documents: group twice.
        rows = await self._aggregate(self._activity, [
            self._active_months(f, f.start, f.end),
            {"$project": {"ownerId": 1, "week": weeks}}, {"$unwind": "$week"},
            {"$group": {"_id": {"k": "$week", "o": "$ownerId"}}},
            {"$group": {"_id": "$_id.k", "n": {"$sum": 1}}}])
        return {row["_id"]: row["n"] for row in rows}

    async def _active_owners_by_month(self, f: Filter) -> dict[datetime, int]:
        """A rollup document is one owner's month: counting the documents with a day in the
        period counts the owners, with no expression evaluated per document."""
        rows = await self._aggregate(self._activity, [
            self._active_months(f, f.start, f.end),
            {"$group": {"_id": "$month", "n": {"$sum": 1}}}])
        return {datetime.strptime(row["_id"], "%Y-%m").replace(tzinfo=UTC): row["n"]
                for row in rows}

    @staticmethod
    def _active_months(f: Filter, start: datetime, end: datetime) -> Document:
        """Owner-months with a day of app use in [start, end): the month index narrows, the
        days array decides (no `$unwind` of every day)."""
        months = {"$gte": start.strftime("%Y-%m"), "$lte": end.strftime("%Y-%m")}
        return {"$match": {**_dims(f), "month": months,
                           "days": {"$elemMatch": _between(start, end)}}}

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
            *_distinct_owners("$region", {
                "whole": {"$sum": 1},
                "part": {"$sum": {"$cond": [{"$eq": ["$status", "RETAINED"]}, 1, 0]}}})])
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
        rows = await self._aggregate(self._appointments, [*stages, *_distinct_owners(
            "$region", {"whole": {"$sum": 1}, "part": {"$sum": {"$cond": ["$reopened", 0, 1]}}})])
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

    async def _aggregate(self, collection: Any, pipeline: list[Document]) -> list[Document]:
        cursor = await collection.aggregate(pipeline, **self._options)
        rows: list[Document] = await cursor.to_list(None)
        return rows


# Each answer's 0/1 counts are stored with it (store/feedback.py): summing fields costs a third of
# evaluating the conditions per answer on the embedded engine.
SCORE_COUNTS: Document = {name: {"$sum": f"$counts.{name}"} for name in answer_counts(None, None)}


def _distinct_owners(key: Any, counts: Document) -> list[Document]:
    """Groups by `key` with `counts`, and `owners`: how many distinct owners each group holds.
    Counted by grouping twice (key and owner, then key), not by collecting owner ids with
    `$addToSet`: a group of millions of owners would outgrow a 16 MB result document."""
    return [{"$group": {"_id": {"k": key, "o": "$ownerId"}, **counts}},
            _per_key("$_id.k", counts)]


def _per_key(key: Any, counts: Document) -> Document:
    """Sums per-owner rows (one per owner and key) into one per key; `owners` counts the rows."""
    return {"$group": {"_id": key, "owners": {"$sum": 1}, **_resum(counts)}}


def _resum(counts: Document) -> Document:
    return {name: {"$sum": f"${name}"} for name in counts}


def _scores(row: Document) -> Scores:
    return Scores(owners=row["owners"], nps_responses=row["npsResponses"],
                  promoters=row["promoters"], detractors=row["detractors"],
                  csat_responses=row["csatResponses"], satisfied=row["satisfied"])


def _share(row: Document) -> Share:
    return Share(part=row["part"], whole=row["whole"], owners=row["owners"])


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
