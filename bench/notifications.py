"""Notification rules under telemetry load, and ingest-to-subscription latency.

Usage: .venv/bin/python bench/notifications.py [--owners N] [--minutes N] [--subscribers K]
       [--rounds M]

(a) Each owner's car reports every minute (up to now) through `ingestTelemetry` in batches of
    1,000 on the embedded store via ASGI transport: drivers' odometers grow and charge falls,
    1% of events carry a fault code, every 20th owner lives where it is evening now and drives
    on a low battery. With the notification rules, then on a fresh store without them.
(b) The app under uvicorn on a thread: owners subscribe to `notificationAdded`
    (graphql-transport-ws); each round POSTs a critical fault for one of their cars and times
    until its FAULT_DETECTED arrives, the POST included.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from logging.handlers import BufferingHandler
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import httpx
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests/
from tests.live_server import LiveServer

SECRET = "bench-secret-at-least-32-bytes-long!!"
SEED, BATCH, CAPACITY_KWH, WH_PER_KM = 7, 1000, 58.0, 170.0  # volta-one, in town
EVENING_EVERY, FAULT_SHARE = 20, 0.01
ZONES = ("Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Amsterdam", "Europe/Vienna")
REGIONS = ("Africa/", "America/", "Asia/", "Australia/", "Europe/", "Pacific/")
SAFETY = ("P0AA6", "P0A0D", "P0C78")
INGEST = """mutation($batch: [TelemetryInput!]!) { ingestTelemetry(batch: $batch) {
  stored duplicates rejected results { index status errors { __typename field message } } } }"""
REGISTER = "mutation($i: RegisterOwnerInput!) { registerOwner(input: $i) { owner { id } } }"
VEHICLE = """mutation($i: RegisterVehicleInput!) { registerVehicle(input: $i) {
  vehicle { vin } errors { message } } }"""
SUBSCRIBE = "subscription { notificationAdded { id kind } }"
SETTINGS = Settings(jwt_secret=SECRET, evj_seed_owners=0, evj_worker_enabled=False,
                    mongodb_uri=None, evj_rate_limit_per_minute=0)


@dataclass(frozen=True, slots=True)
class Car:
    """A car at minute 0, and what it does all along: driving, charging or parked."""
    vin: str
    mode: str
    soc: float
    km: float
    speed: float  # km a minute while driving

    def report(self, minute: int, at: datetime, rng: random.Random) -> dict[str, Any]:
        km = self.speed * minute if self.mode == "driving" else 0.0
        added = 11 * 0.9 / 60 * minute / CAPACITY_KWH * 100 if self.mode == "charging" else 0.0
        soc = min(100.0, max(3.0, self.soc - km * WH_PER_KM / 10 / CAPACITY_KWH + added))
        charging = self.mode == "charging"
        return {"vin": self.vin, "eventId": f"m{minute}", "at": at.isoformat(),
                "socPercent": round(soc, 1), "odometerKm": round(self.km + km, 1),
                "rangeKm": round(soc * CAPACITY_KWH * 10 / WH_PER_KM, 1),
                "batteryTempC": 31.0 if charging else 24.0 if km else 14.0,
                "location": {"lat": round(52.5 + km / 111, 5), "lng": 13.4},
                "charging": charging, "chargerPowerKw": 11.0 if charging else None,
                "faultCodes": [rng.choice(list(FAULTS))] if rng.random() < FAULT_SHARE else []}


@dataclass(frozen=True, slots=True)
class Fleet:
    owners: list[Owner]
    vehicles: list[Vehicle]
    cars: list[Car]
    evening_zone: str


def evening_zone(now: datetime) -> str:
    """Where it is closest to 21:00 now: dark, but before the default quiet hours (22:00)."""
    def distance(zone: str) -> int:
        local = now.astimezone(ZoneInfo(zone))
        return abs(local.hour * 60 + local.minute - 21 * 60)
    return min(sorted(z for z in available_timezones() if z.startswith(REGIONS)), key=distance)


def build_fleet(count: int, now: datetime) -> Fleet:
    rng, zone = random.Random(SEED), evening_zone(now)
    fleet = Fleet([], [], [], zone)
    for i in range(count):
        evening, days, draw = i % EVENING_EVERY == 0, rng.randint(30, 900), rng.random()
        owner = owners.register(owners.OwnerRegistration(
            name=f"Bench Owner {i}", email=f"bench.owner.{i}@example.com",
            timezone=zone if evening else rng.choice(ZONES)), now)
        vehicle = vehicles.register(vehicles.VehicleRegistration(
            owner_id=owner.id, vin=f"VBENCH{i:011d}", model_id="volta-one",
            delivered_at=now - timedelta(days=days), odometer_km=days * 38.0), now)
        mode = "driving" if evening or draw < 0.3 else "charging" if draw < 0.4 else "parked"
        low = 15.0 if mode == "charging" else 30.0
        soc = rng.uniform(20.5, 23.0) if evening else rng.uniform(low, 95.0)
        fleet.owners.append(owner)
        fleet.vehicles.append(vehicle)
        fleet.cars.append(Car(vehicle.vin, mode, soc, vehicle.odometer_km, rng.uniform(0.4, 1.2)))
    return fleet


def batches(fleet: Fleet, minutes: int, end: datetime) -> list[list[dict[str, Any]]]:
    """Every car every minute, the last minute at `end`, in batches of BATCH."""
    rng, start = random.Random(SEED), end - timedelta(minutes=minutes - 1)
    events = [car.report(m, start + timedelta(minutes=m), rng)
              for m in range(minutes) for car in fleet.cars]
    return [events[i:i + BATCH] for i in range(0, len(events), BATCH)]


@dataclass(frozen=True, slots=True)
class Ingestion:
    events: int
    latencies: list[float]
    trips: list[int]
    by_kind: dict[str, int]
    failures: list[str]


async def ingest(fleet: Fleet, minutes: int, rules: bool) -> Ingestion:
    app, logger = create_app(SETTINGS), logging.getLogger("evjourney")
    failures = BufferingHandler(10**6)  # the app logs a failing rule, the ingestion goes on
    failures.setLevel(logging.ERROR)
    auth = {"authorization": "Bearer " + issue_token(SETTINGS, Role.VEHICLE_GATEWAY, "gw",
                                                     ttl_minutes=120)}
    latencies, trips, plan = [], [], batches(fleet, minutes, datetime.now(UTC))
    logger.addHandler(failures)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://bench", timeout=None) as client):
        deps = app.state.deps
        await deps.owners.add_many(fleet.owners)
        await deps.vehicles.add_many(fleet.vehicles)
        if not rules:
            app.state.deps = dataclasses.replace(deps, events=DiscardEvents())
        for batch in plan:
            with counting_round_trips() as counter:
                started = time.perf_counter()
                response = await client.post("/graphql", headers=auth, json={
                    "query": INGEST, "variables": {"batch": batch}})
                latencies.append(time.perf_counter() - started)
            trips.append(counter.count)
            body = response.json()
            if response.status_code != 200 or body.get("errors"):
                raise SystemExit(f"HTTP {response.status_code}: {response.text[:600]}")
            if bad := [r for r in body["data"]["ingestTelemetry"]["results"]
                       if r["status"] != "STORED"]:
                raise SystemExit(f"{len(bad)} events not stored, e.g. {bad[:3]}")
        cursor = await app.state.db["notifications"].aggregate(
            [{"$group": {"_id": "$kind", "n": {"$sum": 1}}}])
        by_kind = {row["_id"]: row["n"] async for row in cursor}
    logger.removeHandler(failures)
    return Ingestion(len(fleet.cars) * minutes, latencies, trips, dict(sorted(by_kind.items())),
                     [failures.format(record) for record in failures.buffer])


async def call(http: httpx.AsyncClient, query: str, variables: dict[str, Any],
               role: Role = Role.ADMIN) -> dict[str, Any]:
    auth = "Bearer " + issue_token(SETTINGS, role, "bench")
    response = await http.post("/graphql", json={"query": query, "variables": variables},
                               headers={"Authorization": auth})
    body: dict[str, Any] = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise SystemExit(f"HTTP {response.status_code}: {response.text[:600]}")
    data: dict[str, Any] = body["data"]
    return data


async def owner_with_car(http: httpx.AsyncClient, i: int) -> tuple[str, str]:
    """A new owner and car through the API (the server's store lives on its own loop)."""
    owner = (await call(http, REGISTER, {"i": {"name": f"Live Owner {i}", "email":
                                               f"live.{i}@example.com"}}))["registerOwner"]
    added = (await call(http, VEHICLE, {"i": {
        "ownerId": owner["owner"]["id"], "vin": f"LVWSK{i:012d}", "modelId": "volta-one",
        "deliveredAt": "2025-01-15T10:00:00+00:00"}}))["registerVehicle"]
    if added["errors"]:
        raise SystemExit(f"registerVehicle: {added['errors']}")
    return from_base64(owner["owner"]["id"])[1], added["vehicle"]["vin"]


async def subscribe(url: str, owner_id: str) -> ClientConnection:
    auth = "Bearer " + issue_token(SETTINGS, Role.OWNER, owner_id, ttl_minutes=120)
    ws = await websockets.connect(url, additional_headers={"Authorization": auth},
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
    with LiveServer(SETTINGS) as server:
        async with httpx.AsyncClient(base_url=server.http, timeout=30) as http:
            garage = [await owner_with_car(http, i) for i in range(subscribers + 1)]
            sockets = [await subscribe(server.ws, owner) for owner, _ in garage[:subscribers]]
            await asyncio.sleep(0.2)  # the subscriptions are registered
            await fault(http, garage[-1][1], "P0AA6", "warm-up")  # an owner nobody listens to
            samples: list[float] = []
            for r in range(rounds):  # a new (vehicle, code) each round: no dedup
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
          + (", ".join(f"{kind} {n}" for kind, n in on.by_kind.items()) or "none"))
    print(f"rules cost: {sum(on.latencies) / sum(off.latencies):.2f}x the ingestion time; first "
          f"batch {on.latencies[0] * 1e3:.0f} ms with rules, {off.latencies[0] * 1e3:.0f} without")
    for failure in on.failures + off.failures:
        print(f"RULE FAILURE (logged by the app): {failure}")


async def main(owner_count: int, minutes: int, subscribers: int, rounds: int) -> None:
    started = time.perf_counter()
    fleet = build_fleet(owner_count, datetime.now(UTC))
    runs = [await ingest(fleet, minutes, rules) for rules in (True, False)]
    ms = [s * 1e3 for s in await deliveries(subscribers, rounds)]
    print_ingestion(runs, fleet, minutes)
    print(f"\n(b) ingest -> notificationAdded over a websocket, uvicorn on a thread, "
          f"{subscribers} subscribers, {rounds} rounds (a critical fault each, POST included)")
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
        parser.error(f"--rounds is at most {len(SAFETY)} x --subscribers (a new fault each)")
    return args


if __name__ == "__main__":
    arguments = parse_args()
    asyncio.run(main(arguments.owners, arguments.minutes, arguments.subscribers, arguments.rounds))
