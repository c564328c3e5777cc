"""What every use case receives: the ports it may use, the settings of the rules, and a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from domain.battery import ChargingEfficiency, HealthPolicy
from domain.ports import (
    AppointmentRepository,
    BatteryRepository,
    CapacityRepository,
    ChargingRepository,
    ChargingStationRepository,
    EventSink,
    OtaRepository,
    OwnerRepository,
    ServiceCenterRepository,
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
    events: EventSink
    efficiency: ChargingEfficiency = field(default_factory=ChargingEfficiency)
    health_policy: HealthPolicy = field(default_factory=HealthPolicy)
    clock: Callable[[], datetime] = field(default=utc_now)
