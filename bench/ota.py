"""OTA in-process: starting and advancing a staged campaign over a large fleet, and ingesting the
vehicles' status reports through GraphQL.

Usage: .venv/bin/python bench/ota.py [--vehicles N] [--reports N] [--concurrency N]
                                     [--duplicates N]

Everything runs on the embedded (mongoeco, in-memory) store; reports go through GraphQL with
httpx's ASGI transport, so the numbers are the application's cost without a network.

(a) N vehicles of one model on an older version are inserted straight through the repository
    (timed apart), then a release and a campaign with stages [1, 10, 50, 100] are created
    through services.ota and the campaign is started and advanced to 100 %: each step reads the
    model's fleet in batches and offers the release to every vehicle inside the stage (the
    unique index skips those offered before). The brief is 100,000 vehicles, which does not
    finish in a couple of minutes on mongoeco's memory engine, so (a) runs at N (default
    10,000) and N/2 on fresh stores, and the output extrapolates to 100,000, labelled so.
(b) `reportVehicleUpdateStatus` with an ADMIN token: DOWNLOADING, INSTALLING, INSTALLED per
    vehicle, in that order, for ceil(reports / 3) vehicles offered a campaign at 100 %; first one
    request at a time, then `--concurrency` at a time (all DOWNLOADING reports first, then
    INSTALLING, then INSTALLED, so a vehicle's reports never race each other), each mode on a
    fresh store holding just those vehicles; then `--duplicates` of the sequential ones again.
    A last run sends 300 reports to the N-vehicle store of (a), to show how a report's cost
    grows with the store on this engine.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import itertools
import math
import platform
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from starlette.applications import Starlette

from api.app import create_app
from api.auth import issue_token
from api.settings import Settings
from domain import ota
from domain.access import Principal, Role
from domain.ids import new_id
from domain.ota import Counts
from domain.vehicles import Vehicle
from services import ota as ota_service
from services.deps import Deps
from store.stats import counting_round_trips

SECRET = "bench-secret-at-least-32-bytes-long!!"
MODEL = "volta-one"
FROM_VERSION = "2026.20.0"
VERSION = "2026.44.1"
OWNERS = 300
INSERT_CHUNK = 5000
STAGES = (1.0, 10.0, 50.0, 100.0)
TARGET_VEHICLES = 100_000  # what (a) is about; extrapolated to when measured smaller
DEFAULT_VEHICLES = 10_000  # about the most that lets the whole run finish in two minutes
PROBE_REPORTS = 300  # sequential reports against the large store of (a)
ADMIN = Principal(Role.ADMIN, "bench-admin")
PHASES = ("DOWNLOADING", "INSTALLING", "INSTALLED")
REPORT = """
mutation($input: VehicleUpdateStatusInput!) {
  reportVehicleUpdateStatus(input: $input) {
    update { status }
    errors { __typename }
  }
}"""


def versions() -> str:
    found = {name: importlib.metadata.version(dist) for name, dist in
             (("strawberry", "strawberry-graphql"), ("mongoeco", "mongoeco"),
              ("starlette", "starlette"), ("httpx", "httpx"), ("pydantic", "pydantic"))}
    return (f"Python {platform.python_version()} ({platform.python_implementation()})  "
            + "  ".join(f"{name} {version}" for name, version in found.items()))


def percentile(ordered: Sequence[float], pct: float) -> float:
    return ordered[min(len(ordered) - 1, int(pct / 100 * len(ordered)))]


# --- (a) the campaign over the fleet ----------------------------------------------------------


def fleet(count: int, now: datetime) -> Iterator[list[Vehicle]]:
    """Vehicles of MODEL on FROM_VERSION, in insert chunks; owners are shared ids."""
    owners = [new_id(now) for _ in range(OWNERS)]
    delivered = now - timedelta(days=200)
    for start in range(0, count, INSERT_CHUNK):
        yield [Vehicle(id=new_id(now), vin=f"BENCH{index:012d}", owner_id=owners[index % OWNERS],
                       model_id=MODEL, delivered_at=delivered, odometer_km=8000.0,
                       software_version=FROM_VERSION, created_at=delivered, updated_at=delivered)
               for index in range(start, min(start + INSERT_CHUNK, count))]


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    percent: float
    seconds: float
    offers: int
    round_trips: int

    def row(self) -> str:
        rate = self.offers / self.seconds if self.seconds else 0.0
        return (f"{self.name:<10}{self.percent:>6.0f} %{self.seconds:>10.2f}{self.offers:>9}"
                f"{rate:>11.0f}{self.round_trips:>8}")


async def offered(deps: Deps, campaign_id: str) -> int:
    [counts] = await deps.ota.counts([campaign_id])
    return counts.offered


async def run_campaign(deps: Deps, stages: Sequence[float]) -> tuple[str, list[Step]]:
    release = await ota_service.create_release(deps, ADMIN, ota.ReleaseDraft(
        version=VERSION, notes={"en": "Faster DC charging in the cold",
                                "de-DE": "Schneller laden bei Kälte"},
        target_models=[MODEL], criticality=ota.Criticality.FEATURE, size_mb=850,
        estimated_install_minutes=25, unavailable_functions=["Driving", "Charging"]))
    campaign = await ota_service.create_campaign(deps, ADMIN, ota.CampaignDraft(
        release_id=release.id, stages=stages))
    steps: list[Step] = []
    for index, percent in enumerate(stages):
        before = await offered(deps, campaign.id)
        with counting_round_trips() as trips:
            started = time.perf_counter()
            if index == 0:
                await ota_service.start_campaign(deps, ADMIN, campaign.id)
            else:
                await ota_service.advance_campaign(deps, ADMIN, campaign.id)
            seconds = time.perf_counter() - started
        steps.append(Step("start" if index == 0 else f"advance {index}", percent, seconds,
                          await offered(deps, campaign.id) - before, trips.count))
    return campaign.id, steps


# --- (b) status reports through GraphQL -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Report:
    vin: str
    phase: int  # index into PHASES

    def input(self, base: datetime) -> dict[str, Any]:
        at = base + timedelta(minutes=10 * self.phase)
        return {"vin": self.vin, "version": VERSION, "status": PHASES[self.phase],
                "reportedAt": at.isoformat(), "eventId": f"{self.vin}-{self.phase}"}


@dataclass(frozen=True, slots=True)
class Run:
    name: str
    latencies: list[float]
    wall_seconds: float
    round_trips: int
    statuses: list[str]

    def row(self) -> str:
        ordered = sorted(self.latencies)
        count = len(ordered)
        return (f"{self.name:<24}{count:>8}{count / self.wall_seconds:>11.0f}"
                f"{statistics.median(ordered) * 1e3:>11.2f}{percentile(ordered, 95) * 1e3:>9.2f}"
                f"{self.round_trips / count:>14.2f}")


def reports(vins: Sequence[str], count: int) -> list[Report]:
    """All DOWNLOADING reports, then INSTALLING, then INSTALLED: each vehicle's in order."""
    return [Report(vin, phase) for phase in range(len(PHASES)) for vin in vins][:count]


class Api:
    def __init__(self, client: httpx.AsyncClient, token: str, base: datetime) -> None:
        self.client, self.base = client, base
        self.headers = {"authorization": f"Bearer {token}"}

    async def report(self, report: Report) -> tuple[float, str]:
        started = time.perf_counter()
        response = await self.client.post("/graphql", headers=self.headers, json={
            "query": REPORT, "variables": {"input": report.input(self.base)}})
        seconds = time.perf_counter() - started
        body: dict[str, Any] = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise SystemExit(f"HTTP {response.status_code}: {response.text[:300]}")
        payload = body["data"]["reportVehicleUpdateStatus"]
        if payload["errors"]:
            raise SystemExit(f"report refused: {payload['errors']}")
        status: str = payload["update"]["status"]
        return seconds, status


async def sequential(api: Api, name: str, batch: Sequence[Report]) -> Run:
    results: list[tuple[float, str]] = []
    started = time.perf_counter()
    with counting_round_trips() as trips:
        for report in batch:
            results.append(await api.report(report))
    return Run(name, [r[0] for r in results], time.perf_counter() - started, trips.count,
               [r[1] for r in results])


async def concurrent(api: Api, batch: Sequence[Report], width: int) -> Run:
    results: list[tuple[float, str]] = []
    started = time.perf_counter()
    # Tasks copy the context, so they all add to this one counter.
    with counting_round_trips() as trips:
        for chunk in itertools.batched(batch, width, strict=False):
            results += await asyncio.gather(*(api.report(report) for report in chunk))
    return Run(f"concurrent x{width}", [r[0] for r in results], time.perf_counter() - started,
               trips.count, [r[1] for r in results])


async def stored_counts(deps: Deps, campaign_id: str) -> Counts:
    """The campaign's counters recounted from its vehicle updates (one aggregation a stage)."""
    totals: dict[str, int] = {}
    for stage in range(len(STAGES)):
        counts = await deps.ota.stage_counts(campaign_id, stage)
        for name in Counts.__dataclass_fields__:
            totals[name] = totals.get(name, 0) + getattr(counts, name)
    return Counts(**totals)


# --- the run ---------------------------------------------------------------------------------


def bench_app() -> tuple[Starlette, str]:
    """A fresh app on a fresh in-memory store, and an ADMIN token for it."""
    settings = Settings(jwt_secret=SECRET, evj_seed_owners=0, mongodb_uri=None,
                        evj_rate_limit_per_minute=0)
    return create_app(settings), issue_token(settings, Role.ADMIN, "bench-admin", ttl_minutes=60)


async def add_fleet(deps: Deps, vehicles: int, now: datetime) -> tuple[list[str], float]:
    started, vins = time.perf_counter(), []
    for chunk in fleet(vehicles, now):
        await deps.vehicles.add_many(chunk)
        vins += [vehicle.vin for vehicle in chunk]
    return vins, time.perf_counter() - started


@dataclass(frozen=True, slots=True)
class Rollout:
    vehicles: int
    insert_seconds: float
    steps: list[Step]
    probe: Run | None  # sequential reports on this store, after the rollout

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)


async def rollout(vehicles: int, probe: int) -> Rollout:
    """Part (a) on its own store; then `probe` sequential reports against that store."""
    app, token = bench_app()
    now = datetime.now(UTC)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://bench") as client):
        deps: Deps = app.state.deps
        vins, insert_seconds = await add_fleet(deps, vehicles, now)
        _, steps = await run_campaign(deps, STAGES)
        run = None
        if probe:
            api = Api(client, token, now - timedelta(hours=1))
            run = await sequential(api, f"sequential, {vehicles:,} store",
                                   reports(vins[:math.ceil(probe / len(PHASES))], probe))
    return Rollout(vehicles, insert_seconds, steps, run)


@dataclass(frozen=True, slots=True)
class Ingestion:
    runs: list[Run]
    offers: int
    duplicates_changed_nothing: bool
    counters_match: bool
    status: str


async def ingestion(count: int, width: int | None, duplicates: int) -> Ingestion:
    """Part (b) on its own store: a campaign at 100 % over just the vehicles that report, so
    every report goes to a store holding ceil(count / 3) vehicles and vehicle updates."""
    app, token = bench_app()
    now = datetime.now(UTC)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://bench") as client):
        deps: Deps = app.state.deps
        vins, _ = await add_fleet(deps, math.ceil(count / len(PHASES)), now)
        campaign_id, steps = await run_campaign(deps, (100.0,))
        api = Api(client, token, now - timedelta(hours=1))
        batch = reports(vins, count)
        runs = [await sequential(api, "sequential", batch) if width is None
                else await concurrent(api, batch, width)]
        if runs[0].statuses != [PHASES[report.phase] for report in batch]:
            raise SystemExit("a report was not applied as sent")
        before = await deps.ota.counts([campaign_id])
        if duplicates:
            runs.append(await sequential(api, "duplicates, sequential", batch[:duplicates]))
        [after] = await deps.ota.counts([campaign_id])
        recount = await stored_counts(deps, campaign_id)
        [campaign] = await deps.ota.campaigns([campaign_id])
    nonzero = ", ".join(f"{name} {getattr(after, name)}" for name in Counts.__dataclass_fields__
                        if getattr(after, name))
    return Ingestion(runs, steps[0].offers, before == [after], recount == after,
                     f"{campaign.status if campaign else '?'} ({nonzero})")


async def main(vehicles: int, report_count: int, width: int, duplicates: int) -> None:
    print(versions())
    total = time.perf_counter()
    small = await rollout(max(vehicles // 2, 1), 0)
    large = await rollout(vehicles, PROBE_REPORTS)
    seq = await ingestion(report_count, None, duplicates)
    par = await ingestion(report_count, width, 0)

    print(f"\n(a) campaign over {vehicles:,} {MODEL} vehicles on {FROM_VERSION} "
          f"({OWNERS} owners), release {VERSION}, stages {list(STAGES)}: MEASURED")
    print(f"inserted {vehicles:,} vehicles in {large.insert_seconds:.2f}s "
          f"({vehicles / large.insert_seconds:,.0f}/s, add_many chunks of {INSERT_CHUNK:,})")
    print(f"{'step':<10}{'stage':>8}{'seconds':>10}{'offers':>9}{'offers/s':>11}{'trips':>8}")
    for step in large.steps:
        print(step.row())
    offered_total = sum(step.offers for step in large.steps)
    print(f"{'total':<18}{large.seconds:>10.2f}{offered_total:>9}"
          f"{offered_total / large.seconds:>11.0f}{sum(s.round_trips for s in large.steps):>8}")
    if vehicles < TARGET_VEHICLES:
        print(extrapolation(small, large))

    print(f"\n(b) reportVehicleUpdateStatus through GraphQL: {report_count:,} reports "
          f"({', '.join(PHASES)} for {seq.offers} offered vehicles, each vehicle's in order), "
          f"each mode\non a fresh store holding those {seq.offers} vehicles and updates; "
          f"last row: {PROBE_REPORTS} on the store of (a): MEASURED")
    print(f"{'mode':<24}{'reports':>8}{'reports/s':>11}{'median ms':>11}{'p95 ms':>9}"
          f"{'trips/report':>14}")
    probe = [large.probe] if large.probe else []
    for run in (*seq.runs[:1], *par.runs, *seq.runs[1:], *probe):
        print(run.row())
    print("(a request's latency runs from when its task starts; reports/s is over wall time; "
          "one event loop\nand an in-process engine, so concurrency cannot add throughput here)")
    if large.probe:
        print(report_extrapolation(seq.runs[0], seq.offers, large.probe, vehicles))
    for name, result in (("sequential", seq), (f"concurrent x{width}", par)):
        print(f"{name}: campaign {result.status}; counters equal a recount of the vehicle "
              f"updates: {'yes' if result.counters_match else 'NO'}")
    print(f"duplicates changed the counters: {'no' if seq.duplicates_changed_nothing else 'YES'}")
    print(f"total {time.perf_counter() - total:.1f}s")


def extrapolation(small: Rollout, large: Rollout) -> str:
    """Carries the measured steps to TARGET_VEHICLES: linearly (every step reads the whole fleet
    in batches of 5,000 and handles each vehicle in the stage), or along the fit through the two
    measured sizes (seconds ~ N^k) when that grows faster."""
    k = math.log(large.seconds / small.seconds) / math.log(large.vehicles / small.vehicles)
    scale = TARGET_VEHICLES / large.vehicles
    linear, fitted = large.seconds * scale, large.seconds * scale ** k
    if fitted > linear * 1.05:
        steps = f"~{linear:.0f}-{fitted:.0f}s (linear - N^{k:.2f} fit)"
        rate = f"~{TARGET_VEHICLES / fitted:.0f}-{TARGET_VEHICLES / linear:.0f}"
    else:
        steps = f"~{linear:.0f}s (linear; the fit's N^{k:.2f} is below 1: noise)"
        rate = f"~{TARGET_VEHICLES / linear:.0f}"
    return (f"{TARGET_VEHICLES:,} does not fit in the run's time on the embedded engine. "
            f"MEASURED: the four steps took\n{small.seconds:.2f}s at {small.vehicles:,} "
            f"vehicles and {large.seconds:.2f}s at {large.vehicles:,}. EXTRAPOLATED, not "
            f"measured, to {TARGET_VEHICLES:,}:\ninsert ~{large.insert_seconds * scale:.0f}s; "
            f"start + advances {steps}, {rate} offers/s.")


def report_extrapolation(small: Run, small_store: int, large: Run, large_store: int) -> str:
    """A report's median cost, linear in the store's size through the two measured stores."""
    a, b = (statistics.median(run.latencies) for run in (small, large))
    per_vehicle = (b - a) / (large_store - small_store)
    at_target = a + per_vehicle * (TARGET_VEHICLES - small_store)
    return (f"a report's median grows with the store: {a * 1e3:.1f} ms at {small_store:,} "
            f"vehicles/updates, {b * 1e3:.1f} ms at {large_store:,} (MEASURED);\nlinear to "
            f"{TARGET_VEHICLES:,}: ~{at_target * 1e3:.0f} ms a report, ~{1 / at_target:.0f} "
            "reports/s (EXTRAPOLATED, not measured)")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--vehicles", type=int, default=DEFAULT_VEHICLES,
                        help="fleet size (100,000 does not finish on the embedded engine)")
    parser.add_argument("--reports", type=int, default=2000, help="reports per mode")
    parser.add_argument("--concurrency", type=int, default=50, help="reports in flight")
    parser.add_argument("--duplicates", type=int, default=500, help="reports sent again")
    args = parser.parse_args()
    if min(args.vehicles, args.reports, args.concurrency, args.duplicates) < 1:
        parser.error("every option must be at least 1")
    if args.duplicates > args.reports:
        parser.error("--duplicates is at most --reports")
    return args


if __name__ == "__main__":
    arguments = parse_args()
    asyncio.run(main(arguments.vehicles, arguments.reports, arguments.concurrency,
                     arguments.duplicates))
