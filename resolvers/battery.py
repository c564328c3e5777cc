"""Battery health: the Vehicle.batteryHealth field and its types."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol, Self

import strawberry
from strawberry.types import Info

from domain import battery
from domain.battery import BatteryState, HealthStatus
from resolvers.catalogue import VehicleModel
from resolvers.context import Context

strawberry.enum(HealthStatus, description="How the battery is ageing.")


class VehicleRoot(Protocol):
    id: str
    model: VehicleModel
    delivered_at: datetime


@strawberry.type(description="A state-of-health interval (95%), percent.")
class Confidence:
    low: float = strawberry.field(description="Lower bound, percent.")
    high: float = strawberry.field(description="Upper bound, percent.")


@strawberry.type(description="The monthly median state of health.")
class TrendPoint:
    date: date = strawberry.field(description="The 15th of the month.")
    state_of_health_percent: float = strawberry.field(description="Median SoH that month.")


@strawberry.type(description="When the state of health is forecast to reach a level.")
class HealthForecast:
    reaches_80_percent_on: date | None = strawberry.field(
        name="reaches80PercentOn", description="Null when not measurable or already reached.")
    reaches_70_percent_on: date | None = strawberry.field(
        name="reaches70PercentOn", description="70% is a common warranty line.")


@strawberry.type(description="Habits that age a battery faster.")
class BatteryStress:
    dc_fast_energy_share: float | None = strawberry.field(
        description="Share of energy from DC fast charging, 0..1.")
    high_soc_sessions: int = strawberry.field(description="Sessions ending above 90%.")
    deep_discharge_sessions: int = strawberry.field(description="Sessions starting below 10%.")
    equivalent_full_cycles: float = strawberry.field(
        description="Energy into the battery / nominal capacity.")


@strawberry.type(description="Battery state of health estimated from charging sessions.")
class BatteryHealth:
    status: HealthStatus = strawberry.field(
        description="INSUFFICIENT_DATA, NORMAL or FASTER_THAN_EXPECTED (for the car's age).")
    state_of_health_percent: float | None = strawberry.field(
        description="Estimated usable capacity / nominal capacity, percent.")
    estimated_capacity_kwh: float | None = strawberry.field(description="Usable capacity now.")
    nominal_capacity_kwh: float = strawberry.field(description="As new.")
    confidence: Confidence | None = strawberry.field(description="95% interval of the SoH.")
    sample_size: int = strawberry.field(description="Sessions behind the current estimate.")
    last_estimated_at: datetime | None = strawberry.field(description="Latest session used.")
    trend: list[TrendPoint] = strawberry.field(description="Monthly SoH, ascending.")
    fade_percent_per_year: float | None = strawberry.field(
        description="SoH points lost per year (robust fit over the monthly trend).")
    forecast: HealthForecast = strawberry.field(description="Threshold dates.")
    stress: BatteryStress = strawberry.field(description="Stress factors.")

    @classmethod
    def from_domain(cls, h: battery.BatteryHealth) -> Self:
        interval = (Confidence(low=round(h.confidence_low, 2), high=round(h.confidence_high, 2))
                    if h.confidence_low is not None and h.confidence_high is not None else None)
        return cls(
            status=h.status, state_of_health_percent=_rounded(h.state_of_health_percent, 2),
            estimated_capacity_kwh=_rounded(h.estimated_capacity_kwh, 2),
            nominal_capacity_kwh=h.nominal_capacity_kwh, confidence=interval,
            sample_size=h.sample_size, last_estimated_at=h.last_estimated_at,
            trend=[TrendPoint(date=p.date, state_of_health_percent=round(p.state_of_health_percent,
                                                                         2)) for p in h.trend],
            fade_percent_per_year=_rounded(h.fade_percent_per_year, 3),
            forecast=HealthForecast(reaches_80_percent_on=h.reaches_80_percent_on,
                                    reaches_70_percent_on=h.reaches_70_percent_on),
            stress=BatteryStress(dc_fast_energy_share=_rounded(h.dc_fast_energy_share, 4),
                                 high_soc_sessions=h.high_soc_sessions,
                                 deep_discharge_sessions=h.deep_discharge_sessions,
                                 equivalent_full_cycles=round(h.equivalent_full_cycles, 2)))


def _rounded(value: float | None, digits: int) -> float | None:
    """Estimates carry no more precision than this; clients should not see float noise."""
    return None if value is None else round(value, digits)


async def battery_health_of(root: strawberry.Parent[VehicleRoot],
                            info: Info[Context, None]) -> BatteryHealth:
    context = info.context
    state = await context.loaders.battery.load(root.id) or BatteryState()
    health = battery.assess(state, root.model.battery_capacity_kwh, root.delivered_at,
                            context.deps.health_policy)
    return BatteryHealth.from_domain(health)
