"""notificationAdded over a real websocket (graphql-transport-ws) against the app under uvicorn."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import websockets

from api.settings import Settings
from domain.access import Role
from tests.conftest import token
from tests.live_server import LiveServer

SUBSCRIBE = "subscription { notificationAdded { kind title priority data } }"
REGISTER = """mutation($input: RegisterOwnerInput!) { registerOwner(input: $input) {
  owner { id } } }"""
ADD_VEHICLE = """mutation($input: RegisterVehicleInput!) { registerVehicle(input: $input) {
  vehicle { id vin } errors { message } } }"""
INGEST = """mutation($batch: [TelemetryInput!]!) { ingestTelemetry(batch: $batch) { stored } }"""


@pytest.fixture
def server(settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(settings.model_copy(update={"evj_worker_enabled": False})) as live:
        yield live


@pytest.fixture
async def http(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.http) as client:
        yield client


async def call(http: httpx.AsyncClient, settings: Settings, query: str,
               variables: dict[str, Any], role: Role, subject: str = "admin") -> Any:
    auth = f"Bearer {token(settings, role, subject)}"
    response = await http.post("/graphql", json={"query": query, "variables": variables},
                               headers={"Authorization": auth})
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def owner_and_vin(http: httpx.AsyncClient, settings: Settings, email: str,
                        vin: str) -> str:
    owner = (await call(http, settings, REGISTER, {"input": {"name": "Ana Costa",
                                                              "email": email}},
                        Role.ADMIN))["registerOwner"]["owner"]["id"]
    from strawberry.relay import GlobalID

    owner_id = GlobalID.from_id(owner).node_id
    data = await call(http, settings, ADD_VEHICLE, {"input": {
        "ownerId": owner, "vin": vin, "modelId": "volta-one",
        "deliveredAt": "2025-01-15T10:00:00+00:00"}}, Role.ADMIN)
    assert data["registerVehicle"]["errors"] == []
    return owner_id


async def subscribe(server: LiveServer, settings: Settings, owner_id: str) -> Any:
    auth = f"Bearer {token(settings, Role.OWNER, owner_id)}"
    ws = await websockets.connect(server.ws, additional_headers={"Authorization": auth},
                                  subprotocols=[websockets.Subprotocol("graphql-transport-ws")])
    await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
    return ws


async def fault(http: httpx.AsyncClient, settings: Settings, vin: str, code: str) -> None:
    item = {"vin": vin, "eventId": f"e-{code}", "at": datetime.now(UTC).isoformat(),
            "socPercent": 70.0, "charging": False, "faultCodes": [code]}
    data = await call(http, settings, INGEST, {"batch": [item]}, Role.VEHICLE_GATEWAY, "gw")
    assert data["ingestTelemetry"]["stored"] == 1


async def test_owner_receives_new_notifications_within_a_second(
        server: LiveServer, http: httpx.AsyncClient, settings: Settings) -> None:
    ana = await owner_and_vin(http, settings, "ana@example.com", "WVWZZZ1JZXW000001")
    ben = await owner_and_vin(http, settings, "ben@example.com", "WVWZZZ1JZXW000002")
    ana_ws = await subscribe(server, settings, ana)
    ben_ws = await subscribe(server, settings, ben)
    await asyncio.sleep(0.1)  # the subscriptions are registered
    started = time.perf_counter()
    await fault(http, settings, "WVWZZZ1JZXW000001", "P0AA6")  # critical: no quiet hours
    kinds = {}
    while "FAULT_DETECTED" not in kinds:  # the new odometer may also make service due
        message = json.loads(await asyncio.wait_for(ana_ws.recv(), timeout=1.0))
        assert message["type"] == "next", message
        note = message["payload"]["data"]["notificationAdded"]
        kinds[note["kind"]] = note["priority"]
    assert time.perf_counter() - started < 1.0
    assert kinds["FAULT_DETECTED"] == "CRITICAL"
    with pytest.raises(TimeoutError):  # Ben hears nothing of Ana's car
        await asyncio.wait_for(ben_ws.recv(), timeout=0.3)
    await ana_ws.close()
    await ben_ws.close()


async def test_a_subscription_needs_an_owner(server: LiveServer, settings: Settings) -> None:
    ws = await websockets.connect(server.ws, subprotocols=[
        websockets.Subprotocol("graphql-transport-ws")])
    await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
    message = json.loads(await asyncio.wait_for(ws.recv(), timeout=2))
    assert message["type"] == "next"
    assert message["payload"]["data"] is None
    assert message["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    await ws.close()
