"""Plausibility rules for charging sessions and the statistics folded from store rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.catalogue import find_model
from domain.charging import (
    ChargingSession,
    CostSource,
    LocationType,
    Pricing,
    SessionReport,
    accept,
)
from domain.charging_stats import StatsRow, summarize, window
from domain.errors import ImpossibleSession, InvalidInput
from domain.tariffs import tariff

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
MODEL = find_model("volta-one")  # 58 kWh, 11 kW AC, 135 kW DC
NO_TARIFF = Pricing(None, "UTC")
REPORT = SessionReport(external_id="s1", started_at=NOW - timedelta(hours=5),
                       ended_at=NOW - timedelta(hours=1), location_type=LocationType.HOME,
                       energy_delivered_kwh=20, soc_start_percent=30, soc_end_percent=60)


def _accept(report: SessionReport, pricing: Pricing = NO_TARIFF) -> ChargingSession:
    assert MODEL is not None
    return accept(report, "v1", MODEL, pricing, NOW)


def test_a_plausible_session_is_accepted_with_derived_figures() -> None:
    assert MODEL is not None
    session = accept(REPORT, "v1", MODEL, NO_TARIFF, NOW)
    assert session.duration_minutes == 240
    assert session.average_power_kw == 5
    assert session.cost is None
    assert session.cost_source is CostSource.UNKNOWN
    assert session.id < accept(replace(REPORT, started_at=REPORT.started_at + timedelta(
        seconds=1)), "v1", MODEL, NO_TARIFF, NOW).id  # ids follow start time


@pytest.mark.parametrize(("changes", "field"), [
    ({"ended_at": NOW - timedelta(hours=6)}, "endedAt"),
    ({"ended_at": NOW + timedelta(hours=1)}, "endedAt"),
    ({"started_at": NOW - timedelta(days=9)}, "endedAt"),
    ({"soc_start_percent": -1}, "socStartPercent"),
    ({"soc_end_percent": 100.5}, "socEndPercent"),
    ({"soc_end_percent": 20}, "socEndPercent"),
    ({"energy_delivered_kwh": -0.1}, "energyDeliveredKwh"),
    ({"energy_delivered_kwh": 26}, "energyDeliveredKwh"),  # 30% of 58 kWh is 17.4
    ({"energy_added_kwh": 40}, "energyAddedKwh"),
    ({"peak_power_kw": 30}, "peakPowerKw"),
    ({"location_type": LocationType.PUBLIC_AC, "ended_at": NOW - timedelta(hours=4, minutes=30)},
     "energyDeliveredKwh"),
])
def test_impossible_sessions_name_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ImpossibleSession) as refused:
        _accept(replace(REPORT, **changes))  # type: ignore[arg-type]
    assert refused.value.field == field


def test_dc_sessions_may_charge_at_dc_power() -> None:
    fast = replace(REPORT, location_type=LocationType.PUBLIC_DC,
                   ended_at=REPORT.started_at + timedelta(minutes=15), cost=9, currency="EUR")
    assert _accept(fast) is not None


def test_reported_cost_needs_a_currency_and_wins_over_the_tariff() -> None:
    with pytest.raises(InvalidInput):
        _accept(replace(REPORT, cost=5))
    home = Pricing(tariff("EUR", 0.3), "Europe/Berlin")
    reported = _accept(replace(REPORT, cost=5, currency="gbp"), home)
    assert (reported.cost, reported.currency, reported.cost_source) == (
        5, "GBP", CostSource.REPORTED)
    priced = _accept(REPORT, home)
    assert (priced.cost, priced.cost_source) == (6.0, CostSource.HOME_TARIFF)


def test_the_tariff_prices_only_home_sessions() -> None:
    work = _accept(replace(REPORT, location_type=LocationType.WORK),
                   Pricing(tariff("EUR", 0.3), "UTC"))
    assert work.cost is None


def _row(month: str, kind: LocationType, currency: str | None, energy: float,
         cost: float = 0.0) -> StatsRow:
    return StatsRow(month, kind, currency, sessions=2, energy_kwh=energy, cost=cost, minutes=60)


def test_summary_folds_rows_per_currency_location_and_month() -> None:
    stats = summarize([_row("2026-02", LocationType.HOME, "EUR", 30, 6),
                       _row("2026-01", LocationType.PUBLIC_DC, "EUR", 10, 5),
                       _row("2026-01", LocationType.HOME, None, 60)])
    assert (stats.sessions, stats.energy_kwh, stats.average_session_minutes) == (6, 100, 30)
    [eur] = stats.costs
    assert (eur.amount, eur.energy_kwh, eur.average_per_kwh) == (11, 40, 11 / 40)
    assert {s.location_type: s.share for s in stats.by_location}[LocationType.HOME] == 0.9
    assert [(m.month, m.energy_kwh) for m in stats.by_month] == [("2026-01", 70), ("2026-02", 30)]


def test_empty_summary_has_no_average() -> None:
    stats = summarize([])
    assert (stats.sessions, stats.average_session_minutes, stats.costs) == (0, None, [])


def test_a_window_must_end_after_it_starts() -> None:
    with pytest.raises(InvalidInput):
        window(NOW, NOW - timedelta(days=1))
    assert window(None, NOW).end == NOW
