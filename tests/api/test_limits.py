"""Protections: depth, alias and token limits, and masking of unexpected failures."""

from __future__ import annotations

import logging

import pytest

from domain.access import Role
from resolvers.schema import MAX_ALIASES, MAX_DEPTH
from services.deps import Deps
from tests.conftest import GraphQLClient, error_codes
from tests.factories import add_owner


def _deep_query(levels: int) -> str:
    """me -> vehicles -> edges -> node -> owner -> vehicles -> ... until `levels` deep."""
    query, depth = "id", 1
    while depth < levels:
        query = f"vehicles {{ edges {{ node {{ owner {{ {query} }} }} }} }}"
        depth += 4
    return f"{{ me {{ {query} }} }}"


async def test_too_deep_query_is_refused_before_running(gql: GraphQLClient) -> None:
    body = await gql.post(_deep_query(MAX_DEPTH + 4), authorization=gql.bearer(Role.ADMIN, "a"))
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]
    assert "data" not in body or body["data"] is None


async def test_query_within_depth_limit_runs(gql: GraphQLClient) -> None:
    await gql.ok(_deep_query(MAX_DEPTH - 2), authorization=gql.bearer(Role.ADMIN, "a"))


async def test_too_many_aliases_are_refused(gql: GraphQLClient) -> None:
    aliases = " ".join(f"m{i}: vehicleModels {{ id }}" for i in range(MAX_ALIASES + 1))
    body = await gql.post(f"{{ {aliases} }}")
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "aliases" in body["errors"][0]["message"]


async def test_aliases_hidden_in_fragments_count_too(gql: GraphQLClient) -> None:
    aliases = " ".join(f"m{i}: id" for i in range(MAX_ALIASES + 1))
    body = await gql.post(f"{{ vehicleModels {{ ...F }} }} fragment F on VehicleModel "
                          f"{{ {aliases} }}")
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_huge_documents_are_refused(gql: GraphQLClient) -> None:
    fields = " ".join("id" for _ in range(3000))
    body = await gql.post(f"{{ vehicleModels {{ {fields} }} }}")
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "token" in body["errors"][0]["message"].lower()


async def test_unexpected_failure_is_masked_and_logged(
    gql: GraphQLClient, deps: Deps, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture
) -> None:
    owner = await add_owner(deps)

    async def broken(*_: object) -> None:
        raise RuntimeError("connection string mongodb://secret@db leaked")

    monkeypatch.setattr(deps.vehicles, "pages_by_owner", broken)
    with caplog.at_level(logging.ERROR, logger="evjourney.graphql"):
        body = await gql.post("{ me { vehicles { edges { cursor } } } }",
                              authorization=gql.bearer(Role.OWNER, owner.id))
    assert error_codes(body) == ["INTERNAL_SERVER_ERROR"]
    assert body["errors"][0]["message"] == "Internal server error"
    assert "secret" not in str(body)
    assert "connection string" in caplog.text


async def test_malformed_request_is_a_client_error(gql: GraphQLClient) -> None:
    response = await gql.http.post("/graphql", content=b"{not json",
                                   headers={"content-type": "application/json"})
    assert response.status_code == 400
    syntax = await gql.post("{ vehicleModels { id ")
    assert error_codes(syntax) == ["GRAPHQL_VALIDATION_FAILED"]
