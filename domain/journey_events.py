"""Which domain events are touchpoints of the owner's journey."""

from __future__ import annotations

from domain.appointments import AppointmentBooked, AppointmentCompleted
from domain.charging import ChargingSessionRecorded
from domain.events import DomainEvent
from domain.feedback import FeedbackSubmitted
from domain.journey import Channel, Touchpoint, TouchpointKind, service_touchpoint
from domain.notifications.model import NotificationActed, NotificationOpened
from domain.ota import UpdateInstalled
from domain.trips import TripPlanned

K, C = TouchpointKind, Channel


def touchpoint_for(event: DomainEvent, owner_id: str | None) -> Touchpoint | None:
    """The touchpoint an event is, if it is one; `owner_id` when the event does not carry it."""
    owner = getattr(event, "owner_id", None) or owner_id
    vehicle = getattr(event, "vehicle_id", None)
    found = _kind(event)
    if found is None or owner is None:
        return None
    kind, channel, related = found
    return service_touchpoint(kind, channel, owner, vehicle, event.at, related)


def _kind(event: DomainEvent) -> tuple[TouchpointKind, Channel, str] | None:
    match event:
        case ChargingSessionRecorded():
            return K.CHARGE, C.VEHICLE, event.session_id
        case TripPlanned():
            return K.TRIP_PLANNED, C.APP, f"{event.vehicle_id}:{event.at.isoformat()}"
        case AppointmentBooked():
            return K.BOOKING, C.APP, event.appointment_id
        case AppointmentCompleted():
            return K.SERVICE_VISIT, C.IN_PERSON, event.appointment_id
        case UpdateInstalled():
            return K.OTA_UPDATE, C.VEHICLE, event.update_id
        case NotificationOpened():
            return K.NOTIFICATION_OPENED, C.APP, event.notification_id
        case NotificationActed():
            return K.NOTIFICATION_ACTED, C.APP, event.notification_id
        case FeedbackSubmitted():
            return K.SURVEY, C.APP, event.feedback_id
    return None


def needs_owner(event: DomainEvent) -> bool:
    """Journey events that name only the vehicle: the owner is looked up."""
    return isinstance(event, ChargingSessionRecorded)
