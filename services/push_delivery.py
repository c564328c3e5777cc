"""Push delivery: owners register their devices; the worker drains the outbox to the gateway.

Every item carries the complete gateway payload, so draining never reads the notification (which
may not even be visible yet). Delivery is at least once: an item whose worker died after the
claim is sent again once its lease has run out, with the same idempotency key (the item id).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass
from datetime import datetime
from enum import StrEnum

from domain.access import Principal, Role, ensure
from domain.errors import NotFound
from domain.notifications import outbox
from domain.notifications.devices import MAX_DEVICES_PER_OWNER, push_device
from domain.notifications.model import OutboxItem, PushDevice, PushPlatform
from domain.notifications.outbox import DeliveryFailed
from domain.ports import PushGateway
from services.deps import Deps

NO_DEVICE = "no registered push device"


class Outcome(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"
    RETRIED = "retried"
    DEAD = "dead"
    # The outcome was not written: the lease ran out and another worker claimed the item since.
    SUPERSEDED = "superseded"


@dataclass(frozen=True, slots=True)
class DrainCounts:
    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    dead: int = 0
    superseded: int = 0

    def __add__(self, other: DrainCounts) -> DrainCounts:
        return DrainCounts(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))


async def register_push_device(deps: Deps, actor: Principal, token: str,
                               platform: PushPlatform | str) -> PushDevice:
    """Registers (or moves to this owner) a device token; OWNER only, for themself."""
    ensure(actor.role is Role.OWNER, "register push devices")
    device = push_device(actor.subject, token, platform, deps.clock())
    [owner] = await deps.owners.get_many([actor.subject])
    if owner is None:
        raise NotFound("owner not found")
    await deps.push_devices.register(device, MAX_DEVICES_PER_OWNER)
    return device


async def drain_outbox(deps: Deps, gateway: PushGateway, now: datetime, batch: int = 50,
                       rng: Callable[[], float] = random.random) -> DrainCounts:
    """Claims up to `batch` due items and hands them to the gateway concurrently."""
    items = await deps.outbox.claim_due(now, deps.outbox_policy.lease, batch)
    if not items:
        return DrainCounts()
    owner_ids = list(dict.fromkeys(item.owner_id for item in items))
    devices = dict(zip(owner_ids, await deps.push_devices.for_owners(owner_ids), strict=True))
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(_deliver(deps, gateway, item, devices[item.owner_id], now,
                                            rng)) for item in items]
    outcomes = Counter(task.result() for task in tasks)
    return DrainCounts(claimed=len(items), **{o.value: outcomes[o] for o in Outcome})


async def _deliver(deps: Deps, gateway: PushGateway, item: OutboxItem,
                   devices: Sequence[PushDevice], now: datetime,
                   rng: Callable[[], float]) -> Outcome:
    policy, repository = deps.outbox_policy, deps.outbox
    if outbox.abandoned(item, policy):
        error = f"claimed {item.attempts} times without an outcome; last: {item.last_error}"
        return _written(await repository.mark_dead(item, now, error), Outcome.DEAD)
    if outbox.needs_device(item.channel) and not devices:
        return _written(await repository.mark_skipped(item, now, NO_DEVICE), Outcome.SKIPPED)
    try:
        await gateway.send(item, devices)
    except DeliveryFailed as failure:
        verdict = outbox.assess(item, now, failure, policy, rng)
        if verdict.retry_at is None:
            return _written(await repository.mark_dead(item, now, verdict.error), Outcome.DEAD)
        written = await repository.retry_later(item, now, verdict.retry_at, verdict.error)
        return _written(written, Outcome.RETRIED)
    return _written(await repository.mark_sent(item, now), Outcome.SENT)


def _written(written: bool, outcome: Outcome) -> Outcome:
    return outcome if written else Outcome.SUPERSEDED
