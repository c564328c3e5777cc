"""What every use case receives: the ports it may use, the settings of the rules, and a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from domain.battery import ChargingEfficiency, HealthPolicy
from domain.journey import DEFAULT_THRESHOLDS, StageThresholds
from domain.notifications.outbox import OutboxPolicy
from domain.ports import (
    AnalyticsRepository,
    AppointmentRepository,
    BatteryRepository,
    CapacityRepository,
    ChargingRepository,
    ChargingStationRepository,
    ConsentRepository,
    EventSink,
    FeedbackRepository,
    JourneyRepository,
    LeaseRepository,
    NotificationFeed,
    NotificationRepository,
    NotificationSettingsRepository,
    OtaRepository,
    OutboxRepository,
    OwnerRepository,
    PrivacyRepository,
    PushDeviceRepository,
    RateLimitRepository,
    ServiceCenterRepository,
    ServiceDueRepository,
    TelemetryRepository,
    VehicleRepository,
)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Deps:
    owners: OwnerRepository
    vehicles: VehicleRepository
    charging: ChargingRepository
    battery: BatteryRepository
    centers: ServiceCenterRepository
    capacity: CapacityRepository
    appointments: AppointmentRepository
    ota: OtaRepository
    stations: ChargingStationRepository
    outbox: OutboxRepository
    push_devices: PushDeviceRepository
    telemetry: TelemetryRepository
    notifications: NotificationRepository
    notification_settings: NotificationSettingsRepository
    journey: JourneyRepository
    feedback: FeedbackRepository
    service_dues: ServiceDueRepository
    analytics: AnalyticsRepository
    leases: LeaseRepository
    consents: ConsentRepository
    privacy: PrivacyRepository
    rate_limits: RateLimitRepository
    feed: NotificationFeed
    events: EventSink
    efficiency: ChargingEfficiency = field(default_factory=ChargingEfficiency)
    health_policy: HealthPolicy = field(default_factory=HealthPolicy)
    outbox_policy: OutboxPolicy = field(default_factory=OutboxPolicy)
    stage_thresholds: StageThresholds = DEFAULT_THRESHOLDS
    clock: Callable[[], datetime] = field(default=utc_now)
