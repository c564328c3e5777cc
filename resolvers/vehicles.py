"""Vehicles: types, queries and mutations."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Self

import strawberry
from strawberry import relay
from strawberry.types import Info

from domain import vehicles
from domain.access import can_read_owner, ensure
from domain.errors import InvalidInput
from domain.journey import OwnershipStage
from resolvers.appointments import (
    Appointment,
    ServiceDue,
    vehicle_appointments,
    vehicle_next_appointment,
    vehicle_service_due,
)
from resolvers.battery import BatteryHealth, battery_health_of
from resolvers.catalogue import MODELS, VehicleModel
from resolvers.charging import (
    ChargingSession,
    ChargingStats,
    charging_sessions,
    charging_stats_of,
)
from resolvers.context import Context
from resolvers.journey import vehicle_stage
from resolvers.ota import VehicleUpdate, vehicle_available_updates, vehicle_update_history
from resolvers.owners import Owner
from resolvers.relay import local_id
from resolvers.telemetry import measured_consumption_of
from resolvers.trips import vehicle_range_estimate
from resolvers.user_errors import UserError, attempt
from services import vehicles as vehicle_service

if TYPE_CHECKING:
    from collections.abc import Iterable


@strawberry.type(description="One delivered vehicle.")
class Vehicle(relay.Node):
    id: relay.NodeID[str]
    vin: str = strawberry.field(description="Vehicle identification number (ISO 3779).")
    nickname: str | None = strawberry.field(description="The owner's name for the car.")
    model: VehicleModel = strawberry.field(description="The model and its nominal figures.")
    delivered_at: datetime = strawberry.field(description="When the owner took delivery.")
    odometer_km: float = strawberry.field(description="Last reported odometer reading, km.")
    software_version: str | None = strawberry.field(description="Installed software version.")
    owner_id: strawberry.Private[str]
    charging_sessions: relay.Connection[ChargingSession] = strawberry.field(
        resolver=charging_sessions, description="Charging sessions, newest first.")
    charging_stats: ChargingStats = strawberry.field(
        resolver=charging_stats_of, description="Charging summary for sessions started in "
                                                "[from, to); months in the owner's timezone.")
    battery_health: BatteryHealth = strawberry.field(
        resolver=battery_health_of, description="Battery state of health from the sessions.")
    ownership_stage: OwnershipStage = strawberry.field(
        resolver=vehicle_stage, description="Where the owner is on the journey with this car, "
                                            "now (see OwnershipStage).")
    appointments: relay.Connection[Appointment] = strawberry.field(
        resolver=vehicle_appointments, description="Service appointments, newest first.")
    next_appointment: Appointment | None = strawberry.field(
        resolver=vehicle_next_appointment,
        description="The soonest visit still to come (REQUESTED or CONFIRMED), if any.")
    service_due: list[ServiceDue] = strawberry.field(
        resolver=vehicle_service_due, description="Scheduled maintenance, soonest first.")
    available_updates: list[VehicleUpdate] = strawberry.field(
        resolver=vehicle_available_updates, description="Updates offered and not finished.")
    update_history: relay.Connection[VehicleUpdate] = strawberry.field(
        resolver=vehicle_update_history, description="Every update offered, newest first.")
    range_estimate: float = strawberry.field(
        resolver=vehicle_range_estimate,
        description="Km from this SoC at this speed and temperature, for the battery as it is "
                    "and, once known, the car's measured consumption.")
    measured_consumption_wh_per_km: float | None = strawberry.field(
        resolver=measured_consumption_of,
        description="Battery energy per km measured from telemetry while driving (SoC drop x "
                    "usable capacity / km). Null until at least 200 km have been measured.")

    @classmethod
    def from_domain(cls, vehicle: vehicles.Vehicle) -> Self:
        return cls(id=vehicle.id, vin=vehicle.vin, nickname=vehicle.nickname,
                   model=MODELS[vehicle.model_id], delivered_at=vehicle.delivered_at,
                   odometer_km=vehicle.odometer_km, software_version=vehicle.software_version,
                   owner_id=vehicle.owner_id)

    @strawberry.field(description="The vehicle's owner.")
    async def owner(self, info: Info[Context, None]) -> Owner:
        # Staff reach vehicles through their center's appointments; the person behind the car
        # (email, tariff, other cars) is not theirs to read.
        ensure(can_read_owner(info.context.actor, self.owner_id), "see this vehicle's owner")
        owner = await info.context.loaders.owner.load(self.owner_id)
        if owner is None:
            raise LookupError(f"vehicle {self.id} has no owner {self.owner_id}")
        return Owner.from_domain(owner)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # async form of the overloads
        cls, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        actor = info.context.actor
        found = await info.context.loaders.vehicle.load_many(list(node_ids))
        for vehicle in found:
            if vehicle is not None:
                ensure(can_read_owner(actor, vehicle.owner_id), "see this vehicle")
        return [cls.from_domain(vehicle) if vehicle else None for vehicle in found]


@strawberry.input(description="A delivered vehicle to add to an owner's garage.")
class RegisterVehicleInput:
    owner_id: strawberry.ID = strawberry.field(description="The owner's ID.")
    vin: str = strawberry.field(description="17 characters, no I, O or Q.")
    model_id: strawberry.ID = strawberry.field(description="A VehicleModel id.")
    delivered_at: datetime = strawberry.field(description="Delivery date and time.")
    nickname: str | None = strawberry.field(default=None, description="Up to 40 characters.")
    odometer_km: float = strawberry.field(default=0.0, description="Odometer at registration.")


@strawberry.input(description="Changes to a vehicle; fields left out stay as they are.")
class UpdateVehicleInput:
    id: strawberry.ID = strawberry.field(description="The vehicle's ID.")
    nickname: str | None = strawberry.field(default=None,
                                            description="New nickname; empty clears it.")
    odometer_km: float | None = strawberry.field(default=None,
                                                 description="New odometer; never lower.")


@strawberry.type(description="The result of registerVehicle or updateVehicle.")
class VehiclePayload:
    vehicle: Vehicle | None = strawberry.field(description="The vehicle, unless there are errors.")
    errors: list[UserError] = strawberry.field(description="Why nothing changed.")

    @classmethod
    def of(cls, vehicle: vehicles.Vehicle | None, errors: list[UserError]) -> Self:
        return cls(vehicle=Vehicle.from_domain(vehicle) if vehicle else None, errors=errors)


@strawberry.type
class VehicleQuery:
    @strawberry.field(description="A vehicle by ID or by VIN (give exactly one).")
    async def vehicle(self, info: Info[Context, None], id: strawberry.ID | None = None,
                      vin: str | None = None) -> Vehicle | None:
        context = info.context
        if (id is None) == (vin is None):
            raise InvalidInput("give exactly one of id and vin", field="id")
        if vin is not None:
            found = await vehicle_service.vehicle_by_vin(context.deps, context.actor, vin)
            return Vehicle.from_domain(found)
        [node] = await Vehicle.resolve_nodes(info=info, node_ids=[local_id(id or "", "Vehicle")])
        return node


@strawberry.type
class VehicleMutation:
    @strawberry.mutation(description="Registers a delivered vehicle. ADMIN, or OWNER for "
                                     "themself.")
    async def register_vehicle(self, info: Info[Context, None],
                               input: RegisterVehicleInput) -> VehiclePayload:
        context = info.context

        async def register() -> vehicles.Vehicle:
            data = vehicles.VehicleRegistration(
                owner_id=local_id(input.owner_id, "Owner", "ownerId"), vin=input.vin,
                model_id=input.model_id, delivered_at=input.delivered_at,
                nickname=input.nickname, odometer_km=input.odometer_km)
            return await vehicle_service.register_vehicle(context.deps, context.actor, data)

        return VehiclePayload.of(*await attempt(register))

    @strawberry.mutation(description="Changes a vehicle's nickname or odometer. ADMIN, or its "
                                     "OWNER.")
    async def update_vehicle(self, info: Info[Context, None],
                             input: UpdateVehicleInput) -> VehiclePayload:
        context = info.context

        async def update() -> vehicles.Vehicle:
            changes = vehicles.VehicleChanges(nickname=input.nickname,
                                              odometer_km=input.odometer_km)
            return await vehicle_service.update_vehicle(
                context.deps, context.actor, local_id(input.id, "Vehicle"), changes)

        return VehiclePayload.of(*await attempt(update))
