"""The background worker: runs periodic jobs inside the app process, every `interval` seconds.

A job is any `async (deps, now) -> object`. A failing job is logged and tried again next round;
it never stops the loop or the jobs after it. Several app processes may run workers at once:
the jobs must be safe for that (the outbox drain is, through its leases).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import datetime, timedelta

from domain.ports import PushGateway
from services.deps import Deps
from services.push_delivery import DrainCounts, drain_outbox

log = logging.getLogger("evjourney.worker")

type Job = Callable[[Deps, datetime], Awaitable[object]]

# On shutdown the round in progress may finish (a POST under way completes) for this long.
SHUTDOWN_GRACE_SECONDS = 10.0
LEASE_CHECK = timedelta(minutes=1)
# Batches one drain may send per round, so a backlog empties fast but other jobs still run.
MAX_BATCHES_PER_ROUND = 20


class Worker:
    def __init__(self, deps: Deps, jobs: Sequence[Job], interval: float) -> None:
        self._deps, self._jobs, self._interval = deps, list(jobs), interval

    async def run_once(self) -> None:
        for job in self._jobs:
            try:
                await job(self._deps, self._deps.clock())
            except Exception:
                log.exception("worker job %s failed", getattr(job, "__name__", job))

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.run_once()
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._interval)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Runs the worker in the background while the block runs; stops it cleanly after."""
        stop = asyncio.Event()
        task = asyncio.create_task(self.run(stop), name="evjourney-worker")
        try:
            yield
        finally:
            stop.set()
            try:
                await asyncio.wait_for(task, SHUTDOWN_GRACE_SECONDS)
            except TimeoutError:
                # Cancelled mid-send: the item's lease runs out and it is sent again, with the
                # same idempotency key.
                log.warning("worker did not finish its round in time; it was cancelled")


def outbox_drainer(gateway: PushGateway, batch: int) -> Job:
    """The drain as a job: batch after batch until the due items are gone (or the round's cap)."""

    async def drain_push_outbox(deps: Deps, now: datetime) -> DrainCounts:
        total = DrainCounts()
        for _ in range(MAX_BATCHES_PER_ROUND):
            # The clock now, not the round's start: a lease counted from a stale time could
            # run out while the batch is still being sent, and another instance re-send it.
            counts = await drain_outbox(deps, gateway, deps.clock(), batch)
            total += counts
            if counts.claimed < batch:
                break
        if total.claimed:
            log.info("outbox: %s", total)
        return total

    return drain_push_outbox



def every(name: str, period: timedelta, job: Job) -> Job:
    """Runs `job` once per `period` across all instances: the instance that claims the job's
    lease in MongoDB runs it; the others skip it until the lease runs out. An instance that
    crashes mid-job leaves the job to whoever claims it next period."""
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    checked: list[datetime] = []

    async def once_per_period(deps: Deps, now: datetime) -> object:
        # Asking MongoDB every round would be a write a second per job: ask once a minute.
        if checked and now - checked[0] < min(period, LEASE_CHECK):
            return None
        checked[:] = [now]
        if not await deps.leases.claim(name, holder, now + period, now):
            return None
        return await job(deps, now)

    once_per_period.__name__ = name
    return once_per_period
