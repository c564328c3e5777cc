"""Liveness and readiness endpoints."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

import api.app


async def test_healthz_answers_while_the_process_is_up(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_is_ready_with_a_reachable_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ready"})


async def test_readyz_is_unavailable_when_the_database_does_not_answer(
    client: httpx.AsyncClient, app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def unreachable(_: object) -> bool:
        return False

    monkeypatch.setattr(api.app, "ping", unreachable)
    response = await client.get("/readyz")
    assert (response.status_code, response.json()) == (503, {"status": "unavailable"})


async def test_graphiql_is_served_to_browsers(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
