"""Service booking in-process: slot queries, booking throughput, and capacity under concurrency.

Usage: .venv/bin/python bench/booking.py [--bookings N] [--concurrency N] [--queries N]

One center (8 bays, 4 EV-certified technicians) on the embedded (mongoeco, in-memory) store,
driven through GraphQL with httpx's ASGI transport, so the numbers are the application's cost
without a network. Three 14-day windows keep the parts apart: the first holds some bookings for
the slot queries, the second takes the sequential bookings, the third the concurrent ones.
Afterwards every unit's confirmed appointments are counted from the appointments collection and
compared with the bays, the technicians and the capacity counters.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import platform
import random
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

import httpx
from strawberry.relay import to_base64

from api.app import create_app
from api.auth import issue_token
from api.settings import Settings
from domain import owners, vehicles
from domain.access import Role
from domain.appointments import Appointment, AppointmentStatus
from domain.availability import starts_on, units
from domain.geo import GeoPoint
from domain.ids import new_id
from domain.service_centers import (
    OpeningHours,
    ServiceCenter,
    ServiceType,
    duration_minutes,
    needs_ev_technician,
)
from domain.vehicles import Vehicle
from services.deps import Deps
from store.client import Database
from store.documents import from_document
from store.stats import counting_round_trips

SECRET = "bench-secret-at-least-32-bytes-long!!"
SEED = 11
OWNERS = 300
VEHICLES_PER_OWNER = 4  # 1,200 vehicles: each run of bookings uses distinct ones
WINDOW_DAYS = 14
PRE_BOOKINGS = 150
WARMUP = 20
T = ServiceType
# What owners book, and how often: (services, weight).
MIX: tuple[tuple[frozenset[ServiceType], int], ...] = (
    (frozenset({T.ANNUAL_SERVICE}), 3),
    (frozenset({T.TYRE_ROTATION}), 3),
    (frozenset({T.TYRE_CHANGE}), 2),
    (frozenset({T.SOFTWARE_DIAGNOSTICS}), 1),
    (frozenset({T.BATTERY_DIAGNOSTICS}), 1),
)
BOOK = """
mutation($input: BookServiceAppointmentInput!) {
  bookServiceAppointment(input: $input) {
    appointment { id status }
    errors { __typename }
  }
}"""
SLOTS = """
query($center: ID!, $from: DateTime!, $to: DateTime!, $types: [ServiceType!]!) {
  availableServiceSlots(centerId: $center, from: $from, to: $to, serviceTypes: $types) {
    start end remainingBays remainingEvTechnicians loanersLeft
  }
}"""


@dataclass(frozen=True, slots=True)
class Booking:
    vehicle: Vehicle
    start: datetime
    types: frozenset[ServiceType]


@dataclass(frozen=True, slots=True)
class Outcome:
    seconds: float
    result: str  # CONFIRMED, or the error's type name


@dataclass(frozen=True, slots=True)
class Run:
    name: str
    outcomes: list[Outcome]
    wall_seconds: float
    round_trips: int

    def row(self) -> str:
        latencies = sorted(o.seconds for o in self.outcomes)
        results = Counter(o.result for o in self.outcomes)
        others = sum(n for r, n in results.items() if r not in ("CONFIRMED", "SlotUnavailable"))
        median, p95 = statistics.median(latencies), percentile(latencies, 95)
        return (f"{self.name:<16}{len(self.outcomes) / self.wall_seconds:>11.0f}"
                f"{median * 1e3:>11.2f}{p95 * 1e3:>9.2f}"
                f"{results['CONFIRMED']:>11}{results['SlotUnavailable']:>17}{others:>7}"
                f"{self.round_trips / len(self.outcomes):>15.2f}")


def percentile(ordered: Sequence[float], pct: float) -> float:
    return ordered[min(len(ordered) - 1, int(pct / 100 * len(ordered)))]


def versions() -> str:
    found = {name: importlib.metadata.version(dist) for name, dist in
             (("strawberry", "strawberry-graphql"), ("mongoeco", "mongoeco"),
              ("starlette", "starlette"), ("httpx", "httpx"), ("pydantic", "pydantic"))}
    return (f"Python {platform.python_version()} ({platform.python_implementation()})  "
            + "  ".join(f"{name} {version}" for name, version in found.items()))


# --- arranging -------------------------------------------------------------------------------


def bench_center(now: datetime) -> ServiceCenter:
    hours = tuple(OpeningHours(weekday=d, opens=clock_time(7, 30), closes=clock_time(18))
                  for d in range(5))
    saturday = OpeningHours(weekday=5, opens=clock_time(9), closes=clock_time(13))
    return ServiceCenter(
        id=new_id(now), name="Volta Service Berlin Tempelhof", region="DE",
        location=GeoPoint(lat=52.466, lng=13.384), address="Ringbahnstraße 30, 12099 Berlin",
        timezone="Europe/Berlin", opening_hours=(*hours, saturday), bays=8,
        ev_certified_technicians=4, offers_mobile_service=False, loaner_vehicles=4)


async def add_fleet(deps: Deps, rng: random.Random, now: datetime) -> list[Vehicle]:
    """Owners and their vehicles through the domain constructors and the repositories."""
    people = [owners.register(owners.OwnerRegistration(
        name=f"Bench Owner {i}", email=f"bench.owner.{i}@example.com"), now)
        for i in range(OWNERS)]
    await deps.owners.add_many(people)
    chars = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
    fleet = [vehicles.register(vehicles.VehicleRegistration(
        owner_id=person.id, vin="".join(rng.choices(chars, k=17)), model_id="volta-one",
        delivered_at=now - timedelta(days=400), odometer_km=15_000), now)
        for person in people for _ in range(VEHICLES_PER_OWNER)]
    await deps.vehicles.add_many(fleet)
    return fleet


def window_starts(center: ServiceCenter, first_day: date,
                  types: frozenset[ServiceType]) -> list[datetime]:
    minutes = duration_minutes(types)
    return [start for offset in range(WINDOW_DAYS)
            for start in starts_on(center, first_day + timedelta(days=offset), minutes)]


def plan(rng: random.Random, center: ServiceCenter, first_day: date,
         fleet: Sequence[Vehicle]) -> list[Booking]:
    """One booking per vehicle at a random offered start of the window."""
    kinds, weights = zip(*MIX, strict=True)
    starts = {kind: window_starts(center, first_day, kind) for kind in kinds}
    chosen = rng.choices(kinds, weights=weights, k=len(fleet))
    return [Booking(vehicle, rng.choice(starts[kind]), kind)
            for vehicle, kind in zip(fleet, chosen, strict=True)]


# --- driving the API -------------------------------------------------------------------------


class Api:
    def __init__(self, client: httpx.AsyncClient, token: str, center: ServiceCenter) -> None:
        self.client, self.center = client, center
        self.headers = {"authorization": f"Bearer {token}"}
        self.center_gid = to_base64("ServiceCenter", center.id)

    async def post(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post("/graphql", json={"query": query,
                                                            "variables": variables},
                                          headers=self.headers)
        body: dict[str, Any] = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise SystemExit(f"HTTP {response.status_code}: {response.text[:300]}")
        data: dict[str, Any] = body["data"]
        return data

    async def book(self, booking: Booking) -> Outcome:
        variables = {"input": {
            "vehicleId": to_base64("Vehicle", booking.vehicle.id), "centerId": self.center_gid,
            "start": booking.start.isoformat(), "serviceTypes": sorted(booking.types),
            "concern": "Range dropped" if T.BATTERY_DIAGNOSTICS in booking.types else None}}
        started = time.perf_counter()
        data = await self.post(BOOK, variables)
        seconds = time.perf_counter() - started
        payload = data["bookServiceAppointment"]
        if payload["appointment"]:
            return Outcome(seconds, payload["appointment"]["status"])
        return Outcome(seconds, "+".join(e["__typename"] for e in payload["errors"]))

    async def slots(self, first_day: date) -> list[dict[str, Any]]:
        start = datetime.combine(first_day, clock_time(0), tzinfo=UTC)
        data = await self.post(SLOTS, {
            "center": self.center_gid, "from": start.isoformat(),
            "to": (start + timedelta(days=WINDOW_DAYS)).isoformat(),
            "types": ["ANNUAL_SERVICE"]})
        found: list[dict[str, Any]] = data["availableServiceSlots"]
        return found


async def trips_of(call: Callable[[], Awaitable[object]]) -> int:
    with counting_round_trips() as trips:
        await call()
    return trips.count


async def sequential(api: Api, bookings: Sequence[Booking]) -> Run:
    outcomes: list[Outcome] = []
    started = time.perf_counter()
    with counting_round_trips() as trips:
        for booking in bookings:
            outcomes.append(await api.book(booking))
    return Run("sequential", outcomes, time.perf_counter() - started, trips.count)


async def concurrent(api: Api, bookings: Sequence[Booking], width: int) -> Run:
    outcomes: list[Outcome] = []
    started = time.perf_counter()
    # Tasks copy the context, so they all add to this one counter.
    with counting_round_trips() as trips:
        for begin in range(0, len(bookings), width):
            chunk = bookings[begin:begin + width]
            outcomes += await asyncio.gather(*(api.book(booking) for booking in chunk))
    return Run(f"concurrent x{width}", outcomes, time.perf_counter() - started, trips.count)


# --- checking capacity -----------------------------------------------------------------------


async def confirmed(db: Database, center: ServiceCenter) -> list[Appointment]:
    docs = await db["appointments"].find(
        {"centerId": center.id, "status": AppointmentStatus.CONFIRMED.value}).to_list(None)
    return [from_document(Appointment, doc) for doc in docs]


async def check_capacity(db: Database, deps: Deps, center: ServiceCenter) -> tuple[int, str]:
    """Every 30-minute unit's confirmed appointments against the bays, the technicians and the
    capacity counters; raises AssertionError on any excess or mismatch."""
    booked = await confirmed(db, center)
    bays: Counter[str] = Counter()
    ev: Counter[str] = Counter()
    for appointment in booked:
        spanned = units(appointment.start, duration_minutes(frozenset(appointment.service_types)))
        if not appointment.mobile_service:
            bays.update(spanned)
        if needs_ev_technician(frozenset(appointment.service_types)):
            ev.update(spanned)
    assert max(bays.values()) <= center.bays, bays.most_common(3)
    assert max(ev.values(), default=0) <= center.ev_certified_technicians, ev.most_common(3)
    months = sorted({a.start.astimezone(UTC).strftime("%Y-%m") for a in booked})
    usage = await deps.capacity.usage(center.id, months)
    assert {k: v for k, v in usage.counters.get("bays", {}).items() if v} == dict(bays)
    assert {k: v for k, v in usage.counters.get("ev", {}).items() if v} == dict(ev)
    busiest = (f"busiest unit {max(bays.values())}/{center.bays} bays, "
               f"{max(ev.values(), default=0)}/{center.ev_certified_technicians} EV technicians")
    return len(booked), busiest


# --- the run ---------------------------------------------------------------------------------


def first_monday(after: date) -> date:
    return after + timedelta(days=7 - after.weekday())


async def main(bookings: int, width: int, queries: int) -> None:
    print(versions())
    settings = Settings(jwt_secret=SECRET, evj_seed_owners=0, mongodb_uri=None,
                        evj_rate_limit_per_minute=0)
    app = create_app(settings)
    rng = random.Random(SEED)
    now = datetime.now(UTC)
    token = issue_token(settings, Role.ADMIN, "bench-admin", ttl_minutes=60)
    started = time.perf_counter()
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://bench") as client):
        deps: Deps = app.state.deps
        center = bench_center(now)
        await deps.centers.add_many([center])
        fleet = await add_fleet(deps, rng, now)
        if bookings > len(fleet):
            raise SystemExit(f"--bookings is at most {len(fleet)} (distinct vehicles)")
        api = Api(client, token, center)
        windows = [first_monday(now.date()) + timedelta(days=WINDOW_DAYS * i) for i in range(3)]
        for booking in plan(rng, center, windows[0], fleet[:PRE_BOOKINGS]):
            await api.book(booking)
        print(f"arranged 1 center, {OWNERS} owners, {len(fleet)} vehicles, {PRE_BOOKINGS} "
              f"bookings in {time.perf_counter() - started:.1f}s")

        for _ in range(WARMUP):
            await api.slots(windows[0])
        slot_times: list[float] = []
        for _ in range(queries):
            begin = time.perf_counter()
            found = await api.slots(windows[0])
            slot_times.append(time.perf_counter() - begin)
        slot_trips = await trips_of(lambda: api.slots(windows[0]))
        slot_times.sort()

        runs = [await sequential(api, plan(rng, center, windows[1], fleet[:bookings])),
                await concurrent(api, plan(rng, center, windows[2], fleet[:bookings]), width)]
        count, busiest = await check_capacity(app.state.db, deps, center)

    print(f"\n(a) availableServiceSlots, {WINDOW_DAYS} days, [ANNUAL_SERVICE], "
          f"{PRE_BOOKINGS} bookings in place, {queries} sequential requests")
    print(f"{'median ms':>10}{'p95 ms':>9}{'slots':>7}{'db trips':>10}")
    print(f"{statistics.median(slot_times) * 1e3:>10.2f}{percentile(slot_times, 95) * 1e3:>9.2f}"
          f"{len(found):>7}{slot_trips:>10}")
    print(f"\n(b) {bookings} bookServiceAppointment, distinct vehicles over {WINDOW_DAYS} days "
          f"(mix: annual, tyres, software, battery)")
    print(f"{'mode':<16}{'bookings/s':>11}{'median ms':>11}{'p95 ms':>9}{'confirmed':>11}"
          f"{'SlotUnavailable':>17}{'other':>7}{'trips/booking':>15}")
    for run in runs:
        print(run.row())
    print("(a request's latency runs from when its task starts; bookings/s is over wall time)")
    print(f"\n(c) {count} confirmed appointments: {busiest}; capacity counters match")
    print("capacity respected: yes")
    print(f"total {time.perf_counter() - started:.1f}s")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--bookings", type=int, default=1000, help="bookings per mode")
    parser.add_argument("--concurrency", type=int, default=50, help="bookings in flight")
    parser.add_argument("--queries", type=int, default=200, help="timed slot queries")
    args = parser.parse_args()
    if min(args.bookings, args.concurrency, args.queries) < 1:
        parser.error("--bookings, --concurrency and --queries must be at least 1")
    return args


if __name__ == "__main__":
    arguments = parse_args()
    asyncio.run(main(arguments.bookings, arguments.concurrency, arguments.queries))
