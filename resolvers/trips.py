"""Trip planning and range: Query.planTrip and Vehicle.rangeEstimate."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import strawberry
from strawberry.types import Info

from domain import trips
from domain.errors import InvalidInput
from domain.geo import point
from domain.range import Conditions
from domain.telemetry import measured_wh_per_km
from resolvers.charging_stations import ChargingStation
from resolvers.context import Context
from resolvers.geo import GeoPoint, GeoPointInput
from resolvers.relay import local_id
from services import trips as trip_service


class VehicleRoot(Protocol):
    id: str
    owner_id: str


@strawberry.type(description="A stretch driven without charging.")
class TripLeg:
    from_: GeoPoint = strawberry.field(name="from", description="Start.")
    to: GeoPoint = strawberry.field(description="End.")
    distance_km: float = strawberry.field(description="Distance (great circle x detour).")
    drive_minutes: float = strawberry.field(description="At the cruise speed.")
    energy_kwh: float = strawberry.field(description="From the battery.")
    start_soc_percent: float = strawberry.field(description="SoC at the start.")
    end_soc_percent: float = strawberry.field(description="SoC at the end.")


@strawberry.type(description="A charging stop.")
class TripChargingStop:
    station: ChargingStation = strawberry.field(description="Where.")
    arrive_soc_percent: float = strawberry.field(description="SoC on arrival.")
    depart_soc_percent: float = strawberry.field(description="SoC when leaving.")
    charge_minutes: float = strawberry.field(description="Charging, plus the stop overhead.")
    energy_kwh: float = strawberry.field(description="Metered at the charger.")
    estimated_cost: float | None = strawberry.field(description="At the station's price.")


@strawberry.type(description="The fastest plan found (exact over 5% SoC steps).")
class TripPlan:
    feasible: bool = strawberry.field(description="False: see `reason`.")
    reason: str | None = strawberry.field(description="Why the trip cannot be made.")
    total_distance_km: float
    drive_minutes: float
    charge_minutes: float
    total_minutes: float
    energy_used_kwh: float
    arrival_soc_percent: float
    estimated_cost: float | None
    legs: list[TripLeg]
    charging_stops: list[TripChargingStop]
    warnings: list[str]


@strawberry.input(description="A trip to plan.")
class PlanTripInput:
    vehicle_id: strawberry.ID
    origin: GeoPointInput
    destination: GeoPointInput
    waypoints: list[GeoPointInput] = strawberry.field(default_factory=list)
    departure_soc_percent: float = 90.0
    arrival_reserve_soc_percent: float = 10.0
    charge_stop_reserve_soc_percent: float = 10.0
    max_charge_to_percent: float = 90.0
    outside_temperature_c: float = 20.0
    cruise_speed_kmh: float = 110.0
    payload_kg: float = 80.0
    depart_at: datetime | None = None
    preferred_operators: list[str] = strawberry.field(default_factory=list)

    def to_domain(self) -> trips.TripRequest:
        if len(self.waypoints) > 10:
            raise InvalidInput("at most 10 waypoints", field="waypoints")
        return trips.TripRequest(
            origin=point(self.origin.lat, self.origin.lng, "origin"),
            destination=point(self.destination.lat, self.destination.lng, "destination"),
            waypoints=tuple(point(w.lat, w.lng, "waypoints") for w in self.waypoints),
            departure_soc=self.departure_soc_percent,
            arrival_reserve_soc=self.arrival_reserve_soc_percent,
            charge_stop_reserve_soc=self.charge_stop_reserve_soc_percent,
            max_charge_to=self.max_charge_to_percent,
            conditions=Conditions(speed_kmh=self.cruise_speed_kmh,
                                  temperature_c=self.outside_temperature_c,
                                  payload_kg=self.payload_kg),
            preferred_operators=tuple(self.preferred_operators[:10]),
            depart_at=self.depart_at)


def _geo(p: object) -> GeoPoint:
    return GeoPoint(lat=getattr(p, "lat"), lng=getattr(p, "lng"))  # noqa: B009


def _plan(found: trip_service.PlannedTrip) -> TripPlan:
    p = found.plan
    return TripPlan(
        feasible=p.feasible, reason=p.reason, total_distance_km=round(p.total_distance_km, 1),
        drive_minutes=round(p.drive_minutes, 1), charge_minutes=round(p.charge_minutes, 1),
        total_minutes=round(p.total_minutes, 1), energy_used_kwh=round(p.energy_used_kwh, 2),
        arrival_soc_percent=round(p.arrival_soc, 1), estimated_cost=p.estimated_cost,
        legs=[TripLeg(from_=_geo(leg.start), to=_geo(leg.end),
                      distance_km=round(leg.distance_km, 1),
                      drive_minutes=round(leg.drive_minutes, 1),
                      energy_kwh=round(leg.energy_kwh, 2), start_soc_percent=leg.start_soc,
                      end_soc_percent=round(leg.end_soc, 1)) for leg in p.legs],
        charging_stops=[TripChargingStop(
            station=ChargingStation.from_domain(found.stations[stop.station.id]),
            arrive_soc_percent=round(stop.arrive_soc, 1), depart_soc_percent=stop.depart_soc,
            charge_minutes=round(stop.charge_minutes, 1), energy_kwh=round(stop.energy_kwh, 2),
            estimated_cost=stop.estimated_cost) for stop in p.charging_stops],
        warnings=list(p.warnings))


@strawberry.type
class TripQuery:
    @strawberry.field(description="Plans a trip with charging stops for one of your vehicles: "
                                  "minimum total time, never below the reserves.")
    async def plan_trip(self, info: Info[Context, None], input: PlanTripInput) -> TripPlan:
        c = info.context
        found = await trip_service.plan_trip(
            c.deps, c.actor, local_id(input.vehicle_id, "Vehicle", "vehicleId"),
            input.to_domain())
        return _plan(found)


async def vehicle_range_estimate(
    root: strawberry.Parent[VehicleRoot], info: Info[Context, None], soc_percent: float = 100.0,
    outside_temperature_c: float = 20.0, cruise_speed_kmh: float = 100.0,
) -> float:
    loaders = info.context.loaders
    vehicle = await loaders.vehicle.load(root.id)
    if vehicle is None:
        raise LookupError(f"vehicle {root.id} vanished")
    measured = measured_wh_per_km(await loaders.vehicle_status.load(root.id))
    km = await trip_service.range_estimate(
        info.context.deps, info.context.actor, vehicle, soc_percent,
        Conditions(speed_kmh=cruise_speed_kmh, temperature_c=outside_temperature_c), measured)
    return round(km, 1)
