"""Test wiring. The backend is chosen by environment, so one suite runs on every engine:

- default: mongoeco in-process (memory engine), a fresh store per test;
- EVJ_TEST_BACKEND=wire: the real PyMongo driver against mongoeco's wire server;
- MONGODB_URI=mongodb://...: the real PyMongo driver against that MongoDB.
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.auth import issue_token
from api.settings import Settings
from domain.access import Role
from services.deps import Deps

TEST_SECRET = "test-secret-that-is-long-enough-for-hs256"


class WireServer:
    """mongoeco's wire server on its own thread and loop, shared by the session."""

    def __init__(self) -> None:
        self.uri = ""
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)

    def __enter__(self) -> WireServer:
        self._thread.start()
        if not self._ready.wait(timeout=15):
            raise RuntimeError("mongoeco wire server did not start")
        return self

    def __exit__(self, *_: object) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=10)

    async def _serve(self) -> None:
        from mongoeco.engines.memory import MemoryEngine
        from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        async with AsyncMongoEcoProxyServer(engine=MemoryEngine()) as server:
            self.uri = server.address.uri
            self._ready.set()
            await self._stop.wait()


@pytest.fixture(scope="session")
def mongodb_uri() -> Iterator[str | None]:
    """None means in-process; otherwise a URI the real driver connects to."""
    if os.environ.get("MONGODB_URI"):
        yield os.environ["MONGODB_URI"]
    elif os.environ.get("EVJ_TEST_BACKEND", "memory") == "wire":
        with WireServer() as server:
            yield server.uri
    else:
        yield None


@pytest.fixture
def settings(mongodb_uri: str | None) -> Settings:
    # A database per test keeps tests independent on a shared server.
    return Settings(mongodb_uri=mongodb_uri, mongodb_db=f"evj_test_{uuid.uuid4().hex[:12]}",
                    jwt_secret=TEST_SECRET, evj_seed_owners=0, evj_data_path=None,
                    # Tests run the worker's jobs themselves; the rate limit has its own tests
                    # (it would add a round trip to every request that tests count).
                    evj_worker_enabled=False, evj_rate_limit_per_minute=0)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application
        if settings.mongodb_uri:
            await application.state.db.client.drop_database(settings.mongodb_db)


@pytest.fixture
def deps(app: Starlette) -> Deps:
    deps: Deps = app.state.deps
    return deps


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def token(settings: Settings, role: Role, subject: str = "user-1",
          center_id: str | None = None) -> str:
    return issue_token(settings, role, subject, center_id)


class GraphQLClient:
    """Posts GraphQL documents as a given user; `ok` asserts there were no errors."""

    def __init__(self, http: httpx.AsyncClient, settings: Settings) -> None:
        self.http = http
        self.settings = settings

    def bearer(self, role: Role, subject: str = "user-1", center_id: str | None = None) -> str:
        return f"Bearer {token(self.settings, role, subject, center_id)}"

    async def post(self, query: str, variables: dict[str, Any] | None = None,
                   authorization: str | None = None) -> dict[str, Any]:
        headers = {"Authorization": authorization} if authorization else {}
        response = await self.http.post("/graphql", json={"query": query,
                                                          "variables": variables or {}},
                                        headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def ok(self, query: str, variables: dict[str, Any] | None = None,
                 authorization: str | None = None) -> dict[str, Any]:
        body = await self.post(query, variables, authorization)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data


@pytest.fixture
def gql(client: httpx.AsyncClient, settings: Settings) -> GraphQLClient:
    return GraphQLClient(client, settings)


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]
