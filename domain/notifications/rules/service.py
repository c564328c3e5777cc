"""Service: due soon (by time or odometer), booked, the reminder 24 h before, completed."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from domain.appointments import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentCompleted,
    AppointmentEvent,
    AppointmentRescheduled,
)
from domain.notifications.model import Candidate, Kind, Priority, Withdrawal
from domain.notifications.rules.facts import APP, DAY, Facts, Proposal, Rules
from domain.telemetry import VehicleStatusReported

REMIND_BEFORE = timedelta(hours=24)


def booked(event: AppointmentEvent, facts: Facts) -> list[Proposal]:
    """Confirms the (new) time, and replaces the reminder for any earlier time."""
    proposals: list[Proposal] = [
        _withdraw_reminder(event),
        _candidate(event, facts, Kind.APPOINTMENT_CONFIRMED, Priority.NORMAL,
                   f"{event.appointment_id}:confirmed:{event.start.isoformat()}")]
    remind_at = event.start - REMIND_BEFORE
    if remind_at > facts.now:  # booked for within a day: the confirmation is the reminder
        proposals.append(replace(
            _candidate(event, facts, Kind.APPOINTMENT_REMINDER, Priority.NORMAL,
                       f"{event.appointment_id}:reminder:{event.start.isoformat()}"),
            deliver_at=remind_at, expires_at=event.start, withdraw_key=_reminder_key(event)))
    return proposals


def cancelled(event: AppointmentCancelled, facts: Facts) -> list[Proposal]:
    return [_withdraw_reminder(event)]


def completed(event: AppointmentCompleted, facts: Facts) -> list[Proposal]:
    survey = f"{APP}feedback?touchpoint=SERVICE_VISIT&relatedId={event.appointment_id}"
    candidate = _candidate(event, facts, Kind.APPOINTMENT_COMPLETED, Priority.LOW,
                           f"{event.appointment_id}:completed")
    return [_withdraw_reminder(event),
            replace(candidate, deep_link=survey, data={**candidate.data, "surveyLink": survey})]


def service_due(event: VehicleStatusReported, facts: Facts) -> list[Proposal]:
    """The soonest item due soon or overdue; once per item and due date a month."""
    due = next((item for item in facts.service_due if item.due_soon or item.overdue), None)
    if due is None or facts.vehicle is None:
        return []
    distance = due.reason == "DISTANCE" and due.due_at_km is not None
    return [Candidate(
        kind=Kind.SERVICE_DUE, owner_id=facts.owner.id, vehicle_id=event.vehicle_id,
        priority=Priority.NORMAL,
        dedup_key=f"{event.vehicle_id}:service-due:{due.service_type.value}:{due.due_on}",
        dedup_window=30 * DAY, variant="DISTANCE" if distance else "TIME",
        params={"vehicle": facts.vehicle_name, "service": due.service_type.value,
                "due_on": due.due_on, "due_km": due.due_at_km or 0.0,
                "odometer_km": facts.vehicle.odometer_km},
        deep_link=f"{APP}service/book?vehicleId={event.vehicle_id}",
        data={"serviceType": due.service_type.value, "dueOn": due.due_on.isoformat(),
              "dueAtKm": due.due_at_km, "overdue": due.overdue})]


def _candidate(event: AppointmentEvent, facts: Facts, kind: Kind, priority: Priority,
               dedup_key: str) -> Candidate:
    center = facts.center.name if facts.center else ""
    return Candidate(
        kind=kind, owner_id=facts.owner.id, vehicle_id=event.vehicle_id, priority=priority,
        dedup_key=dedup_key, dedup_window=365 * DAY,
        params={"vehicle": facts.vehicle_name, "center": center,
                "start": facts.local(event.start)},
        deep_link=f"{APP}appointments/{event.appointment_id}",
        data={"appointmentId": event.appointment_id, "start": event.start.isoformat()})


def _reminder_key(event: AppointmentEvent) -> str:
    return f"{event.appointment_id}:reminder"


def _withdraw_reminder(event: AppointmentEvent) -> Withdrawal:
    return Withdrawal(event.owner_id, _reminder_key(event))


RULES: Rules = {
    AppointmentBooked: [booked],
    AppointmentRescheduled: [booked],
    AppointmentCancelled: [cancelled],
    AppointmentCompleted: [completed],
    VehicleStatusReported: [service_due],
}
