"""Turns domain events into notifications: rules, consent, dedup, quiet hours, cap, delivery.

Each notification is written undelivered first; delivery then enqueues its push/email outbox items
before it marks the notification delivered, so a crash at any point leaves it for the worker's
next `release_due_notifications` pass rather than losing it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from domain.events import DomainEvent
from domain.ids import new_id
from domain.notifications import policy
from domain.notifications.model import (
    CATEGORY,
    Candidate,
    Notification,
    NotificationEngagement,
    Priority,
    Withdrawal,
    outbox_items,
)
from domain.notifications.rules import Facts, propose
from domain.notifications.texts import render
from services.deps import Deps
from services.notification_facts import load_facts

log = logging.getLogger("evjourney.notifications")
RELEASE_BATCH = 500


async def notify(deps: Deps, events: Sequence[DomainEvent]) -> list[Notification]:
    """The notifications these events lead to (delivered now, or scheduled for later)."""
    now = deps.clock()
    proposals = [(p, facts) for event, facts in zip(
        events, await load_facts(deps, events, now), strict=True)
        if facts is not None for p in propose(event, facts)]
    withdrawals = [p for p, _ in proposals if isinstance(p, Withdrawal)]
    if withdrawals:
        await deps.notifications.withdraw([(w.owner_id, w.withdraw_key) for w in withdrawals])
    wanted = [(p, facts) for p, facts in proposals if isinstance(p, Candidate)
              and policy.suppressed_by_choice(p, facts.owner.notification_preferences) is None]
    fresh = await _claimed(deps, wanted, now)
    created = await _schedule(deps, fresh, now)
    await deps.notifications.add_many(created)
    await release(deps, [n for n in created if n.deliver_after <= now], now)
    return created


async def _claimed(deps: Deps, wanted: list[tuple[Candidate, Facts]],
                   now: datetime) -> list[tuple[Candidate, Facts]]:
    """Dedup: only candidates whose condition was not notified inside its window."""
    claims = await deps.notifications.claim(
        [(c.dedup_key, now + c.dedup_window) for c, _ in wanted], now)
    return [pair for pair, won in zip(wanted, claims, strict=True) if won]


async def _schedule(deps: Deps, fresh: list[tuple[Candidate, Facts]],
                    now: datetime) -> list[Notification]:
    if not fresh:
        return []
    since, until = policy.booking_span(now)
    booked = await deps.notifications.booked(sorted({c.owner_id for c, _ in fresh}), since, until)
    created: list[Notification] = []
    for candidate, facts in fresh:
        owner = facts.owner
        decision = policy.schedule(candidate, owner.notification_preferences, owner.timezone,
                                   now, booked[owner.id])
        if decision.deliver_after is None:
            log.debug("suppressed %s for %s: %s", candidate.kind, owner.id, decision.suppressed)
            continue
        if candidate.priority is not Priority.CRITICAL:
            booked[owner.id].append(decision.deliver_after)
        created.append(compose(candidate, facts, decision.deliver_after, now))
    return created


def compose(candidate: Candidate, facts: Facts, deliver_after: datetime,
            now: datetime) -> Notification:
    owner = facts.owner
    title, body, lang = render(candidate.kind, candidate.variant, owner.locale, candidate.params)
    return Notification(
        id=new_id(now), owner_id=owner.id, vehicle_id=candidate.vehicle_id,
        kind=candidate.kind, category=CATEGORY[candidate.kind], priority=candidate.priority,
        title=title, body=body, locale=lang, deep_link=candidate.deep_link,
        data=candidate.data, channels=owner.notification_preferences.channels,
        dedup_key=candidate.dedup_key, withdraw_key=candidate.withdraw_key, created_at=now,
        deliver_after=deliver_after, expires_at=candidate.expires_at, region=owner.region,
        model_id=owner.primary_model_id, stage=owner.stage.value if owner.stage else None)


async def release(deps: Deps, notifications: Sequence[Notification],
                  now: datetime) -> list[Notification]:
    """Outbox first, then delivered: each notification is delivered (and published) once."""
    if not notifications:
        return []
    await deps.outbox.enqueue([item for n in notifications for item in outbox_items(n, now)])
    delivered = await deps.notifications.deliver([n.id for n in notifications], now)
    await deps.feed.publish(delivered)
    await deps.notifications.count([(n, NotificationEngagement.DELIVERED) for n in delivered],
                                   now)
    return delivered


async def release_due_notifications(deps: Deps, now: datetime) -> int:
    """The worker's pass: deliver what has come due, drop what expired undelivered."""
    await deps.notifications.expire(now)
    due = await deps.notifications.due(now, RELEASE_BATCH)
    return len(await release(deps, due, now))
