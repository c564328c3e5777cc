"""Everything stored about one owner, for the export and the erasure: the one place that knows
every collection holding personal data. A collection added elsewhere that mentions an owner, a
vehicle or a VIN must be added here too (tests/api/test_privacy.py scans every collection).

Erasure, step by step, each step safe to run again (a crash part-way is finished by a re-run):
the `erasures` record keeps the salt and the vehicle ids and VINs while the job runs; raw and
personal data are deleted; analytics keep their figures under pseudonyms. Documents whose `_id`
names the person (`<ownerId>:<month>`, `<vehicleId>:<service>:<date>`) are re-keyed: copied
under a pseudonymous `_id` (a duplicate from an earlier run is ignored), then deleted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument, UpdateOne

from domain.privacy import ErasedCollection, Erasure, anonymous_id, masked_token
from store.client import DUPLICATE_KEY_ERRORS, Database, Document, duplicate_key_failures
from store.stats import CountedCollection

REKEY_BATCH = 1000
# Exported as stored, except the bulky copy of the notification in each outbox item.
OUTBOX_FIELDS: Document = {"payload": 0}
# (section, collection, field naming the owner); the vehicle's raw data are read by vehicle id.
BY_OWNER: tuple[tuple[str, str, str], ...] = (
    ("consents", "consents", "ownerId"),
    ("appointments", "appointments", "ownerId"),
    ("softwareUpdates", "vehicleUpdates", "ownerId"),
    ("notifications", "notifications", "ownerId"),
    ("pushDeliveries", "pushOutbox", "ownerId"),
    ("pushDevices", "pushDevices", "ownerId"),
    ("touchpoints", "touchpoints", "ownerId"),
    ("feedback", "feedback", "ownerId"),
    ("appActivity", "appActivity", "ownerId"),
    ("serviceDues", "serviceDues", "ownerId"),
    ("stageTransitions", "stageTransitions", "ownerId"),
)
BY_VEHICLE: tuple[tuple[str, str, str], ...] = (
    ("chargingSessions", "chargingSessions", "vehicleId"),
    ("batteryStates", "batteryStates", "_id"),
    ("vehicleStatus", "vehicleStatus", "_id"),
)


class MongoPrivacyRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._erasures = CountedCollection(db["erasures"])

    def _c(self, name: str) -> CountedCollection:
        return CountedCollection(self._db[name])

    # --- export -------------------------------------------------------------------------------

    async def export(self, owner_id: str, telemetry_since: datetime,
                     cap: int) -> dict[str, Any]:
        """Newest first, at most `cap` items per section; `truncated` names the fuller ones."""
        data: dict[str, Any] = {"profile": await self._c("owners").find_one({"_id": owner_id})}
        truncated: list[str] = []

        async def section(name: str, collection: str, query: Document | None,
                          sort: str = "_id", projection: Document | None = None) -> None:
            docs = [] if query is None else await self._c(collection).find(
                query, projection).sort(sort, -1).limit(cap + 1).to_list(None)
            if len(docs) > cap:
                truncated.append(name)
            data[name] = docs[:cap]

        await section("vehicles", "vehicles", {"ownerId": owner_id})
        vehicle_ids = [v["_id"] for v in data["vehicles"]]
        for name, collection, field in BY_OWNER:
            await section(name, collection, {field: owner_id},
                          projection=OUTBOX_FIELDS if collection == "pushOutbox" else None)
        for name, collection, field in BY_VEHICLE:
            await section(name, collection, _one_or_in(field, vehicle_ids))
        recent = _one_or_in("vehicleId", vehicle_ids)
        await section("telemetry", "telemetry",
                      recent and {**recent, "receivedAt": {"$gte": telemetry_since}}, sort="at")
        data["telemetrySummary"] = await self._telemetry_summary(vehicle_ids)
        data["pushDevices"] = [{**d, "_id": masked_token(d["_id"])} for d in data["pushDevices"]]
        data["truncated"] = truncated
        return data

    async def _telemetry_summary(self, vehicle_ids: Sequence[str]) -> list[Document]:
        """All raw events still stored per vehicle (the export lists only recent ones)."""
        match = _one_or_in("vehicleId", vehicle_ids)
        if match is None:
            return []
        pipeline: list[Document] = [{"$match": match}, {"$group": {
            "_id": "$vehicleId", "events": {"$sum": 1}, "firstAt": {"$min": "$at"},
            "lastAt": {"$max": "$at"}}}]
        rows: list[Document] = await (await self._c("telemetry").aggregate(pipeline)).to_list(
            None)
        return [{"vehicleId": r["_id"], **{k: v for k, v in r.items() if k != "_id"}}
                for r in rows]

    # --- erasure ------------------------------------------------------------------------------

    async def begin_erasure(self, owner_id: str, salt: str, at: datetime) -> Erasure:
        vehicles = await self._c("vehicles").find({"ownerId": owner_id}, {"vin": 1}).to_list(None)
        update: Document = {"$setOnInsert": {"salt": salt, "startedAt": at}}
        if vehicles:
            update["$addToSet"] = {"vehicleIds": {"$each": [v["_id"] for v in vehicles]},
                                   "vins": {"$each": [v["vin"] for v in vehicles]}}
        doc: Document | None = None
        for _ in range(2):  # a concurrent first request may insert the record first
            try:
                doc = await self._erasures.find_one_and_update(
                    {"_id": owner_id}, update, upsert=True, return_document=ReturnDocument.AFTER)
                break
            except DUPLICATE_KEY_ERRORS:
                continue
        if doc is None:
            raise RuntimeError("could not record the erasure")
        await self._c("owners").delete_one({"_id": owner_id})
        return Erasure(owner_id=owner_id, salt=doc["salt"],
                       vehicle_ids=tuple(doc.get("vehicleIds", [])),
                       vins=tuple(doc.get("vins", [])), started_at=doc["startedAt"])

    async def finish_erasure(self, owner_id: str) -> None:
        await self._erasures.delete_one({"_id": owner_id})

    async def erase(self, erasure: Erasure) -> list[ErasedCollection]:
        owner, vehicles = erasure.owner_id, list(erasure.vehicle_ids)
        mine = _about(owner, vehicles)
        steps: list[ErasedCollection] = [
            # The cars first: then nothing new can be recorded for them (unknown VIN).
            await self._delete("vehicles", {"ownerId": owner}),
            await self._delete("vehicles", _one_or_in("_id", vehicles)),
            *[await self._delete(collection, _one_or_in(field, vehicles))
              for _, collection, field in BY_VEHICLE],
            await self._delete("telemetry", _one_or_in("vehicleId", vehicles)),
            await self._delete("telemetry", _one_or_in("vin", list(erasure.vins))),
            *[await self._delete(collection, {"ownerId": owner}) for collection in (
                "notifications", "pushOutbox", "pushDevices", "consents")],
            await self._delete("notificationFeed", {"notification.ownerId": owner}),
            # Their keys contain the owner's or a vehicle's id (dedup keys, rate windows).
            await self._delete("notificationClaims", _mentions([owner, *vehicles])),
            await self._delete("rateLimits", _mentions([owner])),
            await self._anonymise_feedback(erasure),
            await self._anonymise_appointments(erasure),
            await self._anonymise_updates(erasure),
            await self._rekey("touchpoints", mine, lambda d: _touchpoint(erasure, d)),
            await self._rekey("appActivity", mine, lambda d: {
                **d, "_id": f"{erasure.pseudonym(owner)}:{d['month']}",
                "ownerId": erasure.pseudonym(owner)}),
            await self._rekey("stageTransitions", mine, lambda d: _renamed(erasure, d, owner)),
            # An open due would lapse later and count as a missed service: it goes.
            await self._delete("serviceDues", {**mine, "status": "OPEN"}),
            await self._rekey("serviceDues", mine,
                              lambda d: _renamed(erasure, d, d.get("vehicleId") or owner)),
        ]
        return _merged(steps)

    async def _delete(self, name: str, query: Document | None) -> ErasedCollection:
        if query is None:
            return ErasedCollection(name)
        result = await self._c(name).delete_many(query)
        return ErasedCollection(name, deleted=int(result.deleted_count))

    async def _anonymise_feedback(self, erasure: Erasure) -> ErasedCollection:
        """Scores, touchpoint, model, region, stage and date stay; the person and car go."""
        result = await self._c("feedback").update_many(
            {"ownerId": erasure.owner_id},
            {"$set": {"ownerId": erasure.pseudonym(erasure.owner_id), "vehicleId": None,
                      "comment": None, "relatedId": None}})
        return ErasedCollection("feedback", anonymised=int(result.modified_count))

    async def _anonymise_appointments(self, erasure: Erasure) -> ErasedCollection:
        """Visits stay for capacity and first-time-fix figures; who, where and why go."""
        owner = erasure.owner_id
        docs = await self._c("appointments").find({"ownerId": owner}).to_list(None)
        return await self._update_each("appointments", [UpdateOne({"_id": d["_id"]}, {
            "$set": {"ownerId": erasure.pseudonym(owner),
                     "vehicleId": erasure.pseudonym(d["vehicleId"]), "address": None,
                     "concern": None, "idempotencyKey": None,
                     "history": [{**h, "by": erasure.pseudonym(owner)} if h.get("by") == owner
                                 else h for h in d.get("history", [])]},
            "$unset": {"bookingKey": ""}}) for d in docs])

    async def _anonymise_updates(self, erasure: Erasure) -> ErasedCollection:
        """OTA offers stay, so campaigns' success and failure counts do not move."""
        owner = erasure.owner_id
        docs = await self._c("vehicleUpdates").find(
            {"ownerId": owner}, {"vehicleId": 1, "campaignId": 1}).to_list(None)
        return await self._update_each("vehicleUpdates", [UpdateOne({"_id": d["_id"]}, {"$set": {
            "ownerId": erasure.pseudonym(owner), "vehicleId": erasure.pseudonym(d["vehicleId"]),
            "offerKey": f"{d['campaignId']}:{erasure.pseudonym(d['vehicleId'])}"}})
            for d in docs])

    async def _update_each(self, name: str, updates: list[UpdateOne]) -> ErasedCollection:
        if updates:
            await self._c(name).bulk_write(updates, ordered=False)
        return ErasedCollection(name, anonymised=len(updates))

    async def _rekey(self, name: str, query: Document,
                     rewrite: Callable[[Document], Document]) -> ErasedCollection:
        collection, moved = self._c(name), 0
        while docs := await collection.find(query).limit(REKEY_BATCH).to_list(None):
            copies = [rewrite(doc) for doc in docs]
            if any(copy["_id"] == doc["_id"] for copy, doc in zip(copies, docs, strict=True)):
                raise ValueError(f"a re-keyed {name} document kept its _id")  # would be lost
            await duplicate_key_failures(collection.insert_many(copies, ordered=False))
            await collection.delete_many({"_id": {"$in": [doc["_id"] for doc in docs]}})
            moved += len(docs)
        return ErasedCollection(name, anonymised=moved)


def _touchpoint(erasure: Erasure, doc: Document) -> Document:
    new_id = anonymous_id(erasure.salt, doc["_id"])
    vehicle = doc.get("vehicleId")
    return {**doc, "_id": new_id, "ownerId": erasure.pseudonym(erasure.owner_id),
            "vehicleId": erasure.pseudonym(vehicle) if vehicle else None, "relatedId": None,
            "eventKey": f"anonymised:{new_id}"}


def _renamed(erasure: Erasure, doc: Document, key_prefix: str) -> Document:
    """Owner and vehicle pseudonymised; an `_id` of `<prefix>:<rest>` keeps its rest."""
    old: str = doc["_id"]
    new_id = (erasure.pseudonym(key_prefix) + old[len(key_prefix):]
              if old.startswith(key_prefix + ":") else anonymous_id(erasure.salt, old))
    vehicle = doc.get("vehicleId")
    return {**doc, "_id": new_id, "ownerId": erasure.pseudonym(erasure.owner_id),
            "vehicleId": erasure.pseudonym(vehicle) if vehicle else None}


def _about(owner_id: str, vehicle_ids: Sequence[str]) -> Document:
    vehicles = _one_or_in("vehicleId", vehicle_ids)
    return {"$or": [{"ownerId": owner_id}, vehicles]} if vehicles else {"ownerId": owner_id}


def _one_or_in(field: str, values: Sequence[str]) -> Document | None:
    """None for no values (nothing to ask); equality for one (mongoeco scans on `$in`)."""
    if not values:
        return None
    return {field: values[0]} if len(values) == 1 else {field: {"$in": list(values)}}


def _mentions(ids: Sequence[str]) -> Document:
    return {"_id": {"$regex": "|".join(re.escape(i) for i in ids)}}


def _merged(steps: Sequence[ErasedCollection]) -> list[ErasedCollection]:
    totals: dict[str, ErasedCollection] = {}
    for step in steps:
        seen = totals.get(step.collection, ErasedCollection(step.collection))
        totals[step.collection] = ErasedCollection(
            step.collection, seen.deleted + step.deleted, seen.anonymised + step.anonymised)
    return sorted(totals.values(), key=lambda c: c.collection)
