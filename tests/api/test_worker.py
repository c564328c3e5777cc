"""The background worker: a failing job never stops the others, the app starts and stops it with
its lifespan, and with a webhook configured it delivers pushes on its own."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

import httpx
import pytest
from pydantic import ValidationError
from starlette.applications import Starlette

from api.app import create_app, worker_jobs
from api.settings import ConfigurationError, Settings
from api.worker import Worker
from domain.notifications.model import OutboxItem, OutboxStatus, PushDevice
from domain.ports import PushGateway
from services.deps import Deps
from tests.api.test_push_delivery import queue_push
from tests.webhook_receiver import WebhookReceiver

WEBHOOK_SECRET = "webhook-secret-for-the-worker-tests"


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application
        if settings.mongodb_uri:
            await application.state.db.client.drop_database(settings.mongodb_db)


async def test_a_failing_job_is_logged_and_the_next_still_runs(
    deps: Deps, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[datetime] = []

    async def broken(_: Deps, __: datetime) -> None:
        raise RuntimeError("boom")

    async def healthy(_: Deps, now: datetime) -> None:
        ran.append(now)

    worker = Worker(deps, [broken, healthy], interval=0.01)
    with caplog.at_level(logging.ERROR, logger="evjourney.worker"):
        await worker.run_once()
        await worker.run_once()
    assert len(ran) == 2
    assert [r.message for r in caplog.records] == ["worker job broken failed"] * 2


async def test_the_worker_runs_in_rounds_until_stopped(deps: Deps) -> None:
    rounds = 0
    three = asyncio.Event()

    async def count(_: Deps, __: datetime) -> None:
        nonlocal rounds
        rounds += 1
        if rounds == 3:
            three.set()

    worker = Worker(deps, [count], interval=0.01)
    async with worker.running():
        await asyncio.wait_for(three.wait(), timeout=5)
    stopped_at = rounds
    await asyncio.sleep(0.05)
    assert rounds == stopped_at


def _job_names(settings: Settings, gateway: PushGateway | None) -> list[str]:
    return [getattr(job, "__name__", "") for job in worker_jobs(settings, gateway)]


def test_the_outbox_is_drained_only_with_a_webhook(settings: Settings) -> None:
    class Gateway:
        async def send(self, item: OutboxItem, devices: Sequence[PushDevice]) -> None:
            pass

    assert "drain_push_outbox" not in _job_names(settings, None)
    assert _job_names(settings, Gateway())[-1] == "drain_push_outbox"  # after what fills it


def test_a_webhook_without_a_signing_secret_refuses_to_start(settings: Settings) -> None:
    unsigned = settings.model_copy(update={"evj_push_webhook_url": "http://127.0.0.1:9/push"})
    with pytest.raises(ConfigurationError, match="EVJ_PUSH_WEBHOOK_SECRET"):
        create_app(unsigned)


def test_a_webhook_url_must_be_http() -> None:
    with pytest.raises(ValidationError, match="http:// or https://"):
        Settings(evj_push_webhook_url="ftp://gateway.example.com/push")


async def test_the_app_worker_delivers_a_push_to_the_webhook(settings: Settings) -> None:
    with WebhookReceiver() as receiver:
        configured = Settings.model_validate({
            **settings.model_dump(), "evj_worker_enabled": True,
            "evj_worker_interval_seconds": 0.02, "evj_push_webhook_url": receiver.url,
            "evj_push_webhook_secret": WEBHOOK_SECRET})
        async with running_app(configured) as app:
            deps: Deps = app.state.deps
            [item] = await queue_push(deps)
            for _ in range(250):
                [stored] = await deps.outbox.get_many([item.id])
                if stored is not None and stored.status is OutboxStatus.SENT:
                    break
                await asyncio.sleep(0.02)
            assert stored is not None
            assert stored.status is OutboxStatus.SENT
        assert [r.key for r in receiver.requests] == [item.id]


async def test_a_hanging_gateway_neither_loses_the_push_nor_stalls_requests(
        settings: Settings) -> None:
    with WebhookReceiver() as receiver:
        receiver.delay = 2.0  # far longer than the client's timeout
        configured = Settings.model_validate({
            **settings.model_dump(), "evj_worker_enabled": True,
            "evj_worker_interval_seconds": 0.02, "evj_push_webhook_url": receiver.url,
            "evj_push_webhook_secret": WEBHOOK_SECRET, "evj_push_timeout_seconds": 0.3})
        async with running_app(configured) as app:
            deps: Deps = app.state.deps
            [item] = await queue_push(deps)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                for _ in range(10):  # while the worker waits on the gateway
                    started = time.perf_counter()
                    response = await http.get("/healthz")
                    assert response.status_code == 200
                    assert time.perf_counter() - started < 0.25
                    await asyncio.sleep(0.05)
            for _ in range(100):
                [stored] = await deps.outbox.get_many([item.id])
                if stored is not None and stored.last_error:
                    break
                await asyncio.sleep(0.02)
        assert stored is not None
        assert stored.status is OutboxStatus.PENDING  # kept, to be tried again after backoff
        assert stored.attempts == 1
        assert "time" in (stored.last_error or "").lower()
