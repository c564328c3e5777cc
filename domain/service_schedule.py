"""When a vehicle is due for maintenance: by time since the last service and by odometer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from domain.service_centers import ServiceType
from domain.vehicles import Vehicle

DUE_SOON_DAYS = 30
DUE_SOON_KM = 1000.0
# A car that hardly moves would put a distance date centuries away: time decides then.
MAX_PROJECTION_DAYS = 20 * 365


@dataclass(frozen=True, slots=True)
class Interval:
    service_type: ServiceType
    months: int
    km: float | None


# EV maintenance is sparse (DOMAIN.md): about every 2 years or 30,000 km; tyres more often.
DEFAULT_SCHEDULE: tuple[Interval, ...] = (
    Interval(ServiceType.ANNUAL_SERVICE, months=24, km=30_000),
    Interval(ServiceType.TYRE_ROTATION, months=12, km=12_000),
    Interval(ServiceType.BRAKE_FLUID, months=24, km=None),
    Interval(ServiceType.CABIN_FILTER, months=12, km=None),
)
# Heavier models wear tyres faster.
MODEL_SCHEDULES: dict[str, tuple[Interval, ...]] = {
    "volta-cargo": tuple(Interval(i.service_type, i.months, 10_000)
                         if i.service_type is ServiceType.TYRE_ROTATION else i
                         for i in DEFAULT_SCHEDULE),
}


@dataclass(frozen=True, slots=True)
class LastService:
    at: datetime
    odometer_km: float | None


@dataclass(frozen=True, slots=True)
class ServiceDue:
    service_type: ServiceType
    due_on: date
    due_at_km: float | None
    reason: str  # TIME or DISTANCE: whichever comes first
    overdue: bool
    due_soon: bool


def schedule_for(model_id: str) -> tuple[Interval, ...]:
    return MODEL_SCHEDULES.get(model_id, DEFAULT_SCHEDULE)


def service_due(vehicle: Vehicle, last: Mapping[ServiceType, LastService],
                now: datetime) -> list[ServiceDue]:
    """Every scheduled item, soonest first; distance dates use the car's average daily km."""
    per_day = _km_per_day(vehicle, now)
    items = [_due(item, last.get(item.service_type), vehicle, per_day, now)
             for item in schedule_for(vehicle.model_id)]
    return sorted(items, key=lambda due: due.due_on)


def _km_per_day(vehicle: Vehicle, now: datetime) -> float:
    days = max((now - vehicle.delivered_at).days, 30)
    return vehicle.odometer_km / days


def _due(item: Interval, last: LastService | None, vehicle: Vehicle, per_day: float,
         now: datetime) -> ServiceDue:
    since = last.at if last else vehicle.delivered_at
    by_time = _add_months(since.date(), item.months)
    due_at_km = None
    by_distance = None
    if item.km is not None:
        base_km = last.odometer_km if last and last.odometer_km is not None else 0.0
        due_at_km = base_km + item.km
        remaining = due_at_km - vehicle.odometer_km
        days = remaining / per_day if per_day > 0 else None
        if days is not None and days <= MAX_PROJECTION_DAYS:
            by_distance = now.date() + timedelta(days=int(days))
    distance_first = by_distance is not None and by_distance < by_time
    due_on = by_distance if distance_first and by_distance else by_time
    km_left = (due_at_km - vehicle.odometer_km) if due_at_km is not None else None
    overdue = due_on <= now.date() or (km_left is not None and km_left <= 0)
    soon = not overdue and (due_on <= now.date() + timedelta(days=DUE_SOON_DAYS)
                            or (km_left is not None and km_left <= DUE_SOON_KM))
    return ServiceDue(item.service_type, due_on, due_at_km,
                      "DISTANCE" if distance_first else "TIME", overdue, soon)


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last_day in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last_day))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")
