"""Indexes, created at start-up. `create_indexes` with IndexModel works on both engines."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel

from store.client import Database

INDEXES: dict[str, list[IndexModel]] = {
    "owners": [
        IndexModel([("email", ASCENDING)], unique=True, name="email_unique"),
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
}


async def ensure_indexes(db: Database) -> None:
    for collection, models in INDEXES.items():
        await db[collection].create_indexes(models)
