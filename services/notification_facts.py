"""Loads, in a few batched queries, what the notification rules need to know about events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from domain.battery import BatteryHealth, assess
from domain.catalogue import find_model
from domain.charging import ChargingSessionRecorded
from domain.events import DomainEvent
from domain.notifications.rules import Facts
from domain.service_schedule import ServiceDue, service_due
from domain.telemetry import VehicleStatusReported
from domain.vehicles import Vehicle
from services.deps import Deps


async def load_facts(deps: Deps, events: Sequence[DomainEvent],
                     now: datetime) -> list[Facts | None]:
    """Facts per event, in order; None where the owner is gone (nothing to tell anyone)."""
    vehicles = await _by_id(deps.vehicles.get_many, _attr(events, "vehicle_id"))
    owner_ids = _attr(events, "owner_id") | {v.owner_id for v in vehicles.values()}
    owners = await _by_id(deps.owners.get_many, owner_ids)
    releases = await _by_id(deps.ota.releases, _attr(events, "release_id"))
    centers = await _by_id(deps.centers.get_many, _attr(events, "center_id"))
    health = await _health(deps, events, vehicles)
    due = await _service_due(deps, events, vehicles, now)
    facts: list[Facts | None] = []
    for event in events:
        vehicle = vehicles.get(getattr(event, "vehicle_id", None) or "")
        owner_id = getattr(event, "owner_id", None) or (vehicle.owner_id if vehicle else "")
        owner = owners.get(owner_id)
        facts.append(None if owner is None else Facts(
            owner=owner, vehicle=vehicle, now=now,
            release=releases.get(getattr(event, "release_id", "")),
            center=centers.get(getattr(event, "center_id", "")),
            health=health.get(vehicle.id) if vehicle else None,
            service_due=due.get(vehicle.id, ()) if vehicle else ()))
    return facts


def _attr(events: Sequence[DomainEvent], name: str) -> set[str]:
    return {value for event in events if isinstance(value := getattr(event, name, None), str)}


async def _by_id[T](get_many: Callable[[list[str]], Awaitable[Sequence[T | None]]],
                    ids: set[str]) -> dict[str, T]:
    if not ids:
        return {}
    keys = sorted(ids)
    found = await get_many(keys)
    return {key: item for key, item in zip(keys, found, strict=True) if item is not None}


async def _health(deps: Deps, events: Sequence[DomainEvent],
                  vehicles: dict[str, Vehicle]) -> dict[str, BatteryHealth]:
    """Battery stress figures for the charging-habit tips."""
    ids = sorted({e.vehicle_id for e in events if isinstance(e, ChargingSessionRecorded)}
                 & vehicles.keys())
    if not ids:
        return {}
    states = await deps.battery.get_many(ids)
    found: dict[str, BatteryHealth] = {}
    for vehicle_id, state in zip(ids, states, strict=True):
        model = find_model(vehicles[vehicle_id].model_id)
        if state is not None and model is not None:
            found[vehicle_id] = assess(state, model.battery_capacity_kwh,
                                       vehicles[vehicle_id].delivered_at, deps.health_policy)
    return found


async def _service_due(deps: Deps, events: Sequence[DomainEvent], vehicles: dict[str, Vehicle],
                       now: datetime) -> dict[str, list[ServiceDue]]:
    """The schedule with the odometer just reported, for vehicles that reported a status."""
    ids = sorted({e.vehicle_id for e in events if isinstance(e, VehicleStatusReported)}
                 & vehicles.keys())
    if not ids:
        return {}
    last = await deps.appointments.last_services(ids)
    return {vehicle_id: service_due(vehicles[vehicle_id], history, now)
            for vehicle_id, history in zip(ids, last, strict=True)}
