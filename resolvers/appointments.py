"""Appointments: the type, Vehicle.appointments and serviceDue, and the lifecycle mutations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Protocol, Self
from zoneinfo import ZoneInfo

import strawberry
from strawberry import relay
from strawberry.types import Info

from domain import appointments, service_schedule
from domain.access import can_change_appointment, can_read_owner, ensure
from domain.appointments import AppointmentStatus, BookingRequest
from domain.pagination import page_request
from domain.service_centers import ServiceType
from domain.vehicles import Vehicle as DomainVehicle
from resolvers.context import Context
from resolvers.relay import connection, local_id
from resolvers.service_centers import ServiceCenter
from resolvers.user_errors import UserError, attempt
from services import appointments as appointment_service

if TYPE_CHECKING:
    from resolvers.vehicles import Vehicle


VehicleRef = Annotated["Vehicle", strawberry.lazy("resolvers.vehicles")]


class VehicleRoot(Protocol):
    id: str
    owner_id: str


@strawberry.type(description="One status change.")
class HistoryEntry:
    status: AppointmentStatus = strawberry.field(description="The status entered.")
    at: datetime = strawberry.field(description="When.")
    by: str = strawberry.field(description="Who (token subject).")


@strawberry.type(description="A service appointment at a center (or mobile, at an address).")
class Appointment(relay.Node):
    id: relay.NodeID[str]
    start: datetime = strawberry.field(description="Start, center's local time.")
    end: datetime = strawberry.field(description="End, center's local time.")
    service_types: list[ServiceType] = strawberry.field(description="Services booked.")
    status: AppointmentStatus = strawberry.field(description="Lifecycle status.")
    loaner: bool = strawberry.field(description="A loaner car is reserved.")
    mobile_service: bool = strawberry.field(description="Done at the owner's address.")
    address: str | None = strawberry.field(description="Where, for mobile service.")
    concern: str | None = strawberry.field(description="The owner's description.")
    history: list[HistoryEntry] = strawberry.field(description="Every status change.")
    created_at: datetime = strawberry.field(description="When it was booked.")
    work_performed: str | None = strawberry.field(description="Filled in at completion.")
    concern_resolved: bool | None = strawberry.field(description="Filled in at completion.")
    reopened: bool = strawberry.field(
        description="A return visit for the same concern followed within 30 days.")
    vehicle_id: strawberry.Private[str]
    center_id: strawberry.Private[str]
    owner_id: strawberry.Private[str]

    @classmethod
    def from_domain(cls, a: appointments.Appointment) -> Self:
        zone = ZoneInfo(a.timezone)
        return cls(
            id=a.id, start=a.start.astimezone(zone), end=a.end.astimezone(zone),
            service_types=list(a.service_types), status=a.status, loaner=a.loaner,
            mobile_service=a.mobile_service, address=a.address, concern=a.concern,
            history=[HistoryEntry(status=h.status, at=h.at, by=h.by) for h in a.history],
            created_at=a.created_at, work_performed=a.work_performed,
            concern_resolved=a.concern_resolved, reopened=a.reopened, vehicle_id=a.vehicle_id,
            center_id=a.center_id, owner_id=a.owner_id)

    @strawberry.field(description="The vehicle serviced.")
    async def vehicle(self, info: Info[Context, None]) -> VehicleRef:
        from resolvers.vehicles import Vehicle

        found = await info.context.loaders.vehicle.load(self.vehicle_id)
        if found is None:
            raise LookupError(f"appointment {self.id} has no vehicle")
        return Vehicle.from_domain(found)

    @strawberry.field(description="The service center.")
    async def center(self, info: Info[Context, None]) -> ServiceCenter:
        found = await info.context.loaders.center.load(self.center_id)
        if found is None:
            raise LookupError(f"appointment {self.id} has no center")
        return ServiceCenter.from_domain(found)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # async form of the overloads
        cls, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        actor = info.context.actor
        found = await info.context.loaders.appointment.load_many(list(node_ids))
        for item in found:
            if item is not None:
                ensure(can_change_appointment(actor, item.owner_id, item.center_id),
                       "see this appointment")
        return [cls.from_domain(item) if item else None for item in found]


@strawberry.type(description="A maintenance item and when it falls due.")
class ServiceDue:
    service_type: ServiceType = strawberry.field(description="What is due.")
    due_on: date = strawberry.field(description="By time, or by distance at the car's pace.")
    due_at_km: float | None = strawberry.field(description="Odometer reading it is due at.")
    reason: str = strawberry.field(description="TIME or DISTANCE, whichever comes first.")
    overdue: bool = strawberry.field(description="On or past its date, or its distance.")
    due_soon: bool = strawberry.field(description="Within 30 days or 1,000 km.")


async def vehicle_appointments(root: strawberry.Parent[VehicleRoot], info: Info[Context, None],
                               first: int | None = None, after: str | None = None
                               ) -> relay.Connection[Appointment]:
    # A car's visits at every center are its owner's history; staff see their center's calendar.
    ensure(can_read_owner(info.context.actor, root.owner_id), "see this vehicle's appointments")
    page = await info.context.loaders.appointments_by_vehicle.load(
        (root.id, page_request(first, after)))
    return connection(page, Appointment.from_domain, key=lambda a: a.id)


async def vehicle_next_appointment(root: strawberry.Parent[VehicleRoot],
                                   info: Info[Context, None]) -> Appointment | None:
    found = await info.context.loaders.next_appointment.load(root.id)
    return Appointment.from_domain(found) if found else None


async def vehicle_service_due(root: strawberry.Parent[VehicleRoot],
                              info: Info[Context, None]) -> list[ServiceDue]:
    loaders = info.context.loaders
    vehicle: DomainVehicle | None = await loaders.vehicle.load(root.id)
    if vehicle is None:
        return []
    last = await loaders.last_services.load(root.id)
    due = service_schedule.service_due(vehicle, last, info.context.deps.clock())
    return [ServiceDue(service_type=d.service_type, due_on=d.due_on, due_at_km=d.due_at_km,
                       reason=d.reason, overdue=d.overdue, due_soon=d.due_soon) for d in due]


@strawberry.input(description="A booking request.")
class BookServiceAppointmentInput:
    vehicle_id: strawberry.ID = strawberry.field(description="The vehicle.")
    center_id: strawberry.ID = strawberry.field(description="The service center.")
    start: datetime = strawberry.field(description="A start from availableServiceSlots.")
    service_types: list[ServiceType] = strawberry.field(description="1 to 6 services.")
    concern: str | None = strawberry.field(default=None, description="What the owner noticed.")
    loaner_requested: bool = strawberry.field(default=False, description="Reserve a loaner.")
    mobile_service: bool = strawberry.field(default=False, description="At `address` instead.")
    address: str | None = strawberry.field(default=None, description="For mobile service.")


@strawberry.input(description="What was done.")
class CompleteServiceAppointmentInput:
    work_performed: str = strawberry.field(description="Work summary, up to 2,000 characters.")
    concern_resolved: bool = strawberry.field(description="Whether the concern is fixed.")


@strawberry.type(description="The result of an appointment mutation.")
class AppointmentPayload:
    appointment: Appointment | None = strawberry.field(description="The appointment now.")
    errors: list[UserError] = strawberry.field(description="Why nothing changed.")


async def _payload(call: Callable[[], Awaitable[appointments.Appointment]]) -> AppointmentPayload:
    result, errors = await attempt(call)
    return AppointmentPayload(appointment=Appointment.from_domain(result) if result else None,
                              errors=errors)


def _appointment_id(value: strawberry.ID) -> str:
    return local_id(value, "Appointment")


@strawberry.type
class AppointmentMutation:
    @strawberry.mutation(description="Books a visit (the vehicle's OWNER, the center's staff, "
                                     "or ADMIN). The same idempotencyKey books once.")
    async def book_service_appointment(self, info: Info[Context, None],
                                       input: BookServiceAppointmentInput,
                                       idempotency_key: str | None = None) -> AppointmentPayload:
        context = info.context

        async def book() -> appointments.Appointment:
            request = BookingRequest(
                vehicle_id=local_id(input.vehicle_id, "Vehicle", "vehicleId"),
                center_id=local_id(input.center_id, "ServiceCenter", "centerId"),
                start=input.start, service_types=frozenset(input.service_types),
                concern=input.concern, loaner_requested=input.loaner_requested,
                mobile_service=input.mobile_service, address=input.address,
                idempotency_key=idempotency_key)
            return await appointment_service.book_appointment(context.deps, context.actor,
                                                              request)

        return await _payload(book)

    @strawberry.mutation(description="Moves a REQUESTED or CONFIRMED appointment to a new start.")
    async def reschedule_service_appointment(self, info: Info[Context, None], id: strawberry.ID,
                                             start: datetime) -> AppointmentPayload:
        c = info.context
        return await _payload(lambda: appointment_service.reschedule_appointment(
            c.deps, c.actor, _appointment_id(id), start))

    @strawberry.mutation(description="Cancels (owner, the center's staff or ADMIN).")
    async def cancel_service_appointment(self, info: Info[Context, None],
                                         id: strawberry.ID) -> AppointmentPayload:
        c = info.context
        return await _payload(lambda: appointment_service.cancel_appointment(
            c.deps, c.actor, _appointment_id(id)))

    @strawberry.mutation(description="The car has arrived. Center staff only.")
    async def check_in_service_appointment(self, info: Info[Context, None],
                                           id: strawberry.ID) -> AppointmentPayload:
        return await _advance(info, id, AppointmentStatus.CHECKED_IN)

    @strawberry.mutation(description="Work has started. Center staff only.")
    async def start_service_work(self, info: Info[Context, None],
                                 id: strawberry.ID) -> AppointmentPayload:
        return await _advance(info, id, AppointmentStatus.IN_PROGRESS)

    @strawberry.mutation(description="The owner did not come. Center staff only, after start.")
    async def mark_service_no_show(self, info: Info[Context, None],
                                   id: strawberry.ID) -> AppointmentPayload:
        return await _advance(info, id, AppointmentStatus.NO_SHOW)

    @strawberry.mutation(description="Work is done. Center staff only.")
    async def complete_service_appointment(self, info: Info[Context, None], id: strawberry.ID,
                                           input: CompleteServiceAppointmentInput
                                           ) -> AppointmentPayload:
        c = info.context
        return await _payload(lambda: appointment_service.complete_appointment(
            c.deps, c.actor, _appointment_id(id), input.work_performed, input.concern_resolved))


async def _advance(info: Info[Context, None], id: strawberry.ID,
                   to: AppointmentStatus) -> AppointmentPayload:
    c = info.context
    return await _payload(lambda: appointment_service.advance_appointment(
        c.deps, c.actor, _appointment_id(id), to))
