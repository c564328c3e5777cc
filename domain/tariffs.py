"""Home electricity tariffs: a flat price, or time-of-use windows in the owner's local time."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from domain.errors import InvalidInput
from domain.validation import currency_code

MAX_PRICE_PER_KWH = 10.0
MAX_WINDOWS = 12
_HH_MM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


class TariffWindow(BaseModel):
    """A daily window [start, end) in local time; end <= start wraps past midnight."""

    model_config = ConfigDict(frozen=True)
    start: time
    end: time
    price_per_kwh: float

    def covers(self, moment: time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


class HomeTariff(BaseModel):
    """`price_per_kwh` applies outside every window (all day for a flat tariff)."""

    model_config = ConfigDict(frozen=True)
    currency: str
    price_per_kwh: float
    windows: tuple[TariffWindow, ...] = ()

    def price_at(self, moment: time) -> float:
        for window in self.windows:
            if window.covers(moment):
                return window.price_per_kwh
        return self.price_per_kwh


def tariff(currency: str, price_per_kwh: float, windows: Sequence[TariffWindow] = ()) -> HomeTariff:
    _check_price(price_per_kwh, "pricePerKwh")
    if len(windows) > MAX_WINDOWS:
        raise InvalidInput(f"at most {MAX_WINDOWS} windows", field="windows")
    for window in windows:
        _check_price(window.price_per_kwh, "windows.pricePerKwh")
        if window.start == window.end:
            raise InvalidInput("a window needs different start and end", field="windows")
    _check_no_overlap(windows)
    return HomeTariff(currency=currency_code(currency), price_per_kwh=price_per_kwh,
                      windows=tuple(windows))


def _check_price(value: float, field: str) -> None:
    if not 0 <= value <= MAX_PRICE_PER_KWH:
        raise InvalidInput(f"{field} must be between 0 and {MAX_PRICE_PER_KWH:g}", field=field)


def _check_no_overlap(windows: Sequence[TariffWindow]) -> None:
    # Minute resolution is enough for tariffs and makes overlap a set intersection.
    taken: set[int] = set()
    for window in windows:
        minutes = {m for m in range(24 * 60) if window.covers(time(m // 60, m % 60))}
        if taken & minutes:
            raise InvalidInput("tariff windows overlap", field="windows")
        taken |= minutes


def session_cost(tariff: HomeTariff, started_at: datetime, ended_at: datetime,
                 energy_kwh: float, zone: ZoneInfo) -> float:
    """Energy spread evenly over the session (constant power), priced per window it spans."""
    total = (ended_at - started_at).total_seconds()
    if total <= 0:
        return round(energy_kwh * tariff.price_at(started_at.astimezone(zone).time()), 4)
    cost = 0.0
    for begin, end in _segments(tariff, started_at, ended_at, zone):
        middle = (begin + (end - begin) / 2).astimezone(zone).time()
        cost += tariff.price_at(middle) * energy_kwh * (end - begin).total_seconds() / total
    return round(cost, 4)


def _segments(tariff: HomeTariff, start: datetime, end: datetime,
              zone: ZoneInfo) -> Iterator[tuple[datetime, datetime]]:
    cuts = sorted({cut for cut in _boundaries(tariff, start, end, zone) if start < cut < end})
    edges = [start, *cuts, end]
    yield from itertools.pairwise(edges)


def _boundaries(tariff: HomeTariff, start: datetime, end: datetime,
                zone: ZoneInfo) -> Iterator[datetime]:
    first: date = start.astimezone(zone).date() - timedelta(days=1)
    days = (end.astimezone(zone).date() - first).days + 1
    for offset in range(days + 1):
        day = first + timedelta(days=offset)
        for window in tariff.windows:
            for moment in (window.start, window.end):
                yield datetime.combine(day, moment, tzinfo=zone)


def tariff_window(start: str, end: str, price_per_kwh: float) -> TariffWindow:
    return TariffWindow(start=_clock_time(start, "windows.start"),
                        end=_clock_time(end, "windows.end"), price_per_kwh=price_per_kwh)


def _clock_time(value: str, field: str) -> time:
    if not _HH_MM.fullmatch(value):
        raise InvalidInput(f"{field} must be a 24-hour time HH:MM", field=field)
    return time(int(value[:2]), int(value[3:]))
