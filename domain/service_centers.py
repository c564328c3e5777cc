"""Service centers, the services they offer, and how long and with whom each service is done."""

from __future__ import annotations

from datetime import time
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.geo import GeoPoint

SLOT_MINUTES = 30


class ServiceType(StrEnum):
    ANNUAL_SERVICE = "ANNUAL_SERVICE"
    TYRE_ROTATION = "TYRE_ROTATION"
    TYRE_CHANGE = "TYRE_CHANGE"
    BRAKE_FLUID = "BRAKE_FLUID"
    CABIN_FILTER = "CABIN_FILTER"
    BATTERY_DIAGNOSTICS = "BATTERY_DIAGNOSTICS"
    HIGH_VOLTAGE_REPAIR = "HIGH_VOLTAGE_REPAIR"
    CHARGING_SYSTEM_REPAIR = "CHARGING_SYSTEM_REPAIR"
    SOFTWARE_DIAGNOSTICS = "SOFTWARE_DIAGNOSTICS"
    GENERAL_REPAIR = "GENERAL_REPAIR"


class ServiceSpec(BaseModel):
    model_config = ConfigDict(frozen=True)
    minutes: int
    ev_technician: bool
    # Repairs are judged for first-time fix by category; maintenance is not.
    concern_category: str | None = None


SERVICES: dict[ServiceType, ServiceSpec] = {
    ServiceType.ANNUAL_SERVICE: ServiceSpec(minutes=90, ev_technician=True),
    ServiceType.TYRE_ROTATION: ServiceSpec(minutes=30, ev_technician=False),
    ServiceType.TYRE_CHANGE: ServiceSpec(minutes=45, ev_technician=False),
    ServiceType.BRAKE_FLUID: ServiceSpec(minutes=30, ev_technician=False),
    ServiceType.CABIN_FILTER: ServiceSpec(minutes=15, ev_technician=False),
    ServiceType.BATTERY_DIAGNOSTICS: ServiceSpec(minutes=60, ev_technician=True,
                                                 concern_category="BATTERY"),
    ServiceType.HIGH_VOLTAGE_REPAIR: ServiceSpec(minutes=180, ev_technician=True,
                                                 concern_category="HIGH_VOLTAGE"),
    ServiceType.CHARGING_SYSTEM_REPAIR: ServiceSpec(minutes=120, ev_technician=True,
                                                    concern_category="CHARGING"),
    ServiceType.SOFTWARE_DIAGNOSTICS: ServiceSpec(minutes=30, ev_technician=True,
                                                  concern_category="SOFTWARE"),
    ServiceType.GENERAL_REPAIR: ServiceSpec(minutes=90, ev_technician=False,
                                            concern_category="GENERAL"),
}


class OpeningHours(BaseModel):
    """Open [opens, closes) on `weekday` (0 = Monday), in the center's local time."""

    model_config = ConfigDict(frozen=True)
    weekday: int
    opens: time
    closes: time


class ServiceCenter(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    region: str
    location: GeoPoint
    address: str
    timezone: str
    opening_hours: tuple[OpeningHours, ...]
    bays: int
    ev_certified_technicians: int
    offers_mobile_service: bool = False
    loaner_vehicles: int = 0


def duration_minutes(types: frozenset[ServiceType] | set[ServiceType]) -> int:
    """Services in one visit run one after another; rounded up to whole slots."""
    total = sum(SERVICES[kind].minutes for kind in types)
    return -(-total // SLOT_MINUTES) * SLOT_MINUTES


def needs_ev_technician(types: frozenset[ServiceType] | set[ServiceType]) -> bool:
    return any(SERVICES[kind].ev_technician for kind in types)


def concern_categories(types: frozenset[ServiceType] | set[ServiceType]) -> frozenset[str]:
    return frozenset(c for kind in types if (c := SERVICES[kind].concern_category))
