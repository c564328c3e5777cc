"""Job leases: one holder at a time, taken over when the lease runs out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.worker import Job, every
from services.deps import Deps


async def test_one_holder_until_the_lease_runs_out(deps: Deps) -> None:
    now = datetime.now(UTC)
    hour = now + timedelta(hours=1)
    assert await deps.leases.claim("sweep", "a", hour, now) is True
    assert await deps.leases.claim("sweep", "b", hour, now) is False
    assert await deps.leases.claim("other", "b", hour, now) is True
    later = hour + timedelta(seconds=1)
    assert await deps.leases.claim("sweep", "b", later + timedelta(hours=1), later) is True


async def test_a_periodic_job_runs_once_per_period_across_instances(deps: Deps) -> None:
    runs: list[str] = []

    def job(name: str) -> Job:
        async def run(_: Deps, __: datetime) -> None:
            runs.append(name)
        return run

    first, second = (every("daily", timedelta(days=1), job(n)) for n in ("a", "b"))
    now = datetime.now(UTC)
    for at in (now, now + timedelta(minutes=5), now + timedelta(hours=2)):
        await first(deps, at)
        await second(deps, at)
    assert runs == ["a"]
    tomorrow = now + timedelta(days=1, minutes=1)
    await second(deps, tomorrow)
    await first(deps, tomorrow)
    assert runs == ["a", "b"]
