"""Telemetry: the ingestTelemetry mutation and Vehicle.measuredConsumptionWhPerKm."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import strawberry
from strawberry.types import Info

from domain import telemetry
from domain.geo import GeoPoint
from domain.telemetry import TelemetryReport
from resolvers.context import Context
from resolvers.geo import GeoPointInput
from resolvers.user_errors import UserError, user_error
from services import telemetry as telemetry_service
from services.charging import RecordStatus


class VehicleRoot(Protocol):
    id: str


@strawberry.input(description="One event from a connected car, as the vehicle gateway forwards "
                              "it. Values left out were not measured in this event.")
class TelemetryInput:
    vin: str = strawberry.field(description="The car's VIN.")
    event_id: str = strawberry.field(description="The car's id for this event, 1 to 100 "
                                                 "characters; the same id again (for this VIN) "
                                                 "is a DUPLICATE.")
    at: datetime = strawberry.field(description="When the car measured it; at most 5 minutes "
                                                "ahead of the server's clock.")
    soc_percent: float | None = strawberry.field(default=None,
                                                 description="State of charge, 0..100.")
    odometer_km: float | None = strawberry.field(default=None, description="Odometer, km.")
    range_km: float | None = strawberry.field(default=None,
                                              description="The car's own range estimate, km.")
    battery_temp_c: float | None = strawberry.field(default=None,
                                                    description="Battery temperature, °C.")
    location: GeoPointInput | None = strawberry.field(default=None, description="Where.")
    charging: bool | None = strawberry.field(default=None, description="Plugged in and charging.")
    charger_power_kw: float | None = strawberry.field(default=None,
                                                      description="Charging power now, kW.")
    fault_codes: list[str] | None = strawberry.field(
        default=None, description="Every fault code active now (at most 50); [] clears them, "
                                  "null leaves them as they were.")

    def to_domain(self) -> TelemetryReport:
        location = self.location
        return TelemetryReport(
            vin=self.vin, event_id=self.event_id, at=self.at, soc_percent=self.soc_percent,
            odometer_km=self.odometer_km, range_km=self.range_km,
            battery_temp_c=self.battery_temp_c, charging=self.charging,
            location=GeoPoint(lat=location.lat, lng=location.lng) if location else None,
            charger_power_kw=self.charger_power_kw,
            fault_codes=tuple(self.fault_codes) if self.fault_codes is not None else None)


@strawberry.type(description="What happened to one event of a batch.")
class TelemetryEventResult:
    index: int = strawberry.field(description="Position in `batch`.")
    event_id: str = strawberry.field(description="The event's eventId, as sent.")
    vin: str = strawberry.field(description="The event's VIN, as sent.")
    status: RecordStatus = strawberry.field(description="STORED, DUPLICATE (stored before) or "
                                                        "REJECTED (see errors; not stored).")
    errors: list[UserError] = strawberry.field(description="Why it was rejected.")


@strawberry.type(description="The result of ingestTelemetry.")
class IngestTelemetryPayload:
    results: list[TelemetryEventResult] = strawberry.field(description="One per event, in order.")
    stored: int = strawberry.field(description="New events stored.")
    duplicates: int = strawberry.field(description="Events stored before.")
    rejected: int = strawberry.field(description="Events refused (see their errors).")


def _result(index: int, item: TelemetryInput,
            result: telemetry_service.IngestResult) -> TelemetryEventResult:
    return TelemetryEventResult(index=index, event_id=item.event_id, vin=item.vin,
                                status=result.status,
                                errors=[user_error(result.error)] if result.error else [])


@strawberry.type
class TelemetryMutation:
    @strawberry.mutation(description="Stores up to 1,000 telemetry events (VEHICLE_GATEWAY or "
                                     "ADMIN). Idempotent per VIN and eventId; each event is "
                                     "stored, a duplicate, or rejected on its own. Events older "
                                     "than a vehicle's newest state are kept but never "
                                     "replace it.")
    async def ingest_telemetry(self, info: Info[Context, None],
                               batch: list[TelemetryInput]) -> IngestTelemetryPayload:
        context = info.context
        actor = context.actor
        reports = [item.to_domain() for item in batch]
        ingested = await telemetry_service.ingest_telemetry(context.deps, actor, reports)
        results = [_result(i, item, result)
                   for i, (item, result) in enumerate(zip(batch, ingested, strict=True))]
        count = {status: sum(r.status is status for r in results) for status in RecordStatus}
        return IngestTelemetryPayload(
            results=results, stored=count[RecordStatus.STORED],
            duplicates=count[RecordStatus.DUPLICATE], rejected=count[RecordStatus.REJECTED])


async def measured_consumption_of(root: strawberry.Parent[VehicleRoot],
                                  info: Info[Context, None]) -> float | None:
    status = await info.context.loaders.vehicle_status.load(root.id)
    measured = telemetry.measured_wh_per_km(status)
    return round(measured, 1) if measured is not None else None
