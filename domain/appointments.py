"""Service appointments: booking rules and the lifecycle every appointment moves along."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain import validation
from domain.availability import MIN_NOTICE, is_offered_start
from domain.errors import InvalidInput, InvalidTransition, OutsideOpeningHours
from domain.events import DomainEvent
from domain.ids import new_id
from domain.service_centers import ServiceCenter, ServiceType, concern_categories, duration_minutes

MAX_SERVICES = 6
MAX_CONCERN = 500
MAX_ADDRESS = 200
FIRST_TIME_FIX_DAYS = 30


class AppointmentStatus(StrEnum):
    REQUESTED = "REQUESTED"
    CONFIRMED = "CONFIRMED"
    CHECKED_IN = "CHECKED_IN"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    NO_SHOW = "NO_SHOW"


S = AppointmentStatus
TRANSITIONS: dict[AppointmentStatus, frozenset[AppointmentStatus]] = {
    S.REQUESTED: frozenset({S.CONFIRMED, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.CHECKED_IN, S.CANCELLED, S.NO_SHOW}),
    S.CHECKED_IN: frozenset({S.IN_PROGRESS, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
    S.NO_SHOW: frozenset(),
}
RESCHEDULABLE = frozenset({S.REQUESTED, S.CONFIRMED})
# Leaving for one of these gives the held bays, technicians and loaner back.
RELEASES_CAPACITY = frozenset({S.CANCELLED, S.NO_SHOW})


class HistoryEntry(BaseModel):
    model_config = ConfigDict(frozen=True)
    status: AppointmentStatus
    at: datetime
    by: str


class Appointment(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    vehicle_id: str
    owner_id: str
    center_id: str
    timezone: str  # the center's, so times read back in its local time
    start: datetime
    end: datetime
    service_types: tuple[ServiceType, ...]
    status: AppointmentStatus
    loaner: bool = False
    mobile_service: bool = False
    address: str | None = None
    concern: str | None = None
    concern_categories: tuple[str, ...] = ()
    history: tuple[HistoryEntry, ...] = ()
    idempotency_key: str | None = None
    return_of: str | None = None
    reopened: bool = False
    work_performed: str | None = None
    concern_resolved: bool | None = None
    completed_at: datetime | None = None
    odometer_km: float | None = None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class BookingRequest:
    vehicle_id: str
    center_id: str
    start: datetime
    service_types: frozenset[ServiceType]
    concern: str | None = None
    loaner_requested: bool = False
    mobile_service: bool = False
    address: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class AppointmentEvent(DomainEvent):
    appointment_id: str
    vehicle_id: str
    owner_id: str
    center_id: str
    start: datetime
    status: AppointmentStatus


class AppointmentBooked(AppointmentEvent):
    pass


class AppointmentRescheduled(AppointmentEvent):
    pass


class AppointmentCancelled(AppointmentEvent):
    pass


class AppointmentCompleted(AppointmentEvent):
    pass


def event[E: AppointmentEvent](kind: type[E], appointment: Appointment, at: datetime) -> E:
    return kind(at=at, appointment_id=appointment.id, vehicle_id=appointment.vehicle_id,
                owner_id=appointment.owner_id, center_id=appointment.center_id,
                start=appointment.start, status=appointment.status)


def book(request: BookingRequest, center: ServiceCenter, owner_id: str, by: str,
         now: datetime) -> Appointment:
    """A CONFIRMED appointment (capacity is held separately, atomically, by the store)."""
    start, end = check_slot(center, request.start, request.service_types, now)
    categories = concern_categories(request.service_types)
    return Appointment(
        id=new_id(now), vehicle_id=request.vehicle_id, owner_id=owner_id, center_id=center.id,
        timezone=center.timezone,
        start=start, end=end, service_types=tuple(sorted(request.service_types)),
        status=S.CONFIRMED, loaner=request.loaner_requested,
        mobile_service=_mobile(request, center), address=_address(request),
        concern=validation.optional_bounded(request.concern, "concern", max_len=MAX_CONCERN),
        concern_categories=tuple(sorted(categories)),
        history=(HistoryEntry(status=S.CONFIRMED, at=now, by=by),),
        idempotency_key=validation.optional_bounded(request.idempotency_key, "idempotencyKey",
                                                    max_len=100),
        created_at=now)


def check_slot(center: ServiceCenter, start: datetime, types: frozenset[ServiceType],
               now: datetime) -> tuple[datetime, datetime]:
    if not types or len(types) > MAX_SERVICES:
        raise InvalidInput(f"choose 1 to {MAX_SERVICES} service types", field="serviceTypes")
    start = validation.utc(start, "start")
    if start < now + MIN_NOTICE:
        raise InvalidInput("book at least an hour ahead", field="start")
    minutes = duration_minutes(types)
    if not is_offered_start(center, start, minutes):
        raise OutsideOpeningHours("the center is closed then, or the visit would not end "
                                  "before closing; pick a start from availableServiceSlots",
                                  field="start")
    return start, start + timedelta(minutes=minutes)


def _mobile(request: BookingRequest, center: ServiceCenter) -> bool:
    if request.mobile_service and not center.offers_mobile_service:
        raise InvalidInput("this center offers no mobile service", field="mobileService")
    return request.mobile_service


def _address(request: BookingRequest) -> str | None:
    address = validation.optional_bounded(request.address, "address", max_len=MAX_ADDRESS)
    if request.mobile_service and address is None:
        raise InvalidInput("mobile service needs the address", field="address")
    return address


def check_transition(appointment: Appointment, to: AppointmentStatus, now: datetime) -> None:
    if to not in TRANSITIONS[appointment.status]:
        raise InvalidTransition(f"cannot go from {appointment.status} to {to}", field="status")
    if to is S.NO_SHOW and now < appointment.start:
        raise InvalidTransition("no-show only after the appointment's start", field="status")


def check_reschedulable(appointment: Appointment) -> None:
    if appointment.status not in RESCHEDULABLE:
        raise InvalidTransition(f"a {appointment.status} appointment cannot be rescheduled",
                                field="status")


def is_return_visit(earlier: Appointment, later: Appointment) -> bool:
    """The later visit reopens the earlier one: same car and concern within 30 days."""
    if earlier.status is not S.COMPLETED or earlier.completed_at is None:
        return False
    gap = later.start - earlier.completed_at
    within = timedelta(0) <= gap <= timedelta(days=FIRST_TIME_FIX_DAYS)
    return (earlier.id != later.id and earlier.vehicle_id == later.vehicle_id and within
            and bool(set(earlier.concern_categories) & set(later.concern_categories)))


def work_summary(text: str) -> str:
    return validation.bounded(text, "workPerformed", max_len=2000)
