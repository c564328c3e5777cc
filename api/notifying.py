"""Wires notifications into the app: the event sink that runs the rules, and the real-time feed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from api.broker import InProcessBroker, RelayedFeed
from domain.events import DomainEvent
from domain.ports import NotificationFeed
from services.deps import Deps
from services.notifications import notify
from store.client import Database
from store.notification_feed import relay_deliveries, supports_change_streams

log = logging.getLogger("evjourney.notifications")


class NotifyingEventSink:
    """Runs the notification rules on every event, in the request that raised it.

    A failing rule never fails the use case that raised the event: the owner's charge, booking
    or report is already stored, so the error is logged instead.
    """

    def __init__(self) -> None:
        self._deps: Deps | None = None

    def attach(self, deps: Deps) -> None:
        self._deps = deps

    async def publish(self, *events: DomainEvent) -> None:
        if self._deps is None or not events:
            return
        try:
            await notify(self._deps, events)
        except Exception:
            log.exception("notifications for %d events failed", len(events))


class DiscardEvents:
    """For seeding: demo history is not news and must not notify anyone."""

    async def publish(self, *events: DomainEvent) -> None:
        pass


@contextlib.asynccontextmanager
async def realtime_feed(db: Database) -> AsyncIterator[NotificationFeed]:
    """Change streams where the deployment has them (every instance sees every delivery);
    otherwise this process's broker (embedded mode, a standalone server)."""
    broker = InProcessBroker()
    if not await supports_change_streams(db):
        yield broker
        return
    relay = asyncio.create_task(relay_deliveries(db, broker.publish))
    try:
        yield RelayedFeed(broker)
    finally:
        relay.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay
