"""Charging at scale, in-process on the embedded store (mongoeco, in memory) via ASGI transport.

Usage: .venv/bin/python bench/charging.py [--sessions N] [--batch N] [--requests N] [--budget S]

(a) records `--sessions` realistic demo sessions of 10 vehicles through `recordChargingSessions`
    in batches of `--batch`, in the order they happened (stopping early if the next batch would
    overrun `--budget` seconds: inserts whose cost grows with the collection show up that way).
(b) reads the full `batteryHealth` of the vehicle with 3,000 of those sessions, and
(c) its `chargingStats` and first page of `chargingSessions(first: 50)`, `--requests` times each.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import platform
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from strawberry.relay import to_base64

from api.app import create_app
from api.auth import issue_token
from api.settings import Settings
from domain.access import Role
from domain.charging import SessionReport
from domain.owners import Owner
from domain.vehicles import Vehicle
from services.demo import EPOCH, charging_reports, generate, with_home_tariff
from services.deps import Deps
from store.stats import counting_round_trips

SECRET = "bench-secret-at-least-32-bytes-long!!"
SEED = 7
FLEET = 9  # vehicles besides the one with the long history
FLEET_YEARS = 6
HEAVY_YEARS, HEAVY_KM_PER_DAY = 10, 160.0  # a taxi-like car: about one session a day
HEAVY_SESSIONS = 3000
WARMUP = 20

RECORD = """mutation($inputs: [ChargingSessionInput!]!) {
  recordChargingSessions(inputs: $inputs) { stored duplicates rejected results { index status } }
}"""
HEALTH = """query($id: ID!) { vehicle(id: $id) { batteryHealth {
  status stateOfHealthPercent estimatedCapacityKwh nominalCapacityKwh confidence { low high }
  sampleSize lastEstimatedAt trend { date stateOfHealthPercent } fadePercentPerYear
  forecast { reaches80PercentOn reaches70PercentOn }
  stress { dcFastEnergyShare highSocSessions deepDischargeSessions equivalentFullCycles } } } }"""
STATS = """query($id: ID!) { vehicle(id: $id) { chargingStats {
  sessions totalEnergyKwh averageSessionMinutes
  totalCost { currency amount energyKwh averageCostPerKwh }
  energyByLocation { locationType energyKwh share }
  byMonth { month sessions energyKwh costs { currency amount } } } } }"""
PAGE = """query($id: ID!) { vehicle(id: $id) { chargingSessions(first: 50) {
  pageInfo { hasNextPage endCursor }
  edges { cursor node { id externalId startedAt endedAt locationType energyDeliveredKwh
    energyAddedKwh socStartPercent socEndPercent peakPowerKw cost currency costSource
    operator stationId durationMinutes averagePowerKw } } } } }"""

type Post = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Fleet:
    owners: list[Owner]
    vehicles: list[Vehicle]
    heavy: Vehicle
    inputs: list[dict[str, Any]]  # GraphQL inputs in the order the sessions started


def build_fleet(sessions: int) -> Fleet:
    """Demo owners and vehicles with long histories; `sessions` of them, 3,000 on one car."""
    owners: list[Owner] = []
    histories: list[tuple[Vehicle, list[SessionReport]]] = []
    for item in generate(FLEET + 1, SEED):
        owner = with_home_tariff(item.owner, SEED)
        owners.append(owner)
        for vehicle in item.vehicles:
            first = not histories
            years = HEAVY_YEARS if first else FLEET_YEARS
            km_per_day = HEAVY_KM_PER_DAY if first else _km_per_day(vehicle)
            aged = vehicle.model_copy(update={
                "delivered_at": EPOCH - timedelta(days=365 * years),
                "odometer_km": round(365 * years * km_per_day, 1)})
            histories.append((aged, charging_reports(owner, aged, SEED, years=years)[2]))
    heavy, heavy_reports = histories[0]
    rest = sorted(((v, r) for v, rs in histories[1:FLEET + 1] for r in rs),
                  key=lambda pair: pair[1].started_at)
    chosen = [(heavy, r) for r in heavy_reports[-HEAVY_SESSIONS:]]
    chosen += rest[len(rest) - (sessions - len(chosen)):]
    if len(heavy_reports) < HEAVY_SESSIONS or len(chosen) != sessions:
        raise SystemExit(f"could not generate {sessions} sessions ({len(chosen)})")
    chosen.sort(key=lambda pair: pair[1].started_at)
    vehicles = [vehicle for vehicle, _ in histories[:FLEET + 1]]
    return Fleet(owners, vehicles, heavy, [session_input(v, r) for v, r in chosen])


def _km_per_day(vehicle: Vehicle) -> float:
    days = (EPOCH - vehicle.delivered_at).days
    return vehicle.odometer_km / days if days > 0 and vehicle.odometer_km > 0 else 40.0


def session_input(vehicle: Vehicle, report: SessionReport) -> dict[str, Any]:
    location = report.location
    fields: dict[str, Any] = {
        "vehicleId": to_base64("Vehicle", vehicle.id), "externalId": report.external_id,
        "startedAt": report.started_at.isoformat(), "endedAt": report.ended_at.isoformat(),
        "locationType": report.location_type.value,
        "energyDeliveredKwh": report.energy_delivered_kwh,
        "energyAddedKwh": report.energy_added_kwh,
        "socStartPercent": report.soc_start_percent, "socEndPercent": report.soc_end_percent,
        "peakPowerKw": report.peak_power_kw, "cost": report.cost, "currency": report.currency,
        "stationId": report.station_id, "operator": report.operator,
        "location": {"lat": location.lat, "lng": location.lng} if location else None,
        "batteryTempC": report.battery_temp_c,
    }
    return {key: value for key, value in fields.items() if value is not None}


@asynccontextmanager
async def running_app(fleet: Fleet) -> AsyncIterator[Post]:
    """A fresh embedded store holding the fleet's owners and vehicles, and a GraphQL poster."""
    settings = Settings(jwt_secret=SECRET, evj_seed_owners=0, mongodb_uri=None,
                        evj_rate_limit_per_minute=0)
    if not settings.embedded:
        raise SystemExit("expected the embedded store")
    app = create_app(settings)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://bench", timeout=None) as client):
        deps: Deps = app.state.deps
        await deps.owners.add_many(fleet.owners)
        await deps.vehicles.add_many(fleet.vehicles)

        # Reads as the car's owner, recording as an admin backend.
        owner = {"authorization": "Bearer " + issue_token(settings, Role.OWNER,
                                                          fleet.heavy.owner_id)}
        admin = {"authorization": "Bearer " + issue_token(settings, Role.ADMIN, "bench")}

        async def post(query: str, variables: dict[str, Any]) -> dict[str, Any]:
            response = await client.post("/graphql", json={"query": query,
                                                           "variables": variables},
                                         headers=owner if "$id" in query else admin)
            body: dict[str, Any] = response.json()
            if response.status_code != 200 or body.get("errors"):
                raise SystemExit(f"HTTP {response.status_code}: {str(body)[:300]}")
            return body

        yield post


@dataclass(frozen=True, slots=True)
class Recording:
    batches: int
    planned: int
    sessions: int
    latencies: list[float]
    trips: list[int]


async def record(post: Post, inputs: Sequence[dict[str, Any]], batch: int,
                 budget: float) -> Recording:
    """Batches in order until done, or until the next one would likely overrun the budget."""
    parts = [list(inputs[i:i + batch]) for i in range(0, len(inputs), batch)]
    latencies: list[float] = []
    trips: list[int] = []
    for part in parts:
        growth = latencies[-1] - latencies[-2] if len(latencies) > 1 else 0.0
        if latencies and sum(latencies) + latencies[-1] + max(growth, 0.0) > budget:
            break
        with counting_round_trips() as counter:
            started = time.perf_counter()
            body = await post(RECORD, {"inputs": part})
            latencies.append(time.perf_counter() - started)
        trips.append(counter.count)
        result = body["data"]["recordChargingSessions"]
        if result["stored"] != len(part):
            raise SystemExit(f"stored {result['stored']} of {len(part)}: {result}")
    done = sum(len(part) for part in parts[:len(latencies)])
    return Recording(len(latencies), len(parts), done, latencies, trips)


@dataclass(frozen=True, slots=True)
class Reads:
    label: str
    median_ms: float
    p95_ms: float
    trips: int


async def reads(post: Post, label: str, query: str, variables: dict[str, Any],
                requests: int) -> Reads:
    for _ in range(WARMUP):
        await post(query, variables)
    with counting_round_trips() as counter:
        await post(query, variables)
    samples: list[float] = []
    for _ in range(requests):
        started = time.perf_counter()
        await post(query, variables)
        samples.append(time.perf_counter() - started)
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return Reads(label, statistics.median(ordered) * 1e3, p95 * 1e3, counter.count)


def print_recording(r: Recording, total: int, batch: int) -> None:
    seconds = sum(r.latencies)
    print(f"\n(a) recordChargingSessions: {total:,} sessions of {FLEET + 1} vehicles, "
          f"batches of {batch:,}")
    print(f"{'batches':>9}{'sessions':>10}{'total s':>9}{'sessions/s':>12}{'median s':>10}"
          f"{'max s':>8}{'db trips/batch':>16}")
    trips = f"{min(r.trips)}-{max(r.trips)}" if min(r.trips) != max(r.trips) else r.trips[0]
    print(f"{f'{r.batches}/{r.planned}':>9}{r.sessions:>10,}{seconds:>9.2f}"
          f"{r.sessions / seconds:>12.0f}{statistics.median(r.latencies):>10.3f}"
          f"{max(r.latencies):>8.3f}{trips:>16}")
    print("batch seconds: " + " ".join(f"{s:.2f}" for s in r.latencies))
    print("db trips per batch: vehicles, owners, one insert, then one battery update per vehicle "
          "in the batch")


def print_reads(rows: Iterable[Reads], requests: int, sessions: int) -> None:
    print(f"\n(b, c) reads of the vehicle with {sessions:,} sessions, {requests} sequential "
          f"requests each (after {WARMUP} warm-up)")
    print(f"{'query':<28}{'median ms':>11}{'p95 ms':>9}{'db trips':>10}")
    for row in rows:
        print(f"{row.label:<28}{row.median_ms:>11.2f}{row.p95_ms:>9.2f}{row.trips:>10}")


async def main(sessions: int, batch: int, requests: int, budget: float) -> None:
    versions = {name: importlib.metadata.version(dist) for name, dist in
                (("strawberry", "strawberry-graphql"), ("mongoeco", "mongoeco"),
                 ("pymongo", "pymongo"), ("starlette", "starlette"), ("httpx", "httpx"))}
    print(f"Python {platform.python_version()} ({platform.python_implementation()})  "
          + "  ".join(f"{name} {version}" for name, version in versions.items()))
    started = time.perf_counter()
    fleet = build_fleet(sessions)
    print(f"generated {len(fleet.inputs):,} sessions for {len(fleet.vehicles)} vehicles "
          f"in {time.perf_counter() - started:.1f}s")
    async with running_app(fleet) as post:
        recording = await record(post, fleet.inputs, batch, budget)
        print_recording(recording, len(fleet.inputs), batch)
        variables = {"id": to_base64("Vehicle", fleet.heavy.id)}
        stats = await post(STATS, variables)
        rows = [await reads(post, label, query, variables, requests)
                for label, query in (("batteryHealth (full)", HEALTH),
                                     ("chargingStats (full)", STATS),
                                     ("chargingSessions(first: 50)", PAGE))]
        print_reads(rows, requests, stats["data"]["vehicle"]["chargingStats"]["sessions"])
    print(f"\nbench took {time.perf_counter() - started:.0f}s")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sessions", type=int, default=10_000, help="sessions to record")
    parser.add_argument("--batch", type=int, default=1000, help="sessions per mutation")
    parser.add_argument("--requests", type=int, default=200, help="timed reads per query")
    parser.add_argument("--budget", type=float, default=60.0,
                        help="seconds for recording, at most")
    args = parser.parse_args()
    if not HEAVY_SESSIONS < args.sessions <= 12_000 or not 1 <= args.batch <= 1000:
        parser.error(f"--sessions must be in ({HEAVY_SESSIONS}, 12000], --batch in [1, 1000]")
    return args


if __name__ == "__main__":
    arguments = parse_args()
    asyncio.run(main(arguments.sessions, arguments.batch, arguments.requests, arguments.budget))
