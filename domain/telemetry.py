"""Vehicle telemetry: what connected cars report, and what the service learns from it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict

from domain import validation
from domain.errors import InvalidInput
from domain.events import DomainEvent
from domain.geo import GeoPoint, point
from domain.vehicles import MAX_ODOMETER_KM

MAX_EVENT_ID = 100
MAX_FAULT_CODES = 50
MAX_FAULT_CODE = 32
_FAULT_CODE = re.compile(r"[A-Z0-9][A-Z0-9_.-]*")
CLOCK_SKEW = timedelta(minutes=5)
# Earlier times come from a car whose clock was never set (1970, 2000), not from the past.
EARLIEST = datetime(2010, 1, 1, tzinfo=UTC)
# Bigger jumps between two readings are a replaced instrument cluster or a lost stretch.
MAX_SEGMENT_KM = 1000.0
MIN_MEASURED_KM = 200.0
# What the range model accepts as a vehicle's own consumption; outside it the data is broken.
PLAUSIBLE_WH_PER_KM = (50.0, 1000.0)
_BOUNDS: tuple[tuple[str, str, float, float], ...] = (
    ("soc_percent", "socPercent", 0, 100),
    ("odometer_km", "odometerKm", 0, MAX_ODOMETER_KM),
    ("range_km", "rangeKm", 0, 2000),
    ("battery_temp_c", "batteryTempC", -50, 90),
    ("charger_power_kw", "chargerPowerKw", 0, 1000),
)


@dataclass(frozen=True, slots=True)
class TelemetryReport:
    """One event as the gateway sends it, unchecked. Absent values are not reported."""

    vin: str
    event_id: str
    at: datetime
    soc_percent: float | None = None
    odometer_km: float | None = None
    range_km: float | None = None
    battery_temp_c: float | None = None
    location: GeoPoint | None = None
    charging: bool | None = None
    charger_power_kw: float | None = None
    fault_codes: tuple[str, ...] | None = None  # None: not reported; (): none active


class Reading(BaseModel):
    """Measured values; in a status, each is the newest one reported."""

    model_config = ConfigDict(frozen=True)
    soc_percent: float | None = None
    odometer_km: float | None = None
    range_km: float | None = None
    battery_temp_c: float | None = None
    location: GeoPoint | None = None
    charging: bool | None = None
    charger_power_kw: float | None = None
    fault_codes: tuple[str, ...] | None = None


class TelemetryEvent(Reading):
    """A checked event, stored as reported (raw) and unique per vehicle and eventId."""

    vehicle_id: str
    vin: str
    event_id: str
    at: datetime
    received_at: datetime


class VehicleStatus(Reading):
    """A vehicle's newest known state, and the driving it has measured."""

    vehicle_id: str
    at: datetime
    event_id: str
    driven_km: float = 0.0  # over the segments that count for consumption
    energy_used_kwh: float = 0.0

    @property
    def active_fault_codes(self) -> tuple[str, ...]:
        return self.fault_codes or ()


@dataclass(frozen=True, slots=True)
class Segment:
    """Driving between two consecutive readings: distance and battery energy used."""

    km: float
    energy_kwh: float


@dataclass(frozen=True, slots=True)
class VehicleStatusReported(DomainEvent):
    """The vehicle's newest known state changed (older, out-of-order events never raise it)."""

    vehicle_id: str
    owner_id: str
    soc_percent: float | None
    charging: bool | None
    odometer_km: float | None
    range_km: float | None


@dataclass(frozen=True, slots=True)
class FaultCodesReported(DomainEvent):
    """Fault codes the vehicle reports that were not active in its previous newest state."""

    vehicle_id: str
    owner_id: str
    codes: tuple[str, ...]


def accept(report: TelemetryReport, vehicle_id: str, vin: str, now: datetime) -> TelemetryEvent:
    """The event to store, or InvalidInput naming the first bad field."""
    for name, field, low, high in _BOUNDS:
        value = getattr(report, name)
        if value is not None and not low <= value <= high:
            raise InvalidInput(f"{field} must be between {low:g} and {high:g}", field=field)
    location = report.location
    return TelemetryEvent(
        vehicle_id=vehicle_id, vin=vin, at=_time(report.at, now), received_at=now,
        event_id=validation.bounded(report.event_id, "eventId", max_len=MAX_EVENT_ID),
        soc_percent=report.soc_percent, odometer_km=report.odometer_km,
        range_km=report.range_km, battery_temp_c=report.battery_temp_c,
        location=point(location.lat, location.lng) if location else None,
        charging=report.charging, charger_power_kw=report.charger_power_kw,
        fault_codes=fault_codes(report.fault_codes) if report.fault_codes is not None else None)


def _time(at: datetime, now: datetime) -> datetime:
    at = validation.utc(at, "at")
    if at > now + CLOCK_SKEW:
        raise InvalidInput("at is in the future (check the car's clock)", field="at")
    if at < EARLIEST:
        raise InvalidInput("at is before 2010: the car's clock is not set", field="at")
    # Stored times have milliseconds; ordering must compare what is stored.
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def fault_codes(codes: Sequence[str]) -> tuple[str, ...]:
    """Upper-case, without repeats, sorted: the set of active codes."""
    if len(codes) > MAX_FAULT_CODES:
        raise InvalidInput(f"at most {MAX_FAULT_CODES} faultCodes", field="faultCodes")
    cleaned = {code.strip().upper() for code in codes}
    for code in cleaned:
        if len(code) > MAX_FAULT_CODE or not _FAULT_CODE.fullmatch(code):
            raise InvalidInput(f"fault codes are 1 to {MAX_FAULT_CODE} letters, digits, "
                               "'_', '.' or '-'", field="faultCodes")
    return tuple(sorted(cleaned))


def advance(before: VehicleStatus | None, vehicle_id: str, events: Sequence[TelemetryEvent],
            capacity_kwh: float) -> VehicleStatus | None:
    """The state after the events newer than `before`, applied in time order.

    None when no event is newer: an out-of-order event never replaces a newer state.
    """
    newer = newer_than(before, events)
    state = before
    for event in newer:
        state = step(state, vehicle_id, event, capacity_kwh)
    return state if newer else None


def newer_than(before: VehicleStatus | None,
               events: Sequence[TelemetryEvent]) -> list[TelemetryEvent]:
    """The events after the state, in time order."""
    return sorted((e for e in events if before is None or e.at > before.at),
                  key=lambda e: (e.at, e.event_id))


def step(state: VehicleStatus | None, vehicle_id: str, event: TelemetryEvent,
         capacity_kwh: float) -> VehicleStatus:
    """One event on top of the state: reported values replace, unreported ones carry over."""
    values = state.model_dump(include=set(Reading.model_fields)) if state else {}
    values.update(event.model_dump(include=set(Reading.model_fields), exclude_none=True))
    after = VehicleStatus(vehicle_id=vehicle_id, at=event.at, event_id=event.event_id,
                          driven_km=state.driven_km if state else 0.0,
                          energy_used_kwh=state.energy_used_kwh if state else 0.0, **values)
    segment = driving_segment(state, after, capacity_kwh) if state else None
    if segment is None:
        return after
    return after.model_copy(update={"driven_km": after.driven_km + segment.km,
                                    "energy_used_kwh": after.energy_used_kwh + segment.energy_kwh})


def driving_segment(before: Reading, after: Reading, capacity_kwh: float) -> Segment | None:
    """Counts only plain driving: neither reading charging, the odometer up by a plausible
    distance and the state of charge down. Anything else (a charge, a gap, a reset) is skipped."""
    if before.charging or after.charging:
        return None
    start_km, end_km = before.odometer_km, after.odometer_km
    start_soc, end_soc = before.soc_percent, after.soc_percent
    if start_km is None or end_km is None or start_soc is None or end_soc is None:
        return None
    km, soc_drop = end_km - start_km, start_soc - end_soc
    if not 0 < km < MAX_SEGMENT_KM or soc_drop <= 0:
        return None
    return Segment(km=km, energy_kwh=soc_drop / 100 * capacity_kwh)


def measured_wh_per_km(status: VehicleStatus | None) -> float | None:
    """The vehicle's own consumption, once MIN_MEASURED_KM have been measured."""
    if status is None or status.driven_km < MIN_MEASURED_KM:
        return None
    wh_per_km = status.energy_used_kwh * 1000 / status.driven_km
    low, high = PLAUSIBLE_WH_PER_KM
    return wh_per_km if low <= wh_per_km <= high else None


def status_events(before: VehicleStatus | None, after: VehicleStatus, owner_id: str,
                  events: Sequence[TelemetryEvent] = ()) -> list[DomainEvent]:
    """What a new newest state tells: the state itself, and fault codes that became active,
    also those raised and cleared again inside the batch (`events`).

    Events carry the time the car measured the state, not when it arrived.
    """
    told: list[DomainEvent] = [VehicleStatusReported(
        at=after.at, vehicle_id=after.vehicle_id, owner_id=owner_id,
        soc_percent=after.soc_percent, charging=after.charging,
        odometer_km=after.odometer_km, range_km=after.range_km)]
    new = raised_fault_codes(before, [*newer_than(before, events), after])
    if new:
        told.append(FaultCodesReported(at=after.at, vehicle_id=after.vehicle_id,
                                         owner_id=owner_id, codes=new))
    return told


def raised_fault_codes(before: VehicleStatus | None,
                       readings: Sequence[Reading]) -> tuple[str, ...]:
    """Codes that became active at some point after `before`, in the readings' order (each
    reading's codes replace the active ones; a reading without codes reported changes none)."""
    active = set(before.active_fault_codes) if before else set()
    raised: list[str] = []
    for reading in readings:
        if reading.fault_codes is None:
            continue
        raised += [c for c in reading.fault_codes if c not in active and c not in raised]
        active = set(reading.fault_codes)
    return tuple(raised)
