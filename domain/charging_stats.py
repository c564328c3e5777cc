"""Charging statistics for one vehicle, folded from per-month, per-location, per-currency rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from domain.charging import LocationType
from domain.errors import InvalidInput
from domain.validation import utc


@dataclass(frozen=True, slots=True)
class StatsWindow:
    """Sessions that started in [start, end); either side may be open."""

    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class SessionFilter:
    window: StatsWindow = StatsWindow()
    location_type: LocationType | None = None


@dataclass(frozen=True, slots=True)
class StatsRow:
    """One group of sessions as the store aggregates them (`currency` None: no cost known)."""

    month: str
    location_type: LocationType
    currency: str | None
    sessions: int
    energy_kwh: float
    cost: float
    minutes: float


@dataclass(frozen=True, slots=True)
class CurrencyTotal:
    currency: str
    amount: float
    energy_kwh: float

    @property
    def average_per_kwh(self) -> float | None:
        return self.amount / self.energy_kwh if self.energy_kwh > 0 else None


@dataclass(frozen=True, slots=True)
class LocationShare:
    location_type: LocationType
    energy_kwh: float
    share: float


@dataclass(frozen=True, slots=True)
class MonthStats:
    month: str
    sessions: int
    energy_kwh: float
    costs: list[CurrencyTotal]


@dataclass(frozen=True, slots=True)
class ChargingStats:
    sessions: int
    energy_kwh: float
    costs: list[CurrencyTotal]
    by_location: list[LocationShare]
    average_session_minutes: float | None
    by_month: list[MonthStats]


def window(start: datetime | None, end: datetime | None) -> StatsWindow:
    start = utc(start, "from") if start else None
    end = utc(end, "to") if end else None
    if start and end and end <= start:
        raise InvalidInput("`to` must be after `from`", field="to")
    return StatsWindow(start, end)


def summarize(rows: Iterable[StatsRow]) -> ChargingStats:
    rows = list(rows)
    sessions = sum(row.sessions for row in rows)
    energy = sum(row.energy_kwh for row in rows)
    minutes = sum(row.minutes for row in rows)
    return ChargingStats(
        sessions=sessions, energy_kwh=round(energy, 3), costs=_costs(rows),
        by_location=_by_location(rows, energy),
        average_session_minutes=round(minutes / sessions, 1) if sessions else None,
        by_month=[_month(month, group) for month, group in sorted(_group_by_month(rows).items())],
    )


def _costs(rows: Iterable[StatsRow]) -> list[CurrencyTotal]:
    amount: dict[str, float] = defaultdict(float)
    energy: dict[str, float] = defaultdict(float)
    for row in rows:
        if row.currency is not None:
            amount[row.currency] += row.cost
            energy[row.currency] += row.energy_kwh
    return [CurrencyTotal(code, round(amount[code], 2), round(energy[code], 3))
            for code in sorted(amount)]


def _by_location(rows: Iterable[StatsRow], total: float) -> list[LocationShare]:
    energy: dict[LocationType, float] = dict.fromkeys(LocationType, 0.0)
    for row in rows:
        energy[row.location_type] += row.energy_kwh
    return [LocationShare(kind, round(kwh, 3), round(kwh / total, 4) if total else 0.0)
            for kind, kwh in energy.items()]


def _group_by_month(rows: Iterable[StatsRow]) -> dict[str, list[StatsRow]]:
    months: dict[str, list[StatsRow]] = defaultdict(list)
    for row in rows:
        months[row.month].append(row)
    return months


def _month(month: str, rows: list[StatsRow]) -> MonthStats:
    return MonthStats(month, sum(r.sessions for r in rows),
                      round(sum(r.energy_kwh for r in rows), 3), _costs(rows))
