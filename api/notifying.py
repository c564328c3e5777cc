"""Wires notifications into the app: the event sink that runs the rules, and the real-time feed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

from api.broker import InProcessBroker
from domain.access import Principal
from domain.events import DomainEvent
from domain.ports import NotificationFeed
from services.deps import Deps
from services.inbox import ACTIVITY_GAP, record_app_use
from services.journey import record_journey
from services.notifications import notify
from store.client import Database
from store.notification_feed import (
    CollectionFeed,
    poll_feed,
    relay_feed,
    supports_change_streams,
)

log = logging.getLogger("evjourney.notifications")


class NotifyingEventSink:
    """Runs the notification rules and records journey touchpoints for every event, in the
    request that raised it.

    A failing handler never fails the use case that raised the event: the owner's charge,
    booking or report is already stored, so the error is logged instead.
    """

    def __init__(self) -> None:
        self._deps: Deps | None = None

    def attach(self, deps: Deps) -> None:
        self._deps = deps

    async def publish(self, *events: DomainEvent) -> None:
        if self._deps is None or not events:
            return
        for handle in (notify, record_journey):
            try:
                await handle(self._deps, events)
            except Exception:
                log.exception("%s for %d events failed", handle.__name__, len(events))


class DiscardEvents:
    """For seeding: demo history is not news and must not notify anyone."""

    async def publish(self, *events: DomainEvent) -> None:
        pass


@contextlib.asynccontextmanager
async def realtime_feed(db: Database, embedded: bool,
                        now: Callable[[], datetime]) -> AsyncIterator[NotificationFeed]:
    """Embedded: one process, its broker is enough. A server: every instance must see every
    delivery, through the feed collection, followed by change stream where the server has them
    (asked at start) and by polling where it does not."""
    broker = InProcessBroker()
    if embedded:
        yield broker
        return
    follow = relay_feed(db, broker) if await supports_change_streams(db) else poll_feed(
        db, broker, now)
    relay = asyncio.create_task(follow)
    try:
        yield CollectionFeed(db, broker)
    finally:
        relay.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay


class AppUseTracker:
    """Records an owner's app use for the re-engagement rule. The memo only saves writes: each
    process writes an owner's last use at most once per `gap` (the store also refuses closer
    writes), so many processes cost a few writes per owner and hour, never a wrong answer."""

    MAX_REMEMBERED = 100_000

    def __init__(self, gap: timedelta = ACTIVITY_GAP) -> None:
        self._gap = gap
        self._seen: dict[str, datetime] = {}

    async def seen(self, deps: Deps, actor: Principal | None) -> None:
        if actor is None or actor.owner_id is None:
            return
        now = deps.clock()
        last = self._seen.get(actor.owner_id)
        if last is not None and now - last < self._gap:
            return
        if len(self._seen) >= self.MAX_REMEMBERED:
            self._seen.clear()
        self._seen[actor.owner_id] = now
        try:
            await record_app_use(deps, actor)
        except Exception:  # a missed timestamp must not fail the owner's request
            log.exception("recording app use failed")
