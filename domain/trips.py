"""Trip planning: where to charge, and how much, to arrive soonest with the SoC above reserves.

`plan_trip` is exact over a discretised state of charge: a label-setting (Dijkstra) search over
nodes (point on the route, SoC level) with elapsed minutes as cost. Driving goes forward along
the route (stations projected onto the origin -> waypoints -> destination line, waypoints are
mandatory); at a station the car may charge to any level up to `max_charge_to`. Labels floor the
SoC to the grid (the departure SoC is used exactly), so the reported plan, recomputed with
exact SoC, is never below a reserve.
`greedy_plan` is the naive baseline: drive on, charge to `max_charge_to` at the last reachable
station.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from domain.catalogue import VehicleModel
from domain.errors import InvalidInput
from domain.events import DomainEvent
from domain.geo import EARTH_RADIUS_KM, GeoPoint, distance_km
from domain.range import REFERENCE, Conditions, leg_energy_kwh

AC_LIMIT_KW = 50.0  # stations below this are AC: the on-board charger limits power
DC_EFFICIENCY = 0.95
AC_EFFICIENCY = 0.90
_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Station:
    id: str
    name: str
    operator: str | None
    location: GeoPoint
    max_power_kw: float
    price_per_kwh: float | None
    currency: str | None


def _check_soc(value: float, field_name: str) -> None:
    if not 0 <= value <= 100:
        raise InvalidInput(f"{field_name} must be between 0 and 100", field=field_name)


@dataclass(frozen=True, slots=True)
class TripRequest:
    origin: GeoPoint
    destination: GeoPoint
    waypoints: tuple[GeoPoint, ...] = ()
    departure_soc: float = 90
    arrival_reserve_soc: float = 10
    charge_stop_reserve_soc: float = 10
    max_charge_to: float = 90
    conditions: Conditions = REFERENCE
    preferred_operators: tuple[str, ...] = ()
    depart_at: datetime | None = None  # known: a reminder to charge the night before
    consumption_scale: float = 1.0  # the car's measured consumption / its model's rated one

    def __post_init__(self) -> None:
        _check_soc(self.departure_soc, "departureSocPercent")
        _check_soc(self.arrival_reserve_soc, "arrivalReserveSocPercent")
        _check_soc(self.charge_stop_reserve_soc, "chargeStopReserveSocPercent")
        _check_soc(self.max_charge_to, "maxChargeToPercent")
        if not 0.3 <= self.consumption_scale <= 3.0:
            raise InvalidInput("consumptionScale must be between 0.3 and 3",
                               field="consumptionScale")
        if self.depart_at is not None and self.depart_at.utcoffset() is None:
            raise InvalidInput("departAt needs a time zone offset", field="departAt")
        if self.max_charge_to <= self.charge_stop_reserve_soc:
            raise InvalidInput(
                "maxChargeToPercent must be above chargeStopReserveSocPercent",
                field="maxChargeToPercent",
            )
        if len(self.waypoints) > 25:
            raise InvalidInput("at most 25 waypoints", field="waypoints")


@dataclass(frozen=True, slots=True)
class PlanSettings:
    detour_factor: float = 1.25
    stop_overhead_minutes: float = 5.0
    soc_step: float = 5.0
    max_station_detour_km: float = 30.0
    non_preferred_penalty_minutes: float = 10.0  # search cost only, when operators are preferred
    # Candidate pruning: per stretch of route, only the most powerful stations enter the search.
    # A weaker station within the same few km is (nearly) dominated: it can only charge slower.
    bucket_km: float = 10.0
    stations_per_bucket: int = 2

    def __post_init__(self) -> None:
        if not 1 <= self.detour_factor <= 3:
            raise InvalidInput("detourFactor must be between 1 and 3", field="detourFactor")
        if not 0.5 <= self.soc_step <= 25:
            raise InvalidInput("socStep must be between 0.5 and 25", field="socStep")
        if self.stop_overhead_minutes < 0 or self.non_preferred_penalty_minutes < 0:
            raise InvalidInput("minutes must not be negative", field="stopOverheadMinutes")
        if self.max_station_detour_km < 0:
            raise InvalidInput("must not be negative", field="maxStationDetourKm")


class Distances(Protocol):
    """Driving distance between two points; never shorter than the great-circle distance."""

    def km(self, a: GeoPoint, b: GeoPoint) -> float: ...


@dataclass(frozen=True, slots=True)
class GreatCircle:
    detour_factor: float = 1.25

    def km(self, a: GeoPoint, b: GeoPoint) -> float:
        return self.detour_factor * distance_km(a, b)


@dataclass(frozen=True, slots=True)
class Leg:
    start: GeoPoint
    end: GeoPoint
    distance_km: float
    drive_minutes: float
    energy_kwh: float
    start_soc: float
    end_soc: float


@dataclass(frozen=True, slots=True)
class ChargingStop:
    station: Station
    arrive_soc: float
    depart_soc: float
    charge_minutes: float
    energy_kwh: float  # from the charger (the meter), losses included
    estimated_cost: float | None


@dataclass(frozen=True, slots=True)
class TripPlan:
    feasible: bool
    reason: str | None
    total_distance_km: float = 0.0
    drive_minutes: float = 0.0
    charge_minutes: float = 0.0
    total_minutes: float = 0.0
    energy_used_kwh: float = 0.0
    arrival_soc: float = 0.0
    estimated_cost: float | None = None
    legs: tuple[Leg, ...] = ()
    charging_stops: tuple[ChargingStop, ...] = ()
    warnings: tuple[str, ...] = field(default=())


# --- charging ---------------------------------------------------------------------------------


def _battery_power_kw(model: VehicleModel, station_kw: float, soc: float) -> float:
    if station_kw < AC_LIMIT_KW:
        return min(station_kw, model.max_ac_power_kw) * AC_EFFICIENCY
    return min(model.dc_power_at(soc), model.max_dc_power_kw, station_kw * DC_EFFICIENCY)


def _cumulative_minutes(model: VehicleModel, station_kw: float, usable_kwh: float) -> list[float]:
    """Minutes to charge from 0% to each whole percent (power taken mid-step)."""
    cumulative = [0.0]
    for percent in range(100):
        power = max(_battery_power_kw(model, station_kw, percent + 0.5), 0.1)
        cumulative.append(cumulative[-1] + usable_kwh / 100 / power * 60)
    return cumulative


def _at(cumulative: list[float], soc: float) -> float:
    soc = min(100.0, max(0.0, soc))
    low = min(int(soc), 99)
    return cumulative[low] + (soc - low) * (cumulative[low + 1] - cumulative[low])


def charge_minutes(
    model: VehicleModel, station: Station, from_soc: float, to_soc: float, usable_kwh: float
) -> float:
    """Minutes to charge, integrating the charging power over 1% steps."""
    if to_soc <= from_soc:
        return 0.0
    cumulative = _cumulative_minutes(model, station.max_power_kw, usable_kwh)
    return _at(cumulative, to_soc) - _at(cumulative, from_soc)


def _meter_energy_kwh(station: Station, battery_kwh: float) -> float:
    efficiency = AC_EFFICIENCY if station.max_power_kw < AC_LIMIT_KW else DC_EFFICIENCY
    return battery_kwh / efficiency


# --- route geometry ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Node:
    point: GeoPoint
    station: Station | None
    position_km: float  # along the straight route line
    mandatory: bool


def _bearing(a: GeoPoint, b: GeoPoint) -> float:
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    d_lambda = math.radians(b.lng - a.lng)
    y = math.sin(d_lambda) * math.cos(phi2)
    x = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(d_lambda)
    return math.atan2(y, x)


def _project(a: GeoPoint, b: GeoPoint, p: GeoPoint) -> tuple[float, float]:
    """(distance from the segment a-b, along-track km clamped to the segment), great circle."""
    length = distance_km(a, b)
    to_p = distance_km(a, p)
    if length < _EPS or to_p < _EPS:
        return to_p, 0.0
    angle = _bearing(a, p) - _bearing(a, b)
    cross = math.asin(max(-1.0, min(1.0, math.sin(to_p / EARTH_RADIUS_KM) * math.sin(angle))))
    ratio = math.cos(to_p / EARTH_RADIUS_KM) / max(math.cos(cross), _EPS)
    along = math.acos(max(-1.0, min(1.0, ratio))) * EARTH_RADIUS_KM
    if math.cos(angle) < 0:
        return to_p, 0.0
    if along > length:
        return distance_km(b, p), length
    return abs(cross) * EARTH_RADIUS_KM, along


def _route_nodes(
    request: TripRequest, stations: Sequence[Station], max_detour_km: float,
    settings: PlanSettings | None = None,
) -> list[_Node]:
    corners = [request.origin, *request.waypoints, request.destination]
    starts = [0.0]
    for a, b in itertools.pairwise(corners):
        starts.append(starts[-1] + distance_km(a, b))
    keyed: list[tuple[tuple[int, float, int], _Node]] = [
        (
            (index - 1, math.inf, 1) if index else (0, -math.inf, -1),
            _Node(corner, None, starts[index], True),
        )
        for index, corner in enumerate(corners)
    ]
    for station in stations:
        best: tuple[float, int, float] | None = None
        for segment in range(len(corners) - 1):
            off, along = _project(corners[segment], corners[segment + 1], station.location)
            if off <= max_detour_km and (best is None or off < best[0]):
                best = (off, segment, along)
        if best is not None:
            _, segment, along = best
            node = _Node(station.location, station, starts[segment] + along, False)
            keyed.append(((segment, along, 0), node))
    if settings is not None:
        keyed = _strongest_per_bucket(keyed, settings)
    keyed.sort(key=lambda item: item[0])
    return [node for _, node in keyed]


def _strongest_per_bucket(keyed: list[tuple[tuple[int, float, int], _Node]],
                          settings: PlanSettings) -> list[tuple[tuple[int, float, int], _Node]]:
    buckets: dict[tuple[int, int], list[tuple[tuple[int, float, int], _Node]]] = {}
    kept = [item for item in keyed if item[1].station is None]
    for item in keyed:
        if item[1].station is not None:
            key = (item[0][0], int(item[0][1] // settings.bucket_km))
            buckets.setdefault(key, []).append(item)
    for items in buckets.values():
        items.sort(key=lambda item: -(item[1].station.max_power_kw if item[1].station else 0))
        kept.extend(items[:settings.stations_per_bucket])
    return kept


# --- planning ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Context:
    model: VehicleModel
    usable_kwh: float
    request: TripRequest
    settings: PlanSettings
    distances: Distances
    nodes: list[_Node]
    kwh_per_km: float
    cache: dict[tuple[int, int], float] = field(default_factory=dict)
    tables: dict[float, list[float]] = field(default_factory=dict)

    def km(self, i: int, j: int) -> float:
        key = (i, j)
        found = self.cache.get(key)
        if found is None:
            found = self.distances.km(self.nodes[i].point, self.nodes[j].point)
            self.cache[key] = found
        return found

    def soc_drop(self, i: int, j: int) -> float:
        return self.km(i, j) * self.kwh_per_km / self.usable_kwh * 100

    def table(self, station: Station) -> list[float]:
        table = self.tables.get(station.max_power_kw)
        if table is None:
            table = _cumulative_minutes(self.model, station.max_power_kw, self.usable_kwh)
            self.tables[station.max_power_kw] = table
        return table

    def max_reach_km(self) -> float:
        if self.kwh_per_km <= 0:
            return math.inf
        reserve = min(self.request.charge_stop_reserve_soc, self.request.arrival_reserve_soc)
        return self.usable_kwh * (100 - reserve) / 100 / self.kwh_per_km

    def next_mandatory(self) -> list[int]:
        result = [0] * len(self.nodes)
        upcoming = len(self.nodes) - 1
        for index in range(len(self.nodes) - 1, -1, -1):
            result[index] = upcoming
            if self.nodes[index].mandatory:
                upcoming = index
        return result


def _context(
    model: VehicleModel,
    usable_kwh: float,
    request: TripRequest,
    stations: Sequence[Station],
    distances: Distances,
    settings: PlanSettings,
) -> _Context:
    if not 1 <= usable_kwh <= 300:
        raise InvalidInput("usableCapacityKwh must be between 1 and 300", field="usableCapacityKwh")
    nodes = _route_nodes(request, stations, settings.max_station_detour_km, settings)
    corners = [node for node in nodes if node.mandatory]
    route_km = sum(distances.km(a.point, b.point) for a, b in itertools.pairwise(corners))
    conditions = request.conditions
    climb_per_km = conditions.elevation_gain_m / route_km if route_km > _EPS else 0.0
    per_km = leg_energy_kwh(model, 1.0, replace(conditions, elevation_gain_m=climb_per_km))
    per_km *= request.consumption_scale
    return _Context(model, usable_kwh, request, settings, distances, nodes, per_km)


# A path: (node index, SoC to charge to at that node or None).
_Path = list[tuple[int, float | None]]


def _build(ctx: _Context, path: _Path) -> TripPlan:
    """Recompute a path with exact SoC; charging only tops up to the planned level."""
    request, speed = ctx.request, ctx.request.conditions.speed_kmh
    soc = request.departure_soc
    legs: list[Leg] = []
    stops: list[ChargingStop] = []
    currencies: set[str] = set()
    for (i, target), (j, _) in itertools.pairwise(path):
        station = ctx.nodes[i].station
        if station is not None and target is not None and target > soc + _EPS:
            minutes = _at(ctx.table(station), target) - _at(ctx.table(station), soc)
            energy = _meter_energy_kwh(station, (target - soc) / 100 * ctx.usable_kwh)
            cost = None if station.price_per_kwh is None else station.price_per_kwh * energy
            if station.currency is not None:
                currencies.add(station.currency)
            stops.append(ChargingStop(station, soc, target, minutes, energy, cost))
            soc = target
        km = ctx.km(i, j)
        end = min(100.0, soc - ctx.soc_drop(i, j))
        legs.append(
            Leg(
                ctx.nodes[i].point,
                ctx.nodes[j].point,
                km,
                km / speed * 60,
                km * ctx.kwh_per_km,
                soc,
                end,
            )
        )
        soc = end
    drive = sum(leg.drive_minutes for leg in legs)
    charging = sum(stop.charge_minutes for stop in stops)
    overhead = ctx.settings.stop_overhead_minutes * len(stops)
    costs = [stop.estimated_cost for stop in stops]
    warnings = ("charging stops bill in several currencies",) if len(currencies) > 1 else ()
    return TripPlan(
        feasible=True,
        reason=None,
        total_distance_km=sum(leg.distance_km for leg in legs),
        drive_minutes=drive,
        charge_minutes=charging,
        total_minutes=drive + charging + overhead,
        energy_used_kwh=sum(leg.energy_kwh for leg in legs),
        arrival_soc=soc,
        estimated_cost=None if None in costs else sum(c for c in costs if c is not None),
        legs=tuple(legs),
        charging_stops=tuple(stops),
        warnings=warnings,
    )


def _infeasible(ctx: _Context) -> TripPlan:
    """Name the largest gap between consecutive usable points along the route."""
    gap, where = 0.0, (0, 0)
    for i in range(len(ctx.nodes) - 1):
        km = ctx.km(i, i + 1)
        if km > gap:
            gap, where = km, (i, i + 1)
    request = ctx.request
    window = request.max_charge_to - request.charge_stop_reserve_soc
    reach = window / 100 * ctx.usable_kwh / ctx.kwh_per_km if ctx.kwh_per_km > 0 else math.inf

    def name(index: int) -> str:
        node = ctx.nodes[index]
        if node.station is not None:
            return f"station {node.station.name}"
        if index == 0:
            return "the origin"
        return "the destination" if index == len(ctx.nodes) - 1 else "a waypoint"

    reason = (
        f"No feasible plan: the largest gap is {gap:.0f} km, from {name(where[0])} to "
        f"{name(where[1])}; the car covers about {reach:.0f} km from {request.max_charge_to:g}% "
        f"to the {request.charge_stop_reserve_soc:g}% reserve"
    )
    if gap <= reach:
        reason += f"; the {request.departure_soc:g}% departure charge does not reach a charger"
    return TripPlan(feasible=False, reason=reason, warnings=(reason,))


def plan_trip(
    model: VehicleModel,
    usable_kwh: float,
    request: TripRequest,
    stations: Sequence[Station],
    distances: Distances | None = None,
    settings: PlanSettings = PlanSettings(),
) -> TripPlan:
    """The fastest plan over SoC levels on a `settings.soc_step` grid.

    `distances` defaults to great-circle km times `settings.detour_factor`.
    """
    distances = GreatCircle(settings.detour_factor) if distances is None else distances
    ctx = _context(model, usable_kwh, request, stations, distances, settings)
    path = _search(ctx)
    return _infeasible(ctx) if path is None else _build(ctx, path)


_Move = tuple[int, float, float]


def _neighbours(ctx: _Context, node: int, limit: int, reach: float) -> list[_Move]:
    """(next node, SoC drop in %, drive minutes) for the points ahead within reach."""
    nodes, speed = ctx.nodes, ctx.request.conditions.speed_kmh
    result = []
    for nxt in range(node + 1, limit + 1):
        if nodes[nxt].position_km - nodes[node].position_km > reach:
            break
        result.append((nxt, ctx.soc_drop(node, nxt), ctx.km(node, nxt) / speed * 60))
    return result


def _search(ctx: _Context) -> _Path | None:
    request, settings, nodes = ctx.request, ctx.settings, ctx.nodes
    step, last = settings.soc_step, len(nodes) - 1
    levels = math.floor(100 / step + _EPS) + 1
    top = math.floor(request.max_charge_to / step + _EPS)
    stop_floor = math.ceil(request.charge_stop_reserve_soc / step - _EPS)
    end_floor = math.ceil(request.arrival_reserve_soc / step - _EPS)
    start = math.floor(request.departure_soc / step + _EPS)
    preferred = set(request.preferred_operators)
    reach, limit = ctx.max_reach_km(), ctx.next_mandatory()
    best = [math.inf] * (len(nodes) * levels)
    best[start] = 0.0
    parent: dict[int, int] = {}
    settled = [-1] * len(nodes)
    ahead: dict[int, list[_Move]] = {}
    heap: list[tuple[float, int]] = [(0.0, start)]  # state = node * levels + level
    while heap:
        cost, state = heapq.heappop(heap)
        node, level = divmod(state, levels)
        if cost > best[state] or level <= settled[node]:
            continue
        settled[node] = level
        if node == last:
            return _unwind(state, parent, levels, step)
        moves: list[tuple[int, float]] = []
        station = nodes[node].station
        if station is not None and level < top:
            table = ctx.table(station)
            stop = settings.stop_overhead_minutes
            if preferred and station.operator not in preferred:
                stop += settings.non_preferred_penalty_minutes
            here = _at(table, level * step)
            moves.extend(
                (node * levels + up, cost + stop + _at(table, up * step) - here)
                for up in range(level + 1, top + 1)
            )
        if node not in ahead:
            ahead[node] = _neighbours(ctx, node, limit[node], reach)
        here_soc = request.departure_soc if node == 0 else level * step  # exact at the start
        for nxt, drop, minutes in ahead[node]:
            arrive = min(levels - 1, math.floor((here_soc - drop) / step + _EPS))
            if arrive > settled[nxt] and arrive >= (end_floor if nxt == last else stop_floor):
                moves.append((nxt * levels + arrive, cost + minutes))
        for target, value in moves:
            if value < best[target] - _EPS:
                best[target] = value
                parent[target] = state
                heapq.heappush(heap, (value, target))
    return None


def _unwind(state: int, parent: dict[int, int], levels: int, step: float) -> _Path:
    chain = [state]
    while chain[-1] in parent:
        chain.append(parent[chain[-1]])
    chain.reverse()
    path: _Path = []
    for state_ in chain:
        node, level = divmod(state_, levels)
        if path and path[-1][0] == node:
            path[-1] = (node, level * step)  # charged here
        else:
            path.append((node, None))
    return path


def greedy_plan(
    model: VehicleModel,
    usable_kwh: float,
    request: TripRequest,
    stations: Sequence[Station],
    distances: Distances | None = None,
    settings: PlanSettings = PlanSettings(),
) -> TripPlan:
    """Baseline: drive on; charge to `max_charge_to` at the last station before running short."""
    distances = GreatCircle(settings.detour_factor) if distances is None else distances
    ctx = _context(model, usable_kwh, request, stations, distances, settings)
    nodes, last, limit = ctx.nodes, len(ctx.nodes) - 1, ctx.next_mandatory()
    node, soc = 0, request.departure_soc
    path: _Path = [(0, None)]
    while node != last:
        goal = limit[node]
        floor = request.arrival_reserve_soc if goal == last else request.charge_stop_reserve_soc
        if soc - ctx.soc_drop(node, goal) >= floor - _EPS:
            soc = min(100.0, soc - ctx.soc_drop(node, goal))
            node = goal
            path.append((node, None))
            continue
        reachable = [
            j
            for j in range(node + 1, goal)
            if nodes[j].station is not None
            and soc - ctx.soc_drop(node, j) >= request.charge_stop_reserve_soc - _EPS
        ]
        if reachable:
            soc -= ctx.soc_drop(node, reachable[-1])
            node = reachable[-1]
            path.append((node, None))
        if nodes[node].station is None or soc >= request.max_charge_to - _EPS:
            return _infeasible(ctx)
        path[-1] = (node, request.max_charge_to)
        soc = request.max_charge_to
    return _build(ctx, path)


@dataclass(frozen=True, slots=True)
class TripPlanned(DomainEvent):
    """A feasible plan with charging stops: the owner may want a reminder to charge."""

    vehicle_id: str
    owner_id: str
    charging_stops: int
    departure_soc: float
    depart_at: datetime | None = None
