"""Notification rules under telemetry load, and ingest-to-subscription latency.

Usage: .venv/bin/python bench/notifications.py [--owners N] [--minutes N] [--subscribers K]
       [--rounds M]

(a) `--owners` owners with one vehicle each report every minute for `--minutes` minutes (ending
    now) through `ingestTelemetry` in batches of 1,000 on the embedded (mongoeco, in-memory)
    store via ASGI transport: drivers' odometers grow and their charge falls, chargers' rises,
    1% of events carry a fault code, and 5% of owners live where it is evening now and drive on
    a low battery. Run with the notification rules, then on a fresh store without them.
(b) The app under uvicorn on a thread: `--subscribers` owners subscribe to `notificationAdded`
    over graphql-transport-ws; each of `--rounds` rounds POSTs one critical fault for one of
    their cars and waits for its FAULT_DETECTED (the POST is part of the measured path).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import random
import socket
import statistics
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import httpx
import uvicorn
import websockets
from strawberry.relay import from_base64
from websockets.asyncio.client import ClientConnection

from api.app import create_app
from api.auth import issue_token
from api.notifying import DiscardEvents
from api.settings import Settings
from domain import owners, vehicles
from domain.access import Role
from domain.notifications.rules.telemetry import FAULTS
from domain.owners import Owner
from domain.vehicles import Vehicle
from store.stats import counting_round_trips

SECRET = "bench-secret-at-least-32-bytes-long!!"
SEED, BATCH, CAPACITY_KWH, WH_PER_KM = 7, 1000, 58.0, 170.0  # volta-one, in town
EVENING_EVERY, FAULT_SHARE = 20, 0.01
ZONES = ("Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Amsterdam", "Europe/Vienna")
SAFETY = ("P0AA6", "P0A0D", "P0C78")
INGEST = """mutation($batch: [TelemetryInput!]!) { ingestTelemetry(batch: $batch) {
  stored duplicates rejected results { status errors { __typename field message } } } }"""
REGISTER = "mutation($i: RegisterOwnerInput!) { registerOwner(input: $i) { owner { id } } }"
VEHICLE = """mutation($i: RegisterVehicleInput!) { registerVehicle(input: $i) {
  vehicle { vin } errors { message } } }"""
SUBSCRIBE = "subscription { notificationAdded { id kind } }"


@dataclass(frozen=True, slots=True)
class Car:
    """A vehicle's state at minute 0 and what it does for the whole window."""
    vin: str
    mode: str  # driving, charging or parked
    soc: float
    km: float
    speed: float  # km a minute while driving

    def report(self, minute: int, at: datetime, rng: random.Random) -> dict[str, Any]:
        driven = self.speed * minute if self.mode == "driving" else 0.0
        added = 11 * 0.9 / 60 * minute / CAPACITY_KWH * 100 if self.mode == "charging" else 0.0
        soc = min(100.0, max(3.0, self.soc - driven * WH_PER_KM / 10 / CAPACITY_KWH + added))
        codes = [rng.choice(list(FAULTS))] if rng.random() < FAULT_SHARE else []
        return {"vin": self.vin, "eventId": f"m{minute}", "at": at.isoformat(),
                "socPercent": round(soc, 1), "odometerKm": round(self.km + driven, 1),
                "rangeKm": round(soc / 100 * CAPACITY_KWH * 1000 / WH_PER_KM, 1),
                "batteryTempC": {"driving": 24.0, "charging": 31.0}.get(self.mode, 14.0),
                "location": {"lat": 52.5 + driven / 111, "lng": 13.4},
                "charging": self.mode == "charging",
                "chargerPowerKw": 11.0 if self.mode == "charging" else None,
                "faultCodes": codes}


@dataclass(frozen=True, slots=True)
class Fleet:
    owners: list[Owner]
    vehicles: list[Vehicle]
    cars: list[Car]
    evening_zone: str


def evening_zone(now: datetime) -> str:
    """The zone where it is closest to 21:00 now: after dinner, before quiet hours at 22:00."""
    def distance(name: str) -> float:
        local = now.astimezone(ZoneInfo(name))
        return abs(local.hour * 60 + local.minute - 21 * 60)
    return min(sorted(z for z in available_timezones() if "/" in z and not z.startswith(
        ("Etc/", "SystemV/"))), key=distance)


def build_fleet(count: int, now: datetime) -> Fleet:
    rng, zone = random.Random(SEED), evening_zone(now)
    fleet = Fleet([], [], [], zone)
    for i in range(count):
        evening = i % EVENING_EVERY == 0
        owner = owners.register(owners.OwnerRegistration(
            name=f"Bench Owner {i}", email=f"bench.owner.{i}@example.com",
            timezone=zone if evening else rng.choice(ZONES)), now)
        days = rng.randint(30, 900)
        vehicle = vehicles.register(vehicles.VehicleRegistration(
            owner_id=owner.id, vin=f"VBENCH{i:011d}", model_id="volta-one",
            delivered_at=now - timedelta(days=days), odometer_km=round(days * 38.0)), now)
        draw = rng.random()
        mode = "driving" if evening or draw < 0.3 else "charging" if draw < 0.4 else "parked"
        soc = rng.uniform(20.5, 23.0) if evening else rng.uniform(15.0 if mode == "charging"
                                                                   else 30.0, 95.0)
        fleet.owners.append(owner)
        fleet.vehicles.append(vehicle)
        fleet.cars.append(Car(vehicle.vin, mode, soc, vehicle.odometer_km, rng.uniform(0.4, 1.2)))
    return fleet


def batches(fleet: Fleet, minutes: int, end: datetime) -> list[list[dict[str, Any]]]:
    """Every car every minute, the last minute ending at `end`, in batches of BATCH."""
    rng, start = random.Random(SEED), end - timedelta(minutes=minutes)
    events = [car.report(m, start + timedelta(minutes=m), rng)
              for m in range(minutes) for car in fleet.cars]
    return [events[i:i + BATCH] for i in range(0, len(events), BATCH)]


class Failures(logging.Handler):
    """Rule failures are logged, not raised (the ingestion must not fail): collect them."""
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


@dataclass(frozen=True, slots=True)
class Ingestion:
    events: int
    latencies: list[float]
    trips: list[int]
    by_kind: dict[str, int]
    failures: list[str]


def settings() -> Settings:
    return Settings(jwt_secret=SECRET, evj_seed_owners=0, evj_worker_enabled=False,
                    mongodb_uri=None)


async def ingest(fleet: Fleet, minutes: int, rules: bool) -> Ingestion:
    app, config = create_app(settings()), settings()
    auth = {"authorization": "Bearer " + issue_token(config, Role.VEHICLE_GATEWAY, "gw", None, 120)}
    failures = Failures()
    logging.getLogger("evjourney").addHandler(failures)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://bench", timeout=None) as client):
        deps = app.state.deps
        await deps.owners.add_many(fleet.owners)
        await deps.vehicles.add_many(fleet.vehicles)
        if not rules:
            app.state.deps = dataclasses.replace(deps, events=DiscardEvents())
        latencies, trips = [], []
        for batch in batches(fleet, minutes, datetime.now(UTC) - timedelta(seconds=5)):
            with counting_round_trips() as counter:
                started = time.perf_counter()
                response = await client.post("/graphql", headers=auth, json={
                    "query": INGEST, "variables": {"batch": batch}})
                latencies.append(time.perf_counter() - started)
            trips.append(counter.count)
            body = response.json()
            if body.get("errors") or body["data"]["ingestTelemetry"]["stored"] != len(batch):
                raise SystemExit(f"HTTP {response.status_code}: {response.text[:600]}")
        by_kind = {row["_id"]: row["n"] async for row in await app.state.db["notifications"]
                   .aggregate([{"$group": {"_id": "$kind", "n": {"$sum": 1}}}])}
    logging.getLogger("evjourney").removeHandler(failures)
    return Ingestion(len(fleet.cars) * minutes, latencies, trips, dict(sorted(by_kind.items())),
                     failures.records)


class LiveServer:
    """The real app under uvicorn on a free port, on its own thread and loop (as in
    tests/live_server.py, which a script run from bench/ cannot import)."""
    def __init__(self, config: Settings) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        port = self._sock.getsockname()[1]
        self.http, self.ws = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/graphql"
        self._server = uvicorn.Server(uvicorn.Config(
            create_app(config), log_level="warning", lifespan="on", ws="websockets-sansio"))
        self._thread = threading.Thread(
            target=lambda: self._server.run(sockets=[self._sock]), daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the live server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


async def call(http: httpx.AsyncClient, query: str, variables: dict[str, Any],
               role: Role = Role.ADMIN) -> dict[str, Any]:
    token = issue_token(settings(), role, "bench")
    response = await http.post("/graphql", json={"query": query, "variables": variables},
                               headers={"Authorization": f"Bearer {token}"})
    body: dict[str, Any] = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise SystemExit(f"HTTP {response.status_code}: {response.text[:600]}")
    data: dict[str, Any] = body["data"]
    return data


async def owner_with_car(http: httpx.AsyncClient, i: int) -> tuple[str, str]:
    owner = (await call(http, REGISTER, {"i": {"name": f"Live Owner {i}", "email": f"live.{i}"
                                               "@example.com"}}))["registerOwner"]["owner"]["id"]
    added = (await call(http, VEHICLE, {"i": {
        "ownerId": owner, "vin": f"LVWSK{i:012d}", "modelId": "volta-one",
        "deliveredAt": "2025-01-15T10:00:00+00:00"}}))["registerVehicle"]
    if added["errors"]:
        raise SystemExit(f"registerVehicle: {added['errors']}")
    return from_base64(owner)[1], added["vehicle"]["vin"]


async def subscribe(url: str, owner_id: str) -> ClientConnection:
    token = issue_token(settings(), Role.OWNER, owner_id)
    ws = await websockets.connect(url, additional_headers={"Authorization": f"Bearer {token}"},
                                  subprotocols=[websockets.Subprotocol("graphql-transport-ws")])
    await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
    if (ack := json.loads(await ws.recv()))["type"] != "connection_ack":
        raise SystemExit(f"no connection_ack: {ack}")
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
    return ws


async def fault(http: httpx.AsyncClient, vin: str, code: str, event_id: str) -> None:
    item = {"vin": vin, "eventId": event_id, "at": datetime.now(UTC).isoformat(),
            "socPercent": 70.0, "charging": False, "faultCodes": [code]}
    data = await call(http, INGEST, {"batch": [item]}, Role.VEHICLE_GATEWAY)
    if data["ingestTelemetry"]["stored"] != 1:
        raise SystemExit(f"fault not stored: {data}")


async def until_fault(ws: ClientConnection) -> None:
    while True:  # other kinds (service due) may come first
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
        if message["type"] != "next" or message["payload"].get("errors"):
            raise SystemExit(f"subscription: {message}")
        if message["payload"]["data"]["notificationAdded"]["kind"] == "FAULT_DETECTED":
            return


async def deliveries(subscribers: int, rounds: int) -> list[float]:
    with LiveServer(settings()) as server:
        async with httpx.AsyncClient(base_url=server.http, timeout=30) as http:
            garage = [await owner_with_car(http, i) for i in range(subscribers + 1)]
            sockets = [await subscribe(server.ws, owner) for owner, _ in garage[:subscribers]]
            await asyncio.sleep(0.2)  # the subscriptions are registered
            await fault(http, garage[-1][1], "P0AA6", "warm-up")  # an owner nobody listens to
            samples: list[float] = []
            for r in range(rounds):
                vin, code = garage[r % subscribers][1], SAFETY[r // subscribers]
                started = time.perf_counter()
                await fault(http, vin, code, f"round-{r}")
                await until_fault(sockets[r % subscribers])
                samples.append(time.perf_counter() - started)
            for ws in sockets:
                await ws.close()
    return samples


def pct(samples: Sequence[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def print_ingestion(runs: Sequence[Ingestion], fleet: Fleet, minutes: int) -> None:
    print(f"\n(a) ingestTelemetry: {len(fleet.cars):,} vehicles x {minutes} minutes, batches of "
          f"{BATCH:,}; evening zone {fleet.evening_zone} (every {EVENING_EVERY}th owner)")
    print(f"{'rules':<6}{'events':>8}{'seconds':>9}{'events/s':>10}{'median ms':>11}"
          f"{'p95 ms':>9}{'max ms':>9}{'db trips/batch':>16}{'notifications':>15}")
    for run, label in zip(runs, ("on", "off"), strict=True):
        seconds, lat = sum(run.latencies), run.latencies
        print(f"{label:<6}{run.events:>8,}{seconds:>9.2f}{run.events / seconds:>10,.0f}"
              f"{statistics.median(lat) * 1e3:>11.1f}{pct(lat, 95) * 1e3:>9.1f}"
              f"{max(lat) * 1e3:>9.1f}{statistics.median(run.trips):>16.0f}"
              f"{sum(run.by_kind.values()):>15,}")
    on, off = runs
    print("notifications by kind (rules on): "
          + ", ".join(f"{kind} {n}" for kind, n in on.by_kind.items()))
    print(f"rules cost: {sum(on.latencies) / sum(off.latencies):.2f}x the ingestion time; first "
          f"batch {on.latencies[0] * 1e3:.0f} ms with rules, {off.latencies[0] * 1e3:.0f} without")
    for failure in on.failures + off.failures:
        print(f"RULE FAILURE (logged by the app): {failure}")


async def main(owner_count: int, minutes: int, subscribers: int, rounds: int) -> None:
    started = time.perf_counter()
    fleet = build_fleet(owner_count, datetime.now(UTC))
    runs = [await ingest(fleet, minutes, rules) for rules in (True, False)]
    samples = await deliveries(subscribers, rounds)
    print_ingestion(runs, fleet, minutes)
    ms = [s * 1e3 for s in samples]
    print(f"\n(b) ingest -> notificationAdded over a websocket, uvicorn on a thread, "
          f"{subscribers} subscribers, {rounds} rounds (one critical fault, POST included)")
    print(f"{'median ms':>10}{'p95 ms':>9}{'max ms':>9}")
    print(f"{statistics.median(ms):>10.1f}{pct(ms, 95):>9.1f}{max(ms):>9.1f}")
    print(f"\nbench took {time.perf_counter() - started:.0f}s")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--owners", type=int, default=1000, help="owners, one vehicle each")
    parser.add_argument("--minutes", type=int, default=30, help="minutes of reports (<= 50)")
    parser.add_argument("--subscribers", type=int, default=20, help="websocket subscriptions")
    parser.add_argument("--rounds", type=int, default=50, help="timed deliveries")
    args = parser.parse_args()
    if min(args.owners, args.minutes, args.subscribers, args.rounds) < 1 or args.minutes > 50:
        parser.error("every option must be at least 1, --minutes at most 50")
    if args.rounds > len(SAFETY) * args.subscribers:
        parser.error(f"--rounds is at most {len(SAFETY)} x --subscribers (one new fault each)")
    return args


if __name__ == "__main__":
    arguments = parse_args()
    asyncio.run(main(arguments.owners, arguments.minutes, arguments.subscribers, arguments.rounds))
