"""Service appointments: book, reschedule, cancel, and the staff's lifecycle steps."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain import appointments
from domain.access import (
    Principal,
    can_change_appointment,
    can_manage_center,
    can_manage_owner_vehicles,
    ensure,
)
from domain.appointments import (
    Appointment,
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentCompleted,
    AppointmentEvent,
    AppointmentRescheduled,
    AppointmentStatus,
    BookingRequest,
    HistoryEntry,
)
from domain.availability import Hold, capacity_month, hold_for
from domain.errors import InvalidTransition
from domain.service_centers import ServiceCenter
from domain.vehicles import Vehicle
from services.deps import Deps
from services.lookup import one

S = AppointmentStatus


async def book_appointment(deps: Deps, actor: Principal, request: BookingRequest) -> Appointment:
    """Holds capacity atomically, then records the appointment; idempotent by key."""
    vehicle = await _vehicle(deps, request.vehicle_id)
    ensure(can_manage_owner_vehicles(actor, vehicle.owner_id)
           or can_manage_center(actor, request.center_id), "book for this vehicle")
    if request.idempotency_key:
        earlier = await deps.appointments.by_idempotency_key(vehicle.id, request.idempotency_key)
        if earlier is not None:
            return earlier
    center = await _center(deps, request.center_id)
    now = deps.clock()
    appointment = appointments.book(request, center, vehicle.owner_id, actor.subject, now)
    appointment = await _linked_to_return_visit(deps, appointment)
    hold = _hold(center, appointment)
    await deps.capacity.hold(center, capacity_month(center, appointment.start), hold)
    if not await deps.appointments.add(appointment):
        # Lost a race with the same idempotency key: give the capacity back, answer the winner.
        await deps.capacity.release(center.id, capacity_month(center, appointment.start), hold)
        return await _by_key(deps, vehicle.id, request.idempotency_key)
    if appointment.return_of:
        await deps.appointments.mark_reopened(appointment.return_of)
    await deps.events.publish(appointments.event(AppointmentBooked, appointment, now))
    return appointment


async def reschedule_appointment(deps: Deps, actor: Principal, appointment_id: str,
                                 start: datetime) -> Appointment:
    current = await _appointment(deps, appointment_id)
    ensure(can_change_appointment(actor, current.owner_id, current.center_id),
           "reschedule this appointment")
    appointments.check_reschedulable(current)
    center = await _center(deps, current.center_id)
    now = deps.clock()
    new_start, new_end = appointments.check_slot(center, start, frozenset(current.service_types),
                                                 now)
    moved = current.model_copy(update={"start": new_start, "end": new_end})
    await _move_capacity(deps, center, current, moved)
    entry = HistoryEntry(status=current.status, at=now, by=actor.subject)
    updated = await deps.appointments.change(current, entry, {"start": new_start,
                                                              "end": new_end})
    if updated is None:
        await _move_capacity(deps, center, moved, current)  # someone changed it meanwhile
        raise InvalidTransition("the appointment changed meanwhile; reload it", field="status")
    await deps.events.publish(appointments.event(AppointmentRescheduled, updated, now))
    return updated


async def _move_capacity(deps: Deps, center: ServiceCenter, old: Appointment,
                         new: Appointment) -> None:
    """One atomic write within a month; across months the new hold is taken first."""
    old_hold, new_hold = _hold(center, old), _hold(center, new)
    old_month, new_month = capacity_month(center, old.start), capacity_month(center, new.start)
    if old_month == new_month:
        await deps.capacity.move(center, new_month, old_hold, new_hold)
        return
    await deps.capacity.hold(center, new_month, new_hold)
    await deps.capacity.release(center.id, old_month, old_hold)


async def cancel_appointment(deps: Deps, actor: Principal, appointment_id: str) -> Appointment:
    current = await _appointment(deps, appointment_id)
    ensure(can_change_appointment(actor, current.owner_id, current.center_id),
           "cancel this appointment")
    return await _transition(deps, actor, current, S.CANCELLED, {}, AppointmentCancelled)


async def advance_appointment(deps: Deps, actor: Principal, appointment_id: str,
                              to: AppointmentStatus) -> Appointment:
    """Check-in, start of work and no-show: the center's staff (or an admin) only."""
    current = await _appointment(deps, appointment_id)
    ensure(can_manage_center(actor, current.center_id), "run this center's appointments")
    return await _transition(deps, actor, current, to, {}, None)


async def complete_appointment(deps: Deps, actor: Principal, appointment_id: str,
                               work_performed: str, concern_resolved: bool) -> Appointment:
    current = await _appointment(deps, appointment_id)
    ensure(can_manage_center(actor, current.center_id), "run this center's appointments")
    vehicle = await _vehicle(deps, current.vehicle_id)
    fields: dict[str, object] = {
        "work_performed": appointments.work_summary(work_performed),
        "concern_resolved": concern_resolved, "completed_at": deps.clock(),
        "odometer_km": vehicle.odometer_km}
    return await _transition(deps, actor, current, S.COMPLETED, fields, AppointmentCompleted)


async def _transition(deps: Deps, actor: Principal, current: Appointment, to: AppointmentStatus,
                      fields: dict[str, object],
                      event: type[AppointmentEvent] | None) -> Appointment:
    now = deps.clock()
    appointments.check_transition(current, to, now)
    entry = HistoryEntry(status=to, at=now, by=actor.subject)
    updated = await deps.appointments.change(current, entry, fields)
    if updated is None:
        raise InvalidTransition("the appointment changed meanwhile; reload it", field="status")
    if to in appointments.RELEASES_CAPACITY:
        center = await _center(deps, current.center_id)
        await deps.capacity.release(center.id, capacity_month(center, current.start),
                                   _hold(center, current))
    if event is not None:
        await deps.events.publish(appointments.event(event, updated, now))
    return updated


async def _linked_to_return_visit(deps: Deps, appointment: Appointment) -> Appointment:
    if not appointment.concern_categories:
        return appointment
    since = appointment.start - timedelta(days=appointments.FIRST_TIME_FIX_DAYS)
    earlier = await deps.appointments.last_completed(
        appointment.vehicle_id, appointment.concern_categories, since)
    if earlier is None or not appointments.is_return_visit(earlier, appointment):
        return appointment
    return appointment.model_copy(update={"return_of": earlier.id})


def _hold(center: ServiceCenter, appointment: Appointment) -> Hold:
    return hold_for(center, appointment.start, frozenset(appointment.service_types),
                    appointment.loaner, appointment.mobile_service)


async def _vehicle(deps: Deps, vehicle_id: str) -> Vehicle:
    return await one(deps.vehicles.get_many, vehicle_id, "vehicle", "vehicleId")


async def _center(deps: Deps, center_id: str) -> ServiceCenter:
    return await one(deps.centers.get_many, center_id, "service center", "centerId")


async def _appointment(deps: Deps, appointment_id: str) -> Appointment:
    return await one(deps.appointments.get_many, appointment_id, "appointment", "id")


async def _by_key(deps: Deps, vehicle_id: str, key: str | None) -> Appointment:
    found = await deps.appointments.by_idempotency_key(vehicle_id, key or "")
    if found is None:
        raise LookupError("duplicate idempotency key but no appointment holds it")
    return found
