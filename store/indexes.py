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
        # Idempotency: one session per externalId and vehicle, however often it is reported.
        IndexModel([("vehicleId", ASCENDING), ("externalId", ASCENDING)], unique=True,
                   name="vehicle_external_id_unique"),
        # Newest-first pages (ids are start-time ordered) and the stats' startedAt range.
        IndexModel([("vehicleId", ASCENDING), ("_id", DESCENDING)], name="vehicle_id"),
        IndexModel([("vehicleId", ASCENDING), ("startedAt", ASCENDING)], name="vehicle_started"),
    ],
    "serviceCenters": [
        IndexModel([("location.lat", ASCENDING), ("location.lng", ASCENDING)], name="lat_lng"),
    ],
    "appointments": [
        # Idempotent booking: a retried request with the same key finds the first appointment.
        IndexModel([("vehicleId", ASCENDING), ("idempotencyKey", ASCENDING)], unique=True,
                   name="vehicle_idempotency_unique",
                   partialFilterExpression={"idempotencyKey": {"$type": "string"}}),
        IndexModel([("vehicleId", ASCENDING), ("_id", DESCENDING)], name="vehicle_id"),
        IndexModel([("centerId", ASCENDING), ("_id", DESCENDING)], name="center_id"),
        IndexModel([("vehicleId", ASCENDING), ("status", ASCENDING), ("completedAt", DESCENDING)],
                   name="vehicle_completed"),
    ],
    "updateCampaigns": [
        IndexModel([("status", ASCENDING), ("_id", DESCENDING)], name="status_id"),
    ],
    "vehicleUpdates": [
        # At most one offer per vehicle and campaign, however often offers are made.
        IndexModel([("campaignId", ASCENDING), ("vehicleId", ASCENDING)], unique=True,
                   name="campaign_vehicle_unique"),
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
