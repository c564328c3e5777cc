"""Home tariffs: validation and pricing split across time-of-use windows."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.tariffs import session_cost, tariff, tariff_window

BERLIN = ZoneInfo("Europe/Berlin")
NIGHT = tariff("EUR", 0.40, [tariff_window("23:00", "05:00", 0.10)])


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_flat_tariff_prices_all_energy_alike() -> None:
    flat = tariff("eur", 0.30)
    assert flat.currency == "EUR"
    assert session_cost(flat, _utc("2026-01-01T10:00"), _utc("2026-01-01T14:00"), 20,
                        BERLIN) == 6.0


def test_session_spanning_a_window_edge_is_split_by_time() -> None:
    # 21:00-01:00 Berlin (20:00-00:00 UTC in winter): 2 h at 0.40, 2 h at 0.10.
    cost = session_cost(NIGHT, _utc("2026-01-10T20:00"), _utc("2026-01-11T00:00"), 20, BERLIN)
    assert cost == pytest.approx(10 * 0.40 + 10 * 0.10)


def test_windows_follow_the_owners_local_time_across_dst() -> None:
    # In summer Berlin is UTC+2: 21:00-23:00 UTC is 23:00-01:00 local, all inside the window.
    cost = session_cost(NIGHT, _utc("2026-07-10T21:00"), _utc("2026-07-10T23:00"), 10, BERLIN)
    assert cost == pytest.approx(1.0)


def test_multi_day_session_passes_several_windows() -> None:
    start = _utc("2026-01-10T11:00")  # 12:00 local
    cost = session_cost(NIGHT, start, start + timedelta(hours=48), 48, BERLIN)
    assert cost == pytest.approx(12 * 0.10 + 36 * 0.40)


@given(st.floats(min_value=0, max_value=100), st.integers(min_value=1, max_value=72 * 60))
def test_cost_lies_between_the_cheapest_and_dearest_price(energy: float, minutes: int) -> None:
    start = _utc("2026-03-28T18:00")  # the night before a DST change
    cost = session_cost(NIGHT, start, start + timedelta(minutes=minutes), energy, BERLIN)
    assert energy * 0.10 - 1e-3 <= cost <= energy * 0.40 + 1e-3


@pytest.mark.parametrize(("build", "field"), [
    (lambda: tariff("EUR", -0.1), "pricePerKwh"),
    (lambda: tariff("EUR", 11), "pricePerKwh"),
    (lambda: tariff("euros", 0.3), "currency"),
    (lambda: tariff_window("24:00", "06:00", 0.1), "windows.start"),
    (lambda: tariff_window("22:00", "6:00", 0.1), "windows.end"),
    (lambda: tariff("EUR", 0.3, [tariff_window("22:00", "22:00", 0.1)]), "windows"),
    (lambda: tariff("EUR", 0.3, [tariff_window("22:00", "06:00", 0.1),
                                 tariff_window("05:59", "07:00", 0.2)]), "windows"),
])
def test_bad_tariffs_are_refused(build: object, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        build()  # type: ignore[operator]
    assert refused.value.field == field


def test_window_wrapping_midnight_covers_both_sides() -> None:
    window = tariff_window("23:00", "05:00", 0.1)
    assert window.covers(time(23, 30))
    assert window.covers(time(4, 59))
    assert not window.covers(time(5, 0))
    assert not window.covers(time(12, 0))
