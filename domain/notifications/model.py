"""Notifications, preferences and the outbox items that carry them beyond the inbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.events import DomainEvent


class Priority(StrEnum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"  # safety and security: bypasses quiet hours, mutes and the daily cap


class Category(StrEnum):
    BATTERY = "BATTERY"
    SOFTWARE = "SOFTWARE"
    SERVICE = "SERVICE"
    TRIP = "TRIP"
    CHARGING = "CHARGING"
    TIPS = "TIPS"
    VEHICLE_ALERT = "VEHICLE_ALERT"
    ONBOARDING = "ONBOARDING"
    ENGAGEMENT = "ENGAGEMENT"


class Channel(StrEnum):
    IN_APP = "IN_APP"
    PUSH = "PUSH"
    EMAIL = "EMAIL"


class Kind(StrEnum):
    BATTERY_HEALTH_LOW = "BATTERY_HEALTH_LOW"
    BATTERY_FADING_FAST = "BATTERY_FADING_FAST"
    UPDATE_OFFERED = "UPDATE_OFFERED"
    UPDATE_REMINDER = "UPDATE_REMINDER"
    UPDATE_INSTALLED = "UPDATE_INSTALLED"
    UPDATE_FAILED = "UPDATE_FAILED"
    SERVICE_DUE = "SERVICE_DUE"
    APPOINTMENT_CONFIRMED = "APPOINTMENT_CONFIRMED"
    APPOINTMENT_REMINDER = "APPOINTMENT_REMINDER"
    APPOINTMENT_COMPLETED = "APPOINTMENT_COMPLETED"
    TRIP_CHARGE_REMINDER = "TRIP_CHARGE_REMINDER"
    TIP_DC_FAST_SHARE = "TIP_DC_FAST_SHARE"
    TIP_HIGH_SOC = "TIP_HIGH_SOC"
    FAULT_DETECTED = "FAULT_DETECTED"
    LOW_CHARGE_AT_NIGHT = "LOW_CHARGE_AT_NIGHT"
    ONBOARDING_PUBLIC_CHARGING = "ONBOARDING_PUBLIC_CHARGING"
    RE_ENGAGEMENT = "RE_ENGAGEMENT"


CATEGORY: dict[Kind, Category] = {
    Kind.BATTERY_HEALTH_LOW: Category.BATTERY,
    Kind.BATTERY_FADING_FAST: Category.BATTERY,
    Kind.UPDATE_OFFERED: Category.SOFTWARE,
    Kind.UPDATE_REMINDER: Category.SOFTWARE,
    Kind.UPDATE_INSTALLED: Category.SOFTWARE,
    Kind.UPDATE_FAILED: Category.SOFTWARE,
    Kind.SERVICE_DUE: Category.SERVICE,
    Kind.APPOINTMENT_CONFIRMED: Category.SERVICE,
    Kind.APPOINTMENT_REMINDER: Category.SERVICE,
    Kind.APPOINTMENT_COMPLETED: Category.SERVICE,
    Kind.TRIP_CHARGE_REMINDER: Category.TRIP,
    Kind.TIP_DC_FAST_SHARE: Category.TIPS,
    Kind.TIP_HIGH_SOC: Category.TIPS,
    Kind.FAULT_DETECTED: Category.VEHICLE_ALERT,
    Kind.LOW_CHARGE_AT_NIGHT: Category.CHARGING,
    Kind.ONBOARDING_PUBLIC_CHARGING: Category.ONBOARDING,
    Kind.RE_ENGAGEMENT: Category.ENGAGEMENT,
}
# Tips drawn from how the owner uses the car need their consent (allowUsageBasedTips).
USAGE_BASED: frozenset[Kind] = frozenset({Kind.TIP_DC_FAST_SHARE, Kind.TIP_HIGH_SOC})


class QuietHours(BaseModel):
    """Local wall-clock times; `start` after `end` means the window spans midnight."""

    model_config = ConfigDict(frozen=True)
    start: time
    end: time


class NotificationPreferences(BaseModel):
    model_config = ConfigDict(frozen=True)
    channels: tuple[Channel, ...] = (Channel.IN_APP, Channel.PUSH)
    quiet_hours: QuietHours | None = QuietHours(start=time(22), end=time(7))
    muted_categories: tuple[Category, ...] = ()
    max_per_day: int = 5
    allow_usage_based_tips: bool = False


class Notification(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    owner_id: str
    vehicle_id: str | None
    kind: Kind
    category: Category
    priority: Priority
    title: str
    body: str
    locale: str
    deep_link: str | None
    data: dict[str, Any]
    channels: tuple[Channel, ...]  # where it goes besides the inbox (always)
    dedup_key: str
    withdraw_key: str | None = None  # a later change (a cancelled visit) withdraws it undelivered
    created_at: datetime
    deliver_after: datetime
    expires_at: datetime | None = None
    delivered_at: datetime | None = None
    inbox_key: str | None = None  # set at delivery: the inbox's newest-first order and cursor
    read_at: datetime | None = None
    acted_at: datetime | None = None
    # The owner's group when it was written, so response rates roll up by it (analytics).
    region: str | None = None
    model_id: str | None = None
    stage: str | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """What a rule proposes; the policy decides whether and when it is delivered."""

    kind: Kind
    owner_id: str
    vehicle_id: str | None
    priority: Priority
    dedup_key: str  # one notification per key inside `dedup_window`
    dedup_window: timedelta
    params: dict[str, Any] = field(default_factory=dict)  # what the texts are filled with
    variant: str | None = None  # a second wording of the kind (e.g. SERVICE_DUE by DISTANCE)
    deep_link: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    deliver_at: datetime | None = None  # a reminder is due later; None: now
    expires_at: datetime | None = None
    withdraw_key: str | None = None


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """A condition ended (visit cancelled, first public charge done): drop what is still pending."""

    owner_id: str
    withdraw_key: str


class OutboxStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    SKIPPED = "SKIPPED"  # nowhere to send it (no registered device)
    DEAD = "DEAD"  # gave up after the last retry


class OutboxItem(BaseModel):
    """A notification to hand to the push gateway on one channel; its id is the idempotency key."""

    model_config = ConfigDict(frozen=True)
    id: str  # f"{notification_id}:{channel}"
    notification_id: str
    owner_id: str
    channel: Channel
    payload: dict[str, Any]  # the notification as the gateway receives it
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    due_at: datetime
    locked_until: datetime | None = None
    last_error: str | None = None
    created_at: datetime
    sent_at: datetime | None = None


def outbox_items(notification: Notification, now: datetime) -> list[OutboxItem]:
    """The channels beyond the inbox that this notification goes to."""
    return [OutboxItem(id=f"{notification.id}:{channel.value}", notification_id=notification.id,
                       owner_id=notification.owner_id, channel=channel,
                       payload=gateway_payload(notification), due_at=now, created_at=now)
            for channel in notification.channels if channel is not Channel.IN_APP]


def gateway_payload(n: Notification) -> dict[str, Any]:
    return {"id": n.id, "ownerId": n.owner_id, "vehicleId": n.vehicle_id, "kind": n.kind.value,
            "priority": n.priority.value, "title": n.title, "body": n.body, "locale": n.locale,
            "deepLink": n.deep_link, "data": n.data}


class PushPlatform(StrEnum):
    IOS = "IOS"
    ANDROID = "ANDROID"
    WEB = "WEB"


class PushDevice(BaseModel):
    model_config = ConfigDict(frozen=True)
    token: str
    owner_id: str
    platform: PushPlatform
    registered_at: datetime


class NotificationEngagement(StrEnum):
    DELIVERED = "delivered"
    OPENED = "opened"
    ACTED = "acted"


@dataclass(frozen=True, slots=True)
class EngagementCount:
    """One day's counts of a kind for one owner group: a `notificationEngagement` rollup row as
    imports and demo history write it (live counting goes through `count`)."""

    day: date
    kind: Kind
    region: str | None
    model_id: str | None
    stage: str | None
    delivered: int = 0
    opened: int = 0
    acted: int = 0


@dataclass(frozen=True, slots=True)
class NotificationOpened(DomainEvent):
    notification_id: str
    owner_id: str
    vehicle_id: str | None
    kind: Kind


@dataclass(frozen=True, slots=True)
class NotificationActed(DomainEvent):
    notification_id: str
    owner_id: str
    vehicle_id: str | None
    kind: Kind
