"""The ownership journey: stages derived per vehicle, and the touchpoints that make a timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain import validation
from domain.errors import InvalidInput
from domain.events import DomainEvent
from domain.ids import new_id
from domain.vehicles import Vehicle


class OwnershipStage(StrEnum):
    ONBOARDING = "ONBOARDING"
    EARLY_OWNERSHIP = "EARLY_OWNERSHIP"
    ESTABLISHED = "ESTABLISHED"
    RENEWAL = "RENEWAL"
    LAPSED = "LAPSED"


@dataclass(frozen=True, slots=True)
class StageThresholds:
    """Settings (EVJ_STAGE_*): where one stage ends and the next begins."""

    onboarding_days: int = 90
    early_ownership_days: int = 365
    renewal_days: int = 4 * 365  # the end of a typical warranty, lease or financing term
    renewal_km: float = 150_000
    lapsed_days: int = 180  # no app use and no service for this long


DEFAULT_THRESHOLDS = StageThresholds()


def ownership_stage(vehicle: Vehicle, now: datetime, last_app_use: datetime | None,
                    last_service: datetime | None,
                    thresholds: StageThresholds = DEFAULT_THRESHOLDS) -> OwnershipStage:
    """LAPSED (no app use and no service for a long time) outranks the age-based stages; then
    RENEWAL (near the term's end or at high mileage), else by time since delivery."""
    age = now - vehicle.delivered_at
    quiet_since = max((t for t in (last_app_use, last_service, vehicle.delivered_at) if t),
                      default=vehicle.delivered_at)
    if age >= timedelta(days=thresholds.onboarding_days) and (
            now - quiet_since >= timedelta(days=thresholds.lapsed_days)):
        return OwnershipStage.LAPSED
    if (age >= timedelta(days=thresholds.renewal_days)
            or vehicle.odometer_km >= thresholds.renewal_km):
        return OwnershipStage.RENEWAL
    if age < timedelta(days=thresholds.onboarding_days):
        return OwnershipStage.ONBOARDING
    if age < timedelta(days=thresholds.early_ownership_days):
        return OwnershipStage.EARLY_OWNERSHIP
    return OwnershipStage.ESTABLISHED


class TouchpointKind(StrEnum):
    APP_OPEN = "APP_OPEN"
    APP_SESSION = "APP_SESSION"
    CHARGE = "CHARGE"
    TRIP_PLANNED = "TRIP_PLANNED"
    BOOKING = "BOOKING"
    SERVICE_VISIT = "SERVICE_VISIT"
    OTA_UPDATE = "OTA_UPDATE"
    NOTIFICATION_OPENED = "NOTIFICATION_OPENED"
    NOTIFICATION_ACTED = "NOTIFICATION_ACTED"
    SURVEY = "SURVEY"
    SUPPORT_CONTACT = "SUPPORT_CONTACT"


# What the app may report itself; the rest the service records from its own events.
APP_REPORTED = frozenset({TouchpointKind.APP_OPEN, TouchpointKind.APP_SESSION,
                          TouchpointKind.SUPPORT_CONTACT})
APP_USE = frozenset({TouchpointKind.APP_OPEN, TouchpointKind.APP_SESSION,
                     TouchpointKind.NOTIFICATION_OPENED, TouchpointKind.NOTIFICATION_ACTED})


class Channel(StrEnum):
    APP = "APP"
    WEB = "WEB"
    PUSH = "PUSH"
    EMAIL = "EMAIL"
    VEHICLE = "VEHICLE"
    IN_PERSON = "IN_PERSON"
    PHONE = "PHONE"


class Sentiment(StrEnum):
    POSITIVE = "POSITIVE"
    NEUTRAL = "NEUTRAL"
    NEGATIVE = "NEGATIVE"


class Touchpoint(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    owner_id: str
    vehicle_id: str | None = None
    kind: TouchpointKind
    channel: Channel
    at: datetime
    sentiment: Sentiment | None = None
    event_key: str  # idempotency: one touchpoint per key
    related_id: str | None = None


@dataclass(frozen=True, slots=True)
class TouchpointReport:
    """An app-side event as the app sends it."""

    event_id: str
    kind: TouchpointKind
    channel: Channel
    at: datetime
    vehicle_id: str | None = None
    sentiment: Sentiment | None = None


MAX_FUTURE = timedelta(minutes=5)
MAX_PAST = timedelta(days=30)  # apps buffer offline; older reports are not journey news


def app_touchpoint(report: TouchpointReport, owner_id: str, now: datetime) -> Touchpoint:
    if report.kind not in APP_REPORTED:
        raise InvalidInput(f"the app may report {', '.join(sorted(APP_REPORTED))}; the service "
                           f"records {report.kind} itself", field="kind")
    at = validation.utc(report.at, "at")
    if not now - MAX_PAST <= at <= now + MAX_FUTURE:
        raise InvalidInput("at must be within the last 30 days", field="at")
    event_id = validation.bounded(report.event_id, "eventId", max_len=100)
    return Touchpoint(id=new_id(at), owner_id=owner_id, vehicle_id=report.vehicle_id,
                      kind=report.kind, channel=report.channel, at=at,
                      sentiment=report.sentiment, event_key=app_event_key(owner_id, event_id))


def app_event_key(owner_id: str, event_id: str) -> str:
    """The key of an app-side touchpoint: the app's own event id, per owner (history written
    for the app, as the demo's, uses it too, so writing it again adds nothing)."""
    return f"{owner_id}:app:{event_id}"


def service_touchpoint(kind: TouchpointKind, channel: Channel, owner_id: str,
                       vehicle_id: str | None, at: datetime, related_id: str) -> Touchpoint:
    """One the service records from its own events; keyed by what it is about."""
    return Touchpoint(id=new_id(at), owner_id=owner_id, vehicle_id=vehicle_id, kind=kind,
                      channel=channel, at=at, event_key=f"{kind.value}:{related_id}",
                      related_id=related_id)


@dataclass(frozen=True, slots=True)
class AppUseMonth:
    """An owner's days of app use in one calendar month (UTC), with the owner's group as it was
    then: one `appActivity` rollup, as imports and demo history write it."""

    owner_id: str
    month: str  # YYYY-MM
    days: tuple[datetime, ...]  # UTC midnights within the month
    region: str | None
    model_id: str | None
    stage: OwnershipStage | None


@dataclass(frozen=True, slots=True)
class StageChanged(DomainEvent):
    vehicle_id: str
    owner_id: str
    before: OwnershipStage | None
    after: OwnershipStage
