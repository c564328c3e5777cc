"""Telemetry in the store: idempotent inserts and compare-and-set statuses, on every engine."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette

from domain.access import Principal, Role
from domain.events import DomainEvent
from domain.telemetry import (
    TelemetryEvent,
    TelemetryReport,
    VehicleStatus,
    VehicleStatusReported,
)
from domain.vehicles import Vehicle
from services import telemetry as telemetry_service
from services.deps import Deps
from store.telemetry import MongoTelemetryRepository
from tests.factories import add_owner, add_vehicle

START = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
GATEWAY = Principal(Role.VEHICLE_GATEWAY, "gateway-1")


def report(vehicle: Vehicle, minute: int, soc: float, km: float) -> TelemetryReport:
    return TelemetryReport(vin=vehicle.vin, event_id=f"e-{minute}",
                           at=START + timedelta(minutes=minute), soc_percent=soc,
                           odometer_km=km, charging=False)


def status(vehicle_id: str, minute: int, driven_km: float = 0.0) -> VehicleStatus:
    return VehicleStatus(vehicle_id=vehicle_id, at=START + timedelta(minutes=minute),
                         event_id=f"e-{minute}", soc_percent=50, driven_km=driven_km)


async def test_a_status_is_replaced_only_while_it_is_the_one_read(deps: Deps) -> None:
    first, second = status("v-1", 0), status("v-1", 1, driven_km=10)
    assert await deps.telemetry.swap_statuses([(None, first)]) == [True]
    assert await deps.telemetry.swap_statuses([(None, second)]) == [False]  # exists already
    assert await deps.telemetry.swap_statuses([(first, second), (None, status("v-2", 0))]) == [
        True, True]
    assert await deps.telemetry.swap_statuses([(first, status("v-1", 2))]) == [False]  # stale
    assert await deps.telemetry.statuses(["v-2", "v-0", "v-1"]) == [status("v-2", 0), None,
                                                                      second]


async def test_indexes_expire_raw_events_and_read_them_by_vehicle_and_time(
    app: Starlette
) -> None:
    indexes = await app.state.db["telemetry"].index_information()
    assert indexes["received_ttl"]["expireAfterSeconds"] == 90 * 86_400
    assert [tuple(k) for k in indexes["vehicle_at"]["key"]] == [("vehicleId", 1), ("at", -1)]


class StaleOnce:
    """Answers the first status read with what was there before another batch landed."""

    def __init__(self, inner: MongoTelemetryRepository, stale: list[VehicleStatus | None]):
        self.inner, self.stale = inner, stale

    async def add_many(self, events: Sequence[TelemetryEvent]) -> list[bool]:
        return await self.inner.add_many(events)

    async def statuses(self, vehicle_ids: Sequence[str]) -> list[VehicleStatus | None]:
        if self.stale:
            stale, self.stale = self.stale, []
            return stale
        return await self.inner.statuses(vehicle_ids)

    async def swap_statuses(self, changes: Sequence[Any]) -> list[bool]:
        return await self.inner.swap_statuses(changes)


class Recorder:
    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    async def publish(self, *events: DomainEvent) -> None:
        self.events.extend(events)


async def test_a_batch_that_loses_a_race_folds_its_events_again(deps: Deps) -> None:
    car = await add_vehicle(deps, await add_owner(deps))
    await telemetry_service.ingest_telemetry(deps, GATEWAY, [report(car, 0, 80, 1000)])
    [before] = await deps.telemetry.statuses([car.id])
    # Charged while parked: this reading starts a new stretch of driving.
    await telemetry_service.ingest_telemetry(deps, GATEWAY, [report(car, 30, 90, 1050)])
    assert isinstance(deps.telemetry, MongoTelemetryRepository)
    recorder = Recorder()
    racing = dataclasses.replace(deps, telemetry=StaleOnce(deps.telemetry, [before]),
                                 events=recorder)
    await telemetry_service.ingest_telemetry(racing, GATEWAY, [report(car, 60, 60, 1100)])
    [after] = await deps.telemetry.statuses([car.id])
    assert after is not None
    # Folded on the stale state it would be 100 km and 20%; on the current one 50 km and 30%.
    assert (after.event_id, after.driven_km) == ("e-60", 50)
    assert after.energy_used_kwh == 0.3 * 58
    assert [type(event) for event in recorder.events] == [VehicleStatusReported]
