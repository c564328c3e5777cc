"""The change-stream feed and the dedup claims against the engine."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from starlette.applications import Starlette

from api.broker import InProcessBroker
from domain.notifications.model import Notification
from services.deps import Deps
from store.notification_feed import CollectionFeed, relay_feed, supports_change_streams
from tests.factories import add_owner


async def test_a_claim_holds_its_key_until_it_runs_out(deps: Deps) -> None:
    now = datetime.now(UTC)
    claims = deps.notifications
    assert await claims.claim([("k1", now + timedelta(hours=1)), ("k1", now)], now) == [
        True, False]
    assert await claims.claim([("k1", now + timedelta(hours=2))], now) == [False]
    later = now + timedelta(hours=1, seconds=1)
    assert await claims.claim([("k1", later + timedelta(hours=1)), ("k2", later)], later) == [
        True, True]


def notification(owner_id: str, n: int) -> Notification:
    now = datetime.now(UTC)
    return Notification(
        id=f"{n:024x}", owner_id=owner_id, vehicle_id=None, kind="RE_ENGAGEMENT",
        category="ENGAGEMENT", priority="LOW", title="t", body="b", locale="en",
        deep_link=None, data={"camelKey": n}, channels=("IN_APP",), dedup_key=f"d{n}",
        created_at=now, deliver_after=now, delivered_at=now)


async def test_what_one_instance_publishes_reaches_subscribers_of_another(
        app: Starlette, deps: Deps, mongodb_uri: str | None) -> None:
    db = app.state.db
    if mongodb_uri and not await supports_change_streams(db):
        pytest.skip("this deployment has no change streams (mongoeco's wire server, standalone)")
    owner = await add_owner(deps)
    here, there = InProcessBroker(), InProcessBroker()  # two instances' local subscribers
    relays = [asyncio.create_task(relay_feed(db, broker)) for broker in (here, there)]
    inbox = there.subscribe(owner.id)

    async def first() -> Notification:
        return await anext(inbox)

    waiting = asyncio.create_task(first())
    await asyncio.sleep(0.1)  # streams and subscription are open
    sent = notification(owner.id, 1)
    await CollectionFeed(db, here).publish([sent, sent])  # a retry publishes once
    received = await asyncio.wait_for(waiting, timeout=2)
    for relay in relays:
        relay.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay
    assert (received.id, received.owner_id, received.kind) == (sent.id, sent.owner_id, sent.kind)
    assert received.data == {"camelKey": 1}
