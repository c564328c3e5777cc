"""Several server processes on one database (mongoeco's wire server, or MONGODB_URI): a
notification reaches a subscriber on another instance, and an outbox drained by three instances
sends each item once, even when one of them is killed mid-drain."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import websockets

from api.auth import issue_token
from api.settings import Settings
from domain.access import Role
from domain.notifications.model import Channel, OutboxItem, PushDevice, PushPlatform
from store.client import open_database
from store.indexes import ensure_indexes
from store.repositories import MongoRepositories, build_repositories
from tests.conftest import TEST_SECRET, WireServer
from tests.webhook_receiver import WebhookReceiver

ITEMS = 500
# These always run on a server (their own wire server unless MONGODB_URI is set): the suite's
# second pass through the wire server would only repeat them.
pytestmark = pytest.mark.skipif(
    os.environ.get("EVJ_TEST_BACKEND") == "wire" and not os.environ.get("MONGODB_URI"),
    reason="already run against a wire server by the default pass")


@pytest.fixture(scope="module")
def database_uri() -> Iterator[str]:
    """Instances need a server they can share: MONGODB_URI, else a wire server of our own."""
    if os.environ.get("MONGODB_URI"):
        yield os.environ["MONGODB_URI"]
        return
    with WireServer() as server:
        yield server.uri


class Instance:
    """One `uvicorn api.app:create_app` process."""

    def __init__(self, uri: str, db: str, **env: str) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        environment = {**os.environ, "MONGODB_URI": uri, "MONGODB_DB": db,
                       "JWT_SECRET": TEST_SECRET, "EVJ_SEED_OWNERS": "0",
                       "EVJ_WORKER_INTERVAL_SECONDS": "0.1", **env}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
            env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.process.stderr.read().decode() if self.process.stderr
                                   else "instance exited")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("instance did not become ready")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def start(count: int, uri: str, db: str, **env: str) -> list[Instance]:
    instances = [Instance(uri, db, **env) for _ in range(count)]
    for instance in instances:
        instance.wait_ready()
    return instances


@pytest.fixture
def db_name() -> str:
    return f"evj_mp_{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def repositories(database_uri: str, db_name: str) -> AsyncIterator[MongoRepositories]:
    async with open_database(database_uri, db_name) as db:
        await ensure_indexes(db)
        yield build_repositories(db)
        await db.client.drop_database(db_name)


def settings() -> Settings:
    return Settings(jwt_secret=TEST_SECRET, mongodb_uri="mongodb://unused")


def bearer(role: Role, subject: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(settings(), role, subject)}"}


async def gql(instance: Instance, query: str, variables: dict[str, Any], role: Role,
              subject: str = "admin") -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=instance.url, timeout=10) as http:
        response = await http.post("/graphql", json={"query": query, "variables": variables},
                                   headers=bearer(role, subject))
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def test_a_notification_made_on_one_instance_reaches_a_subscriber_on_another(
        database_uri: str, db_name: str, repositories: MongoRepositories) -> None:
    a, b = start(2, database_uri, db_name, EVJ_WORKER_ENABLED="false")
    try:
        owner = (await gql(a, REGISTER, {"input": {"name": "Ana Costa",
                                                   "email": "ana@example.com"}}, Role.ADMIN)
                 )["registerOwner"]["owner"]["id"]
        await gql(a, VEHICLE, {"input": {"ownerId": owner, "vin": "WVWZZZ1JZXW000001",
                                         "modelId": "volta-one",
                                         "deliveredAt": "2025-01-15T10:00:00+00:00"}},
                  Role.ADMIN)
        owner_id = _local(owner)
        headers = bearer(Role.OWNER, owner_id)
        async with websockets.connect(f"ws://127.0.0.1:{b.port}/graphql",
                                      additional_headers=headers,
                                      subprotocols=[websockets.Subprotocol(
                                          "graphql-transport-ws")]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
                "query": "subscription { notificationAdded { kind } }"}}))
            await asyncio.sleep(0.3)
            started = time.monotonic()
            item = {"vin": "WVWZZZ1JZXW000001", "eventId": "e1",
                    "at": datetime.now(UTC).isoformat(), "faultCodes": ["P0AA6"]}
            await gql(a, INGEST, {"batch": [item]}, Role.VEHICLE_GATEWAY, "gw")
            kinds: list[str] = []
            while "FAULT_DETECTED" not in kinds:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=2))
                kinds.append(message["payload"]["data"]["notificationAdded"]["kind"])
            assert time.monotonic() - started < 2
    finally:
        for instance in (a, b):
            instance.stop()


async def test_three_instances_send_each_outbox_item_once(
        database_uri: str, db_name: str, repositories: MongoRepositories) -> None:
    with WebhookReceiver() as receiver:
        await _queue(repositories)
        instances = start(3, database_uri, db_name, **_push_env(receiver))
        try:
            await _until(lambda: len(receiver.delivered_keys) >= ITEMS, seconds=60)
            await asyncio.sleep(0.5)  # nothing more should come
        finally:
            for instance in instances:
                instance.stop()
    keys = [r.key for r in receiver.requests]
    assert len(set(keys)) == ITEMS
    assert len(keys) == ITEMS  # not one sent twice


async def test_killing_an_instance_mid_drain_loses_and_duplicates_nothing(
        database_uri: str, db_name: str, repositories: MongoRepositories) -> None:
    with WebhookReceiver() as receiver:
        receiver.delay = 0.01  # a gateway slow enough to kill an instance while it sends
        await _queue(repositories)
        instances = start(3, database_uri, db_name, EVJ_PUSH_LEASE_SECONDS="10",
                          **_push_env(receiver))
        try:
            await _until(lambda: len(receiver.requests) >= ITEMS // 4, seconds=60)
            instances[0].kill()
            await _until(lambda: len(receiver.delivered_keys) >= ITEMS, seconds=60)
        finally:
            for instance in instances[1:]:
                instance.stop()
    keys = [r.key for r in receiver.requests]
    assert len(set(keys)) == ITEMS  # nothing lost
    # Only what the killed instance had in flight (at most one batch of 10, sent concurrently)
    # is POSTed again, after its lease, with the same key, which the gateway de-duplicates:
    # each item is delivered onward once.
    assert len(keys) - len(set(keys)) <= 10
    counts = await repositories.outbox.counts()
    assert sum(n for status, n in counts.items() if status.value == "SENT") == ITEMS


def _push_env(receiver: WebhookReceiver) -> dict[str, str]:
    return {"EVJ_PUSH_WEBHOOK_URL": receiver.url,
            "EVJ_PUSH_WEBHOOK_SECRET": "a-webhook-secret-long-enough",
            "EVJ_PUSH_BATCH_SIZE": "10"}


async def _queue(repositories: MongoRepositories) -> None:
    now = datetime.now(UTC)
    await repositories.push_devices.register(
        PushDevice(token="device-token-1", owner_id="owner-1", platform=PushPlatform.IOS,
                   registered_at=now), keep=10)
    await repositories.outbox.enqueue([OutboxItem(
        id=f"n{i:04d}:PUSH", notification_id=f"n{i:04d}", owner_id="owner-1",
        channel=Channel.PUSH, payload={"id": f"n{i:04d}", "title": "t", "body": "b"},
        due_at=now, created_at=now) for i in range(ITEMS)])


async def _until(done: Callable[[], bool], seconds: float) -> None:
    """Waits for the receiver (another thread) to have seen enough."""
    async with asyncio.timeout(seconds):
        while not done():  # noqa: ASYNC110  the receiver's thread has no event to await
            await asyncio.sleep(0.05)


def _local(global_id: str) -> str:
    from strawberry.relay import GlobalID

    return GlobalID.from_id(global_id).node_id


REGISTER = """mutation($input: RegisterOwnerInput!) { registerOwner(input: $input) {
  owner { id } } }"""
VEHICLE = """mutation($input: RegisterVehicleInput!) { registerVehicle(input: $input) {
  vehicle { id } errors { message } } }"""
INGEST = """mutation($batch: [TelemetryInput!]!) { ingestTelemetry(batch: $batch) { stored } }"""


async def test_graceful_shutdown_finishes_requests_and_closes_subscriptions(
        database_uri: str, db_name: str, repositories: MongoRepositories) -> None:
    [instance] = start(1, database_uri, db_name, EVJ_WORKER_ENABLED="false")
    try:
        owner = (await gql(instance, REGISTER, {"input": {"name": "Ana Costa",
                                                          "email": "ana@example.com"}},
                           Role.ADMIN))["registerOwner"]["owner"]["id"]
        await gql(instance, VEHICLE, {"input": {"ownerId": owner, "vin": "WVWZZZ1JZXW000001",
                                                "modelId": "volta-one",
                                                "deliveredAt": "2025-01-15T10:00:00+00:00"}},
                  Role.ADMIN)
        headers = bearer(Role.OWNER, _local(owner))
        ws = await websockets.connect(
            f"ws://127.0.0.1:{instance.port}/graphql", additional_headers=headers,
            subprotocols=[websockets.Subprotocol("graphql-transport-ws")])
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": "subscription { notificationAdded { kind } }"}}))
        batch = [{"vin": "WVWZZZ1JZXW000001", "eventId": f"e{i}",
                  "at": datetime.now(UTC).isoformat(), "socPercent": 50.0}
                 for i in range(1000)]
        in_flight = asyncio.create_task(gql(instance, INGEST, {"batch": batch},
                                            Role.VEHICLE_GATEWAY, "gw"))
        await asyncio.sleep(0.2)  # the batch is being handled
        instance.process.send_signal(signal.SIGTERM)
        answered = await in_flight
        assert answered["ingestTelemetry"]["stored"] == 1000  # finished, not cut off
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), timeout=15)
        assert closed.value.rcvd is not None  # a close frame, not a dropped connection
        # uvicorn shuts down cleanly, then re-raises SIGTERM so its parent sees why it ended.
        assert instance.process.wait(timeout=15) in (0, -signal.SIGTERM)
    finally:
        instance.stop()
