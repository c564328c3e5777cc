"""Indexes, created at start-up. `create_indexes` with IndexModel works on both engines."""

from __future__ import annotations

import logging

import pymongo.errors
from pymongo import ASCENDING, DESCENDING, IndexModel

from store.client import Database

log = logging.getLogger("evjourney.indexes")
TELEMETRY_RETENTION_DAYS = 90  # the default of the EVJ_TELEMETRY_RETENTION_DAYS setting
TELEMETRY_TTL = "received_ttl"
DAY_SECONDS = 86_400


def telemetry_ttl(days: int) -> IndexModel:
    """Raw telemetry (locations among it) is kept `days` for audit and support, not forever."""
    return IndexModel([("receivedAt", ASCENDING)], name=TELEMETRY_TTL,
                      expireAfterSeconds=days * DAY_SECONDS)


INDEXES: dict[str, list[IndexModel]] = {
    "owners": [
        IndexModel([("email", ASCENDING)], unique=True, name="email_unique"),
        # The re-engagement sweep: owners longest away from the app first.
        IndexModel([("lastActiveAt", ASCENDING)], name="last_active",
                   partialFilterExpression={"lastActiveAt": {"$type": "date"}}),
        # The daily stage census groups owners by stage within regions.
        IndexModel([("region", ASCENDING), ("stage", ASCENDING)], name="region_stage"),
    ],
    "vehicles": [
        IndexModel([("vin", ASCENDING)], unique=True, name="vin_unique"),
        # Owner.vehicles pages by _id within one owner.
        IndexModel([("ownerId", ASCENDING), ("_id", ASCENDING)], name="owner_id"),
        # Campaign offers scan a model's fleet; the version distribution groups by version.
        IndexModel([("modelId", ASCENDING), ("softwareVersion", ASCENDING)],
                   name="model_version"),
    ],
    "chargingSessions": [
        # Idempotency: one session per vehicle and externalId, however often it is reported.
        # One combined field, not a compound unique index: mongoeco checks those in O(n).
        IndexModel([("dedupKey", ASCENDING)], unique=True, name="dedup_key_unique"),
        # Newest-first pages (ids are start-time ordered) and the stats' startedAt range.
        IndexModel([("vehicleId", ASCENDING), ("_id", DESCENDING)], name="vehicle_id"),
        IndexModel([("vehicleId", ASCENDING), ("startedAt", ASCENDING)], name="vehicle_started"),
    ],
    "serviceCenters": [
        IndexModel([("location.lat", ASCENDING), ("location.lng", ASCENDING)], name="lat_lng"),
    ],
    "appointments": [
        # Idempotent booking: a retried request with the same key finds the first appointment.
        IndexModel([("bookingKey", ASCENDING)], unique=True, name="booking_key_unique",
                   partialFilterExpression={"bookingKey": {"$type": "string"}}),
        IndexModel([("vehicleId", ASCENDING), ("_id", DESCENDING)], name="vehicle_id"),
        IndexModel([("centerId", ASCENDING), ("_id", DESCENDING)], name="center_id"),
        IndexModel([("vehicleId", ASCENDING), ("status", ASCENDING), ("completedAt", DESCENDING)],
                   name="vehicle_completed"),
        # A vehicle's next visit: its appointments by start time.
        IndexModel([("vehicleId", ASCENDING), ("start", ASCENDING)], name="vehicle_start"),
        # First-time fix: completed visits of a period.
        IndexModel([("status", ASCENDING), ("completedAt", ASCENDING)],
                   name="status_completed"),
    ],
    "chargingStations": [
        IndexModel([("location.lat", ASCENDING), ("location.lng", ASCENDING)], name="lat_lng"),
        IndexModel([("maxPowerKw", ASCENDING)], name="max_power_kw"),
    ],
    "updateCampaigns": [
        IndexModel([("status", ASCENDING), ("_id", DESCENDING)], name="status_id"),
    ],
    "vehicleUpdates": [
        # At most one offer per vehicle and campaign, however often offers are made.
        IndexModel([("offerKey", ASCENDING)], unique=True, name="offer_key_unique"),
        IndexModel([("vehicleId", ASCENDING), ("version", ASCENDING), ("_id", DESCENDING)],
                   name="vehicle_version"),
        IndexModel([("vehicleId", ASCENDING), ("_id", DESCENDING)], name="vehicle_id"),
        IndexModel([("campaignId", ASCENDING), ("stage", ASCENDING), ("status", ASCENDING)],
                   name="campaign_stage_status"),
    ],
    "notifications": [
        # The inbox: an owner's delivered notifications, newest delivery first (the cursor).
        IndexModel([("ownerId", ASCENDING), ("inboxKey", DESCENDING)], name="owner_inbox"),
        # The daily cap reads an owner's delivery times; the worker finds what came due.
        IndexModel([("ownerId", ASCENDING), ("deliverAfter", ASCENDING)], name="owner_deliver"),
        IndexModel([("deliveredAt", ASCENDING), ("deliverAfter", ASCENDING)], name="due"),
        IndexModel([("ownerId", ASCENDING), ("withdrawKey", ASCENDING)], name="withdraw",
                   partialFilterExpression={"withdrawKey": {"$type": "string"}}),
    ],
    "touchpoints": [
        # Idempotency: one touchpoint per event key (app event id, or what it is about).
        IndexModel([("eventKey", ASCENDING)], unique=True, name="event_key_unique"),
        # The journey timeline: an owner's touchpoints newest first, all or of some kinds.
        IndexModel([("ownerId", ASCENDING), ("_id", DESCENDING)], name="owner_id"),
        IndexModel([("ownerId", ASCENDING), ("kind", ASCENDING), ("_id", DESCENDING)],
                   name="owner_kind_id"),
    ],
    "appActivity": [
        # Digital engagement: the months of a period, then the owner group's fields.
        IndexModel([("month", ASCENDING), ("region", ASCENDING)], name="month_region"),
    ],
    "consents": [
        # The history newest first, and the newest answer per purpose.
        IndexModel([("ownerId", ASCENDING), ("_id", DESCENDING)], name="owner_id"),
    ],
    "feedback": [
        IndexModel([("at", ASCENDING)], name="at"),
        IndexModel([("region", ASCENDING), ("at", ASCENDING)], name="region_at"),
    ],
    "serviceDues": [
        IndexModel([("dueOn", ASCENDING), ("status", ASCENDING)], name="due_status"),
        IndexModel([("vehicleId", ASCENDING), ("status", ASCENDING)], name="vehicle_status"),
    ],
    "stageCensus": [
        # The funnel reads the latest census.
        IndexModel([("at", DESCENDING)], name="at"),
    ],
    "stageTransitions": [
        IndexModel([("at", ASCENDING)], name="at"),
    ],
    "rateLimits": [
        # `_id` is caller and minute; a counter is only needed while its window lasts.
        IndexModel([("expiresAt", ASCENDING)], name="expires_ttl", expireAfterSeconds=0),
    ],
    "notificationFeed": [
        # Only a hand-over between instances: a day is plenty for any relay to resume.
        # Also the polling cursor where there are no change streams.
        IndexModel([("at", ASCENDING)], name="at_ttl", expireAfterSeconds=86_400),
    ],
    "notificationClaims": [
        # `_id` is the dedup key; expired claims are only overwritten, so TTL just tidies up.
        IndexModel([("until", ASCENDING)], name="until_ttl", expireAfterSeconds=0),
    ],
    "notificationEngagement": [
        IndexModel([("date", ASCENDING), ("region", ASCENDING)], name="date_region"),
    ],
    "pushOutbox": [
        # The worker's claim: pending items by due time. `_id` is the idempotency key.
        IndexModel([("status", ASCENDING), ("dueAt", ASCENDING)], name="status_due"),
    ],
    "pushDevices": [
        # `_id` is the token; an owner's devices, newest first.
        IndexModel([("ownerId", ASCENDING), ("registeredAt", DESCENDING)],
                   name="owner_registered"),
    ],
    "telemetry": [
        # Idempotency is the `_id` ("<vin>:<eventId>"). ensure_indexes sets the retention.
        telemetry_ttl(TELEMETRY_RETENTION_DAYS),
        IndexModel([("vehicleId", ASCENDING), ("at", DESCENDING)], name="vehicle_at"),
    ],
}


async def ensure_indexes(db: Database,
                         telemetry_retention_days: int = TELEMETRY_RETENTION_DAYS) -> None:
    wanted = {**INDEXES, "telemetry": [
        telemetry_ttl(telemetry_retention_days) if model.document["name"] == TELEMETRY_TTL
        else model for model in INDEXES["telemetry"]]}
    for collection, models in wanted.items():
        await _retune_ttls(db, collection, models)
        await db[collection].create_indexes(models)


async def _retune_ttls(db: Database, collection: str, models: list[IndexModel]) -> None:
    """An existing TTL index keeps its old expiry (create_indexes refuses a new one under the
    same name): MongoDB changes it in place with `collMod`. mongoeco has no `collMod`, so
    there the index is dropped and create_indexes builds it again."""
    ttls = {m.document["name"]: m.document["expireAfterSeconds"] for m in models
            if "expireAfterSeconds" in m.document}
    if not ttls:
        return
    existing = await db[collection].index_information()
    for name, seconds in ttls.items():
        if name not in existing or existing[name].get("expireAfterSeconds") == seconds:
            continue
        log.info("%s.%s: expireAfterSeconds %s -> %s", collection, name,
                 existing[name].get("expireAfterSeconds"), seconds)
        try:
            await db.command({"collMod": collection,
                              "index": {"name": name, "expireAfterSeconds": seconds}})
        except pymongo.errors.OperationFailure:  # mongoeco's subclasses PyMongo's
            await db[collection].drop_index(name)
