"""The outbox and push-device stores against the engine in use: idempotent enqueue, leases that
two claimers never share, outcomes written only by the current claim, and device ownership."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette

from domain.notifications.model import Channel, OutboxItem, OutboxStatus, PushDevice, PushPlatform
from services.deps import Deps

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


def item(notification_id: str, *, owner_id: str = "o1", due_at: datetime = NOW,
         channel: Channel = Channel.PUSH) -> OutboxItem:
    payload = {"id": notification_id, "ownerId": owner_id, "deepLink": "evj://x",
               "data": {"vehicleId": "v1", "soc_percent": 12, "de-DE": "ja"}}
    return OutboxItem(id=f"{notification_id}:{channel.value}", notification_id=notification_id,
                      owner_id=owner_id, channel=channel, payload=payload, due_at=due_at,
                      created_at=NOW)


def device(token: str, owner_id: str, minutes: int = 0) -> PushDevice:
    return PushDevice(token=token, owner_id=owner_id, platform=PushPlatform.ANDROID,
                      registered_at=NOW + timedelta(minutes=minutes))


async def test_enqueueing_twice_keeps_one_item(deps: Deps) -> None:
    assert await deps.outbox.enqueue([item("n1"), item("n2")]) == 2
    assert await deps.outbox.enqueue([item("n2"), item("n3")]) == 1
    assert await deps.outbox.enqueue([]) == 0
    counts = await deps.outbox.counts()
    assert counts[OutboxStatus.PENDING] == 3
    assert counts[OutboxStatus.SENT] == 0


async def test_the_payload_is_kept_exactly_as_the_gateway_will_get_it(deps: Deps) -> None:
    await deps.outbox.enqueue([item("n1")])
    [stored] = await deps.outbox.get_many(["n1:PUSH"])
    assert stored == item("n1")


async def test_a_claim_leases_due_items_oldest_first(deps: Deps) -> None:
    await deps.outbox.enqueue([item("late", due_at=NOW + timedelta(minutes=5)),
                               item("b", due_at=NOW - timedelta(minutes=1)),
                               item("a", due_at=NOW - timedelta(minutes=2))])
    claimed = await deps.outbox.claim_due(NOW, LEASE, 10)
    assert [c.id for c in claimed] == ["a:PUSH", "b:PUSH"]
    assert all(c.attempts == 1 and c.locked_until == NOW + LEASE for c in claimed)
    assert await deps.outbox.claim_due(NOW + LEASE - timedelta(seconds=1), LEASE, 10) == []
    again = await deps.outbox.claim_due(NOW + LEASE, LEASE, 1)  # the leases ran out
    assert [(c.id, c.attempts) for c in again] == [("a:PUSH", 2)]


async def test_two_concurrent_claimers_never_get_the_same_item(deps: Deps) -> None:
    await deps.outbox.enqueue([item(f"n{i:02}") for i in range(40)])
    first, second, third = await asyncio.gather(
        *(deps.outbox.claim_due(NOW, LEASE, 25) for _ in range(3)))
    ids = [c.id for c in first + second + third]
    assert len(ids) == len(set(ids)) == 40
    assert all(c.attempts == 1 for c in first + second + third)


async def test_outcomes_free_the_item_and_only_the_current_claim_writes_one(deps: Deps) -> None:
    await deps.outbox.enqueue([item("n1")])
    [stale] = await deps.outbox.claim_due(NOW, LEASE, 1)
    [current] = await deps.outbox.claim_due(NOW + LEASE, LEASE, 1)  # the first worker hung
    assert not await deps.outbox.mark_sent(stale, NOW + LEASE)
    later = NOW + timedelta(minutes=10)
    assert await deps.outbox.retry_later(current, NOW + LEASE, later, "HTTP 503")
    [waiting] = await deps.outbox.get_many(["n1:PUSH"])
    assert waiting is not None
    assert (waiting.status, waiting.due_at, waiting.locked_until) == (
        OutboxStatus.PENDING, later, None)
    assert (waiting.attempts, waiting.last_error) == (2, "HTTP 503")
    [third] = await deps.outbox.claim_due(later, LEASE, 1)
    assert await deps.outbox.mark_sent(third, later)
    assert not await deps.outbox.mark_dead(third, later, "too late")
    [done] = await deps.outbox.get_many(["n1:PUSH"])
    assert done is not None
    assert (done.status, done.sent_at, done.attempts) == (OutboxStatus.SENT, later, 3)
    assert await deps.outbox.claim_due(later + timedelta(days=1), LEASE, 1) == []


async def test_skipped_and_dead_items_are_never_claimed_again(deps: Deps) -> None:
    await deps.outbox.enqueue([item("n1"), item("n2")])
    first, second = await deps.outbox.claim_due(NOW, LEASE, 2)
    assert await deps.outbox.mark_skipped(first, NOW, "no device")
    assert await deps.outbox.mark_dead(second, NOW, "HTTP 400")
    assert await deps.outbox.claim_due(NOW + timedelta(days=1), LEASE, 10) == []
    counts = await deps.outbox.counts()
    assert (counts[OutboxStatus.SKIPPED], counts[OutboxStatus.DEAD]) == (1, 1)


async def test_a_token_belongs_to_one_owner_and_moves_when_registered_again(deps: Deps) -> None:
    await deps.push_devices.register(device("tok-aaaa", "o1"), keep=10)
    await deps.push_devices.register(device("tok-bbbb", "o1", 1), keep=10)
    await deps.push_devices.register(device("tok-aaaa", "o2", 2), keep=10)
    o1, o2, nobody = await deps.push_devices.for_owners(["o1", "o2", "o3"])
    assert [d.token for d in o1] == ["tok-bbbb"]
    assert [(d.token, d.registered_at) for d in o2] == [("tok-aaaa", NOW + timedelta(minutes=2))]
    assert nobody == []
    assert [d.token for d in await deps.push_devices.for_owner("o2")] == ["tok-aaaa"]


async def test_an_owner_keeps_only_the_newest_devices(deps: Deps) -> None:
    for n in range(5):
        await deps.push_devices.register(device(f"token-{n}", "o1", n), keep=3)
    devices = await deps.push_devices.for_owner("o1")
    assert [d.token for d in devices] == ["token-4", "token-3", "token-2"]


async def test_outbox_and_device_indexes_exist(app: Starlette) -> None:
    db: Any = app.state.db
    outbox_indexes = await db["pushOutbox"].index_information()
    device_indexes = await db["pushDevices"].index_information()
    assert [tuple(k) for k in outbox_indexes["status_due"]["key"]] == [("status", 1), ("dueAt", 1)]
    assert [tuple(k) for k in device_indexes["owner_registered"]["key"]] == [
        ("ownerId", 1), ("registeredAt", -1)]
