"""Load: many concurrent clients on loopback against the real server (uvicorn, embedded store),
a mix of owner, staff, vehicle-gateway and analyst operations, bounded in requests and time.

Usage: .venv/bin/python bench/load.py [--clients N] [--requests N] [--seconds S]

Reports throughput, p50/p99 latency per operation, the error count (must be 0) and the
process's resident memory before, after a first round and after a second one (no growth).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from strawberry.relay import to_base64

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api.auth import issue_token
from api.settings import Settings
from domain.access import Role
from services.demo import demo_owner_id
from services.demo_centers import demo_centers
from tests.live_server import LiveServer

SECRET = "bench-secret-at-least-32-bytes-long!!"
SEED = 7
DASHBOARD = """query Dashboard { me { id vehicles(first: 5) { edges { node { id vin
  batteryHealth { stateOfHealthPercent } availableUpdates { id } nextAppointment { id }
  chargingSessions(first: 5) { edges { node { id energyDeliveredKwh } } } } } }
  notifications(first: 5, unreadOnly: true) { edges { node { id title } } } } }"""
CENTER = """query Center($id: ID!) { node(id: $id) { ... on ServiceCenter {
  appointments(first: 20) { edges { node { id start status } } } } } }"""
METRICS = "query Metrics { engagementMetrics { npsScore owners stageFunnel { stage owners } } }"
INGEST = """mutation Ingest($batch: [TelemetryInput!]!) { ingestTelemetry(batch: $batch) {
  stored rejected } }"""
MIX = [("dashboard", 0.6), ("telemetry", 0.15), ("center", 0.15), ("metrics", 0.1)]


class Load:
    def __init__(self, settings: Settings, owners: int, vins: list[str]) -> None:
        self.settings, self.vins = settings, vins
        self.owner_ids = [demo_owner_id(SEED, i) for i in range(owners)]
        self.centers = [c.id for c in demo_centers(SEED)]
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.sequence = 0

    def token(self, role: Role, subject: str, center: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(self.settings, role, subject, center)}"}

    def request(self, rng: random.Random) -> tuple[str, dict[str, Any], dict[str, str]]:
        kind = rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
        if kind == "dashboard":
            return kind, {"query": DASHBOARD}, self.token(Role.OWNER, rng.choice(self.owner_ids))
        if kind == "center":
            center = rng.choice(self.centers)
            variables = {"id": to_base64("ServiceCenter", center)}
            return kind, {"query": CENTER, "variables": variables}, self.token(
                Role.SERVICE_STAFF, "staff", center)
        if kind == "metrics":
            return kind, {"query": METRICS}, self.token(Role.OEM_ANALYST, "analyst")
        self.sequence += 1
        cars = rng.sample(self.vins, min(20, len(self.vins)))
        batch = [{"vin": vin, "eventId": f"load-{self.sequence}-{i}",
                  "at": datetime.now(UTC).isoformat(), "socPercent": rng.uniform(20, 90),
                  "charging": False} for i, vin in enumerate(cars)]
        return kind, {"query": INGEST, "variables": {"batch": batch}}, self.token(
            Role.VEHICLE_GATEWAY, "gateway")

    async def client(self, http: httpx.AsyncClient, seed: int, until: float, count: int) -> None:
        rng = random.Random(seed)
        for _ in range(count):
            if time.monotonic() > until:
                return
            kind, body, headers = self.request(rng)
            started = time.perf_counter()
            response = await http.post("/graphql", json=body, headers=headers)
            self.latency[kind].append(time.perf_counter() - started)
            payload = response.json() if response.status_code == 200 else {}
            if response.status_code != 200 or payload.get("errors"):
                self.errors.append(f"{kind} {response.status_code} {str(payload)[:200]}")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def round_of(load: Load, url: str, clients: int, requests: int, seconds: float) -> float:
    started = time.perf_counter()
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        await asyncio.gather(*(load.client(http, i, time.monotonic() + seconds,
                                           requests // clients) for i in range(clients)))
    return time.perf_counter() - started


def report(load: Load, elapsed: float) -> None:
    total = sum(len(v) for v in load.latency.values())
    print(f"{total} requests in {elapsed:.1f} s: {total / elapsed:.0f} req/s, "
          f"errors {len(load.errors)}")
    print(f"{'operation':<11}{'count':>7}{'p50 ms':>9}{'p99 ms':>9}")
    for kind, values in sorted(load.latency.items()):
        ordered = sorted(values)
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        print(f"{kind:<11}{len(values):>7}{statistics.median(ordered) * 1e3:>9.1f}"
              f"{p99 * 1e3:>9.1f}")
    for error in load.errors[:5]:
        print("ERROR", error)


async def main(clients: int, requests: int, seconds: float, owners: int) -> None:
    settings = Settings(jwt_secret=SECRET, evj_seed_owners=owners, evj_seed=SEED,
                        mongodb_uri=None, evj_rate_limit_per_minute=0, evj_log_level="WARNING",
                        evj_seed_journey_owners=0)
    before = rss_mb()
    with LiveServer(settings) as server:
        vins = [doc["vin"] for doc in server.run(_read_vins(server))]
        seeded = rss_mb()
        load = Load(settings, owners, vins)
        first = await round_of(load, server.http, clients, requests, seconds)
        report(load, first)
        after_first = rss_mb()
        load.latency.clear()
        second = await round_of(load, server.http, clients, requests, seconds)
        report(load, second)
        after_second = rss_mb()
    print(f"memory MB: start {before:.0f}, seeded {seeded:.0f}, after round 1 "
          f"{after_first:.0f}, after round 2 {after_second:.0f} "
          f"(growth across round 2: {after_second - after_first:+.0f} MB)")


async def _read_vins(server: LiveServer) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await server.app.state.db["vehicles"].find(
        {}, {"vin": 1}).to_list(None)
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=3000, help="per round")
    parser.add_argument("--seconds", type=float, default=60, help="per round, at most")
    parser.add_argument("--owners", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(main(args.clients, args.requests, args.seconds, args.owners))
