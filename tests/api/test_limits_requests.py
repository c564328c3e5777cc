"""Request limits in front of GraphQL: body size, rate per caller, introspection, query cost."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.settings import Settings
from domain.access import Role
from tests.conftest import GraphQLClient, error_codes, token

ME = "{ me { id } }"


@pytest.fixture
async def strict(settings: Settings) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    limited = settings.model_copy(update={"evj_rate_limit_per_minute": 3,
                                          "evj_max_body_bytes": 2048,
                                          "evj_introspection": False})
    application = create_app(limited)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield application, http


def auth(settings: Settings, subject: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(settings, Role.OWNER, subject)}"}


async def test_a_caller_over_the_rate_gets_429_with_retry_after(
        strict: tuple[Starlette, httpx.AsyncClient], settings: Settings) -> None:
    _, http = strict
    statuses = [(await http.post("/graphql", json={"query": ME},
                                 headers=auth(settings, "ana"))).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    refused = await http.post("/graphql", json={"query": ME}, headers=auth(settings, "ana"))
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert error_codes(refused.json()) == ["RATE_LIMITED"]
    other = await http.post("/graphql", json={"query": ME}, headers=auth(settings, "ben"))
    assert other.status_code == 200  # counted per caller


async def test_a_body_over_the_limit_is_refused_before_parsing(
        strict: tuple[Starlette, httpx.AsyncClient], settings: Settings) -> None:
    _, http = strict
    big = await http.post("/graphql", json={"query": ME, "variables": {"x": "y" * 5000}},
                          headers=auth(settings, "ana"))
    assert big.status_code == 413
    assert error_codes(big.json()) == ["PAYLOAD_TOO_LARGE"]

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it streams
        for _ in range(10):
            yield b" " * 500

    streamed = await http.post("/graphql", content=chunks(),
                               headers={**auth(settings, "ana"),
                                        "content-type": "application/json"})
    assert streamed.status_code == 413


async def test_introspection_can_be_switched_off(
        strict: tuple[Starlette, httpx.AsyncClient], settings: Settings) -> None:
    _, http = strict
    body = (await http.post("/graphql", json={"query": "{ __schema { types { name } } }"},
                            headers=auth(settings, "ana"))).json()
    assert error_codes(body) == ["INTROSPECTION_DISABLED"]
    typename = (await http.post("/graphql", json={"query": "{ __typename }"},
                                headers=auth(settings, "ben"))).json()
    assert typename["data"] == {"__typename": "Query"}


async def test_introspection_is_on_by_default(gql: GraphQLClient) -> None:
    data = await gql.ok('{ __type(name: "Owner") { name } }')
    assert data["__type"]["name"] == "Owner"


async def test_a_query_over_the_cost_budget_is_refused(gql: GraphQLClient) -> None:
    costly = ("{ me { vehicles(first: 100) { edges { node { chargingSessions(first: 100) "
              "{ edges { node { id energyDeliveredKwh } } } } } } } }")
    body = await gql.post(costly, authorization=gql.bearer(Role.OWNER, "ana"))
    assert error_codes(body) == ["QUERY_TOO_COSTLY"]
    assert "cost 40302" in body["errors"][0]["message"]
    fine = await gql.post("query($n: Int) { me { vehicles(first: $n) { edges { node { id } } } } }",
                          {"n": 10}, gql.bearer(Role.OWNER, "ana"))
    assert "errors" not in fine
