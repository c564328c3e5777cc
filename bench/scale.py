"""Throughput of 1 and 2 server processes on one database, round-robin as a load balancer would.

Usage: .venv/bin/python bench/scale.py [--owners N] [--seconds S] [--requests N]
       [--concurrency C] [--per-car K]

mongoeco's wire server runs in a process of its own (its CPU is measured apart), seeded through
the repositories; P uvicorn processes (`tests/multiprocess` `Instance`, rate limit off) are
driven by an httpx load generator on loopback. Phases: `mix` (owner reads, `ingestTelemetry`
batches of 100 events, `engagementMetrics`) and `catalogue` (`vehicleModels`: no database) for
P = 1 and 2; `reads` and `telemetry` alone for P = 1, for the app's CPU per request. CPU columns
are % of one core over the phase (2 cores in all); `others` is what the rest of the machine
used meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests/
from api.app import build_deps
from api.auth import issue_token
from api.notifying import DiscardEvents
from api.settings import Settings
from domain.access import Role
from services.charging import update_battery_health
from services.demo import ACCEPTED_AT, generate, vehicle_charging, with_home_tariff
from services.demo_journey import JourneyVolume, seed_journey
from store.client import open_database
from store.indexes import ensure_indexes
from tests.conftest import TEST_SECRET
from tests.multiprocess.test_instances import Instance

SEED, BATCH = 7, 100  # a telemetry batch: 100 events, --per-car of them for each car in it
# ~18 days of charging a car: over the wire mongoeco checks each insert with a collection scan
HISTORY_YEARS = 0.05
OWNER = ("{ me { vehicles { edges { node { id vin "
         "batteryHealth { status stateOfHealthPercent } } } } } }")
INGEST = """mutation($batch: [TelemetryInput!]!) { ingestTelemetry(batch: $batch) {
  stored duplicates rejected } }"""
ANALYTICS = "{ engagementMetrics { owners npsScore csatPercent digitalEngagementRate } }"
CATALOGUE = "{ vehicleModels { id name batteryCapacityKwh } }"
PHASES: dict[str, dict[str, float]] = {
    "mix": {"owner": 0.80, "telemetry": 0.17, "analytics": 0.03},
    "catalogue": {"catalogue": 1.0}, "reads": {"owner": 1.0}, "telemetry": {"telemetry": 1.0}}
TICK, CPU = os.sysconf("SC_CLK_TCK"), ("app", "wire", "bench", "others")


def cpu(pids: Sequence[int]) -> float:
    """User + system CPU seconds of processes so far, from /proc/<pid>/stat."""
    fields = [Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split() for pid in pids]
    return sum(int(f[11]) + int(f[12]) for f in fields) / TICK


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / TICK  # less idle and iowait


async def serve_wire() -> None:
    """The `--wire` child: prints the wire server's URI, serves until stdin closes."""
    from mongoeco.engines.memory import MemoryEngine
    from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

    async with AsyncMongoEcoProxyServer(engine=MemoryEngine()) as server:
        print(server.address.uri, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


@dataclass
class Population:
    owner_tokens: list[str]
    slices: list[list[tuple[str, float]]]  # (vin, odometer) per telemetry batch
    per_car: int
    tokens: dict[str, str]  # gateway, analyst
    rounds: dict[int, int] = field(default_factory=dict)  # batches sent per slice
    base: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(hours=3))

    def batch(self, index: int) -> list[dict[str, Any]]:
        """The slice's next 100 events: `per_car` a car, a second apart, newer each round."""
        r = self.rounds[index] = self.rounds.get(index, -1) + 1
        return [{"vin": vin, "eventId": f"b{r}e{j}", "faultCodes": [], "charging": False,
                 "at": (self.base + timedelta(seconds=r * self.per_car + j)).isoformat(),
                 "socPercent": round(max(5.0, 80 - (r * self.per_car + j) * 0.01), 2),
                 "odometerKm": round(km + (r * self.per_car + j) * 0.02, 2),
                 "location": {"lat": 52.5, "lng": 13.4}}
                for vin, km in self.slices[index] for j in range(self.per_car)]


async def seed(uri: str, db_name: str, owners: int, per_car: int,
               settings: Settings) -> Population:
    demo = list(generate(owners, SEED))
    async with open_database(uri, db_name) as db:
        await ensure_indexes(db)
        deps = replace(build_deps(db, settings), events=DiscardEvents())
        people = [with_home_tariff(d.owner, SEED) for d in demo]
        await deps.owners.add_many(people)
        await deps.vehicles.add_many([v for d in demo for v in d.vehicles])
        for history in (vehicle_charging(o, v, SEED, years=HISTORY_YEARS)
                        for o, d in zip(people, demo, strict=True) for v in d.vehicles):
            await deps.charging.add_many(history.sessions)
            if history.sessions:
                await update_battery_health(deps, history.vehicle, history.sessions, ACCEPTED_AT)
        await seed_journey(deps, SEED, JourneyVolume(owners=owners, months=3))  # for analytics
    cars, size = [(v.vin, v.odometer_km) for d in demo for v in d.vehicles], BATCH // per_car
    if len(cars) < size:
        raise SystemExit(f"a telemetry batch needs {size} cars: seed more --owners")
    return Population(
        [issue_token(settings, Role.OWNER, d.owner.id) for d in demo],
        [cars[i:i + size] for i in range(0, len(cars) - size + 1, size)], per_car,
        {"telemetry": issue_token(settings, Role.VEHICLE_GATEWAY, "bench-gateway"),
         "analytics": issue_token(settings, Role.OEM_ANALYST, "bench-analyst")})


@dataclass
class Result:
    phase: str
    processes: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    events: int = 0
    seconds: float = 0.0
    failure: str = ""  # the first error, to say what went wrong
    cpu: dict[str, float] = field(default_factory=dict)  # seconds: app, wire, bench, others

    def row(self) -> str:
        n, s, ordered = len(self.latencies), self.seconds, sorted(self.latencies)
        share = " ".join(f"{self.cpu[k] / s * 100:5.0f}%" for k in CPU)
        return (f"{self.phase:<10}{self.processes:>2} {n:>6} {n / s:>7.1f} "
                f"{statistics.median(ordered) * 1000:>7.1f} "
                f"{ordered[min(n - 1, int(n * 0.99))] * 1000:>7.1f} {self.errors:>6} "
                f"{self.events / s:>8.1f} {share} {self.cpu['app'] / n * 1000:>8.2f}")


HEADER = (f"{'phase':<10}{'P':>2} {'reqs':>6} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'errors':>6} {'events/s':>8} {'app':>6} {'wire':>6} {'bench':>6} {'others':>6} "
          f"{'app ms/req':>8}")


async def drive(urls: Sequence[str], pids: Sequence[int], wire_pid: int, pop: Population,
                phase: str, seconds: float, limit: int, concurrency: int) -> Result:
    result, weights = Result(phase, len(urls)), PHASES[phase]
    turn, sent = itertools.count(), itertools.count()
    free: asyncio.Queue[int] = asyncio.Queue()
    for index in range(len(pop.slices)):
        free.put_nowait(index)
    deadline = time.monotonic() + seconds

    async def one(http: httpx.AsyncClient, kind: str, rng: random.Random) -> None:
        url, slot, token = urls[next(turn) % len(urls)], -1, pop.tokens.get(kind)
        if kind == "telemetry":
            slot = await free.get()  # no two batches in flight for one car, as a gateway does
            body: dict[str, Any] = {"query": INGEST, "variables": {"batch": pop.batch(slot)}}
        else:
            body = {"query": {"owner": OWNER, "analytics": ANALYTICS, "catalogue": CATALOGUE}[kind]}
            token = rng.choice(pop.owner_tokens) if kind == "owner" else token
        started = time.perf_counter()
        try:
            response = await http.post(f"{url}/graphql", json=body, headers={
                "Authorization": f"Bearer {token}"} if token else {})
            data = response.json()
            ok = response.status_code == 200 and "errors" not in data
            if ok and kind == "telemetry":
                stored = data["data"]["ingestTelemetry"]["stored"]
                ok, result.events = stored == BATCH, result.events + stored
            result.failure = result.failure or ("" if ok else f"{kind}: {response.text[:200]}")
        except (httpx.HTTPError, ValueError) as error:
            ok, result.failure = False, result.failure or f"{kind}: {error!r}"
        finally:
            if slot >= 0:
                free.put_nowait(slot)
        result.latencies.append(time.perf_counter() - started)
        result.errors += not ok

    async def worker(k: int, http: httpx.AsyncClient) -> None:
        rng = random.Random(f"{phase}:{k}")
        while next(sent) < limit and time.monotonic() < deadline:
            await one(http, rng.choices(list(weights), list(weights.values()))[0], rng)

    def snapshot() -> dict[str, float]:
        return {"app": cpu(pids), "wire": cpu([wire_pid]), "bench": time.process_time(),
                "machine": machine_busy()}

    before, started = snapshot(), time.perf_counter()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        await asyncio.gather(*(worker(k, http) for k in range(concurrency)))
    result.seconds, after = time.perf_counter() - started, snapshot()
    result.cpu = {k: after[k] - before[k] for k in before}
    result.cpu["others"] = max(0.0, result.cpu.pop("machine") - sum(result.cpu.values()))
    return result


async def measure(args: argparse.Namespace, uri: str, db_name: str, pop: Population,
                  wire_pid: int, instances: list[Instance]) -> list[Result]:
    results: list[Result] = []
    async with open_database(uri, db_name) as db:
        for processes in (1, 2):
            while len(instances) < processes:
                instances.append(Instance(uri, db_name, EVJ_WORKER_ENABLED="false",
                                          EVJ_RATE_LIMIT_PER_MINUTE="0", EVJ_LOG_LEVEL="WARNING"))
                instances[-1].wait_ready()
            urls, pids = [i.url for i in instances], [i.process.pid for i in instances]
            for phase in ("mix", "catalogue") + (("reads", "telemetry") * (processes == 1)):
                await drive(urls, pids, wire_pid, pop, phase, 60, 40 * processes, 8)  # warm-up
                # Each phase starts without raw events (see HISTORY_YEARS); statuses stay.
                await db["telemetry"].delete_many({})
                result = await drive(urls, pids, wire_pid, pop, phase, args.seconds,
                                     args.requests, args.concurrency)
                results.append(result)
                print(f"  {phase} P={processes}: {len(result.latencies)} requests "
                      f"{result.failure and 'first error: ' + result.failure}", flush=True)
    return results


async def run(args: argparse.Namespace) -> None:
    wire = subprocess.Popen([sys.executable, __file__, "--wire"],  # noqa: ASYNC220 (start-up)
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    instances: list[Instance] = []
    try:
        assert wire.stdout is not None
        uri, db_name = wire.stdout.readline().strip(), f"evj_scale_{uuid.uuid4().hex[:8]}"
        settings = Settings(jwt_secret=TEST_SECRET, mongodb_uri=uri, mongodb_db=db_name)
        started = time.perf_counter()
        pop = await seed(uri, db_name, args.owners, args.per_car, settings)
        print(f"seeded {args.owners} owners (~18 days of charging per car) and {args.owners} "
              f"journey owners over the wire in {time.perf_counter() - started:.0f} s; "
              f"telemetry: {len(pop.slices)} sets of {BATCH // args.per_car} cars, "
              f"{args.per_car} events a car in a batch")
        results = await measure(args, uri, db_name, pop, wire.pid, instances)
        print(f"\nconcurrency {args.concurrency}, at most {args.requests} requests or "
              f"{args.seconds:.0f} s a phase; CPU in % of one core (2 cores in all)")
        print(HEADER)
        for result in sorted(results, key=lambda r: (list(PHASES).index(r.phase), r.processes)):
            print(result.row())
    finally:
        for instance in instances:
            instance.stop()
        wire.communicate(timeout=15)  # closes its stdin: the wire server stops


def main() -> None:
    parser = argparse.ArgumentParser(description="1 and 2 server processes on one database")
    parser.add_argument("--wire", action="store_true", help=argparse.SUPPRESS)
    for name, kind, default in (("owners", int, 200), ("seconds", float, 20.0),
                                ("requests", int, 4000), ("concurrency", int, 16),
                                ("per-car", int, 5)):
        parser.add_argument(f"--{name}", type=kind, default=default)
    args = parser.parse_args()
    if args.wire:
        asyncio.run(serve_wire())
        return
    print(f"load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    asyncio.run(run(args))
    print(f"load average after:  {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
