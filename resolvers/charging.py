"""Charging sessions and statistics: types, Vehicle fields and the recording mutations."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Protocol, Self

import strawberry
from strawberry import relay
from strawberry.types import Info

from domain import charging, charging_stats
from domain.access import can_read_owner, ensure
from domain.charging import CostSource, LocationType, SessionReport
from domain.errors import DomainError, InvalidInput
from domain.geo import point
from domain.pagination import page_request
from resolvers.context import Context
from resolvers.geo import GeoPoint, GeoPointInput
from resolvers.relay import connection, local_id
from resolvers.user_errors import UserError, attempt, user_error
from services import charging as charging_service
from services.charging import RecordStatus, VehicleRef

strawberry.enum(LocationType, description="Where the car charged.")
strawberry.enum(CostSource, description="Where a session's cost came from.")
strawberry.enum(RecordStatus, description="What happened to a report.")
From = Annotated[datetime | None, strawberry.argument(name="from",
                                                      description="Started at or after.")]
To = Annotated[datetime | None, strawberry.argument(description="Started before.")]


class VehicleRoot(Protocol):
    id: str
    owner_id: str


@strawberry.type(description="One finished charging session.")
class ChargingSession(relay.Node):
    id: relay.NodeID[str]
    vehicle_id: strawberry.Private[str]
    external_id: str = strawberry.field(description="The reporter's id; repeats are ignored.")
    started_at: datetime = strawberry.field(description="Plug-in time.")
    ended_at: datetime = strawberry.field(description="End of charging.")
    location_type: LocationType = strawberry.field(description="Where it charged.")
    energy_delivered_kwh: float = strawberry.field(description="Metered at the charger (billed).")
    energy_added_kwh: float | None = strawberry.field(
        description="Reported by the car: what entered the battery.")
    soc_start_percent: float = strawberry.field(description="State of charge at the start.")
    soc_end_percent: float = strawberry.field(description="State of charge at the end.")
    peak_power_kw: float | None = strawberry.field(description="Highest charging power.")
    cost: float | None = strawberry.field(description="What it cost, in `currency`.")
    currency: str | None = strawberry.field(description="ISO 4217 code of `cost`.")
    cost_source: CostSource = strawberry.field(
        description="REPORTED, HOME_TARIFF (priced from the owner's tariff) or UNKNOWN.")
    station_id: str | None = strawberry.field(description="Charging station id.")
    operator: str | None = strawberry.field(description="Charge point operator.")
    location: GeoPoint | None = strawberry.field(description="Where, if reported.")
    battery_temp_c: float | None = strawberry.field(description="Battery temperature, °C.")
    duration_minutes: float = strawberry.field(description="endedAt - startedAt, minutes.")
    average_power_kw: float = strawberry.field(description="Energy delivered / duration, kW.")
    cost_per_kwh: float | None = strawberry.field(description="cost / energy delivered.")

    @classmethod
    def from_domain(cls, s: charging.ChargingSession) -> Self:
        return cls(
            id=s.id, vehicle_id=s.vehicle_id, external_id=s.external_id, started_at=s.started_at,
            ended_at=s.ended_at, location_type=s.location_type,
            energy_delivered_kwh=s.energy_delivered_kwh, energy_added_kwh=s.energy_added_kwh,
            soc_start_percent=s.soc_start_percent, soc_end_percent=s.soc_end_percent,
            peak_power_kw=s.peak_power_kw, cost=s.cost, currency=s.currency,
            cost_source=s.cost_source, station_id=s.station_id, operator=s.operator,
            location=GeoPoint(lat=s.location.lat, lng=s.location.lng) if s.location else None,
            battery_temp_c=s.battery_temp_c, duration_minutes=round(s.duration_minutes, 2),
            average_power_kw=round(s.average_power_kw, 3),
            cost_per_kwh=round(s.cost_per_kwh, 4) if s.cost_per_kwh is not None else None)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # async form of the overloads
        cls, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        loaders, actor = info.context.loaders, info.context.actor
        sessions = await loaders.charging_session.load_many(list(node_ids))
        vehicles = await loaders.vehicle.load_many([s.vehicle_id for s in sessions if s])
        for vehicle in vehicles:
            ensure(vehicle is not None and can_read_owner(actor, vehicle.owner_id),
                   "see this charging session")
        return [cls.from_domain(session) if session else None for session in sessions]


@strawberry.type(description="Total cost in one currency.")
class CurrencyTotal:
    currency: str = strawberry.field(description="ISO 4217 code.")
    amount: float = strawberry.field(description="Sum of session costs.")
    energy_kwh: float = strawberry.field(description="Energy of the sessions with this cost.")
    average_cost_per_kwh: float | None = strawberry.field(description="amount / energyKwh.")

    @classmethod
    def from_domain(cls, total: charging_stats.CurrencyTotal) -> Self:
        average = total.average_per_kwh
        return cls(currency=total.currency, amount=total.amount, energy_kwh=total.energy_kwh,
                   average_cost_per_kwh=round(average, 4) if average is not None else None)


@strawberry.type(description="Energy charged at one kind of location.")
class LocationShare:
    location_type: LocationType = strawberry.field(description="Kind of location.")
    energy_kwh: float = strawberry.field(description="Energy delivered there.")
    share: float = strawberry.field(description="Share of all energy, 0..1.")


@strawberry.type(description="One calendar month (owner's timezone).")
class MonthStats:
    month: str = strawberry.field(description="YYYY-MM.")
    sessions: int = strawberry.field(description="Sessions started that month.")
    energy_kwh: float = strawberry.field(description="Energy delivered.")
    costs: list[CurrencyTotal] = strawberry.field(description="Cost per currency.")


@strawberry.type(description="Charging summary over a period.")
class ChargingStats:
    sessions: int = strawberry.field(description="Number of sessions.")
    total_energy_kwh: float = strawberry.field(description="Energy delivered, kWh.")
    total_cost: list[CurrencyTotal] = strawberry.field(
        description="Cost per currency, with the average cost per kWh in it.")
    energy_by_location: list[LocationShare] = strawberry.field(
        description="Share of energy by location type.")
    average_session_minutes: float | None = strawberry.field(description="Mean session length.")
    by_month: list[MonthStats] = strawberry.field(description="Monthly series, ascending.")

    @classmethod
    def from_domain(cls, stats: charging_stats.ChargingStats) -> Self:
        return cls(
            sessions=stats.sessions, total_energy_kwh=stats.energy_kwh,
            total_cost=[CurrencyTotal.from_domain(c) for c in stats.costs],
            energy_by_location=[LocationShare(location_type=s.location_type,
                                              energy_kwh=s.energy_kwh, share=s.share)
                                for s in stats.by_location],
            average_session_minutes=stats.average_session_minutes,
            by_month=[MonthStats(month=m.month, sessions=m.sessions, energy_kwh=m.energy_kwh,
                                 costs=[CurrencyTotal.from_domain(c) for c in m.costs])
                      for m in stats.by_month])


def _ensure_owner_view(info: Info[Context, None], root: VehicleRoot) -> None:
    """Where and when someone charges is theirs: service staff reaching a vehicle through an
    appointment see its battery health, not its charging history."""
    ensure(can_read_owner(info.context.actor, root.owner_id), "see this vehicle's charging")


async def charging_sessions(
    root: strawberry.Parent[VehicleRoot], info: Info[Context, None], first: int | None = None,
    after: str | None = None, from_: From = None, to: To = None,
    location_type: LocationType | None = None,
) -> relay.Connection[ChargingSession]:
    _ensure_owner_view(info, root)
    where = charging_stats.SessionFilter(charging_stats.window(from_, to), location_type)
    page = await info.context.loaders.charging_sessions.load(
        (root.id, (page_request(first, after), where)))
    return connection(page, ChargingSession.from_domain, key=lambda session: session.id)


async def charging_stats_of(
    root: strawberry.Parent[VehicleRoot], info: Info[Context, None], from_: From = None,
    to: To = None,
) -> ChargingStats:
    _ensure_owner_view(info, root)
    loaders = info.context.loaders
    owner = await loaders.owner.load(root.owner_id)
    timezone = owner.timezone if owner else "UTC"
    rows = await loaders.charging_stats.load((root.id, (charging_stats.window(from_, to),
                                                        timezone)))
    return ChargingStats.from_domain(charging_stats.summarize(rows))


@strawberry.input(description="A finished charging session, as the car or a charging backend "
                              "reports it. Give vehicleId or vin.")
class ChargingSessionInput:
    vehicle_id: strawberry.ID | None = strawberry.field(default=None, description="Vehicle ID.")
    vin: str | None = strawberry.field(default=None, description="Or the vehicle's VIN.")
    external_id: str = strawberry.field(description="Reporter's id: the same id twice stores "
                                                    "one session.")
    started_at: datetime = strawberry.field(description="Start.")
    ended_at: datetime = strawberry.field(description="End; after the start.")
    location_type: LocationType = strawberry.field(description="Where.")
    energy_delivered_kwh: float = strawberry.field(description="Metered at the charger.")
    energy_added_kwh: float | None = strawberry.field(default=None,
                                                      description="Reported by the car.")
    soc_start_percent: float = strawberry.field(description="0..100.")
    soc_end_percent: float = strawberry.field(description="0..100, not below the start.")
    peak_power_kw: float | None = strawberry.field(default=None, description="Peak power, kW.")
    cost: float | None = strawberry.field(default=None,
                                          description="Cost; omitted at home: priced from the "
                                                      "owner's home tariff.")
    currency: str | None = strawberry.field(default=None, description="ISO 4217, with cost.")
    station_id: str | None = strawberry.field(default=None, description="Station id.")
    operator: str | None = strawberry.field(default=None, description="Operator.")
    location: GeoPointInput | None = strawberry.field(default=None, description="Where.")
    battery_temp_c: float | None = strawberry.field(default=None, description="Battery °C.")

    def to_domain(self) -> tuple[VehicleRef, SessionReport]:
        ref = VehicleRef(local_id(self.vehicle_id, "Vehicle", "vehicleId")
                         if self.vehicle_id is not None else None, self.vin)
        return ref, SessionReport(
            external_id=self.external_id, started_at=self.started_at, ended_at=self.ended_at,
            location_type=self.location_type, energy_delivered_kwh=self.energy_delivered_kwh,
            soc_start_percent=self.soc_start_percent, soc_end_percent=self.soc_end_percent,
            energy_added_kwh=self.energy_added_kwh, peak_power_kw=self.peak_power_kw,
            cost=self.cost, currency=self.currency, station_id=self.station_id,
            operator=self.operator, battery_temp_c=self.battery_temp_c,
            location=point(self.location.lat, self.location.lng) if self.location else None)


@strawberry.type(description="The result of recordChargingSession.")
class RecordChargingSessionPayload:
    session: ChargingSession | None = strawberry.field(description="The stored session.")
    duplicate: bool = strawberry.field(description="True if it had been stored before.")
    errors: list[UserError] = strawberry.field(description="Why nothing was stored.")


@strawberry.type(description="What happened to one report of a batch.")
class ChargingSessionResult:
    index: int = strawberry.field(description="Position in `inputs`.")
    status: RecordStatus = strawberry.field(description="STORED, DUPLICATE or REJECTED.")
    session: ChargingSession | None = strawberry.field(description="Stored (or earlier) session.")
    errors: list[UserError] = strawberry.field(description="Why it was rejected.")


@strawberry.type(description="The result of recordChargingSessions.")
class RecordChargingSessionsPayload:
    results: list[ChargingSessionResult] = strawberry.field(description="One per input, in order.")
    stored: int = strawberry.field(description="New sessions stored.")
    duplicates: int = strawberry.field(description="Reports of sessions stored before.")
    rejected: int = strawberry.field(description="Reports refused (see their errors).")


def _result(index: int, item: tuple[VehicleRef, SessionReport] | UserError,
            result: charging_service.RecordResult | None) -> ChargingSessionResult:
    if result is None or isinstance(item, UserError):
        errors = [item] if isinstance(item, UserError) else []
        return ChargingSessionResult(index=index, status=RecordStatus.REJECTED, session=None,
                                     errors=errors)
    session = ChargingSession.from_domain(result.session) if result.session else None
    errors = [user_error(result.error)] if result.error else []
    return ChargingSessionResult(index=index, status=result.status, session=session,
                                 errors=errors)


def _parse(input: ChargingSessionInput) -> tuple[VehicleRef, SessionReport] | UserError:
    try:
        return input.to_domain()
    except DomainError as error:
        return user_error(error)


@strawberry.type
class ChargingMutation:
    @strawberry.mutation(description="Records a finished charging session (ADMIN, or the "
                                     "vehicle's OWNER). Idempotent by externalId.")
    async def record_charging_session(self, info: Info[Context, None],
                                      input: ChargingSessionInput
                                      ) -> RecordChargingSessionPayload:
        context = info.context

        async def record() -> charging_service.RecordResult:
            ref, report = input.to_domain()
            return await charging_service.record_charging_session(context.deps, context.actor,
                                                                  ref, report)

        result, errors = await attempt(record)
        session = result.session if result else None
        return RecordChargingSessionPayload(
            session=ChargingSession.from_domain(session) if session else None,
            duplicate=result is not None and result.status is RecordStatus.DUPLICATE,
            errors=errors)

    @strawberry.mutation(description="Records up to 1,000 sessions; each is stored, recognised "
                                     "as a duplicate, or rejected on its own.")
    async def record_charging_sessions(self, info: Info[Context, None],
                                       inputs: list[ChargingSessionInput]
                                       ) -> RecordChargingSessionsPayload:
        context = info.context
        if len(inputs) > charging_service.MAX_BATCH:
            raise InvalidInput(f"at most {charging_service.MAX_BATCH} sessions per call",
                               field="inputs")
        parsed = [_parse(item) for item in inputs]
        valid = [(i, item) for i, item in enumerate(parsed) if not isinstance(item, UserError)]
        recorded = await charging_service.record_charging_sessions(
            context.deps, context.actor, [item for _, item in valid])
        by_index = dict(zip((i for i, _ in valid), recorded, strict=True))
        results = [_result(i, item, by_index.get(i)) for i, item in enumerate(parsed)]
        count = {status: sum(r.status is status for r in results) for status in RecordStatus}
        return RecordChargingSessionsPayload(
            results=results, stored=count[RecordStatus.STORED],
            duplicates=count[RecordStatus.DUPLICATE], rejected=count[RecordStatus.REJECTED])
