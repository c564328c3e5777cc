"""Range estimates and trip plans for a vehicle, over the stored charging-station network."""

from __future__ import annotations

from dataclasses import dataclass, replace

from domain import battery, trips
from domain import range as range_model
from domain.access import Principal, can_read_owner, ensure
from domain.catalogue import VehicleModel, find_model
from domain.geo import GeoPoint, box_around
from domain.stations import ChargingStation
from domain.telemetry import measured_wh_per_km
from domain.vehicles import Vehicle
from services.deps import Deps
from services.lookup import one


@dataclass(frozen=True, slots=True)
class PlannedTrip:
    plan: trips.TripPlan
    stations: dict[str, ChargingStation]  # the stations of the stops, in full


async def plan_trip(deps: Deps, actor: Principal, vehicle_id: str,
                    request: trips.TripRequest) -> PlannedTrip:
    """The fastest plan over the stored network; infeasible trips are a plan, not an error."""
    vehicle = await one(deps.vehicles.get_many, vehicle_id, "vehicle", "vehicleId")
    ensure(can_read_owner(actor, vehicle.owner_id), "plan trips with this vehicle")
    model = _model(vehicle)
    usable = await usable_capacity_kwh(deps, vehicle, model)
    request = replace(request, consumption_scale=await _consumption_scale(deps, vehicle, model))
    points = [request.origin, *request.waypoints, request.destination]
    margin = trips.PlanSettings().max_station_detour_km
    network = await deps.stations.in_box(*_box(points, margin), 0.0)
    plan = trips.plan_trip(model, usable, request, [_as_trip_station(s) for s in network])
    if plan.feasible and plan.charging_stops:
        await deps.events.publish(trips.TripPlanned(
            at=deps.clock(), vehicle_id=vehicle.id, owner_id=vehicle.owner_id,
            charging_stops=len(plan.charging_stops), departure_soc=request.departure_soc,
            depart_at=request.depart_at))
    used = {stop.station.id for stop in plan.charging_stops}
    return PlannedTrip(plan, {s.id: s for s in network if s.id in used})


async def usable_capacity_kwh(deps: Deps, vehicle: Vehicle, model: VehicleModel) -> float:
    """The battery as it is now when health is known, else as new."""
    [state] = await deps.battery.get_many([vehicle.id])
    if state is None:
        return model.battery_capacity_kwh
    health = battery.assess(state, model.battery_capacity_kwh, vehicle.delivered_at,
                            deps.health_policy)
    return health.estimated_capacity_kwh or model.battery_capacity_kwh


async def _consumption_scale(deps: Deps, vehicle: Vehicle, model: VehicleModel) -> float:
    """How this car compares with its model, once telemetry has measured enough driving."""
    [status] = await deps.telemetry.statuses([vehicle.id])
    measured = measured_wh_per_km(status)
    if measured is None:
        return 1.0
    return min(max(measured / model.efficiency_wh_per_km, 0.3), 3.0)


def _model(vehicle: Vehicle) -> VehicleModel:
    model = find_model(vehicle.model_id)
    if model is None:
        raise LookupError(f"vehicle {vehicle.id} has unknown model {vehicle.model_id}")
    return model


def _box(points: list[GeoPoint], margin_km: float) -> tuple[float, float, float, float]:
    """The box around every point of the route, widened by the station detour."""
    boxes = [box_around(p, margin_km) for p in points]
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def _as_trip_station(station: ChargingStation) -> trips.Station:
    return trips.Station(id=station.id, name=station.name, operator=station.operator,
                         location=station.location, max_power_kw=station.max_power_kw,
                         price_per_kwh=station.price_per_kwh, currency=station.currency)


async def range_estimate(deps: Deps, actor: Principal, vehicle: Vehicle, soc_percent: float,
                         conditions: range_model.Conditions,
                         measured_wh_per_km: float | None = None) -> float:
    """Km on this charge, from the model's physics and the battery as it is now; scaled to
    the car's measured consumption (from telemetry) once there is enough of it."""
    ensure(can_read_owner(actor, vehicle.owner_id), "estimate this vehicle's range")
    model = _model(vehicle)
    usable = await usable_capacity_kwh(deps, vehicle, model)
    return range_model.range_km(model, soc_percent, conditions, usable_capacity_kwh=usable,
                                measured_wh_per_km=measured_wh_per_km)
