"""The database goes away and comes back, under a running app (mongoeco's wire server)."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.settings import Settings
from domain.access import Role
from tests.conftest import TEST_SECRET, token

# These always run against a wire server of their own: the suite's wire pass would repeat them.
pytestmark = pytest.mark.skipif(os.environ.get("EVJ_TEST_BACKEND") == "wire",
                                reason="already run against a wire server by the default pass")
REGISTER = """mutation($input: RegisterOwnerInput!) { registerOwner(input: $input) {
  owner { id } errors { message } } }"""
OWNERS = "{ owners(first: 10) { edges { node { email } } } }"


class RestartableWireServer:
    """A wire server on a fixed port whose data (a SQLite file) outlives a restart."""

    def __init__(self, path: str) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.path = path
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    def start(self) -> None:
        ready = threading.Event()

        async def serve() -> None:
            from mongoeco.engines.sqlite import SQLiteEngine
            from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
            async with AsyncMongoEcoProxyServer(engine=SQLiteEngine(self.path), port=self.port):
                ready.set()
                await self._stop.wait()

        self._thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
        self._thread.start()
        assert ready.wait(10), "wire server did not start"

    def stop(self) -> None:
        if self._loop and self._stop and self._thread:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout=10)
            self._thread = None


@pytest.fixture
def wire(tmp_path: Path) -> Iterator[RestartableWireServer]:
    server = RestartableWireServer(str(tmp_path / "store.sqlite"))
    yield server
    server.stop()


@pytest.fixture
def settings_for(wire: RestartableWireServer) -> Settings:
    return Settings(mongodb_uri=wire.uri, mongodb_db=f"evj_fault_{uuid.uuid4().hex[:8]}",
                    jwt_secret=TEST_SECRET, evj_seed_owners=0, evj_worker_enabled=False,
                    evj_rate_limit_per_minute=0)


@pytest.fixture
async def running(settings_for: Settings) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    app = create_app(settings_for)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test",
                                     timeout=30) as http:
            yield app, http


async def post(http: httpx.AsyncClient, settings: Settings, query: str,
               variables: dict[str, Any] | None = None) -> dict[str, Any]:
    auth = {"Authorization": f"Bearer {token(settings, Role.ADMIN, 'admin')}"}
    response = await http.post("/graphql", json={"query": query, "variables": variables or {}},
                               headers=auth)
    body: dict[str, Any] = response.json()
    return body


async def ready_within(http: httpx.AsyncClient, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (await http.get("/readyz")).status_code == 200:
            return True
        await asyncio.sleep(0.3)
    return False


async def test_the_database_down_mid_run_then_back(
        wire: RestartableWireServer, settings_for: Settings) -> None:
    wire.start()
    app = create_app(settings_for)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test",
                                     timeout=30) as http:
            first = await post(http, settings_for, REGISTER,
                               {"input": {"name": "Ana", "email": "ana@example.com"}})
            assert first["data"]["registerOwner"]["errors"] == []
            wire.stop()
            assert (await http.get("/readyz")).status_code == 503
            failed = await post(http, settings_for, REGISTER,
                                {"input": {"name": "Ben", "email": "ben@example.com"}})
            assert failed["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            assert "unavailable" in failed["errors"][0]["message"]
            wire.start()
            assert await ready_within(http, 20)
            owners = await post(http, settings_for, OWNERS)
            emails = [e["node"]["email"] for e in owners["data"]["owners"]["edges"]]
            assert emails == ["ana@example.com"]  # nothing half-written from the outage


async def test_the_database_down_at_start_then_up(
        wire: RestartableWireServer, running: tuple[Starlette, httpx.AsyncClient],
        settings_for: Settings) -> None:
    _, http = running  # started with nothing listening on the port
    assert (await http.get("/healthz")).status_code == 200  # the process is alive
    assert (await http.get("/readyz")).status_code == 503
    wire.start()
    assert await ready_within(http, 20)
    created = await post(http, settings_for, REGISTER,
                         {"input": {"name": "Ana", "email": "ana@example.com"}})
    assert created["data"]["registerOwner"]["errors"] == []
