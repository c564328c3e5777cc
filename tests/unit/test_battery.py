"""Battery health: capacity samples, the incremental state, the assessment and its events."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain import battery
from domain.battery import (
    MAX_SAMPLES_PER_MONTH,
    BatteryFadingFasterThanExpected,
    BatteryHealth,
    BatteryHealthBelowThreshold,
    BatteryState,
    ChargingEfficiency,
    HealthPolicy,
    HealthStatus,
    SessionContribution,
)

NOMINAL = 77.0
DELIVERED = datetime(2022, 3, 10, 9, 0, tzinfo=UTC)
YEAR = timedelta(days=365.25)
EFFICIENCY = ChargingEfficiency()
# A symmetric spread: the median of one month's samples is exactly the month's true value.
SPREAD = (0.0, -0.01, 0.01, -0.02, 0.02, -0.03, 0.03)


def typical_soh(age_years: float) -> float:
    """A typical pack: 4 points lost in year one, then 1.5 points a year."""
    return 100.0 - 4.0 * min(age_years, 1.0) - 1.5 * max(age_years - 1.0, 0.0)


# --- helpers: synthetic states ----------------------------------------------------------------


def month_key(index: int) -> str:
    """The month `index` months after the delivery month."""
    year, month = divmod(DELIVERED.month - 1 + index, 12)
    return f"{DELIVERED.year + year:04d}-{month + 1:02d}"


def mid_month(index: int) -> datetime:
    key = month_key(index)
    return datetime(int(key[:4]), int(key[5:]), 15, 12, tzinfo=UTC)


def aged_state(soh_at: Callable[[float], float], months: int, first: int = 0,
               per_month: int = len(SPREAD)) -> BatteryState:
    """Samples around soh_at(age) in each month, the last session mid-way through the last."""
    samples = {}
    for index in range(first, first + months):
        capacity = NOMINAL * soh_at((mid_month(index) - DELIVERED) / YEAR) / 100
        samples[month_key(index)] = [capacity * (1 + SPREAD[i % len(SPREAD)])
                                     for i in range(per_month)]
    return BatteryState(months=samples, sessions=months * per_month,
                        last_session_at=mid_month(first + months - 1))


def interval(assessed: BatteryHealth) -> tuple[float, float, float]:
    """(low, SoH, high), failing the test when any is unknown."""
    low, soh, high = (assessed.confidence_low, assessed.state_of_health_percent,
                      assessed.confidence_high)
    assert low is not None
    assert soh is not None
    assert high is not None
    return low, soh, high


def health(soh: float | None, status: HealthStatus = HealthStatus.NORMAL,
           fade: float | None = None) -> BatteryHealth:
    known = soh is not None
    return BatteryHealth(
        status=status if known else HealthStatus.INSUFFICIENT_DATA,
        state_of_health_percent=soh, estimated_capacity_kwh=soh * NOMINAL / 100 if soh else None,
        nominal_capacity_kwh=NOMINAL, confidence_low=soh - 1 if soh else None,
        confidence_high=soh + 1 if soh else None, sample_size=20 if known else 2,
        last_estimated_at=DELIVERED, trend=[], fade_percent_per_year=fade,
        reaches_80_percent_on=None, reaches_70_percent_on=None, dc_fast_energy_share=None,
        high_soc_sessions=0, deep_discharge_sessions=0, equivalent_full_cycles=0.0)


# --- the headline: a noisy three-year history ---------------------------------------------------


def synthetic_session(rng: random.Random, started: datetime) -> SessionContribution:
    true_capacity = NOMINAL * typical_soh((started - DELIVERED) / YEAR) / 100
    soc_start, soc_end = sorted((rng.uniform(10, 95), rng.uniform(10, 95)))
    added = true_capacity * (soc_end - soc_start) / 100 * (1 + rng.uniform(-0.03, 0.03))
    if rng.random() < 0.03:  # a bad SoC report: the implied capacity is far off
        added *= rng.choice([rng.uniform(1.5, 3.0), 0.5])
    dc = rng.random() < 0.3
    # Home and public AC report only what the charger metered; half the DC sessions also carry
    # the car's own count of the energy added.
    delivered = added / (0.95 if dc else 0.90)
    reported_added = added if dc and rng.random() < 0.5 else None
    hours = 0.7 if dc else added / 7.4
    return battery.contribution(started, started + timedelta(hours=hours), soc_start, soc_end,
                                reported_added, delivered, dc, EFFICIENCY)


def synthetic_history(seed: int, years: float = 3.0) -> list[SessionContribution]:
    rng = random.Random(seed)
    sessions: list[SessionContribution] = []
    started = DELIVERED
    while True:
        started += timedelta(days=rng.uniform(1.0, 3.0))  # about one session every 2 days
        if started - DELIVERED > years * YEAR:
            return sessions
        sessions.append(synthetic_session(rng, started))


def fold_in_random_batches(sessions: list[SessionContribution], seed: int) -> BatteryState:
    rng = random.Random(seed)
    shuffled = rng.sample(sessions, len(sessions))
    state = BatteryState()
    while shuffled:
        size = rng.randint(1, 20)
        state, shuffled = battery.apply(state, shuffled[:size]), shuffled[size:]
    return state


@pytest.mark.parametrize("seed", [20260101, 1, 2, 3, 4])
def test_three_noisy_years_in_random_order_recover_the_true_soh_and_recent_fade(
    seed: int,
) -> None:
    state = fold_in_random_batches(synthetic_history(seed), seed)
    assessed = battery.assess(state, NOMINAL, DELIVERED)

    assert assessed.last_estimated_at is not None
    true_soh = typical_soh((assessed.last_estimated_at - DELIVERED) / YEAR)
    assert assessed.state_of_health_percent == pytest.approx(true_soh, abs=1.5)
    assert assessed.fade_percent_per_year == pytest.approx(1.5, abs=1.0)
    assert assessed.status is HealthStatus.NORMAL
    low, soh, high = interval(assessed)
    assert low < soh < high
    assert len(assessed.trend) == sum(1 for samples in state.months.values() if samples) >= 36


def test_history_folded_in_random_order_equals_it_folded_in_time_order() -> None:
    sessions = synthetic_history(7, years=1.0)
    in_order = battery.apply(BatteryState(), sorted(sessions, key=lambda item: item.at))
    shuffled = fold_in_random_batches(sessions, 7)
    assert {month: sorted(samples) for month, samples in shuffled.months.items()} == {
        month: sorted(samples) for month, samples in in_order.months.items()}
    assert shuffled.energy_added_kwh == pytest.approx(in_order.energy_added_kwh)
    assert shuffled.last_session_at == in_order.last_session_at


# --- capacity samples -----------------------------------------------------------------------


@given(st.floats(0, 70), st.floats(0, 29.99), st.floats(0.1, 100))
def test_a_soc_window_under_30_points_gives_no_capacity_sample(
    soc_start: float, window: float, energy: float,
) -> None:
    for dc in (False, True):
        assert battery.capacity_sample(soc_start, soc_start + window, energy, energy, dc,
                                       EFFICIENCY) is None


@given(st.floats(20, 120), st.floats(0, 70), st.floats(30, 100), st.booleans())
def test_metered_energy_over_a_wide_window_recovers_the_capacity(
    capacity: float, soc_start: float, soc_end: float, dc: bool,
) -> None:
    assume(soc_end - soc_start >= 30)
    added = capacity * (soc_end - soc_start) / 100
    delivered = added / (EFFICIENCY.dc if dc else EFFICIENCY.ac)
    sample = battery.capacity_sample(soc_start, soc_end, None, delivered, dc, EFFICIENCY)
    assert sample == pytest.approx(capacity)


def test_a_window_of_exactly_30_points_gives_a_sample() -> None:
    assert battery.capacity_sample(20, 50, 21.0, 30.0, False, EFFICIENCY) == pytest.approx(70.0)


def test_energy_added_is_preferred_over_metered_energy() -> None:
    assert battery.capacity_sample(10, 60, 35.0, 50.0, True, EFFICIENCY) == pytest.approx(70.0)


def test_metered_energy_is_corrected_by_the_ac_or_the_dc_efficiency() -> None:
    efficiency = ChargingEfficiency(ac=0.8, dc=0.9)
    assert battery.capacity_sample(10, 60, None, 50.0, False, efficiency) == pytest.approx(80.0)
    assert battery.capacity_sample(10, 60, None, 50.0, True, efficiency) == pytest.approx(90.0)


def test_a_session_without_energy_gives_no_sample() -> None:
    assert battery.capacity_sample(10, 80, None, 0.0, False, EFFICIENCY) is None


def test_efficiency_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="less than or equal to 1"):
        ChargingEfficiency(ac=1.2)


# --- contributions --------------------------------------------------------------------------


def test_contribution_files_the_session_under_its_utc_start_month() -> None:
    # 23:30 on 31 March at UTC-02:00 is already April in UTC.
    started = datetime(2024, 3, 31, 23, 30, tzinfo=timezone(timedelta(hours=-2)))
    item = battery.contribution(started, started + timedelta(hours=5), 20, 80, None, 50.0,
                                False, EFFICIENCY)
    assert item.month == "2024-04"
    assert item.at == datetime(2024, 4, 1, 6, 30, tzinfo=UTC)


def test_contribution_carries_energy_into_the_battery_and_the_sample() -> None:
    item = battery.contribution(DELIVERED, DELIVERED + timedelta(hours=1), 20, 60, None, 40.0,
                                True, EFFICIENCY)
    assert item.energy_added_kwh == pytest.approx(38.0)
    assert item.energy_delivered_kwh == 40.0
    assert item.capacity_kwh == pytest.approx(95.0)
    assert item.dc


@pytest.mark.parametrize(
    ("soc_start", "soc_end", "high_soc", "deep_discharge"),
    [(10, 90, False, False), (9.5, 90.5, True, True), (5, 40, False, True), (50, 100, True, False)],
)
def test_stress_flags_mark_ends_above_90_and_starts_below_10(
    soc_start: float, soc_end: float, high_soc: bool, deep_discharge: bool,
) -> None:
    item = battery.contribution(DELIVERED, DELIVERED + timedelta(hours=1), soc_start, soc_end,
                                None, 10.0, False, EFFICIENCY)
    assert (item.high_soc, item.deep_discharge) == (high_soc, deep_discharge)


# --- apply ----------------------------------------------------------------------------------

at_times = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2024, 3, 1),
                        timezones=st.just(UTC))
contributions = st.builds(
    SessionContribution,
    month=st.sampled_from(["2024-01", "2024-02"]), at=at_times,
    capacity_kwh=st.none() | st.floats(30, 120), energy_added_kwh=st.floats(0, 100),
    energy_delivered_kwh=st.floats(0, 110), dc=st.booleans(), high_soc=st.booleans(),
    deep_discharge=st.booleans(),
)


@given(st.lists(contributions, max_size=120), st.randoms(use_true_random=False))
def test_one_batch_in_any_order_gives_exactly_the_same_state(
    items: list[SessionContribution], rng: random.Random,
) -> None:
    shuffled = rng.sample(items, len(items))
    assert battery.apply(BatteryState(), shuffled) == battery.apply(BatteryState(), items)


@given(st.lists(contributions, max_size=60), st.randoms(use_true_random=False))
def test_sessions_one_at_a_time_in_any_order_give_the_batch_state_below_the_cap(
    items: list[SessionContribution], rng: random.Random,
) -> None:
    batch = battery.apply(BatteryState(), items)
    state = BatteryState()
    for item in rng.sample(items, len(items)):
        state = battery.apply(state, [item])
    assert all(len(samples) <= MAX_SAMPLES_PER_MONTH for samples in batch.months.values())
    assert {m: sorted(s) for m, s in state.months.items()} == {
        m: sorted(s) for m, s in batch.months.items()}
    assert state.model_dump(exclude={"months", "energy_added_kwh", "energy_delivered_kwh",
                                     "dc_energy_delivered_kwh"}) == batch.model_dump(
        exclude={"months", "energy_added_kwh", "energy_delivered_kwh", "dc_energy_delivered_kwh"})
    assert state.energy_added_kwh == pytest.approx(batch.energy_added_kwh)
    assert state.dc_energy_delivered_kwh == pytest.approx(batch.dc_energy_delivered_kwh)


def sample_at(minute: int, capacity: float = 70.0) -> SessionContribution:
    return SessionContribution(month="2024-05", at=datetime(2024, 5, 2, tzinfo=UTC)
                               + timedelta(minutes=minute), capacity_kwh=capacity,
                               energy_added_kwh=30.0, energy_delivered_kwh=33.0, dc=False,
                               high_soc=False, deep_discharge=False)


def test_a_full_month_in_one_batch_keeps_the_samples_with_the_latest_times() -> None:
    items = [sample_at(minute, capacity=float(minute)) for minute in range(50)]
    state = battery.apply(BatteryState(), random.Random(3).sample(items, len(items)))
    assert state.months["2024-05"] == [float(minute) for minute in range(10, 50)]


def test_a_full_month_across_updates_keeps_the_samples_that_arrived_last() -> None:
    # The stored floats carry no time, like the store's $push/$slice: a late old session stays.
    state = battery.apply(BatteryState(), [sample_at(m, float(m)) for m in range(10, 50)])
    late = battery.apply(state, [sample_at(0, capacity=0.0)])
    assert late.months["2024-05"] == [*(float(m) for m in range(11, 50)), 0.0]
    assert late.last_session_at == sample_at(49).at


def test_energy_totals_of_one_batch_do_not_depend_on_the_order_of_equal_times() -> None:
    def session(energy: float) -> SessionContribution:
        return SessionContribution(month="2024-05", at=datetime(2024, 5, 2, tzinfo=UTC),
                                   capacity_kwh=None, energy_added_kwh=energy,
                                   energy_delivered_kwh=energy, dc=True, high_soc=False,
                                   deep_discharge=False)

    # Naively added left to right, 0.1 + 0.2 + 0.3 and 0.3 + 0.2 + 0.1 differ in the last bit.
    forward = battery.apply(BatteryState(), [session(0.1), session(0.2), session(0.3)])
    backward = battery.apply(BatteryState(), [session(0.3), session(0.2), session(0.1)])
    assert forward == backward


def test_apply_counts_sessions_energy_and_stress_and_keeps_the_latest_time() -> None:
    newer = SessionContribution(month="2024-06", at=datetime(2024, 6, 9, tzinfo=UTC),
                                capacity_kwh=None, energy_added_kwh=38.0,
                                energy_delivered_kwh=40.0, dc=True, high_soc=True,
                                deep_discharge=False)
    state = battery.apply(battery.apply(BatteryState(), [newer]), [sample_at(0), sample_at(1)])
    assert state.sessions == 3
    assert state.months == {"2024-05": [70.0, 70.0]}
    assert state.energy_added_kwh == pytest.approx(98.0)
    assert state.energy_delivered_kwh == pytest.approx(106.0)
    assert state.dc_energy_delivered_kwh == pytest.approx(40.0)
    assert (state.high_soc_sessions, state.deep_discharge_sessions) == (1, 0)
    assert state.last_session_at == newer.at


# --- assess: the current estimate -------------------------------------------------------------


def test_fewer_samples_than_the_minimum_is_insufficient_data_with_no_soh_figures() -> None:
    state = BatteryState(months={"2024-01": [70.0, 71.0], "2024-02": [69.0, 70.0]}, sessions=9,
                         energy_added_kwh=154.0, energy_delivered_kwh=100.0,
                         dc_energy_delivered_kwh=25.0, high_soc_sessions=2,
                         deep_discharge_sessions=1,
                         last_session_at=datetime(2024, 2, 20, tzinfo=UTC))
    assessed = battery.assess(state, NOMINAL, DELIVERED)
    assert assessed.status is HealthStatus.INSUFFICIENT_DATA
    assert assessed.state_of_health_percent is None
    assert assessed.estimated_capacity_kwh is None
    assert assessed.confidence_low is None
    assert assessed.confidence_high is None
    assert assessed.fade_percent_per_year is None
    assert assessed.reaches_80_percent_on is None
    assert assessed.reaches_70_percent_on is None
    assert [point.date for point in assessed.trend] == [date(2024, 1, 15), date(2024, 2, 15)]
    assert assessed.dc_fast_energy_share == pytest.approx(0.25)
    assert (assessed.high_soc_sessions, assessed.deep_discharge_sessions) == (2, 1)
    assert assessed.equivalent_full_cycles == pytest.approx(2.0)
    assert assessed.last_estimated_at == state.last_session_at


def test_the_minimum_number_of_samples_gives_an_estimate() -> None:
    state = BatteryState(months={"2024-01": [70.0, 71.0, 72.0], "2024-02": [69.0, 70.0]})
    assessed = battery.assess(state, NOMINAL, DELIVERED)
    assert assessed.state_of_health_percent == pytest.approx(70.0 / NOMINAL * 100)
    assert assessed.estimated_capacity_kwh == pytest.approx(70.0)
    assert assessed.sample_size == 5


def test_a_few_wildly_high_samples_barely_move_the_estimate() -> None:
    clean = [70.0 * (1 + SPREAD[i % len(SPREAD)] / 3) for i in range(30)]
    state = BatteryState(months={"2024-01": [*clean, 210.0, 190.0, 35.0]})
    assessed = battery.assess(state, NOMINAL, DELIVERED)
    assert assessed.estimated_capacity_kwh == pytest.approx(70.0, abs=0.3)


@pytest.mark.parametrize("count", [7, 14, 21, 35])
def test_the_confidence_interval_holds_the_estimate_and_narrows_as_samples_grow(
    count: int,
) -> None:
    def width(samples: int) -> float:
        state = BatteryState(months={"2024-01": [70.0 * (1 + SPREAD[i % 7])
                                                 for i in range(samples)]})
        assessed = battery.assess(state, NOMINAL, DELIVERED)
        low, soh, high = interval(assessed)
        assert low < soh < high
        return high - low

    assert width(count + 7) < width(count)


def test_identical_samples_still_get_a_confidence_interval() -> None:
    assessed = battery.assess(BatteryState(months={"2024-01": [70.0] * 10}), NOMINAL, DELIVERED)
    low, _, high = interval(assessed)
    assert high - low == pytest.approx(1.0)


def test_the_estimate_uses_the_latest_months_and_widens_until_enough_samples() -> None:
    months = {"2023-01": [60.0] * 10, "2024-01": [70.0, 70.0], "2024-02": [70.0],
              "2024-03": [70.0]}
    assessed = battery.assess(BatteryState(months=months), NOMINAL, DELIVERED,
                              HealthPolicy(min_trend_months=10))
    assert assessed.sample_size == 14
    assert assessed.estimated_capacity_kwh == pytest.approx(60.0)
    assessed = battery.assess(BatteryState(months=months), NOMINAL, DELIVERED,
                              HealthPolicy(min_samples=4, min_trend_months=10))
    assert assessed.sample_size == 4
    assert assessed.estimated_capacity_kwh == pytest.approx(70.0)


def test_the_estimate_always_spans_the_latest_recent_months() -> None:
    months = {"2024-01": [60.0] * 10, "2024-02": [60.0] * 10, "2024-03": [70.0] * 10}
    assessed = battery.assess(BatteryState(months=months), NOMINAL, DELIVERED)
    assert assessed.sample_size == 30
    assert assessed.estimated_capacity_kwh == pytest.approx(60.0)


def test_with_a_fitted_fade_the_estimate_widens_to_the_target_sample_count() -> None:
    state = aged_state(lambda age: 100.0 - 2.0 * age, 24, per_month=7)
    assert battery.assess(state, NOMINAL, DELIVERED).sample_size == 35
    assert battery.assess(state, NOMINAL, DELIVERED,
                          HealthPolicy(estimate_samples=50)).sample_size == 56


def test_without_a_fitted_fade_the_estimate_does_not_widen_past_the_recent_months() -> None:
    state = aged_state(lambda age: 100.0 - 2.0 * age, 3, per_month=7)
    assessed = battery.assess(state, NOMINAL, DELIVERED)
    assert assessed.fade_percent_per_year is None
    assert assessed.sample_size == 21


# --- assess: trend, fade and forecast --------------------------------------------------------


def test_the_trend_has_one_point_per_month_with_samples_on_the_15th_in_order() -> None:
    months = {"2024-03": [72.0, 70.0, 71.0], "2024-01": [73.0], "2024-02": []}
    trend = battery.assess(BatteryState(months=months), NOMINAL, DELIVERED).trend
    assert [point.date for point in trend] == [date(2024, 1, 15), date(2024, 3, 15)]
    assert [point.state_of_health_percent for point in trend] == pytest.approx(
        [73.0 / NOMINAL * 100, 71.0 / NOMINAL * 100])


@pytest.mark.parametrize(("months", "first"), [(3, 0), (4, 14), (6, 14)])
def test_too_few_months_or_too_short_a_span_gives_no_fade_and_no_forecast(
    months: int, first: int,
) -> None:
    state = aged_state(lambda age: 95.0 - 3.0 * age, months, first=first)
    assessed = battery.assess(state, NOMINAL, DELIVERED)
    assert assessed.state_of_health_percent is not None
    assert assessed.fade_percent_per_year is None
    assert assessed.reaches_80_percent_on is None
    assert assessed.reaches_70_percent_on is None


def test_a_steady_fade_is_measured_and_forecast_to_80_then_70() -> None:
    state = aged_state(lambda age: 100.0 - 2.0 * age, 24)
    assessed = battery.assess(state, NOMINAL, DELIVERED)
    assert assessed.last_estimated_at is not None
    now_soh = 100.0 - 2.0 * (assessed.last_estimated_at - DELIVERED) / YEAR
    assert assessed.fade_percent_per_year == pytest.approx(2.0)
    assert assessed.state_of_health_percent == pytest.approx(now_soh, abs=0.01)
    to_80 = assessed.last_estimated_at + (now_soh - 80.0) / 2.0 * YEAR
    to_70 = assessed.last_estimated_at + (now_soh - 70.0) / 2.0 * YEAR
    assert assessed.reaches_80_percent_on is not None
    assert assessed.reaches_70_percent_on is not None
    assert abs((assessed.reaches_80_percent_on - to_80.date()).days) <= 1
    assert abs((assessed.reaches_70_percent_on - to_70.date()).days) <= 1
    assert assessed.last_estimated_at.date() < assessed.reaches_80_percent_on
    assert assessed.reaches_80_percent_on < assessed.reaches_70_percent_on


def test_a_battery_already_below_80_only_gets_a_forecast_to_70() -> None:
    assessed = battery.assess(aged_state(lambda age: 85.0 - 4.0 * age, 30), NOMINAL, DELIVERED)
    assert assessed.state_of_health_percent is not None
    assert assessed.state_of_health_percent < 80.0
    assert assessed.reaches_80_percent_on is None
    assert assessed.reaches_70_percent_on is not None


def test_a_battery_that_seems_to_gain_capacity_has_no_fade_and_no_forecast() -> None:
    assessed = battery.assess(aged_state(lambda age: 95.0 + 1.0 * age, 24), NOMINAL, DELIVERED)
    assert assessed.fade_percent_per_year == 0.0
    assert assessed.reaches_80_percent_on is None
    assert assessed.reaches_70_percent_on is None


def test_the_fade_after_the_first_year_ignores_the_faster_first_year_loss() -> None:
    assessed = battery.assess(aged_state(typical_soh, 36), NOMINAL, DELIVERED)
    assert assessed.fade_percent_per_year == pytest.approx(1.5)


# --- assess: status -------------------------------------------------------------------------


def test_a_typical_battery_is_normal() -> None:
    assessed = battery.assess(aged_state(typical_soh, 36), NOMINAL, DELIVERED)
    assert assessed.status is HealthStatus.NORMAL


def test_a_battery_far_below_the_expected_soh_for_its_age_fades_faster_than_expected() -> None:
    assessed = battery.assess(aged_state(lambda age: 100.0 - 6.0 * age, 36), NOMINAL, DELIVERED)
    assert assessed.status is HealthStatus.FASTER_THAN_EXPECTED


def test_a_young_battery_losing_capacity_quickly_fades_faster_than_expected() -> None:
    assessed = battery.assess(aged_state(lambda age: 100.0 - 20.0 * age, 6), NOMINAL, DELIVERED)
    assert assessed.fade_percent_per_year is None
    assert assessed.status is HealthStatus.FASTER_THAN_EXPECTED


def fast_after_year_one(age: float) -> float:
    return 100.0 - 1.0 * min(age, 1.0) - 5.0 * max(age - 1.0, 0.0)


def test_a_steep_fade_over_a_year_after_break_in_is_faster_than_expected_before_the_soh_shows_it(
) -> None:
    assessed = battery.assess(aged_state(fast_after_year_one, 26), NOMINAL, DELIVERED)
    assert assessed.state_of_health_percent is not None
    assert assessed.state_of_health_percent > typical_soh(26 / 12) - 3.0
    assert assessed.fade_percent_per_year == pytest.approx(5.0)
    assert assessed.status is HealthStatus.FASTER_THAN_EXPECTED


def test_a_steep_fade_over_less_than_a_year_after_break_in_is_not_yet_an_alarm() -> None:
    assessed = battery.assess(aged_state(fast_after_year_one, 20), NOMINAL, DELIVERED)
    assert assessed.fade_percent_per_year == pytest.approx(5.0)
    assert assessed.status is HealthStatus.NORMAL


def test_expected_soh_follows_the_first_year_then_the_yearly_fade() -> None:
    policy = HealthPolicy()
    assert [policy.expected_soh(age) for age in (0.0, 0.5, 1.0, 3.0)] == pytest.approx(
        [100.0, 98.0, 96.0, 92.0])


# --- stress figures -------------------------------------------------------------------------


def test_stress_figures_come_from_the_counters() -> None:
    state = BatteryState(sessions=40, energy_added_kwh=770.0, energy_delivered_kwh=800.0,
                         dc_energy_delivered_kwh=200.0, high_soc_sessions=6,
                         deep_discharge_sessions=3)
    assessed = battery.assess(state, NOMINAL, DELIVERED)
    assert assessed.dc_fast_energy_share == pytest.approx(0.25)
    assert assessed.equivalent_full_cycles == pytest.approx(10.0)
    assert (assessed.high_soc_sessions, assessed.deep_discharge_sessions) == (6, 3)
    assert assessed.sample_size == 0
    assert assessed.last_estimated_at is None


def test_no_energy_yet_has_no_dc_share() -> None:
    assert battery.assess(BatteryState(), NOMINAL, DELIVERED).dc_fast_energy_share is None


# --- events ---------------------------------------------------------------------------------


def test_crossing_80_emits_one_below_threshold_event() -> None:
    events = battery.health_events("v1", health(81.0), health(79.5), DELIVERED)
    assert events == [BatteryHealthBelowThreshold(at=DELIVERED, vehicle_id="v1", threshold=80.0,
                                                  state_of_health_percent=79.5)]


def test_staying_below_80_emits_nothing() -> None:
    assert battery.health_events("v1", health(79.5), health(79.0), DELIVERED) == []


def test_crossing_two_thresholds_at_once_emits_one_event_each_highest_first() -> None:
    events = battery.health_events("v1", health(81.0), health(74.0), DELIVERED)
    assert [event.threshold for event in events
            if isinstance(event, BatteryHealthBelowThreshold)] == [80.0, 75.0]
    assert len(events) == 2


def test_a_first_estimate_below_thresholds_emits_their_events() -> None:
    events = battery.health_events("v1", health(None), health(72.0), DELIVERED)
    assert [event.threshold for event in events
            if isinstance(event, BatteryHealthBelowThreshold)] == [80.0, 75.0]


def test_no_estimate_emits_nothing() -> None:
    assert battery.health_events("v1", health(79.0), health(None), DELIVERED) == []


def test_becoming_faster_than_expected_emits_one_event_and_staying_so_emits_none() -> None:
    fast = health(88.0, HealthStatus.FASTER_THAN_EXPECTED, fade=4.2)
    events = battery.health_events("v1", health(89.0), fast, DELIVERED)
    assert events == [BatteryFadingFasterThanExpected(
        at=DELIVERED, vehicle_id="v1", fade_percent_per_year=4.2, state_of_health_percent=88.0)]
    assert battery.health_events("v1", fast, fast, DELIVERED) == []


@given(st.lists(st.floats(60.0, 100.0), min_size=1, max_size=20))
def test_a_declining_soh_reports_each_threshold_it_passed_exactly_once(values: list[float]) -> None:
    assessments = [health(None), *(health(soh) for soh in sorted(values, reverse=True))]
    events = [event for before, after in itertools.pairwise(assessments)
              for event in battery.health_events("v1", before, after, DELIVERED)]
    reported = sorted(event.threshold for event in events
                      if isinstance(event, BatteryHealthBelowThreshold))
    assert reported == sorted(t for t in (80.0, 75.0, 70.0) if min(values) < t)
