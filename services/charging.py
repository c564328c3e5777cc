"""Charging use cases: record sessions (one or a batch), keep battery health current."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain import battery, charging
from domain.access import Principal, can_manage_owner_vehicles, ensure
from domain.catalogue import VehicleModel, find_model
from domain.charging import ChargingSession, ChargingSessionRecorded, Pricing, SessionReport
from domain.errors import DomainError, InvalidInput, NotFound
from domain.owners import Owner
from domain.vehicles import Vehicle, normalize_vin
from services.deps import Deps

MAX_BATCH = 1000


@dataclass(frozen=True, slots=True)
class VehicleRef:
    """Which vehicle a report is about: its id, or its VIN (exactly one)."""

    vehicle_id: str | None = None
    vin: str | None = None


class RecordStatus(StrEnum):
    STORED = "STORED"
    DUPLICATE = "DUPLICATE"
    REJECTED = "REJECTED"


@dataclass(frozen=True, slots=True)
class RecordResult:
    status: RecordStatus
    session: ChargingSession | None = None
    error: DomainError | None = None


async def record_charging_session(deps: Deps, actor: Principal, ref: VehicleRef,
                                  report: SessionReport) -> RecordResult:
    """Stores one session (or finds the one stored with its externalId); raises on bad input."""
    [result] = await record_charging_sessions(deps, actor, [(ref, report)])
    if result.error is not None:
        raise result.error
    return result


async def record_charging_sessions(
    deps: Deps, actor: Principal, items: Sequence[tuple[VehicleRef, SessionReport]]
) -> list[RecordResult]:
    """Each item is stored, found to be a duplicate, or rejected on its own; no partial items."""
    if len(items) > MAX_BATCH:
        raise InvalidInput(f"at most {MAX_BATCH} sessions per call", field="inputs")
    now = deps.clock()
    vehicles = await _resolve_vehicles(deps, [ref for ref, _ in items])
    owners = await _owners_of(deps, [v for v in vehicles if isinstance(v, Vehicle)])
    results: list[RecordResult | None] = [None] * len(items)
    accepted: list[tuple[int, ChargingSession, Vehicle]] = []
    for index, ((_, report), vehicle) in enumerate(zip(items, vehicles, strict=True)):
        try:
            session = _accept(actor, vehicle, owners, report, now)
        except DomainError as error:
            results[index] = RecordResult(RecordStatus.REJECTED, error=error)
        else:
            accepted.append((index, session, _known(vehicle)))
    stored = await deps.charging.add_many([session for _, session, _ in accepted])
    for (index, _, _), (session, created) in zip(accepted, stored, strict=True):
        status = RecordStatus.STORED if created else RecordStatus.DUPLICATE
        results[index] = RecordResult(status, session)
    await _after_stored(deps, [(s, v) for (_, _, v), (s, new) in zip(accepted, stored,
                                                                     strict=True) if new], now)
    return [result for result in results if result is not None]


def _accept(actor: Principal, vehicle: Vehicle | DomainError, owners: dict[str, Owner],
            report: SessionReport, now: datetime) -> ChargingSession:
    vehicle = _known(vehicle)
    ensure(can_manage_owner_vehicles(actor, vehicle.owner_id), "report sessions for this vehicle")
    owner = owners.get(vehicle.owner_id)
    pricing = Pricing(owner.home_tariff if owner else None, owner.timezone if owner else "UTC")
    return charging.accept(report, vehicle.id, _model(vehicle), pricing, now)


def _known(vehicle: Vehicle | DomainError) -> Vehicle:
    if isinstance(vehicle, DomainError):
        raise vehicle
    return vehicle


def _model(vehicle: Vehicle) -> VehicleModel:
    model = find_model(vehicle.model_id)
    if model is None:
        raise LookupError(f"vehicle {vehicle.id} has unknown model {vehicle.model_id}")
    return model


async def _resolve_vehicles(deps: Deps, refs: Sequence[VehicleRef]) -> list[Vehicle | DomainError]:
    """Every ref looked up in two queries at most: one by id, one by VIN."""
    keys: list[tuple[str, str] | DomainError] = [_ref_key(ref) for ref in refs]
    ids = sorted({key[1] for key in keys if isinstance(key, tuple) and key[0] == "id"})
    vins = sorted({key[1] for key in keys if isinstance(key, tuple) and key[0] == "vin"})
    by_id = dict(zip(ids, await deps.vehicles.get_many(ids), strict=True)) if ids else {}
    by_vin = dict(zip(vins, await deps.vehicles.get_many_by_vin(vins), strict=True)) if vins else {}
    return [_found(key, by_id, by_vin) for key in keys]


def _ref_key(ref: VehicleRef) -> tuple[str, str] | DomainError:
    if (ref.vehicle_id is None) == (ref.vin is None):
        return InvalidInput("give exactly one of vehicleId and vin", field="vehicleId")
    if ref.vehicle_id is not None:
        return ("id", ref.vehicle_id)
    try:
        return ("vin", normalize_vin(ref.vin or ""))
    except DomainError as error:
        return error


def _found(key: tuple[str, str] | DomainError, by_id: dict[str, Vehicle | None],
           by_vin: dict[str, Vehicle | None]) -> Vehicle | DomainError:
    if isinstance(key, DomainError):
        return key
    vehicle = (by_id if key[0] == "id" else by_vin).get(key[1])
    return vehicle or NotFound("vehicle not found", field="vehicleId" if key[0] == "id" else "vin")


async def _owners_of(deps: Deps, vehicles: Sequence[Vehicle]) -> dict[str, Owner]:
    owner_ids = sorted({vehicle.owner_id for vehicle in vehicles})
    found = await deps.owners.get_many(owner_ids) if owner_ids else []
    return {owner.id: owner for owner in found if owner is not None}


async def _after_stored(deps: Deps, stored: Sequence[tuple[ChargingSession, Vehicle]],
                        now: datetime) -> None:
    """Battery health moves with each new session, one atomic update per vehicle."""
    by_vehicle: dict[str, list[ChargingSession]] = defaultdict(list)
    vehicles: dict[str, Vehicle] = {}
    for session, vehicle in stored:
        by_vehicle[vehicle.id].append(session)
        vehicles[vehicle.id] = vehicle
    for vehicle_id, sessions in by_vehicle.items():
        await update_battery_health(deps, vehicles[vehicle_id], sessions, now)
        await deps.events.publish(*(ChargingSessionRecorded(
            at=now, session_id=session.id, vehicle_id=vehicle_id,
            location_type=session.location_type,
            energy_delivered_kwh=session.energy_delivered_kwh,
            soc_end_percent=session.soc_end_percent) for session in sessions))


async def update_battery_health(deps: Deps, vehicle: Vehicle,
                                sessions: Sequence[ChargingSession], now: datetime) -> None:
    """Adds new sessions to the vehicle's battery state; publishes health transitions."""
    contributions = [battery.contribution(
        s.started_at, s.ended_at, s.soc_start_percent, s.soc_end_percent, s.energy_added_kwh,
        s.energy_delivered_kwh, s.location_type.is_dc, deps.efficiency) for s in sessions]
    before = await deps.battery.apply(vehicle.id, contributions)
    after = battery.apply(before, contributions)
    nominal = _model(vehicle).battery_capacity_kwh
    old, new = (battery.assess(state, nominal, vehicle.delivered_at, deps.health_policy)
                for state in (before, after))
    await deps.events.publish(
        *battery.health_events(vehicle.id, old, new, at=now, policy=deps.health_policy))
