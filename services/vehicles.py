"""Vehicle use cases."""

from __future__ import annotations

from domain import vehicles
from domain.access import Principal, can_manage_owner_vehicles, can_read_owner, ensure
from domain.errors import InvalidInput, NotFound
from domain.events import VehicleRegistered, VehicleUpdated
from domain.vehicles import Vehicle, VehicleChanges, VehicleRegistration
from services.deps import Deps


async def register_vehicle(deps: Deps, actor: Principal, data: VehicleRegistration) -> Vehicle:
    ensure(can_manage_owner_vehicles(actor, data.owner_id), "register vehicles for this owner")
    now = deps.clock()
    vehicle = vehicles.register(data, now)
    [owner] = await deps.owners.get_many([data.owner_id])
    if owner is None:
        raise NotFound("owner not found", field="ownerId")
    await deps.vehicles.add(vehicle)
    await deps.events.publish(VehicleRegistered(
        at=now, vehicle_id=vehicle.id, owner_id=vehicle.owner_id, model_id=vehicle.model_id))
    return vehicle


async def update_vehicle(
    deps: Deps, actor: Principal, vehicle_id: str, changes: VehicleChanges
) -> Vehicle:
    current = await readable_vehicle(deps, actor, vehicle_id)
    ensure(can_manage_owner_vehicles(actor, current.owner_id), "change this vehicle")
    fields = vehicles.changed_fields(current, changes)
    if not fields:
        return current
    now = deps.clock()
    updated = await deps.vehicles.update(vehicle_id, {**fields, "updated_at": now})
    if updated is None:
        # The only write condition is the odometer guard: a higher reading landed first.
        raise InvalidInput("odometerKm cannot go down", field="odometerKm")
    await deps.events.publish(VehicleUpdated(at=now, vehicle_id=vehicle_id,
                                             fields=tuple(sorted(fields))))
    return updated


async def readable_vehicle(deps: Deps, actor: Principal, vehicle_id: str) -> Vehicle:
    [vehicle] = await deps.vehicles.get_many([vehicle_id])
    return _visible(actor, vehicle)


async def vehicle_by_vin(deps: Deps, actor: Principal, vin: str) -> Vehicle:
    vehicle = await deps.vehicles.get_by_vin(vehicles.normalize_vin(vin))
    return _visible(actor, vehicle)


def _visible(actor: Principal, vehicle: Vehicle | None) -> Vehicle:
    if vehicle is None:
        raise NotFound("vehicle not found", field="id")
    ensure(can_read_owner(actor, vehicle.owner_id), "see this vehicle")
    return vehicle
