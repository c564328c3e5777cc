"""Battery state of health (SoH), estimated from charging sessions.

Each session becomes a `SessionContribution`; `apply` folds contributions into a small, bounded
per-vehicle `BatteryState` (counters and per-month capacity samples) the way the store's atomic
update does, and `assess` judges health from that state alone, never from the session history.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain import validation
from domain.events import DomainEvent

# Percentage points; SoC is reported in whole percent, so smaller windows are mostly rounding.
MIN_SOC_WINDOW = 30.0
MAX_SAMPLES_PER_MONTH = 40
HIGH_SOC = 90.0
DEEP_DISCHARGE_SOC = 10.0
# 1.4826 * MAD estimates sigma for normal noise; the median's standard error is sqrt(pi/2) (about
# 1.2533) times the mean's.
_MAD_TO_SIGMA = 1.4826
_MEDIAN_EFFICIENCY = 1.2533
_Z95 = 1.96
_DAYS_PER_YEAR = 365.25


class ChargingEfficiency(BaseModel):
    """Share of the metered energy that reaches the battery (DOMAIN.md: 85-90% AC, 92-95% DC)."""

    model_config = ConfigDict(frozen=True)
    ac: float = Field(default=0.90, gt=0, le=1)
    dc: float = Field(default=0.95, gt=0, le=1)


def _energy_into_battery(energy_added_kwh: float | None, energy_delivered_kwh: float, dc: bool,
                         efficiency: ChargingEfficiency) -> float:
    # The car's own count skips the charger's losses; the meter's needs correcting for them.
    if energy_added_kwh is not None:
        return energy_added_kwh
    return energy_delivered_kwh * (efficiency.dc if dc else efficiency.ac)


def capacity_sample(soc_start: float, soc_end: float, energy_added_kwh: float | None,
                    energy_delivered_kwh: float, dc: bool,
                    efficiency: ChargingEfficiency) -> float | None:
    """Usable capacity (kWh) implied by one session, or None if the SoC window is too small."""
    window = soc_end - soc_start
    if window < MIN_SOC_WINDOW:
        return None
    energy = _energy_into_battery(energy_added_kwh, energy_delivered_kwh, dc, efficiency)
    # A session that reports no energy says nothing about the capacity.
    return energy / window * 100 if energy > 0 else None


@dataclass(frozen=True, slots=True)
class SessionContribution:
    """What one session adds to the battery state."""

    month: str  # "YYYY-MM" of the session start, UTC
    at: datetime  # session end
    capacity_kwh: float | None
    energy_added_kwh: float
    energy_delivered_kwh: float
    dc: bool
    high_soc: bool
    deep_discharge: bool


def contribution(started_at: datetime, ended_at: datetime, soc_start: float, soc_end: float,
                 energy_added_kwh: float | None, energy_delivered_kwh: float, dc: bool,
                 efficiency: ChargingEfficiency) -> SessionContribution:
    started = validation.utc(started_at)
    return SessionContribution(
        month=f"{started.year:04d}-{started.month:02d}",
        at=validation.utc(ended_at),
        capacity_kwh=capacity_sample(soc_start, soc_end, energy_added_kwh, energy_delivered_kwh,
                                     dc, efficiency),
        energy_added_kwh=_energy_into_battery(energy_added_kwh, energy_delivered_kwh, dc,
                                              efficiency),
        energy_delivered_kwh=energy_delivered_kwh,
        dc=dc,
        high_soc=soc_end > HIGH_SOC,
        deep_discharge=soc_start < DEEP_DISCHARGE_SOC,
    )


class BatteryState(BaseModel):
    """Everything health is judged from; its size is bounded by months x MAX_SAMPLES_PER_MONTH."""

    model_config = ConfigDict(frozen=True)
    months: dict[str, list[float]] = Field(default_factory=dict)
    sessions: int = 0
    energy_added_kwh: float = 0.0
    energy_delivered_kwh: float = 0.0
    dc_energy_delivered_kwh: float = 0.0
    high_soc_sessions: int = 0
    deep_discharge_sessions: int = 0
    last_session_at: datetime | None = None


def apply(state: BatteryState, contributions: Sequence[SessionContribution]) -> BatteryState:
    """The state after these sessions: the pure twin of the store's one atomic update.

    The store runs `$inc` on the counters, `$max` on `last_session_at` and, per month,
    `$push: {$each: <the batch's samples in order of at>, $slice: -MAX_SAMPLES_PER_MONTH}`.

    Order independence, and where it stops:
    - counters and `last_session_at`: any order and batching (sums agree up to float rounding);
    - one batch: any permutation gives exactly the same state, and a month over the cap keeps
      the samples with the latest `at`;
    - separate updates: the stored floats carry no time, so a month over the cap keeps the
      samples that arrived last; a late old session stays and the earliest arrival goes.
    A month rarely nears the cap (daily charging gives about 15 long charges), and then only
    which of its samples survive changes, which barely moves its median. Storing (at, capacity)
    pairs with `$sort` would close that gap at the cost of a bigger, less simple document.
    """
    ordered = sorted(contributions, key=_push_order)
    return BatteryState(
        months=_pushed(state.months, ordered),
        sessions=state.sessions + len(ordered),
        energy_added_kwh=_total(state.energy_added_kwh, (c.energy_added_kwh for c in ordered)),
        energy_delivered_kwh=_total(state.energy_delivered_kwh,
                                    (c.energy_delivered_kwh for c in ordered)),
        dc_energy_delivered_kwh=_total(state.dc_energy_delivered_kwh,
                                       (c.energy_delivered_kwh for c in ordered if c.dc)),
        high_soc_sessions=state.high_soc_sessions + sum(c.high_soc for c in ordered),
        deep_discharge_sessions=state.deep_discharge_sessions
        + sum(c.deep_discharge for c in ordered),
        last_session_at=_latest(state.last_session_at, ordered),
    )


def _push_order(item: SessionContribution) -> tuple[datetime, float]:
    # The capacity breaks ties in `at`, so equal times cannot make the order depend on input order.
    return item.at, -math.inf if item.capacity_kwh is None else item.capacity_kwh


def _pushed(months: dict[str, list[float]],
            ordered: Sequence[SessionContribution]) -> dict[str, list[float]]:
    merged = {month: list(samples) for month, samples in months.items()}
    for item in ordered:
        if item.capacity_kwh is not None:
            merged.setdefault(item.month, []).append(item.capacity_kwh)
    return {month: samples[-MAX_SAMPLES_PER_MONTH:] for month, samples in merged.items()}


def _total(start: float, values: Iterable[float]) -> float:
    # fsum rounds once, so the order of one batch cannot change the total.
    return math.fsum([start, *values])


def _latest(current: datetime | None,
            ordered: Sequence[SessionContribution]) -> datetime | None:
    times = [item.at for item in ordered]
    return max([*times, current] if current is not None else times, default=None)


class HealthPolicy(BaseModel):
    """How health is judged from the state. Percent figures are SoH percentage points."""

    model_config = ConfigDict(frozen=True)
    # Fewer capacity samples in total than this: INSUFFICIENT_DATA and no SoH figures.
    min_samples: int = Field(default=5, ge=1)
    # The current SoH is the median of the samples of the latest recent_months months with
    # samples, widened to older months until it holds min_samples. Once a fade is fitted, older
    # samples are moved forward along it to the last session, so the window widens further, to
    # estimate_samples, without lagging: a median of 30 has about 0.7x the error of one of 15.
    recent_months: int = Field(default=3, ge=1)
    estimate_samples: int = Field(default=30, ge=1)
    # Fewer monthly points, or a shorter span, cannot tell a trend from noise: no fade, no forecast.
    min_trend_months: int = Field(default=4, ge=2)
    min_trend_span_days: int = Field(default=180, ge=1)
    # Batteries lose capacity fastest in their first year; once enough later months exist, the
    # fade is fitted without this period so it measures the lasting rate that forecasts need.
    break_in_days: int = Field(default=365, ge=0)
    # Typical fade (DOMAIN.md): a few points in year one, then 1 to 2 points a year.
    expected_fade_first_year: float = 4.0
    expected_fade_per_year: float = 2.0
    # How far below the expected SoH for the car's age counts as faster than expected.
    tolerance_points: float = 3.0
    # A fade fit after break-in spanning at least fade_rule_min_span_days also flags the battery
    # when it exceeds expected_fade_per_year by this much; shorter fits are too noisy to alarm on.
    fade_tolerance_per_year: float = 1.5
    fade_rule_min_span_days: int = Field(default=365, ge=1)
    # Floor of the confidence half-width, so a few identical samples never claim certainty.
    min_confidence_half_width: float = Field(default=0.5, gt=0)
    # A forecast further out than this says nothing useful (and would overflow dates).
    forecast_horizon_years: float = Field(default=30.0, gt=0)
    # Thresholds whose downward crossing is an event, e.g. warranty lines.
    low_soh_thresholds: tuple[float, ...] = (80.0, 75.0, 70.0)

    def expected_soh(self, age_years: float) -> float:
        return (100.0 - self.expected_fade_first_year * min(age_years, 1.0)
                - self.expected_fade_per_year * max(age_years - 1.0, 0.0))


DEFAULT_POLICY = HealthPolicy()


class HealthStatus(StrEnum):
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
    NORMAL = "NORMAL"
    FASTER_THAN_EXPECTED = "FASTER_THAN_EXPECTED"


class TrendPoint(BaseModel):
    model_config = ConfigDict(frozen=True)
    date: date  # the 15th of the month
    state_of_health_percent: float


class BatteryHealth(BaseModel):
    model_config = ConfigDict(frozen=True)
    status: HealthStatus
    state_of_health_percent: float | None
    estimated_capacity_kwh: float | None
    nominal_capacity_kwh: float
    confidence_low: float | None  # 95% interval on the SoH percent
    confidence_high: float | None
    sample_size: int
    last_estimated_at: datetime | None
    trend: list[TrendPoint]
    fade_percent_per_year: float | None  # positive: capacity lost per year
    reaches_80_percent_on: date | None
    reaches_70_percent_on: date | None
    dc_fast_energy_share: float | None
    high_soc_sessions: int
    deep_discharge_sessions: int
    equivalent_full_cycles: float


@dataclass(frozen=True, slots=True)
class _Estimate:
    soh: float
    capacity_kwh: float
    low: float
    high: float
    sample_size: int


@dataclass(frozen=True, slots=True)
class _Fade:
    percent_per_year: float
    span_days: int
    after_break_in: bool


def assess(state: BatteryState, nominal_capacity_kwh: float, delivered_at: datetime,
           policy: HealthPolicy = DEFAULT_POLICY) -> BatteryHealth:
    """Health from the state alone; SoH figures are None while samples are too few.

    Status: FASTER_THAN_EXPECTED when the SoH is more than tolerance_points below
    `policy.expected_soh` at the car's age (at its last session), or when a fade fit after break-in
    spanning fade_rule_min_span_days exceeds expected_fade_per_year + fade_tolerance_per_year.
    """
    if nominal_capacity_kwh <= 0:
        raise ValueError("nominal capacity must be positive")
    delivered = validation.utc(delivered_at)
    anchor = state.last_session_at or delivered
    trend = _trend(state.months, nominal_capacity_kwh)
    enough = sum(len(samples) for samples in state.months.values()) >= policy.min_samples
    fade = _fade(trend, delivered, policy) if enough else None
    estimate = (_estimate(state.months, nominal_capacity_kwh, fade, anchor, policy)
                if enough else None)
    age_years = max((anchor - delivered) / timedelta(days=_DAYS_PER_YEAR), 0.0)
    return BatteryHealth(
        status=_status(estimate, fade, age_years, policy),
        state_of_health_percent=estimate.soh if estimate else None,
        estimated_capacity_kwh=estimate.capacity_kwh if estimate else None,
        nominal_capacity_kwh=nominal_capacity_kwh,
        confidence_low=estimate.low if estimate else None,
        confidence_high=estimate.high if estimate else None,
        sample_size=estimate.sample_size if estimate else 0,
        last_estimated_at=state.last_session_at,
        trend=trend,
        fade_percent_per_year=fade.percent_per_year if fade else None,
        reaches_80_percent_on=_reaches(80.0, estimate, fade, anchor, policy),
        reaches_70_percent_on=_reaches(70.0, estimate, fade, anchor, policy),
        dc_fast_energy_share=(state.dc_energy_delivered_kwh / state.energy_delivered_kwh
                              if state.energy_delivered_kwh > 0 else None),
        high_soc_sessions=state.high_soc_sessions,
        deep_discharge_sessions=state.deep_discharge_sessions,
        equivalent_full_cycles=state.energy_added_kwh / nominal_capacity_kwh,
    )


def _mid_month(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 15)


def _trend(months: dict[str, list[float]], nominal_kwh: float) -> list[TrendPoint]:
    return [TrendPoint(date=_mid_month(month),
                       state_of_health_percent=statistics.median(samples) / nominal_kwh * 100)
            for month, samples in sorted(months.items()) if samples]


def _window(months: dict[str, list[float]], nominal_kwh: float, fade: _Fade | None,
            anchor: datetime, policy: HealthPolicy) -> list[float]:
    """The recent samples, each moved along the fitted fade to the anchor date."""
    wanted = max(policy.estimate_samples if fade else 0, policy.min_samples)
    kwh_per_year = fade.percent_per_year / 100 * nominal_kwh if fade else 0.0
    chosen: list[float] = []
    newest_first = [(month, samples) for month, samples in sorted(months.items(), reverse=True)
                    if samples]
    for used, (month, samples) in enumerate(newest_first):
        if used >= policy.recent_months and len(chosen) >= wanted:
            break
        years = (anchor.date() - _mid_month(month)).days / _DAYS_PER_YEAR
        chosen.extend(sample - kwh_per_year * years for sample in samples)
    return chosen


def _estimate(months: dict[str, list[float]], nominal_kwh: float, fade: _Fade | None,
              anchor: datetime, policy: HealthPolicy) -> _Estimate:
    samples = _window(months, nominal_kwh, fade, anchor, policy)
    center = statistics.median(samples)
    sigma = _MAD_TO_SIGMA * statistics.median(abs(sample - center) for sample in samples)
    half_kwh = _Z95 * _MEDIAN_EFFICIENCY * sigma / math.sqrt(len(samples))
    half = max(half_kwh / nominal_kwh * 100, policy.min_confidence_half_width)
    soh = center / nominal_kwh * 100
    return _Estimate(soh=soh, capacity_kwh=center, low=soh - half, high=soh + half,
                     sample_size=len(samples))


def _fade(trend: list[TrendPoint], delivered: datetime, policy: HealthPolicy) -> _Fade | None:
    settled_from = (delivered + timedelta(days=policy.break_in_days)).date()
    settled = [point for point in trend if point.date >= settled_from]
    for points, after_break_in in ((settled, True), (trend, False)):
        span_days = (points[-1].date - points[0].date).days if points else 0
        if len(points) >= policy.min_trend_months and span_days >= policy.min_trend_span_days:
            # A battery does not gain capacity; an upward fit is noise, reported as no fade.
            return _Fade(max(-_theil_sen_slope(points), 0.0), span_days, after_break_in)
    return None


def _theil_sen_slope(points: Sequence[TrendPoint]) -> float:
    """SoH points per year: the median of the pairwise slopes, which outliers barely move."""
    return statistics.median(
        (b.state_of_health_percent - a.state_of_health_percent)
        / ((b.date - a.date).days / _DAYS_PER_YEAR)
        for a, b in itertools.combinations(points, 2))


def _status(estimate: _Estimate | None, fade: _Fade | None, age_years: float,
            policy: HealthPolicy) -> HealthStatus:
    if estimate is None:
        return HealthStatus.INSUFFICIENT_DATA
    behind = estimate.soh < policy.expected_soh(age_years) - policy.tolerance_points
    fast = (fade is not None and fade.after_break_in
            and fade.span_days >= policy.fade_rule_min_span_days
            and fade.percent_per_year
            > policy.expected_fade_per_year + policy.fade_tolerance_per_year)
    return HealthStatus.FASTER_THAN_EXPECTED if behind or fast else HealthStatus.NORMAL


def _reaches(level: float, estimate: _Estimate | None, fade: _Fade | None, anchor: datetime,
             policy: HealthPolicy) -> date | None:
    if estimate is None or fade is None or fade.percent_per_year <= 0 or estimate.soh <= level:
        return None
    years = (estimate.soh - level) / fade.percent_per_year
    if years > policy.forecast_horizon_years:
        return None
    return (anchor + timedelta(days=years * _DAYS_PER_YEAR)).date()


@dataclass(frozen=True, slots=True)
class BatteryHealthBelowThreshold(DomainEvent):
    vehicle_id: str
    threshold: float
    state_of_health_percent: float


@dataclass(frozen=True, slots=True)
class BatteryFadingFasterThanExpected(DomainEvent):
    vehicle_id: str
    fade_percent_per_year: float | None
    state_of_health_percent: float


def health_events(vehicle_id: str, before: BatteryHealth, after: BatteryHealth, at: datetime,
                  policy: HealthPolicy = DEFAULT_POLICY) -> list[DomainEvent]:
    """Events for changes only, so each notification goes out once per crossing.

    One BatteryHealthBelowThreshold per threshold the SoH fell below since `before` (highest
    threshold first; an unknown SoH before counts as above), and BatteryFadingFasterThanExpected
    when the status has just become FASTER_THAN_EXPECTED.
    """
    soh = after.state_of_health_percent
    if soh is None:
        return []
    was = before.state_of_health_percent
    events: list[DomainEvent] = [
        BatteryHealthBelowThreshold(at=at, vehicle_id=vehicle_id, threshold=threshold,
                                    state_of_health_percent=soh)
        for threshold in sorted(policy.low_soh_thresholds, reverse=True)
        if soh < threshold and (was is None or was >= threshold)
    ]
    if (after.status is HealthStatus.FASTER_THAN_EXPECTED
            and before.status is not HealthStatus.FASTER_THAN_EXPECTED):
        events.append(BatteryFadingFasterThanExpected(
            at=at, vehicle_id=vehicle_id, fade_percent_per_year=after.fade_percent_per_year,
            state_of_health_percent=soh))
    return events
