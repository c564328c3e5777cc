"""Deterministic demo data: the same seed and count always give the same owners, vehicles, home
tariffs and charging histories (simulated day by day, with each battery's own fade)."""

from __future__ import annotations

import itertools
import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain import charging
from domain.battery import ChargingEfficiency
from domain.catalogue import CATALOGUE, VehicleModel, find_model
from domain.charging import (
    ChargingSession,
    ChargingSessionRecorded,
    LocationType,
    Pricing,
    SessionReport,
)
from domain.events import DomainEvent
from domain.geo import GeoPoint, point
from domain.ids import new_id
from domain.owners import Owner
from domain.pagination import PageRequest
from domain.stations import demo_network
from domain.tariffs import HomeTariff, TariffWindow, tariff, tariff_window
from domain.vehicles import Vehicle
from services.charging import update_battery_health
from services.demo_centers import seed_service_network
from services.demo_ota import seed_ota
from services.deps import Deps
from services.journey import record_history

_FIRST = ("Ana", "Ben", "Chloé", "Dev", "Elif", "Femi", "Greta", "Hiro", "Ines", "Jonas",
          "Kira", "Luca", "Maya", "Nils", "Olu", "Priya", "Quinn", "Rosa", "Sami", "Tove")
_LAST = ("Almeida", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Hansen",
         "Ivanova", "Jensen", "Kowalski", "Lindqvist", "Müller", "Nakamura", "Okafor", "Rossi")
_PLACES = (("en-GB", "Europe/London"), ("de-DE", "Europe/Berlin"), ("fr-FR", "Europe/Paris"),
           ("nl-NL", "Europe/Amsterdam"), ("sv-SE", "Europe/Stockholm"), ("es-ES", "Europe/Madrid"),
           ("en-US", "America/New_York"), ("en-US", "America/Los_Angeles"))
_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_SOFTWARE = ("2025.44.1", "2026.8.2", "2026.20.0", "2026.32.1")
# Reference time for generated histories, so a seed means the same data on any day.
EPOCH = datetime.fromisoformat("2026-11-01T00:00:00+00:00")


@dataclass(frozen=True, slots=True)
class DemoOwner:
    owner: Owner
    vehicles: list[Vehicle]


def demo_owner_id(seed: int, index: int = 0) -> str:
    """The id of the index-th demo owner for a seed: handy for `evjourney token --owner`."""
    return next(generate(index + 1, seed, start=index)).owner.id


def generate(count: int, seed: int, start: int = 0) -> Iterator[DemoOwner]:
    """Owners as registered (no tariff yet) and their vehicles; see `generate_households`."""
    for index in range(start, count):
        rng = random.Random(f"{seed}:{index}")
        yield _demo_owner(rng, index)


def _demo_owner(rng: random.Random, index: int) -> DemoOwner:
    joined = EPOCH - timedelta(days=rng.randint(10, 4 * 365))
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    locale, timezone = rng.choice(_PLACES)
    owner = Owner(id=new_id(joined, rng), name=f"{first} {last}",
                  email=f"{_ascii(first)}.{_ascii(last)}.{index}@example.com".lower(),
                  locale=locale, timezone=timezone, region=locale.split("-")[1],
                  created_at=joined, updated_at=joined)
    count = rng.choices((1, 2, 3), weights=(80, 17, 3))[0]
    return DemoOwner(owner, [_demo_vehicle(rng, owner, joined) for _ in range(count)])


def _demo_vehicle(rng: random.Random, owner: Owner, joined: datetime) -> Vehicle:
    delivered = min(joined + timedelta(days=rng.randint(0, 60)), EPOCH)
    days_owned = max((EPOCH - delivered).days, 0)
    return Vehicle(
        id=new_id(delivered, rng), vin="".join(rng.choices(_VIN_CHARS, k=17)),
        owner_id=owner.id, model_id=rng.choice(CATALOGUE).id,
        nickname=rng.choice((None, "Daily", "Blue", "Family car", "Sparky")),
        delivered_at=delivered, odometer_km=round(days_owned * rng.uniform(20, 60), 1),
        software_version=rng.choice(_SOFTWARE), created_at=delivered, updated_at=delivered,
    )


def _ascii(name: str) -> str:
    return name.encode("ascii", "ignore").decode()


# --- where owners live: currency, climate, charge point operators ---------------------------


@dataclass(frozen=True, slots=True)
class _Region:
    centre: tuple[float, float]
    country: str
    currency: str
    flat_price: tuple[float, float]  # home electricity per kWh
    climate: tuple[float, float]  # mean air temperature in January and July, degrees C
    fast: tuple[tuple[str, float], ...]  # DC operators and their stations' power, kW
    slow: tuple[str, ...]  # public AC operators


_EU = (0.25, 0.35)
_EU_FAST = (("Ionity", 350.0), ("Fastned", 300.0), ("Allego", 150.0), ("Tesla", 250.0))
_US_FAST = (("Electrify America", 350.0), ("EVgo", 350.0), ("Tesla", 250.0),
            ("ChargePoint", 62.5))
_REGIONS = {
    "Europe/London": _Region((51.51, -0.13), "GB", "GBP", (0.24, 0.32), (5, 19),
                             (("Ionity", 350.0), ("Gridserve", 350.0), ("Tesla", 250.0),
                              ("InstaVolt", 160.0)), ("Pod Point", "Shell Recharge")),
    "Europe/Berlin": _Region((52.52, 13.40), "DE", "EUR", _EU, (0, 20),
                             (*_EU_FAST, ("EnBW", 300.0)), ("Allego", "EnBW")),
    "Europe/Paris": _Region((48.86, 2.35), "FR", "EUR", _EU, (5, 21),
                            (*_EU_FAST, ("TotalEnergies", 175.0)), ("Allego", "Izivia")),
    "Europe/Amsterdam": _Region((52.37, 4.90), "NL", "EUR", _EU, (4, 18), _EU_FAST,
                                ("Vattenfall InCharge", "Allego")),
    "Europe/Stockholm": _Region((59.33, 18.07), "SE", "EUR", _EU, (-3, 18),
                                (*_EU_FAST, ("Circle K", 150.0)), ("Mer", "Circle K")),
    "Europe/Madrid": _Region((40.42, -3.70), "ES", "EUR", _EU, (6, 26),
                             (*_EU_FAST, ("Zunder", 300.0)), ("Iberdrola", "Endesa X")),
    "America/New_York": _Region((40.71, -74.01), "US", "USD", (0.18, 0.30), (0, 25), _US_FAST,
                                ("ChargePoint", "Blink")),
    "America/Los_Angeles": _Region((34.05, -118.24), "US", "USD", (0.22, 0.35), (14, 24),
                                   _US_FAST, ("ChargePoint", "Blink")),
}
# Cheap night windows of time-of-use tariffs, local time.
_NIGHTS = (("00:00", "06:00"), ("23:00", "07:00"), ("00:30", "05:30"), ("01:00", "07:00"))


def _region(timezone: str) -> _Region:
    default = "America/New_York" if timezone.startswith("America/") else "Europe/Berlin"
    return _REGIONS.get(timezone, _REGIONS[default])


def home_tariff(owner: Owner, seed: int) -> HomeTariff | None:
    """Most owners enter their tariff: a flat price, or time of use with a cheap night."""
    rng = random.Random(f"{seed}:{owner.id}:tariff")
    region = _region(owner.timezone)
    if rng.random() < 0.15:
        return None
    price = round(rng.uniform(*region.flat_price), 3)
    if rng.random() < 0.6:
        return tariff(region.currency, price)
    start, end = rng.choice(_NIGHTS)
    night = tariff_window(start, end, round(price * rng.uniform(0.3, 0.6), 3))
    return tariff(region.currency, round(price * 1.1, 3), [night])


def with_home_tariff(owner: Owner, seed: int) -> Owner:
    return owner.model_copy(update={"home_tariff": home_tariff(owner, seed)})


# --- battery truth and charging histories ----------------------------------------------------

HISTORY_YEARS = (1.0, 3.0)
# `now` when demo sessions are accepted: every one of them has ended by then.
ACCEPTED_AT = EPOCH + timedelta(days=1)
SESSION_CHUNK = 500  # sessions per insert_many: one bounded round-trip each
_YEAR = timedelta(days=365.25)
_EFFICIENCY = ChargingEfficiency()
_HOME_KW = 11.0  # a home wallbox gives the car's on-board charger at most this
_MOTORWAY_KMH = 90.0
_MIN_SOC = 3.0


@dataclass(frozen=True, slots=True)
class BatteryTruth:
    """How a demo battery really ages: what a perfect state-of-health estimate would say."""

    nominal_capacity_kwh: float
    delivered_at: datetime
    first_year_fade: float  # share of the capacity lost over the first year
    yearly_fade: float  # share lost each later year

    def state_of_health(self, at: datetime) -> float:
        years = max((at - self.delivered_at) / _YEAR, 0.0)
        lost = self.first_year_fade * min(years, 1.0) + self.yearly_fade * max(years - 1.0, 0.0)
        return 100.0 * (1.0 - lost)

    def capacity_kwh(self, at: datetime) -> float:
        return self.nominal_capacity_kwh * self.state_of_health(at) / 100


@dataclass(frozen=True, slots=True)
class DemoCharging:
    """One vehicle's generated sessions (accepted, as stored) since `history_from`."""

    vehicle: Vehicle
    truth: BatteryTruth
    history_from: datetime
    sessions: list[ChargingSession]


@dataclass(frozen=True, slots=True)
class DemoHousehold:
    owner: Owner  # with its home tariff
    vehicles: list[DemoCharging]


def generate_households(count: int, seed: int, start: int = 0) -> Iterator[DemoHousehold]:
    """`generate`'s owners with home tariffs, and each vehicle's charging history."""
    for item in generate(count, seed, start):
        owner = with_home_tariff(item.owner, seed)
        yield DemoHousehold(owner, [vehicle_charging(owner, v, seed) for v in item.vehicles])


def vehicle_charging(owner: Owner, vehicle: Vehicle, seed: int,
                     years: float | None = None) -> DemoCharging:
    """Sessions through the same plausibility rules and pricing as reported ones."""
    truth, since, reports = charging_reports(owner, vehicle, seed, years)
    model, pricing = _model(vehicle), Pricing(owner.home_tariff, owner.timezone)
    sessions = [charging.accept(report, vehicle.id, model, pricing, ACCEPTED_AT)
                for report in reports]
    return DemoCharging(vehicle, truth, since, sessions)


def charging_reports(owner: Owner, vehicle: Vehicle, seed: int, years: float | None = None
                     ) -> tuple[BatteryTruth, datetime, list[SessionReport]]:
    """The battery's truth, the start of its history and its sessions as a car reports them.

    The history covers 1 to 3 years (or `years`) up to EPOCH, never before delivery.
    """
    rng = random.Random(f"{seed}:{vehicle.id}:charging")
    model = _model(vehicle)
    # A few batteries age clearly faster than the usual 2-5% then 0.8-3% a year, so that
    # FASTER_THAN_EXPECTED shows up in the demo.
    fast = rng.random() < 0.1
    truth = BatteryTruth(
        nominal_capacity_kwh=model.battery_capacity_kwh, delivered_at=vehicle.delivered_at,
        first_year_fade=rng.uniform(0.06, 0.09) if fast else rng.uniform(0.02, 0.05),
        yearly_fade=rng.uniform(0.035, 0.05) if fast else rng.uniform(0.008, 0.03))
    span = _YEAR * (years if years is not None else rng.uniform(*HISTORY_YEARS))
    since = max(vehicle.delivered_at, EPOCH - span)
    return truth, since, _Simulation(rng, owner, vehicle, model, truth).run(since)


def _model(vehicle: Vehicle) -> VehicleModel:
    model = find_model(vehicle.model_id)
    if model is None:
        raise LookupError(f"vehicle {vehicle.id} has unknown model {vehicle.model_id}")
    return model


@dataclass(frozen=True, slots=True)
class _Station:
    operator: str
    station_id: str
    power_kw: float
    price: float | None  # per kWh in the owner's currency; None: not billed to the driver
    location: GeoPoint


class _Simulation:
    """One car's days: driving drains the true state of charge, sessions fill it up again."""

    def __init__(self, rng: random.Random, owner: Owner, vehicle: Vehicle, model: VehicleModel,
                 truth: BatteryTruth) -> None:
        self.rng, self.vehicle, self.model, self.truth = rng, vehicle, model, truth
        self.zone, self.region = ZoneInfo(owner.timezone), _region(owner.timezone)
        days_owned = (EPOCH - vehicle.delivered_at).days
        self.daily_km = (vehicle.odometer_km / days_owned if days_owned > 0
                         else rng.uniform(20, 60))
        self.plug_below, self.habit = rng.uniform(45, 62), rng.uniform(0.1, 0.3)
        windows = owner.home_tariff.windows if owner.home_tariff else ()
        self.night: TariffWindow | None = (windows[0] if windows and rng.random() < 0.85
                                           else None)
        self.works_with_charger = rng.random() < 0.3
        self.public_rate, self.trip_rate = rng.uniform(0.01, 0.04), rng.uniform(1 / 90, 1 / 30)
        lat, lng = self.region.centre
        self.home = (lat + rng.uniform(-0.3, 0.3), lng + rng.uniform(-0.4, 0.4))
        self.away = [self._station(rng.choice(self.region.fast), 0.5, 2.5) for _ in range(6)]
        self.local_fast = self._station(rng.choice(self.region.fast), 0.02, 0.1)
        self.public = [self._station((rng.choice(self.region.slow), 22.0), 0.01, 0.1)
                       for _ in range(2)]
        self.workplace = replace(self._station(("Workplace", 11.0), 0.05, 0.2), price=None)
        self.soc, self.cap, self.ambient = rng.uniform(55, 85), truth.nominal_capacity_kwh, 15.0
        self.busy_until = datetime.min.replace(tzinfo=UTC)
        self.reports: list[SessionReport] = []

    def _station(self, kind: tuple[str, float], near: float, far: float) -> _Station:
        rng, (operator, kw) = self.rng, kind
        distance, bearing = rng.uniform(near, far), rng.uniform(0, 2 * math.pi)
        lat = self.home[0] + distance * math.sin(bearing)
        lng = self.home[1] + distance * math.cos(bearing) * 1.6
        code = "".join(c for c in operator.upper() if c.isalpha())[:3]
        price = rng.uniform(0.45, 0.79) if kw > 50 else rng.uniform(0.29, 0.55)
        return _Station(operator, f"{self.region.country}*{code}*E{rng.randint(10_000, 99_999)}",
                        kw, round(price, 2), point(round(lat, 4), round(lng, 4)))

    def run(self, since: datetime) -> list[SessionReport]:
        first = since.astimezone(self.zone).date() + timedelta(days=1)
        days = [first + timedelta(days=n) for n in range((EPOCH.date() - first).days + 1)]
        trips = {day for day in days if self.rng.random() < self.trip_rate}
        for day in days:
            self._day(day, day in trips, day + timedelta(days=1) in trips)
        return self.reports

    def _day(self, day: date, trip: bool, trip_tomorrow: bool) -> None:
        rng = self.rng
        self.cap = self.truth.capacity_kwh(self._at(day, 12))
        january, july = self.region.climate
        cold = (1 + math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365.25)) / 2
        self.ambient = july - (july - january) * cold + rng.uniform(-4, 4)
        # Cabin and battery heating: about a third more at -10 C (DOMAIN.md).
        per_km = (self.model.efficiency_wh_per_km / 1000 * rng.uniform(0.95, 1.05)
                  * (1 + 0.012 * max(18 - self.ambient, 0)))
        if trip:
            self._trip(day, per_km * 1.25)  # motorway speeds
        else:
            km = self.daily_km * (1.1 if day.weekday() < 5 else 0.75) * rng.uniform(0.5, 1.5)
            self._drive(day, km / 2, per_km)
            if self.works_with_charger and day.weekday() < 5 and rng.random() < 0.2:
                self._ac_stop(LocationType.WORK, self._at(day, rng.uniform(8, 9.5)),
                              rng.uniform(4, 8), self.workplace)
            elif rng.random() < self.public_rate:
                self._ac_stop(LocationType.PUBLIC_AC, self._at(day, rng.uniform(10, 16)),
                              rng.uniform(1, 3), rng.choice(self.public))
            self._drive(day, km / 2, per_km)
        self._evening(day, trip_tomorrow)

    def _at(self, day: date, hours: float) -> datetime:
        local = datetime.combine(day, time(), self.zone) + timedelta(hours=hours)
        return local.astimezone(UTC)

    def _drive(self, day: date, km: float, per_km: float) -> None:
        drain = km * per_km / self.cap * 100
        if self.soc - drain < 10:  # not enough for today: a quick top-up nearby
            self._fast(self._at(day, self.rng.uniform(12, 14)), self.local_fast,
                       self.rng.uniform(60, 80))
        self.soc = max(self.soc - drain, _MIN_SOC)

    def _trip(self, day: date, per_km: float) -> None:
        rng = self.rng
        clock, km_left = self._at(day, rng.uniform(7.5, 9.5)), rng.uniform(200, 550)
        for _ in range(10):
            reserve = rng.uniform(6, 10) if rng.random() < 0.05 else rng.uniform(10, 30)
            reach = max(self.soc - reserve, 0) / 100 * self.cap / per_km
            if reach >= km_left:
                break
            km_left -= reach
            self.soc = min(self.soc, reserve)
            clock += timedelta(hours=reach / _MOTORWAY_KMH)
            clock = self._fast(clock, rng.choice(self.away), rng.uniform(70, 85))
        self.soc = max(self.soc - km_left * per_km / self.cap * 100, _MIN_SOC)

    def _evening(self, day: date, trip_tomorrow: bool) -> None:
        rng = self.rng
        if not (trip_tomorrow or self.soc < self.plug_below
                or (self.soc < 60 and rng.random() < self.habit)):
            return
        high = trip_tomorrow or rng.random() < 0.12
        target = rng.choice((90.0, 95.0, 100.0)) if high else 80.0
        if target - self.soc < 5:
            return
        start = self._at(day, rng.triangular(17.5, 23.0, 19.0))
        if self.night is not None:  # the car waits for the cheap night window
            window_start = self.night.start.hour + self.night.start.minute / 60
            scheduled = self._at(day, window_start)
            start = scheduled if scheduled >= start else self._at(day, window_start + 24)
        power = min(self.model.max_ac_power_kw, _HOME_KW) * rng.uniform(0.93, 0.99)
        self._session(LocationType.HOME, start, target, power, None)

    def _ac_stop(self, kind: LocationType, start: datetime, parked_hours: float,
                 station: _Station) -> None:
        power = min(self.model.max_ac_power_kw, station.power_kw) * self.rng.uniform(0.9, 0.99)
        reachable = self.soc + power * parked_hours * _EFFICIENCY.ac / self.cap * 100
        target = min(self.rng.choice((80.0, 90.0, 100.0)), reachable)
        if target - self.soc >= 5:
            self._session(kind, start, target, power, station)

    def _fast(self, clock: datetime, station: _Station, target: float) -> datetime:
        return self._session(LocationType.PUBLIC_DC, clock, target, station.power_kw, station)

    def _session(self, kind: LocationType, start: datetime, target: float, power_kw: float,
                 station: _Station | None) -> datetime:
        """Charges from the current SoC to `target`; returns when it ended."""
        rng, dc = self.rng, kind.is_dc
        start = max(start, self.busy_until + timedelta(minutes=10))
        into = (target - self.soc) / 100 * self.cap
        delivered = into / (_EFFICIENCY.dc if dc else _EFFICIENCY.ac) * rng.uniform(0.98, 1.02)
        hours, peak = (self._dc_hours(target, power_kw) if dc
                       else (delivered / power_kw + rng.uniform(0.05, 0.2), power_kw))
        ended = start + timedelta(hours=hours)
        car_reports = rng.random() < 0.5
        price = station.price if station else None
        cost = round(delivered * price, 2) if price is not None else None
        report = SessionReport(
            external_id=f"demo-{self.vehicle.id}-{len(self.reports)}", started_at=start,
            ended_at=ended, location_type=kind, energy_delivered_kwh=round(delivered, 2),
            soc_start_percent=float(round(self.soc)), soc_end_percent=float(round(target)),
            energy_added_kwh=round(into * rng.uniform(0.99, 1.01), 2) if car_reports else None,
            peak_power_kw=round(peak, 1), cost=cost,
            currency=self.region.currency if cost is not None else None,
            station_id=station.station_id if station else None,
            operator=station.operator if station else None,
            location=station.location if station else None,
            battery_temp_c=(round(self.ambient + (rng.uniform(12, 25) if dc else rng.uniform(2, 8)),
                                  1) if car_reports else None))
        self.soc, self.busy_until = target, ended
        if ended <= EPOCH:
            self.reports.append(report)
        return ended

    def _dc_hours(self, target: float, station_kw: float) -> tuple[float, float]:
        """Time along the model's DC curve (a cold battery takes less); and the peak power."""
        derate = self.rng.uniform(0.85, 1.0) * max(1 - 0.02 * max(10 - self.ambient, 0), 0.6)
        hours, peak, soc = self.rng.uniform(2, 5) / 60, 0.0, self.soc
        while soc < target:
            step = min(1.0, target - soc)
            kw = min(self.model.dc_power_at(soc + step / 2), station_kw) * derate
            hours += self.cap * step / 100 / _EFFICIENCY.dc / kw
            peak, soc = max(peak, kw), soc + step
        return hours, peak


# --- seeding ---------------------------------------------------------------------------------


async def seed_demo(
    deps: Deps, count: int, seed: int, progress: Callable[[int], None] | None = None,
    batch: int = 500,
) -> int:
    """Writes `count` demo owners with their vehicles, charging, service and update histories,
    and the journey timeline of that history, in batches of owners (so memory does not grow
    with `count`); returns vehicles written."""
    written = 0
    for chunk in itertools.batched(generate(count, seed), batch, strict=False):
        owners = [with_home_tariff(item.owner, seed) for item in chunk]
        await deps.owners.add_many(owners)
        vehicles = [vehicle for item in chunk for vehicle in item.vehicles]
        await deps.vehicles.add_many(vehicles)
        history: list[DomainEvent] = []
        await seed_service_network(deps, vehicles, {o.id: o.timezone for o in owners}, seed,
                                   history)
        history += await _seed_charging(deps, seed, zip(owners, chunk, strict=True))
        await seed_ota(deps, vehicles, seed, history)
        # Straight to the timeline, not through deps.events: history must notify no one.
        await record_history(deps, history, {v.id: v.owner_id for v in vehicles})
        written += len(vehicles)
        if progress:
            progress(len(chunk))
    return written


async def _seed_charging(deps: Deps, seed: int, owners: Iterator[tuple[Owner, DemoOwner]]
                         ) -> list[ChargingSessionRecorded]:
    """Stores the owners' charging histories; returns the sessions written as events."""
    pending: list[DemoCharging] = []
    recorded: list[ChargingSessionRecorded] = []
    for owner, item in owners:
        pending.extend(vehicle_charging(owner, vehicle, seed) for vehicle in item.vehicles)
        if sum(len(history.sessions) for history in pending) >= SESSION_CHUNK:
            recorded += await _store_charging(deps, pending)
            pending = []
    return recorded + await _store_charging(deps, pending)


async def _store_charging(deps: Deps, histories: Sequence[DemoCharging]
                          ) -> list[ChargingSessionRecorded]:
    """The path reported sessions take: add_many, then one battery update per vehicle."""
    sessions = [session for history in histories for session in history.sessions]
    stored: dict[str, list[ChargingSession]] = defaultdict(list)
    for part in itertools.batched(sessions, SESSION_CHUNK, strict=False):
        for session, created in await deps.charging.add_many(part):
            if created:
                stored[session.vehicle_id].append(session)
    for history in histories:
        if new := stored.get(history.vehicle.id):
            await update_battery_health(deps, history.vehicle, new, ACCEPTED_AT)
    return [_recorded(session) for new in stored.values() for session in new]


def _recorded(session: ChargingSession) -> ChargingSessionRecorded:
    """The event of a stored session, when the car would have reported it: at its end (live
    ones carry the time they arrived, but ACCEPTED_AT would pile the whole history up there)."""
    return ChargingSessionRecorded(
        at=session.ended_at, session_id=session.id, vehicle_id=session.vehicle_id,
        location_type=session.location_type, energy_delivered_kwh=session.energy_delivered_kwh,
        soc_end_percent=session.soc_end_percent)


async def store_is_empty(deps: Deps) -> bool:
    probe = await deps.owners.page(PageRequest(first=0), None)
    return not probe.has_next


async def seed_demo_if_empty(deps: Deps, count: int, seed: int) -> int:
    """Seeds only a store without owners; returns vehicles written (0 if it had data)."""
    return await seed_demo(deps, count, seed) if await store_is_empty(deps) else 0


DEMO_STATIONS = 2000


async def seed_station_network(deps: Deps, seed: int, count: int = DEMO_STATIONS) -> int:
    """A synthetic public charging network along European corridors and in cities."""
    inserted, _ = await deps.stations.upsert_many(demo_network(seed, count))
    return inserted
