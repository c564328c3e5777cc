"""Request ids, one JSON log line per GraphQL request, and Prometheus metrics."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from api.observability import JsonFormatter
from domain.access import Role
from tests.conftest import GraphQLClient


async def test_requests_carry_an_id_and_are_logged_with_operation_and_round_trips(
        client: httpx.AsyncClient, gql: GraphQLClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="evjourney.http")
    response = await client.post(
        "/graphql", json={"query": "query Me { me { id } }", "operationName": "Me"},
        headers={"Authorization": gql.bearer(Role.OWNER, "ana"), "X-Request-ID": "req-42"})
    assert response.headers["x-request-id"] == "req-42"
    [record] = [r for r in caplog.records if r.name == "evjourney.http"]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-42"
    assert line["operation"] == "Me"
    assert line["status"] == 200
    # The hour's app-use stamp (no owner "ana" is stored, so no day is rolled up), and `me`.
    assert line["db_round_trips"] == 2
    assert line["duration_ms"] > 0
    fresh = await client.get("/healthz")
    assert len(fresh.headers["x-request-id"]) == 32


async def test_metrics_count_operations_and_show_the_outbox(
        client: httpx.AsyncClient, gql: GraphQLClient) -> None:
    for _ in range(2):
        await client.post("/graphql", json={"query": "query Catalogue { vehicleModels { id } }",
                                            "operationName": "Catalogue"})
    await client.post("/graphql", json={"query": "{ __typename }", "operationName": "x" * 500})
    text = (await client.get("/metrics")).text
    assert 'evj_graphql_requests_total{operation="Catalogue",status="200"}' in text
    assert 'evj_graphql_request_seconds_bucket{le="0.005",operation="Catalogue"}' in text
    assert 'operation="anonymous"' in text  # an unusable name is not a new label
    assert "evj_db_round_trips_total" in text
    assert 'evj_outbox_items{status="PENDING"}' in text
