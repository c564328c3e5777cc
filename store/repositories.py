"""Builds the repositories for one database; the composition root calls this once."""

from __future__ import annotations

from dataclasses import dataclass

from store.analytics import MongoAnalyticsRepository
from store.appointments import MongoAppointmentRepository
from store.battery import MongoBatteryRepository
from store.capacity import MongoCapacityRepository
from store.charging import MongoChargingRepository
from store.charging_stations import MongoChargingStationRepository
from store.client import Database
from store.consents import MongoConsentRepository
from store.feedback import MongoFeedbackRepository
from store.journey import MongoJourneyRepository
from store.leases import MongoLeases
from store.notifications import MongoNotificationRepository
from store.ota import MongoOtaRepository
from store.outbox import MongoOutboxRepository
from store.owners import MongoOwnerRepository, OwnerNotificationSettings
from store.privacy import MongoPrivacyRepository
from store.push_devices import MongoPushDeviceRepository
from store.rate_limits import MongoRateLimits
from store.service_centers import MongoServiceCenterRepository
from store.service_dues import MongoServiceDueRepository
from store.telemetry import MongoTelemetryRepository
from store.vehicles import MongoVehicleRepository


@dataclass(frozen=True, slots=True)
class MongoRepositories:
    owners: MongoOwnerRepository
    vehicles: MongoVehicleRepository
    charging: MongoChargingRepository
    battery: MongoBatteryRepository
    centers: MongoServiceCenterRepository
    capacity: MongoCapacityRepository
    appointments: MongoAppointmentRepository
    ota: MongoOtaRepository
    stations: MongoChargingStationRepository
    outbox: MongoOutboxRepository
    push_devices: MongoPushDeviceRepository
    telemetry: MongoTelemetryRepository
    notifications: MongoNotificationRepository
    notification_settings: OwnerNotificationSettings
    journey: MongoJourneyRepository
    feedback: MongoFeedbackRepository
    service_dues: MongoServiceDueRepository
    analytics: MongoAnalyticsRepository
    leases: MongoLeases
    consents: MongoConsentRepository
    privacy: MongoPrivacyRepository
    rate_limits: MongoRateLimits


def build_repositories(db: Database, analytics_max_seconds: float = 60.0
                       ) -> MongoRepositories:
    return MongoRepositories(
        owners=MongoOwnerRepository(db), vehicles=MongoVehicleRepository(db),
        charging=MongoChargingRepository(db), battery=MongoBatteryRepository(db),
        centers=MongoServiceCenterRepository(db), capacity=MongoCapacityRepository(db),
        appointments=MongoAppointmentRepository(db), ota=MongoOtaRepository(db),
        outbox=MongoOutboxRepository(db), push_devices=MongoPushDeviceRepository(db),
        stations=MongoChargingStationRepository(db), telemetry=MongoTelemetryRepository(db),
        notifications=MongoNotificationRepository(db),
        notification_settings=OwnerNotificationSettings(db),
        journey=MongoJourneyRepository(db), feedback=MongoFeedbackRepository(db),
        service_dues=MongoServiceDueRepository(db),
        analytics=MongoAnalyticsRepository(db, analytics_max_seconds),
        leases=MongoLeases(db), consents=MongoConsentRepository(db),
        privacy=MongoPrivacyRepository(db), rate_limits=MongoRateLimits(db))
