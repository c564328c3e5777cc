"""Telemetry use case: ingest a batch of events from the vehicle gateway."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from domain import battery, telemetry
from domain.access import Principal, can_ingest_telemetry, ensure
from domain.battery import BatteryState
from domain.catalogue import find_model
from domain.errors import DomainError, InvalidInput, NotFound
from domain.events import DomainEvent
from domain.telemetry import TelemetryEvent, TelemetryReport, VehicleStatus
from domain.vehicles import Vehicle, normalize_vin
from services.charging import RecordStatus
from services.deps import Deps

MAX_BATCH = 1000
# A lost compare-and-set means another batch for the same car landed in between; more than a
# few in a row means something is wrong, not busy.
MAX_ATTEMPTS = 10


@dataclass(frozen=True, slots=True)
class IngestResult:
    status: RecordStatus
    event: TelemetryEvent | None = None
    error: DomainError | None = None


async def ingest_telemetry(deps: Deps, actor: Principal,
                           reports: Sequence[TelemetryReport]) -> list[IngestResult]:
    """Each event is stored, recognised as a duplicate, or rejected on its own.

    Round-trips do not grow with the batch: vehicles by VIN, one insert, the statuses, the
    battery states, one status write (plus one per lost race) and one odometer write.
    """
    ensure(can_ingest_telemetry(actor), "report vehicle telemetry")
    if len(reports) > MAX_BATCH:
        raise InvalidInput(f"at most {MAX_BATCH} events per call", field="batch")
    now = deps.clock()
    vehicles = await _vehicles_by_vin(deps, reports)
    checked = [_accept(report, vehicles, now) for report in reports]
    events = [item for item in checked if isinstance(item, TelemetryEvent)]
    stored = iter(await deps.telemetry.add_many(events))
    results = [_result(item, stored) for item in checked]
    new = [r.event for r in results if r.event is not None and r.status is RecordStatus.STORED]
    if new:
        by_id = {vehicle.id: vehicle for vehicle in vehicles.values()}
        changed = await _update_statuses(deps, by_id, new)
        await deps.vehicles.raise_odometers(_odometers(new, by_id), now)
        if changed:
            await deps.events.publish(*changed)
    return results


def _result(item: TelemetryEvent | DomainError, stored: Iterator[bool]) -> IngestResult:
    """`stored` answers, in order, for each event that passed the checks."""
    if isinstance(item, DomainError):
        return IngestResult(RecordStatus.REJECTED, error=item)
    return IngestResult(RecordStatus.STORED if next(stored) else RecordStatus.DUPLICATE,
                        event=item)


async def _vehicles_by_vin(deps: Deps, reports: Sequence[TelemetryReport]) -> dict[str, Vehicle]:
    vins = sorted({vin for report in reports if (vin := _valid_vin(report.vin))})
    found = await deps.vehicles.get_many_by_vin(vins) if vins else []
    return {vehicle.vin: vehicle for vehicle in found if vehicle is not None}


def _valid_vin(vin: str) -> str | None:
    try:
        return normalize_vin(vin)
    except DomainError:
        return None


def _accept(report: TelemetryReport, vehicles: Mapping[str, Vehicle],
            now: datetime) -> TelemetryEvent | DomainError:
    try:
        vin = normalize_vin(report.vin)
        vehicle = vehicles.get(vin)
        if vehicle is None:
            raise NotFound("no vehicle has this VIN", field="vin")
        return telemetry.accept(report, vehicle.id, vin, now)
    except DomainError as error:
        return error


async def _update_statuses(deps: Deps, vehicles: Mapping[str, Vehicle],
                           events: Sequence[TelemetryEvent]) -> list[DomainEvent]:
    """Folds each vehicle's new events into its status; a lost race reloads and folds again.

    Returns what the new states tell (one status per vehicle whose newest state moved on).
    """
    by_vehicle: dict[str, list[TelemetryEvent]] = defaultdict(list)
    for event in events:
        by_vehicle[event.vehicle_id].append(event)
    capacities = await _capacities(deps, [vehicles[vehicle_id] for vehicle_id in by_vehicle])
    pending, told = list(by_vehicle), list[DomainEvent]()
    for _ in range(MAX_ATTEMPTS):
        befores = await deps.telemetry.statuses(pending)
        changes = _changes(pending, befores, by_vehicle, capacities)
        written = await deps.telemetry.swap_statuses(changes)
        pending = []
        for (before, after), ok in zip(changes, written, strict=True):
            if ok:
                owner_id = vehicles[after.vehicle_id].owner_id
                told += telemetry.status_events(before, after, owner_id,
                                                by_vehicle[after.vehicle_id])
            else:
                pending.append(after.vehicle_id)
        if not pending:
            return told
    raise RuntimeError(f"vehicle status kept changing under this batch: {pending[:5]}")


def _changes(vehicle_ids: Sequence[str], befores: Sequence[VehicleStatus | None],
             events: Mapping[str, Sequence[TelemetryEvent]], capacities: Mapping[str, float]
             ) -> list[tuple[VehicleStatus | None, VehicleStatus]]:
    changes: list[tuple[VehicleStatus | None, VehicleStatus]] = []
    for vehicle_id, before in zip(vehicle_ids, befores, strict=True):
        after = telemetry.advance(before, vehicle_id, events[vehicle_id], capacities[vehicle_id])
        if after is not None:
            changes.append((before, after))
    return changes


async def _capacities(deps: Deps, vehicles: Sequence[Vehicle]) -> dict[str, float]:
    """Usable capacity per vehicle: the battery as it is now when its health is known."""
    states = await deps.battery.get_many([vehicle.id for vehicle in vehicles])
    return {vehicle.id: _usable_kwh(deps, vehicle, state)
            for vehicle, state in zip(vehicles, states, strict=True)}


def _usable_kwh(deps: Deps, vehicle: Vehicle, state: BatteryState | None) -> float:
    model = find_model(vehicle.model_id)
    if model is None:
        raise LookupError(f"vehicle {vehicle.id} has unknown model {vehicle.model_id}")
    if state is None:
        return model.battery_capacity_kwh
    health = battery.assess(state, model.battery_capacity_kwh, vehicle.delivered_at,
                            deps.health_policy)
    return health.estimated_capacity_kwh or model.battery_capacity_kwh


def _odometers(events: Sequence[TelemetryEvent],
               vehicles: Mapping[str, Vehicle]) -> dict[str, float]:
    """The highest reading per vehicle where it passes the stored odometer (parked cars, most
    of a fleet at any time, cost no write); older events count too: the store never lowers it."""
    highest = {vehicle_id: vehicle.odometer_km for vehicle_id, vehicle in vehicles.items()}
    for event in events:
        if event.odometer_km is not None:
            highest[event.vehicle_id] = max(event.odometer_km, highest[event.vehicle_id])
    return {vehicle_id: km for vehicle_id, km in highest.items()
            if km > vehicles[vehicle_id].odometer_km}
