"""Charging sessions: what the car or the charging backend reports, checked for plausibility."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from domain import validation
from domain.catalogue import VehicleModel
from domain.errors import ImpossibleSession, InvalidInput
from domain.events import DomainEvent
from domain.geo import GeoPoint
from domain.ids import new_id
from domain.tariffs import HomeTariff, session_cost

MAX_SESSION = timedelta(days=7)
CLOCK_SKEW = timedelta(minutes=10)
MAX_TEXT = 100
# Metered energy beyond the SoC window's share of the battery, allowing for charging losses,
# SoC rounding and battery heating; more than this cannot have entered this battery.
ENERGY_SLACK_FACTOR = 1.35
ENERGY_SLACK_KWH = 2.0
POWER_SLACK_FACTOR = 1.15


class LocationType(StrEnum):
    HOME = "HOME"
    WORK = "WORK"
    PUBLIC_AC = "PUBLIC_AC"
    PUBLIC_DC = "PUBLIC_DC"

    @property
    def is_dc(self) -> bool:
        return self is LocationType.PUBLIC_DC


class CostSource(StrEnum):
    REPORTED = "REPORTED"
    HOME_TARIFF = "HOME_TARIFF"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True, slots=True)
class SessionReport:
    external_id: str
    started_at: datetime
    ended_at: datetime
    location_type: LocationType
    energy_delivered_kwh: float
    soc_start_percent: float
    soc_end_percent: float
    energy_added_kwh: float | None = None
    peak_power_kw: float | None = None
    cost: float | None = None
    currency: str | None = None
    station_id: str | None = None
    operator: str | None = None
    location: GeoPoint | None = None
    battery_temp_c: float | None = None


class ChargingSession(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    vehicle_id: str
    external_id: str
    started_at: datetime
    ended_at: datetime
    location_type: LocationType
    energy_delivered_kwh: float
    energy_added_kwh: float | None = None
    soc_start_percent: float
    soc_end_percent: float
    peak_power_kw: float | None = None
    cost: float | None = None
    currency: str | None = None
    cost_source: CostSource = CostSource.UNKNOWN
    station_id: str | None = None
    operator: str | None = None
    location: GeoPoint | None = None
    battery_temp_c: float | None = None
    created_at: datetime

    @property
    def duration_minutes(self) -> float:
        return (self.ended_at - self.started_at).total_seconds() / 60

    @property
    def average_power_kw(self) -> float:
        hours = self.duration_minutes / 60
        return self.energy_delivered_kwh / hours if hours > 0 else 0.0

    @property
    def cost_per_kwh(self) -> float | None:
        if self.cost is None or self.energy_delivered_kwh <= 0:
            return None
        return self.cost / self.energy_delivered_kwh


@dataclass(frozen=True, slots=True)
class Pricing:
    """What prices a session that arrives without a cost: the owner's home tariff."""

    tariff: HomeTariff | None
    timezone: str


@dataclass(frozen=True, slots=True)
class ChargingSessionRecorded(DomainEvent):
    session_id: str
    vehicle_id: str
    location_type: LocationType
    energy_delivered_kwh: float
    soc_end_percent: float


def accept(report: SessionReport, vehicle_id: str, model: VehicleModel, pricing: Pricing,
           now: datetime) -> ChargingSession:
    """The stored session, or ImpossibleSession/InvalidInput naming the first bad field."""
    started, ended = _times(report, now)
    _check_soc(report)
    _check_energy(report, model)
    _check_power(report, model, started, ended)
    cost, currency, source = _cost(report, pricing, started, ended)
    return ChargingSession(
        id=new_id(started), vehicle_id=vehicle_id,
        external_id=validation.bounded(report.external_id, "externalId", max_len=MAX_TEXT),
        started_at=started, ended_at=ended, location_type=report.location_type,
        energy_delivered_kwh=report.energy_delivered_kwh, energy_added_kwh=report.energy_added_kwh,
        soc_start_percent=report.soc_start_percent, soc_end_percent=report.soc_end_percent,
        peak_power_kw=report.peak_power_kw, cost=cost, currency=currency, cost_source=source,
        station_id=validation.optional_bounded(report.station_id, "stationId", max_len=MAX_TEXT),
        operator=validation.optional_bounded(report.operator, "operator", max_len=MAX_TEXT),
        location=report.location, battery_temp_c=_battery_temp(report.battery_temp_c),
        created_at=now,
    )


def _times(report: SessionReport, now: datetime) -> tuple[datetime, datetime]:
    started, ended = (validation.utc(report.started_at, "startedAt"),
                      validation.utc(report.ended_at, "endedAt"))
    if ended <= started:
        raise ImpossibleSession("endedAt must be after startedAt", field="endedAt")
    if ended - started > MAX_SESSION:
        raise ImpossibleSession("a session cannot last more than 7 days", field="endedAt")
    if ended > now + CLOCK_SKEW:
        raise ImpossibleSession("endedAt is in the future", field="endedAt")
    return started, ended


def _check_soc(report: SessionReport) -> None:
    for field, value in (("socStartPercent", report.soc_start_percent),
                         ("socEndPercent", report.soc_end_percent)):
        if not 0 <= value <= 100:
            raise ImpossibleSession(f"{field} must be between 0 and 100", field=field)
    if report.soc_end_percent < report.soc_start_percent:
        raise ImpossibleSession("socEndPercent is below socStartPercent", field="socEndPercent")


def _check_energy(report: SessionReport, model: VehicleModel) -> None:
    window = (report.soc_end_percent - report.soc_start_percent) / 100
    most = model.battery_capacity_kwh * window * ENERGY_SLACK_FACTOR + ENERGY_SLACK_KWH
    for field, value in (("energyDeliveredKwh", report.energy_delivered_kwh),
                         ("energyAddedKwh", report.energy_added_kwh)):
        if value is None:
            continue
        if value < 0:
            raise ImpossibleSession(f"{field} cannot be negative", field=field)
        if value > most:
            raise ImpossibleSession(
                f"{field} {value:g} kWh is more than this battery can take in that SoC window "
                f"(at most {most:.1f} kWh)", field=field)


def _check_power(report: SessionReport, model: VehicleModel, started: datetime,
                 ended: datetime) -> None:
    limit = (model.max_dc_power_kw if report.location_type.is_dc else model.max_ac_power_kw)
    limit *= POWER_SLACK_FACTOR
    hours = (ended - started).total_seconds() / 3600
    if report.energy_delivered_kwh / hours > limit:
        raise ImpossibleSession(f"average power is above what this car accepts ({limit:.0f} kW)",
                                field="energyDeliveredKwh")
    if report.peak_power_kw is not None and not 0 <= report.peak_power_kw <= limit:
        raise ImpossibleSession(f"peakPowerKw must be between 0 and {limit:.0f} kW",
                                field="peakPowerKw")


def _cost(report: SessionReport, pricing: Pricing, started: datetime,
          ended: datetime) -> tuple[float | None, str | None, CostSource]:
    if report.cost is not None:
        if not 0 <= report.cost <= 10_000:
            raise InvalidInput("cost must be between 0 and 10000", field="cost")
        if report.currency is None:
            raise InvalidInput("a cost needs its currency", field="currency")
        return report.cost, validation.currency_code(report.currency), CostSource.REPORTED
    if report.location_type is LocationType.HOME and pricing.tariff is not None:
        cost = session_cost(pricing.tariff, started, ended, report.energy_delivered_kwh,
                            ZoneInfo(pricing.timezone))
        return cost, pricing.tariff.currency, CostSource.HOME_TARIFF
    return None, None, CostSource.UNKNOWN


def _battery_temp(value: float | None) -> float | None:
    if value is not None and not -50 <= value <= 90:
        raise InvalidInput("batteryTempC must be between -50 and 90", field="batteryTempC")
    return value
