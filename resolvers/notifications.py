"""Notifications: the inbox, preferences, open/act marks and the real-time subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from datetime import datetime, time
from typing import TYPE_CHECKING, Annotated, Self, cast

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from domain.access import can_read_owner, ensure
from domain.errors import DomainError
from domain.notifications import model
from domain.notifications.preferences import PreferenceChanges
from domain.owners import Owner as DomainOwner
from domain.pagination import page_request
from resolvers.context import Context
from resolvers.errors import Unauthenticated
from resolvers.relay import connection, local_id
from resolvers.user_errors import UserError, attempt
from services import inbox

if TYPE_CHECKING:
    from resolvers.owners import Owner
    from resolvers.vehicles import Vehicle

VehicleRef = Annotated["Vehicle", strawberry.lazy("resolvers.vehicles")]
OwnerRef = Annotated["Owner", strawberry.lazy("resolvers.owners")]

strawberry.enum(model.Priority, name="Priority", description=(
    "CRITICAL (safety, security) bypasses quiet hours, mutes and the daily cap."))
strawberry.enum(model.Category, name="NotificationCategory",
                description="What a notification is about; categories can be muted.")
strawberry.enum(model.Channel, name="NotificationChannel", description="Where notifications go.")
strawberry.enum(model.Kind, name="NotificationKind", description="The rule that raised it.")


@strawberry.type(description="Something the service noticed and tells the owner, personalized.")
class Notification(relay.Node):
    id: relay.NodeID[str]
    kind: model.Kind = strawberry.field(description="The rule that raised it.")
    category: model.Category = strawberry.field(description="Its category.")
    priority: model.Priority = strawberry.field(description="How urgent it is.")
    title: str = strawberry.field(description="Short title, in `locale`.")
    body: str = strawberry.field(description="The message, in `locale`.")
    locale: str = strawberry.field(description="The language it is written in (en, de).")
    deep_link: str | None = strawberry.field(description="Where the app opens on a tap.")
    created_at: datetime = strawberry.field(description="When the condition was noticed.")
    deliver_after: datetime = strawberry.field(
        description="When it was (or is) delivered: later than createdAt when deferred by "
                    "quiet hours or the daily cap, or for a reminder.")
    expires_at: datetime | None = strawberry.field(description="When it stops being relevant.")
    read_at: datetime | None = strawberry.field(description="When the owner opened it.")
    acted_at: datetime | None = strawberry.field(description="When the owner acted on it.")
    data: JSON = strawberry.field(description="Figures behind it, for the app (e.g. concern).")
    vehicle_id: strawberry.Private[str | None]

    @classmethod
    def from_domain(cls, n: model.Notification) -> Self:
        return cls(id=n.id, kind=n.kind, category=n.category, priority=n.priority,
                   title=n.title, body=n.body, locale=n.locale, deep_link=n.deep_link,
                   created_at=n.created_at, deliver_after=n.deliver_after,
                   expires_at=n.expires_at, read_at=n.read_at, acted_at=n.acted_at,
                   data=cast(JSON, n.data), vehicle_id=n.vehicle_id)

    @strawberry.field(description="The vehicle it is about, if any.")
    async def vehicle(self, info: Info[Context, None]) -> VehicleRef | None:
        from resolvers.vehicles import Vehicle

        if self.vehicle_id is None:
            return None
        found = await info.context.loaders.vehicle.load(self.vehicle_id)
        return Vehicle.from_domain(found) if found else None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # async form of the overloads
        cls, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        found = await info.context.deps.notifications.get_many(list(node_ids))
        for item in found:
            if item is not None:
                ensure(can_read_owner(info.context.actor, item.owner_id),
                       "see this notification")
        return [cls.from_domain(item) if item else None for item in found]


@strawberry.type(description="Local wall-clock times; start after end spans midnight.")
class QuietHours:
    start: time = strawberry.field(description="Start, local time.")
    end: time = strawberry.field(description="End, local time.")


@strawberry.type(description="How and when the owner wants to hear from us.")
class NotificationPreferences:
    channels: list[model.Channel] = strawberry.field(
        description="Channels besides the inbox, which always receives everything.")
    quiet_hours: QuietHours | None = strawberry.field(
        description="Non-critical notifications are deferred (not dropped) past these hours.")
    timezone: str = strawberry.field(description="IANA time zone of the quiet hours.")
    locale: str = strawberry.field(description="Language of the texts (en, de).")
    muted_categories: list[model.Category] = strawberry.field(
        description="Categories not sent (CRITICAL ones still are).")
    max_per_day: int = strawberry.field(
        description="Non-critical notifications per local day; more wait for the next day.")
    allow_usage_based_tips: bool = strawberry.field(
        description="Consent to tips drawn from how the car is used (charging habits).")

    @classmethod
    def from_domain(cls, owner: DomainOwner) -> Self:
        p = owner.notification_preferences
        quiet = QuietHours(start=p.quiet_hours.start, end=p.quiet_hours.end) \
            if p.quiet_hours else None
        return cls(channels=list(p.channels), quiet_hours=quiet, timezone=owner.timezone,
                   locale=owner.locale, muted_categories=list(p.muted_categories),
                   max_per_day=p.max_per_day, allow_usage_based_tips=p.allow_usage_based_tips)


@strawberry.input(description="Quiet hours; equal start and end switch them off.")
class QuietHoursInput:
    start: time
    end: time


@strawberry.input(description="Changes to notification preferences; omitted fields stay.")
class NotificationPreferencesInput:
    channels: list[model.Channel] | None = None
    quiet_hours: QuietHoursInput | None = None
    timezone: str | None = None
    locale: str | None = None
    muted_categories: list[model.Category] | None = None
    max_per_day: int | None = None
    allow_usage_based_tips: bool | None = None

    def to_domain(self) -> PreferenceChanges:
        quiet = (self.quiet_hours.start, self.quiet_hours.end) if self.quiet_hours else None
        return PreferenceChanges(
            channels=tuple(self.channels) if self.channels is not None else None,
            quiet_hours=quiet, timezone=self.timezone, locale=self.locale,
            muted_categories=(tuple(self.muted_categories)
                              if self.muted_categories is not None else None),
            max_per_day=self.max_per_day, allow_usage_based_tips=self.allow_usage_based_tips)


@strawberry.type(description="The result of updateNotificationPreferences.")
class UpdateNotificationPreferencesPayload:
    preferences: NotificationPreferences | None = strawberry.field(
        description="The preferences now, unless there are errors.")
    errors: list[UserError] = strawberry.field(description="Why nothing changed.")


@strawberry.type(description="The result of markNotificationRead / markNotificationActed.")
class MarkNotificationPayload:
    notification: Notification | None = strawberry.field(description="The notification.")
    errors: list[UserError] = strawberry.field(description="Why it was not marked.")


async def owner_notifications(info: Info[Context, None], owner_id: str, first: int | None,
                              after: str | None, unread_only: bool
                              ) -> relay.Connection[Notification]:
    c = info.context
    page = await inbox.inbox(c.deps, c.actor, owner_id, page_request(first, after), unread_only)
    return connection(page, Notification.from_domain, key=lambda n: n.inbox_key or n.id)


WhoseId = Annotated[strawberry.ID | None, strawberry.argument(
    description="ADMIN only: whose preferences; owners change their own.")]


@strawberry.type
class NotificationMutation:
    @strawberry.mutation(description="Changes the signed-in owner's notification preferences.")
    async def update_notification_preferences(
            self, info: Info[Context, None], input: NotificationPreferencesInput,
            owner_id: WhoseId = None) -> UpdateNotificationPreferencesPayload:
        c = info.context
        whose = local_id(owner_id, "Owner", "ownerId") if owner_id else c.actor.owner_id or ""
        owner, errors = await attempt(lambda: inbox.update_preferences(
            c.deps, c.actor, whose, input.to_domain()))
        return UpdateNotificationPreferencesPayload(
            preferences=NotificationPreferences.from_domain(owner) if owner else None,
            errors=errors)

    @strawberry.mutation(description="Marks a notification opened (counted once).")
    async def mark_notification_read(self, info: Info[Context, None],
                                     id: strawberry.ID) -> MarkNotificationPayload:
        return await _mark(info, id, acted=False)

    @strawberry.mutation(description="Marks a notification acted on (and opened).")
    async def mark_notification_acted(self, info: Info[Context, None],
                                      id: strawberry.ID) -> MarkNotificationPayload:
        return await _mark(info, id, acted=True)


async def _mark(info: Info[Context, None], global_id: str, acted: bool
                ) -> MarkNotificationPayload:
    c = info.context
    mark = inbox.mark_acted if acted else inbox.mark_read
    found, errors = await attempt(
        lambda: mark(c.deps, c.actor, local_id(global_id, "Notification")))
    return MarkNotificationPayload(
        notification=Notification.from_domain(found) if found else None, errors=errors)


@strawberry.type
class NotificationSubscription:
    @strawberry.subscription(description="The signed-in owner's new notifications, as they are "
                                         "delivered (graphql-transport-ws on /graphql).")
    async def notification_added(self, info: Info[Context, None]
                                 ) -> AsyncGenerator[Notification]:
        try:
            feed = inbox.watch(info.context.deps, info.context.actor)
        except (DomainError, Unauthenticated) as error:
            # Subscriptions skip the schema's error policy: give the error its code here.
            raise GraphQLError(str(error), extensions={"code": error.code}) from None
        async for notification in feed:
            yield Notification.from_domain(notification)
