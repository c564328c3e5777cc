"""Slots and capacity: what a booking holds, and which start times a center can still offer.

Capacity is counted per 30-minute unit (keyed by its UTC start) for bays, EV-certified
technicians and the mobile-service van, and per local day for loaner cars. A booking holds every
unit it spans; a slot is available when each of them has room.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain import validation
from domain.service_centers import (
    SLOT_MINUTES,
    ServiceCenter,
    ServiceType,
    duration_minutes,
    needs_ev_technician,
)

MOBILE_VANS = 1
MIN_NOTICE = timedelta(hours=1)
_SLOT = timedelta(minutes=SLOT_MINUTES)


@dataclass(frozen=True, slots=True)
class Hold:
    """The capacity one appointment takes: counter name -> unit keys."""

    bays: tuple[str, ...] = ()
    ev: tuple[str, ...] = ()
    mobile: tuple[str, ...] = ()
    loaners: tuple[str, ...] = ()

    def items(self) -> Iterator[tuple[str, str]]:
        for counter in ("bays", "ev", "mobile", "loaners"):
            for key in getattr(self, counter):
                yield counter, key


@dataclass(frozen=True, slots=True)
class Usage:
    """Units already taken, by counter; missing keys are free."""

    counters: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    def used(self, counter: str, key: str) -> int:
        return self.counters.get(counter, {}).get(key, 0)


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime
    end: datetime
    remaining_bays: int
    remaining_ev_technicians: int
    loaners_left: int


def unit_key(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def units(start: datetime, minutes: int) -> tuple[str, ...]:
    return tuple(unit_key(start + i * _SLOT) for i in range(minutes // SLOT_MINUTES))


def capacity_month(center: ServiceCenter, start: datetime) -> str:
    """The capacity document a visit belongs to: the month of its local day.

    A visit ends by closing time, so all its units and its loaner day share that local day,
    and every unit key lives in exactly one month's document.
    """
    return start.astimezone(ZoneInfo(center.timezone)).strftime("%Y-%m")


def capacity_months(center: ServiceCenter, start: datetime, end: datetime) -> list[str]:
    zone = ZoneInfo(center.timezone)
    day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    months = {day.strftime("%Y-%m"), last.strftime("%Y-%m")}
    while day < last:
        day += timedelta(days=1)
        months.add(day.strftime("%Y-%m"))
    return sorted(months)


def hold_for(center: ServiceCenter, start: datetime, types: frozenset[ServiceType],
             loaner: bool, mobile: bool) -> Hold:
    spanned = units(start, duration_minutes(types))
    local_day = start.astimezone(ZoneInfo(center.timezone)).date().isoformat()
    return Hold(bays=() if mobile else spanned,
                ev=spanned if needs_ev_technician(types) else (),
                mobile=spanned if mobile else (),
                loaners=(local_day,) if loaner else ())


def capacity(center: ServiceCenter, counter: str) -> int:
    return {"bays": center.bays, "ev": center.ev_certified_technicians,
            "mobile": MOBILE_VANS if center.offers_mobile_service else 0,
            "loaners": center.loaner_vehicles}[counter]


def first_full(center: ServiceCenter, usage: Usage, hold: Hold) -> str | None:
    """The counter that has no room for this hold (None: it fits)."""
    for counter, key in hold.items():
        if usage.used(counter, key) >= capacity(center, counter):
            return counter
    return None


def starts_on(center: ServiceCenter, day: date, minutes: int) -> list[datetime]:
    """Start times (UTC) on a local day, every slot from opening until the visit fits.

    Opening hours are wall-clock times, so a daylight-saving day has as many slots as any other;
    a wall time that does not exist that day (the spring-forward gap) is skipped, and a visit
    must end by closing in real elapsed time.
    """
    zone = ZoneInfo(center.timezone)
    length = timedelta(minutes=minutes)
    starts: list[datetime] = []
    for hours in center.opening_hours:
        if hours.weekday != day.weekday():
            continue
        # In UTC: arithmetic between times of one zone in Python is wall-clock arithmetic.
        closes = _instant(datetime.combine(day, hours.closes), zone).astimezone(UTC)
        wall = datetime.combine(day, hours.opens)
        while wall < datetime.combine(day, hours.closes):
            aware = _existing(wall, zone)
            if aware is not None and aware.astimezone(UTC) + length <= closes:
                starts.append(aware.astimezone(UTC))
            wall += _SLOT
    return sorted(starts)


def _existing(wall: datetime, zone: ZoneInfo) -> datetime | None:
    aware = wall.replace(tzinfo=zone)
    round_trip = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return aware if round_trip == wall else None


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """A wall time as an instant; one inside the spring-forward gap moves to the gap's end."""
    while (aware := _existing(wall, zone)) is None:
        wall += timedelta(minutes=1)
    return aware


def is_offered_start(center: ServiceCenter, start: datetime, minutes: int) -> bool:
    local_day = start.astimezone(ZoneInfo(center.timezone)).date()
    return start.astimezone(UTC) in starts_on(center, local_day, minutes)


def available_slots(center: ServiceCenter, usage: Usage, start: datetime, end: datetime,
                    types: frozenset[ServiceType], loaner: bool, now: datetime) -> list[Slot]:
    start, end = validation.utc(start, "from"), validation.utc(end, "to")
    minutes = duration_minutes(types)
    zone = ZoneInfo(center.timezone)
    day, last_day = start.astimezone(zone).date(), end.astimezone(zone).date()
    slots: list[Slot] = []
    while day <= last_day:
        for begin in starts_on(center, day, minutes):
            if start <= begin < end and begin >= now + MIN_NOTICE:
                slot = _slot(center, usage, begin, types, loaner, minutes)
                if slot is not None:
                    slots.append(slot)
        day += timedelta(days=1)
    return slots


def _slot(center: ServiceCenter, usage: Usage, begin: datetime, types: frozenset[ServiceType],
          loaner: bool, minutes: int) -> Slot | None:
    hold = hold_for(center, begin, types, loaner, mobile=False)
    if first_full(center, usage, hold) is not None:
        return None
    room = {counter: min((capacity(center, counter) - usage.used(counter, key)
                          for key in units(begin, minutes)), default=0)
            for counter in ("bays", "ev")}
    day_key = begin.astimezone(ZoneInfo(center.timezone)).date().isoformat()
    return Slot(begin, begin + timedelta(minutes=minutes), room["bays"], room["ev"],
                center.loaner_vehicles - usage.used("loaners", day_key))
