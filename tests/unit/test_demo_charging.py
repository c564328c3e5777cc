"""Demo charging histories: deterministic, realistic, priced, and honest about battery fade."""

from __future__ import annotations

import itertools
import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from functools import cache

from domain import battery
from domain.battery import BatteryHealth, ChargingEfficiency, HealthStatus
from domain.catalogue import find_model
from domain.charging import ChargingSession, CostSource, LocationType
from services.demo import (
    EPOCH,
    HISTORY_YEARS,
    DemoCharging,
    DemoHousehold,
    generate,
    generate_households,
    with_home_tariff,
)

SEED = 7
COUNT = 25
YEAR = timedelta(days=365.25)
WINTER, SUMMER = (12, 1, 2), (6, 7, 8)
CURRENCIES = {"Europe/London": "GBP", "America/New_York": "USD", "America/Los_Angeles": "USD"}


@cache
def households(count: int = COUNT, seed: int = SEED) -> tuple[DemoHousehold, ...]:
    return tuple(generate_households(count, seed))


def histories() -> list[DemoCharging]:
    return [history for item in households() for history in item.vehicles]


def sessions(kind: LocationType | None = None) -> list[ChargingSession]:
    return [s for history in histories() for s in history.sessions
            if kind is None or s.location_type is kind]


def assessed(history: DemoCharging) -> tuple[BatteryHealth, datetime]:
    """Health as the service computes it, folding every session into an empty state."""
    contributions = [battery.contribution(
        s.started_at, s.ended_at, s.soc_start_percent, s.soc_end_percent, s.energy_added_kwh,
        s.energy_delivered_kwh, s.location_type.is_dc, ChargingEfficiency())
        for s in history.sessions]
    state = battery.apply(battery.BatteryState(), contributions)
    assert state.last_session_at is not None
    health = battery.assess(state, history.truth.nominal_capacity_kwh,
                            history.vehicle.delivered_at)
    return health, state.last_session_at


# --- determinism -----------------------------------------------------------------------------


def test_same_seed_gives_identical_sessions() -> None:
    first, again = households(6), tuple(generate_households(6, SEED))
    assert [item.owner for item in first] == [item.owner for item in again]
    for one, other in zip(histories_of(first), histories_of(again), strict=True):
        assert (one.vehicle, one.truth, one.history_from) == (
            other.vehicle, other.truth, other.history_from)
        # Ids come from `accept`: the same start time, but a per-process tail.
        assert [s.id[:12] for s in one.sessions] == [s.id[:12] for s in other.sessions]
        assert ([s.model_dump(exclude={"id"}) for s in one.sessions]
                == [s.model_dump(exclude={"id"}) for s in other.sessions])


def histories_of(items: tuple[DemoHousehold, ...]) -> list[DemoCharging]:
    return [history for item in items for history in item.vehicles]


def test_another_seed_gives_other_sessions() -> None:
    ours = {s.started_at for s in histories_of(households(3))[0].sessions}
    theirs = {s.started_at for item in households(3, SEED + 1) for h in item.vehicles
              for s in h.sessions}
    assert ours.isdisjoint(theirs)


def test_households_are_the_generated_owners_with_a_home_tariff() -> None:
    for item, plain in zip(households(), generate(COUNT, SEED), strict=True):
        assert item.owner.model_dump(exclude={"home_tariff"}) == plain.owner.model_dump(
            exclude={"home_tariff"})
        assert [h.vehicle for h in item.vehicles] == plain.vehicles


# --- the shape of a history ------------------------------------------------------------------


def test_every_vehicle_has_one_to_three_years_of_sessions_ending_by_epoch() -> None:
    shortest, longest = HISTORY_YEARS
    for history in histories():
        delivered, since = history.vehicle.delivered_at, history.history_from
        years = (EPOCH - since) / YEAR
        assert since >= delivered
        assert years <= longest + 1e-9
        assert years >= shortest - 1e-9 or since == delivered  # younger cars: since delivery
        for s in history.sessions:
            assert since <= s.started_at < s.ended_at <= EPOCH
        if EPOCH - since > timedelta(days=30):
            assert history.sessions[0].started_at - since < timedelta(days=14)
            assert EPOCH - history.sessions[-1].ended_at < timedelta(days=14)
    spans = [(EPOCH - h.history_from) / YEAR for h in histories()]
    assert max(spans) > 2.5
    assert any(1 <= span < 1.5 for span in spans)


def test_sessions_are_time_ordered_with_deterministic_external_ids() -> None:
    for history in histories():
        found = history.sessions
        assert [s.external_id for s in found] == [
            f"demo-{history.vehicle.id}-{n}" for n in range(len(found))]
        assert [s.id for s in found] == sorted(s.id for s in found)
        assert all(a.ended_at <= b.started_at for a, b in itertools.pairwise(found))


def test_home_charging_two_to_three_evenings_a_week_mostly_to_80_percent() -> None:
    weekly = [sum(s.location_type is LocationType.HOME for s in h.sessions)
              / ((EPOCH - h.history_from) / timedelta(weeks=1))
              for h in histories() if EPOCH - h.history_from > YEAR]
    assert 1.5 <= statistics.median(weekly) <= 3.5
    home = sessions(LocationType.HOME)
    assert sum(20 <= s.soc_start_percent <= 60 for s in home) > 0.85 * len(home)
    ends = Counter(s.soc_end_percent for s in home)
    assert ends[80.0] > 0.7 * len(home)
    assert sum(count for end, count in ends.items() if end >= 90) > 0.05 * len(home)
    assert all(s.average_power_kw <= 11.0 for s in home)


def test_work_and_public_ac_sessions_happen_occasionally() -> None:
    kinds = Counter(s.location_type for s in sessions())
    assert 0 < kinds[LocationType.WORK] < 0.2 * kinds.total()
    assert 0 < kinds[LocationType.PUBLIC_AC] < 0.1 * kinds.total()


def test_fast_charging_follows_the_curve_at_a_priced_public_station() -> None:
    fast = sessions(LocationType.PUBLIC_DC)
    assert 0 < len(fast) < 0.15 * len(sessions())
    for s in fast:
        assert s.cost is not None
        assert s.cost_source is CostSource.REPORTED
        assert s.operator
        assert s.station_id
        assert s.location is not None
        cost_per_kwh = s.cost_per_kwh
        assert cost_per_kwh is not None
        assert 0.44 <= cost_per_kwh <= 0.80
    vehicles = {h.vehicle.id: h.vehicle for h in histories()}
    for s in fast:
        model = find_model(vehicles[s.vehicle_id].model_id)
        assert model is not None
        assert s.peak_power_kw is not None
        assert s.average_power_kw <= s.peak_power_kw * 1.03 <= model.max_dc_power_kw * 1.03
    on_trips = [s for s in fast if s.soc_end_percent <= 85]
    assert sum(10 <= s.soc_start_percent <= 30 for s in on_trips) > 0.8 * len(on_trips)
    assert {"Ionity", "Tesla"} <= {s.operator for s in fast}


def test_winter_months_take_more_energy_than_summer_months() -> None:
    winter: list[float] = []
    summer: list[float] = []
    for history in histories():
        days = Counter(day.month for day in _days(history.history_from))
        energy: defaultdict[int, float] = defaultdict(float)
        for s in history.sessions:
            energy[s.started_at.month] += s.energy_delivered_kwh
        if sum(days[m] for m in WINTER) > 60 and sum(days[m] for m in SUMMER) > 60:
            winter.append(sum(energy[m] for m in WINTER) / sum(days[m] for m in WINTER))
            summer.append(sum(energy[m] for m in SUMMER) / sum(days[m] for m in SUMMER))
    assert len(winter) > 10
    assert statistics.mean(winter) > 1.05 * statistics.mean(summer)


def _days(since: datetime) -> list[datetime]:
    return [since + timedelta(days=n) for n in range((EPOCH - since).days)]


def test_reported_values_look_like_a_cars() -> None:
    found = sessions()
    assert all(s.soc_start_percent.is_integer() and s.soc_end_percent.is_integer()
               for s in found)
    with_added = sum(s.energy_added_kwh is not None for s in found)
    assert 0.4 * len(found) < with_added < 0.6 * len(found)
    for s in found:
        if s.energy_added_kwh is not None:
            efficiency = 0.95 if s.location_type.is_dc else 0.90
            assert abs(s.energy_added_kwh / s.energy_delivered_kwh - efficiency) < 0.03


# --- prices ----------------------------------------------------------------------------------


def test_most_owners_have_a_flat_or_time_of_use_tariff_in_their_currency() -> None:
    owners = [with_home_tariff(item.owner, SEED) for item in generate(100, SEED)]
    tariffs = [(owner.timezone, owner.home_tariff) for owner in owners]
    priced = [(zone, t) for zone, t in tariffs if t is not None]
    assert len(priced) > 0.7 * len(tariffs)
    assert any(t.windows for _, t in priced)
    assert any(not t.windows for _, t in priced)
    for zone, t in priced:
        assert t.currency == CURRENCIES.get(zone, "EUR")
        assert all(window.price_per_kwh < t.price_per_kwh for window in t.windows)


def test_home_sessions_are_priced_from_the_owners_tariff() -> None:
    checked = Counter[bool]()
    for item in households():
        home_tariff = item.owner.home_tariff
        for history in item.vehicles:
            for s in history.sessions:
                if s.location_type is not LocationType.HOME:
                    continue
                checked[home_tariff is not None] += 1
                if home_tariff is None:
                    assert (s.cost, s.cost_source) == (None, CostSource.UNKNOWN)
                else:
                    assert s.cost_source is CostSource.HOME_TARIFF
                    assert s.currency == home_tariff.currency
                    assert s.cost is not None
    assert checked[True] > 0
    assert checked[False] > 0


# --- battery fade ----------------------------------------------------------------------------


def test_fade_differs_between_vehicles_within_typical_ranges() -> None:
    truths = [history.truth for history in histories()]
    assert len({(t.first_year_fade, t.yearly_fade) for t in truths}) == len(truths)
    typical = [t for t in truths if t.first_year_fade <= 0.05]
    assert len(typical) > 0.8 * len(truths)
    for t in typical:
        assert 0.02 <= t.first_year_fade <= 0.05
        assert 0.008 <= t.yearly_fade <= 0.03


def test_health_from_the_sessions_recovers_each_vehicles_true_soh() -> None:
    estimated = 0
    for history in histories():
        if not history.sessions:
            continue
        health, last = assessed(history)
        if health.state_of_health_percent is None:
            continue
        estimated += 1
        truth = history.truth.state_of_health(last)
        assert abs(health.state_of_health_percent - truth) <= 2.0, history.vehicle.id
    assert estimated > 0.9 * len(histories())


def test_some_demo_batteries_fade_faster_than_expected() -> None:
    statuses = Counter(assessed(h)[0].status for h in histories() if h.sessions)
    assert statuses[HealthStatus.FASTER_THAN_EXPECTED] > 0
    assert statuses[HealthStatus.NORMAL] > 0.7 * statuses.total()
