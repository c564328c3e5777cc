"""What an owner does with notifications: read the inbox, open and act, choose preferences."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from domain.access import Principal, can_read_owner, ensure
from domain.errors import AccessDenied
from domain.events import DomainEvent
from domain.notifications.model import (
    Notification,
    NotificationActed,
    NotificationEngagement,
    NotificationOpened,
)
from domain.notifications.preferences import PreferenceChanges, apply
from domain.notifications.rules.engagement import LAPSED_AFTER, OwnerLapsed
from domain.owners import Owner
from domain.pagination import Page, PageRequest
from domain.privacy import ConsentSource, tips_consent_change
from services.consents import with_consent_record
from services.deps import Deps
from services.lookup import one
from services.notifications import notify

ACTIVITY_GAP = timedelta(hours=1)  # last-use precision: a write per owner per hour at most
LAPSED_BATCH = 500
NUDGE_EVERY = timedelta(days=30)


async def inbox(deps: Deps, actor: Principal, owner_id: str, request: PageRequest,
                unread_only: bool) -> Page[Notification]:
    ensure(can_read_owner(actor, owner_id), "read these notifications")
    return await deps.notifications.page(owner_id, request, unread_only)


async def mark_read(deps: Deps, actor: Principal, notification_id: str) -> Notification:
    return await _mark(deps, actor, notification_id, acted=False)


async def mark_acted(deps: Deps, actor: Principal, notification_id: str) -> Notification:
    """Acting on a notification (booking from it, opening its link) also counts as opening it."""
    return await _mark(deps, actor, notification_id, acted=True)


async def _mark(deps: Deps, actor: Principal, notification_id: str,
                acted: bool) -> Notification:
    found = await one(deps.notifications.get_many, notification_id, "notification", "id")
    # Only the owner: an admin reading an inbox must not count as the owner opening it.
    ensure(actor.owner_id == found.owner_id, "mark this notification")
    now = deps.clock()
    marks = [("readAt", NotificationEngagement.OPENED)]
    if acted:
        marks.append(("actedAt", NotificationEngagement.ACTED))
    counted = []
    for field, what in marks:
        updated, changed = await deps.notifications.mark(notification_id, field, now)
        found = updated or found
        if changed:
            counted.append((found, what))
    await deps.notifications.count(counted, now)
    await deps.events.publish(*(_engaged(found, what, now) for _, what in counted))
    return found


def _engaged(n: Notification, what: NotificationEngagement, at: datetime) -> DomainEvent:
    kind = NotificationActed if what is NotificationEngagement.ACTED else NotificationOpened
    return kind(at=at, notification_id=n.id, owner_id=n.owner_id, vehicle_id=n.vehicle_id,
                kind=n.kind)


async def update_preferences(deps: Deps, actor: Principal, owner_id: str,
                             changes: PreferenceChanges) -> Owner:
    ensure(actor.owner_id == owner_id or actor.is_admin, "change these preferences")
    owner = await one(deps.owners.get_many, owner_id, "owner", "ownerId")
    settings = apply(owner, changes)
    now = deps.clock()
    # Usage-based tips are a consent: a change of it is appended to the consent history.
    source = ConsentSource.PREFERENCES if actor.owner_id == owner_id else ConsentSource.ADMIN
    record = tips_consent_change(owner_id, owner.notification_preferences,
                                 settings.preferences, source, now)

    async def save() -> Owner | None:
        return await deps.notification_settings.set_preferences(
            owner_id, settings.preferences, settings.locale, settings.timezone, now)

    return await with_consent_record(deps, record, save) or owner


def watch(deps: Deps, actor: Principal) -> AsyncIterator[Notification]:
    """The signed-in owner's notifications as they are delivered."""
    if actor.owner_id is None:
        raise AccessDenied("only owners receive notifications")
    return deps.feed.subscribe(actor.owner_id)


async def record_app_use(deps: Deps, actor: Principal) -> None:
    """An owner's request is app use: for re-engagement (last use) and engagement (the day)."""
    if actor.owner_id is None:
        return
    now = deps.clock()
    owner = await deps.notification_settings.touch(actor.owner_id, now, ACTIVITY_GAP)
    if owner is not None:  # else recorded within the hour, by this or another instance
        await deps.journey.record_app_use(owner, now)


async def remind_lapsed_owners(deps: Deps) -> int:
    """The periodic sweep: owners away from the app too long get one nudge (dedup: a month)."""
    now = deps.clock()
    owners = await deps.notification_settings.lapsed(now - LAPSED_AFTER, now - NUDGE_EVERY,
                                                     LAPSED_BATCH)
    if not owners:
        return 0
    await deps.notification_settings.mark_nudged([o.id for o in owners], now)
    pages = await deps.vehicles.pages_by_owner([o.id for o in owners], PageRequest(first=1))
    events = [OwnerLapsed(at=now, owner_id=o.id,
                          vehicle_id=page.items[0].id if page.items else None,
                          inactive_days=(now - (o.last_active_at or now)).days)
              for o, page in zip(owners, pages, strict=True)]
    return len(await notify(deps, events))
