"""`engagementMetrics` over a large owner population, on the store the app runs on.

Usage: .venv/bin/python bench/analytics.py [--owners N] [--touchpoints N] [--repeat R]
       [--timeout S] [--raw-touchpoints N] [--aggregation-limit N] [--no-pipelines]
       [--min-free-mb MB] [--db NAME]

Builds the app (embedded mongoeco in-process; the real driver against MONGODB_URI when it is set,
in database --db, emptied first and dropped at the end), so its indexes exist, then bulk-loads a
population with `insert_many` (batches of 10,000) straight into the collections, in the shapes the
app writes: owners with region, stage and primary model as the daily stage sweep sets them, a
vehicle each, touchpoints spread over 12 months (service visits, bookings and surveys from the
appointments and answers below, the rest random; app use rolled up into `appActivity` as
store/journey.py does), survey `feedback`, `notificationEngagement` daily rollups, `serviceDues`
(RETAINED / LAPSED / OPEN), completed `appointments` (maintenance and repairs, some reopened),
`serviceCenters` and `stageTransitions`. Loading is timed but is not what is measured.

Then times `engagementMetrics` through POST /graphql as an OEM_ANALYST for a few filters (median,
p95 and database round trips per request), and each store pipeline (store/analytics.py) once.

The embedded engine runs an aggregation on the event loop without yielding, so a request or
pipeline still running after --timeout seconds is interrupted by SIGALRM (see `Deadline`).
Raw touchpoints are loaded last, until fewer than --min-free-mb MB of memory are left (the
embedded engine needs ~5 KB per touchpoint with its three indexes); --raw-touchpoints N stores at
most N. The metrics never read raw touchpoints, only the rollups, which reflect all of them.
--aggregation-limit sets the embedded engine's EVJ_AGGREGATION_LIMIT (documents one blocking
stage may hold; mongoeco's own default of 50,000 refused these pipelines at 100,000 owners).
"""

from __future__ import annotations

import argparse
import asyncio
import calendar
import gc
import importlib.metadata
import itertools
import logging
import math
import os
import platform
import random
import resource
import signal
import statistics
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any

import httpx

from api.app import create_app
from api.auth import issue_token
from api.settings import Settings
from domain.access import Role
from domain.appointments import (
    FIRST_TIME_FIX_DAYS,
    Appointment,
    AppointmentStatus,
    HistoryEntry,
)
from domain.feedback import Feedback, FeedbackTouchpoint
from domain.geo import GeoPoint
from domain.ids import new_id
from domain.journey import (
    APP_USE,
    DEFAULT_THRESHOLDS,
    Channel,
    OwnershipStage,
    Sentiment,
    Touchpoint,
    TouchpointKind,
    ownership_stage,
)
from domain.metrics import (
    ENGAGEMENT_WINDOW,
    FIRST_TIME_FIX_WINDOW,
    SERVICE_GRACE,
    Filter,
    Interval,
)
from domain.notifications.model import Kind
from domain.owners import Owner
from domain.service_centers import (
    OpeningHours,
    ServiceCenter,
    ServiceType,
    concern_categories,
    duration_minutes,
)
from domain.service_schedule import schedule_for
from domain.vehicles import Vehicle
from store.analytics import MongoAnalyticsRepository
from store.client import Database, Document
from store.documents import to_document
from store.feedback import feedback_document as stored_feedback
from store.stats import counting_round_trips

SECRET = "bench-secret-at-least-32-bytes-long!!"
SEED, BATCH, PROGRESS = 11, 10_000, 500_000
YEAR = timedelta(days=365)
SWEEP_HOUR = 2  # the daily stage sweep runs at 02:00 UTC
K, C, S = TouchpointKind, Channel, AppointmentStatus

# Country code: (timezone, share of owners, lat, lng of the main city).
REGIONS: dict[str, tuple[str, float, float, float]] = {
    "DE": ("Europe/Berlin", 0.22, 52.52, 13.40), "US": ("America/New_York", 0.20, 40.71, -74.0),
    "GB": ("Europe/London", 0.14, 51.51, -0.13), "FR": ("Europe/Paris", 0.12, 48.86, 2.35),
    "NL": ("Europe/Amsterdam", 0.09, 52.37, 4.90), "NO": ("Europe/Oslo", 0.08, 59.91, 10.75),
    "ES": ("Europe/Madrid", 0.08, 40.42, -3.70), "SE": ("Europe/Stockholm", 0.07, 59.33, 18.07),
}
MODELS = {"volta-city": 0.25, "volta-one": 0.30, "volta-one-lr": 0.20, "volta-tourer": 0.15,
          "volta-cargo": 0.10}
# Random touchpoints (service visits, bookings and surveys come from appointments and answers).
KINDS: dict[TouchpointKind, tuple[float, Channel]] = {
    K.APP_OPEN: (0.34, C.APP), K.APP_SESSION: (0.24, C.APP), K.CHARGE: (0.26, C.VEHICLE),
    K.TRIP_PLANNED: (0.06, C.APP), K.NOTIFICATION_OPENED: (0.05, C.APP),
    K.NOTIFICATION_ACTED: (0.015, C.APP), K.OTA_UPDATE: (0.01, C.VEHICLE),
    K.SUPPORT_CONTACT: (0.015, C.PHONE)}
DORMANT = 0.15  # owners who do not open the app at all (their cars still charge)
REPAIRS = (ServiceType.BATTERY_DIAGNOSTICS, ServiceType.HIGH_VOLTAGE_REPAIR,
           ServiceType.CHARGING_SYSTEM_REPAIR, ServiceType.SOFTWARE_DIAGNOSTICS,
           ServiceType.GENERAL_REPAIR)
REPAIR_SHARE, REOPEN_SHARE, SERVICED_SHARE = 0.08, 0.12, 0.75
SURVEYS = {FeedbackTouchpoint.APP: 0.30, FeedbackTouchpoint.CHARGING: 0.20,
           FeedbackTouchpoint.SERVICE_VISIT: 0.15, FeedbackTouchpoint.OTA_UPDATE: 0.10,
           FeedbackTouchpoint.TRIP: 0.10, FeedbackTouchpoint.SUPPORT: 0.10,
           FeedbackTouchpoint.DELIVERY: 0.05}
NPS_WEIGHTS = (2, 1, 1, 2, 2, 4, 6, 10, 18, 24, 30)  # answers 0..10
CSAT_WEIGHTS = (5, 7, 15, 35, 38)  # answers 1..5
NOTIFICATIONS_PER_OWNER_DAY = 0.1
NOTIFICATION_KINDS: dict[Kind, tuple[float, float, float]] = {  # share, opened, acted
    Kind.SERVICE_DUE: (0.12, 0.45, 0.20), Kind.UPDATE_OFFERED: (0.10, 0.50, 0.30),
    Kind.UPDATE_REMINDER: (0.05, 0.35, 0.15), Kind.UPDATE_INSTALLED: (0.08, 0.30, 0.02),
    Kind.UPDATE_FAILED: (0.005, 0.70, 0.30), Kind.APPOINTMENT_CONFIRMED: (0.04, 0.60, 0.05),
    Kind.APPOINTMENT_REMINDER: (0.04, 0.55, 0.10), Kind.APPOINTMENT_COMPLETED: (0.04, 0.50, 0.10),
    Kind.TRIP_CHARGE_REMINDER: (0.08, 0.40, 0.15), Kind.TIP_DC_FAST_SHARE: (0.10, 0.25, 0.03),
    Kind.TIP_HIGH_SOC: (0.10, 0.25, 0.04), Kind.FAULT_DETECTED: (0.01, 0.80, 0.40),
    Kind.LOW_CHARGE_AT_NIGHT: (0.08, 0.45, 0.20), Kind.BATTERY_HEALTH_LOW: (0.01, 0.60, 0.20),
    Kind.BATTERY_FADING_FAST: (0.005, 0.65, 0.25),
    Kind.ONBOARDING_PUBLIC_CHARGING: (0.03, 0.40, 0.10), Kind.RE_ENGAGEMENT: (0.05, 0.15, 0.05)}

FIELDS = """owners npsScore csatPercent responses digitalEngagementRate notificationOpenRate
  notificationActionRate serviceRetentionRate firstTimeFixRate
  stageFunnel { stage owners } stageTransitions { from to count }
  byTouchpoint { touchpoint nps csat responses }
  byRegion { region serviceRetentionRate firstTimeFixRate owners }"""
SERIES = """timeSeries(interval: INTERVAL) { periodStart npsScore csatPercent responses
  digitalEngagementRate notificationOpenRate notificationActionRate }"""


@dataclass(slots=True)
class Person:
    """One owner and their car, and what the sweep reads about them."""

    owner_id: str
    region: str
    model_id: str
    vehicle: Vehicle
    app_weight: float
    created_at: datetime
    last_app_use: datetime | None = None
    last_service: datetime | None = None
    stage: OwnershipStage | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    feedback_id: str
    person: Person
    at: datetime
    touchpoint: FeedbackTouchpoint
    nps: int | None
    csat: int | None
    comment: str | None


class OutOfMemory(Exception):
    pass


@dataclass(slots=True)
class Loaded:
    min_free_mb: float
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    grown_mb: dict[str, float] = field(default_factory=dict)

    async def insert(self, db: Database, name: str, docs: Iterable[Document]) -> None:
        started, rss = time.perf_counter(), rss_mb()
        try:
            for batch in itertools.batched(docs, BATCH, strict=False):
                await db[name].insert_many(list(batch), ordered=False)
                self.counts[name] = self.counts.get(name, 0) + len(batch)
                if self.counts[name] % PROGRESS == 0:
                    print(f"  {name}: {self.counts[name]:,} in {time.perf_counter() - started:.0f}"
                          f" s, rss {rss_mb():,.0f} MB", flush=True)
                if (free := available_mb()) < self.min_free_mb:
                    raise OutOfMemory(
                        f"{free:,.0f} MB of memory left after {self.counts[name]:,} {name} "
                        f"(rss {rss_mb():,.0f} MB): stopped before the kernel's OOM killer")
        finally:
            self.counts.setdefault(name, 0)
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
            self.grown_mb[name] = self.grown_mb.get(name, 0.0) + rss_mb() - rss


def available_mb() -> float:
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    return math.inf


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def midnight(at: datetime) -> datetime:
    return datetime(at.year, at.month, at.day, tzinfo=UTC)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = max(1, int((end - start).total_seconds()))
    return start + timedelta(seconds=rng.randrange(span))


def poisson(rng: random.Random, lam: float) -> int:
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k, p = k + 1, p * rng.random()
    return k


def binomial(rng: random.Random, n: int, p: float) -> int:
    if n > 40:
        return min(n, max(0, round(rng.gauss(n * p, math.sqrt(n * p * (1 - p))))))
    return sum(1 for _ in range(n) if rng.random() < p)


# ---------------------------------------------------------------------------- the population

def people(count: int, now: datetime, rng: random.Random) -> list[Person]:
    regions, models = list(REGIONS), list(MODELS)
    region_w, model_w = [REGIONS[r][1] for r in regions], list(MODELS.values())
    found = []
    for i in range(count):
        # A growing brand: more recent deliveries, the oldest cars six years old.
        delivered = now - timedelta(days=rng.triangular(0, 6 * 365, 0), hours=rng.random() * 24)
        created = delivered - timedelta(days=rng.uniform(7, 120))
        owner_id, region = new_id(created, rng), rng.choices(regions, region_w)[0]
        model = rng.choices(models, model_w)[0]
        age_days = (now - delivered).total_seconds() / 86_400
        vehicle = Vehicle(id=new_id(delivered, rng), vin=f"VBA{i:014d}", owner_id=owner_id,
                          model_id=model, delivered_at=delivered,
                          odometer_km=round(age_days * rng.uniform(20, 55), 1),
                          software_version=rng.choice(("2025.44.1", "2026.8.2", "2026.20.0")),
                          created_at=delivered, updated_at=now)
        weight = 0.0 if rng.random() < DORMANT else rng.lognormvariate(0, 1)
        found.append(Person(owner_id, region, model, vehicle, weight, created))
    return found


def service_centers(now: datetime, rng: random.Random) -> dict[str, list[ServiceCenter]]:
    hours = tuple(OpeningHours(weekday=d, opens=clock(8), closes=clock(18)) for d in range(5))
    centers: dict[str, list[ServiceCenter]] = {}
    for region, (timezone, share, lat, lng) in REGIONS.items():
        centers[region] = [ServiceCenter(
            id=new_id(now - YEAR * 3, rng), name=f"Volta Service {region} {n + 1}", region=region,
            location=GeoPoint(lat=round(lat + rng.uniform(-0.2, 0.2), 5),
                              lng=round(lng + rng.uniform(-0.2, 0.2), 5)),
            address=f"Industriestrasse {n + 1}, {region}", timezone=timezone,
            opening_hours=hours, bays=rng.randint(4, 10), ev_certified_technicians=4,
            offers_mobile_service=rng.random() < 0.4, loaner_vehicles=rng.randint(0, 4))
            for n in range(2 + round(share * 15))]
    return centers


def visit(person: Person, center: ServiceCenter, types: Sequence[ServiceType], done: datetime,
          rng: random.Random, status: AppointmentStatus = S.COMPLETED,
          return_of: str | None = None) -> Appointment:
    start = done - timedelta(minutes=duration_minutes(set(types)))
    booked = start - timedelta(days=rng.randint(2, 21), hours=rng.randint(0, 10))
    history = [HistoryEntry(status=S.CONFIRMED, at=booked, by=person.owner_id)]
    if status is S.COMPLETED:
        history += [HistoryEntry(status=s, at=at, by="staff-bench")
                    for s, at in ((S.CHECKED_IN, start), (S.IN_PROGRESS, start),
                                  (S.COMPLETED, done))]
    else:
        history.append(HistoryEntry(status=status, at=start, by="staff-bench"))
    categories = tuple(sorted(concern_categories(set(types))))
    completed = status is S.COMPLETED
    car = person.vehicle  # its odometer grew steadily since delivery
    km = car.odometer_km * max(0.0, min(1.0, (done - car.delivered_at) / (
        car.updated_at - car.delivered_at + timedelta(hours=1))))
    return Appointment(
        id=new_id(booked, rng), vehicle_id=person.vehicle.id, owner_id=person.owner_id,
        center_id=center.id, timezone=center.timezone, start=start, end=done,
        service_types=tuple(sorted(types)), status=status,
        concern="Warning light and reduced range" if categories else None,
        concern_categories=categories, history=tuple(history), return_of=return_of,
        work_performed="Inspected and fixed" if completed else None,
        concern_resolved=True if completed and categories else None,
        completed_at=done if completed else None,
        odometer_km=round(km, 1) if completed else None, created_at=booked)


def service_history(population: Sequence[Person], centers: dict[str, list[ServiceCenter]],
                    now: datetime, rng: random.Random
                    ) -> tuple[list[Appointment], list[tuple[Person, Document]]]:
    """The dues of the last 12 months (by schedule from delivery), the visits that served most
    of them, repairs (some reopened by a return visit) and a few cancelled or missed visits."""
    appointments: list[Appointment] = []
    dues: list[tuple[Person, Document]] = []
    for person in population:
        vehicle, here = person.vehicle, centers[person.region]
        by_day: dict[date, list[ServiceType]] = {}
        for interval in schedule_for(vehicle.model_id):
            k = 1
            while (due := add_months(vehicle.delivered_at.date(), interval.months * k)) \
                    <= now.date():
                if due > (now - YEAR).date():
                    by_day.setdefault(due, []).append(interval.service_type)
                k += 1
        for due, types in sorted(by_day.items()):
            due_at = datetime(due.year, due.month, due.day, tzinfo=UTC)
            done = due_at + timedelta(days=rng.randint(0, 60), hours=rng.randint(8, 17))
            served = rng.random() < SERVICED_SHARE and done < now
            if served:
                appointments.append(visit(person, rng.choice(here), types, done, rng))
                person.last_service = max(person.last_service or done, done)
            for service_type in types:
                status = "RETAINED" if served else "LAPSED" if due_at < now - SERVICE_GRACE \
                    else "OPEN"
                row: Document = {
                    "_id": f"{vehicle.id}:{service_type.value}:{due}", "vehicleId": vehicle.id,
                    "ownerId": person.owner_id, "serviceType": service_type.value,
                    "dueOn": due_at, "region": person.region, "modelId": vehicle.model_id,
                    "stage": None, "status": status}
                if served:
                    row["servicedAt"] = done
                dues.append((person, row))
        if rng.random() < REPAIR_SHARE:
            repair, center = rng.choice(REPAIRS), rng.choice(here)
            done = between(rng, max(now - YEAR, vehicle.delivered_at), now)
            first = visit(person, center, [repair], done, rng)
            again = done + timedelta(days=rng.randint(3, FIRST_TIME_FIX_DAYS))
            if rng.random() < REOPEN_SHARE and again < now:
                appointments.append(first.model_copy(update={"reopened": True}))
                appointments.append(visit(person, center, [repair], again, rng,
                                          return_of=first.id))
                done = again
            else:
                appointments.append(first)
            person.last_service = max(person.last_service or done, done)
        if rng.random() < 0.05:
            missed = between(rng, max(now - YEAR, vehicle.delivered_at), now)
            appointments.append(visit(person, rng.choice(here), [ServiceType.TYRE_CHANGE],
                                      missed, rng, rng.choice((S.CANCELLED, S.NO_SHOW))))
    return appointments, dues


def answers(population: Sequence[Person], now: datetime, rng: random.Random) -> list[Answer]:
    """One or two survey answers per owner in the last 12 months (after delivery)."""
    kinds, weights = list(SURVEYS), list(SURVEYS.values())
    found = []
    for person in population:
        for _ in range(rng.choice((1, 1, 2))):
            at = between(rng, max(now - YEAR, person.vehicle.delivered_at), now)
            nps = rng.choices(range(11), NPS_WEIGHTS)[0] if rng.random() < 0.8 else None
            csat = rng.choices(range(1, 6), CSAT_WEIGHTS)[0] \
                if nps is None or rng.random() < 0.5 else None
            comment = "Charging was slower than expected" if rng.random() < 0.1 else None
            found.append(Answer(new_id(at, rng), person, at, rng.choices(kinds, weights)[0], nps,
                                csat, comment))
    return found


# ---------------------------------------------------------------------------- touchpoints

def touchpoint_document(touchpoint_id: str, owner_id: str, vehicle_id: str | None,
                        kind: TouchpointKind, channel: Channel, at: datetime,
                        sentiment: Sentiment | None, event_key: str,
                        related_id: str | None) -> Document:
    """`to_document(Touchpoint(...))`, without pydantic (millions of them)."""
    return {"_id": touchpoint_id, "ownerId": owner_id, "vehicleId": vehicle_id,
            "kind": kind.value, "channel": channel.value, "at": at,
            "sentiment": sentiment.value if sentiment else None, "eventKey": event_key,
            "relatedId": related_id, "schemaVersion": 1}


def check_touchpoint_shape(now: datetime) -> None:
    for kind, channel, related in ((K.APP_OPEN, C.APP, None),
                                   (K.SERVICE_VISIT, C.IN_PERSON, "a1")):
        args: dict[str, Any] = {
            "id": new_id(now), "owner_id": "o1", "vehicle_id": "v1" if related else None,
            "kind": kind, "channel": channel, "at": now,
            "sentiment": Sentiment.NEGATIVE if related else None,
            "event_key": f"{kind.value}:{related}" if related else "o1:app:e1",
            "related_id": related}
        model, ours = to_document(Touchpoint(**args)), touchpoint_document(*args.values())
        if model != ours or list(model) != list(ours):
            raise SystemExit(f"touchpoint shape drifted: {model} vs {ours}")


class Activity:
    """What app use implies: the `appActivity` rollups and each owner's last app use."""

    def __init__(self) -> None:
        self.days: dict[tuple[int, str], set[int]] = {}

    def record(self, index: int, person: Person, at: datetime) -> None:
        month = at.strftime("%Y-%m")
        self.days.setdefault((index, month), set()).add(at.date().toordinal())
        if person.last_app_use is None or at > person.last_app_use:
            person.last_app_use = at

    def documents(self, population: Sequence[Person]) -> Iterator[Document]:
        for (index, month), days in self.days.items():
            person = population[index]
            yield {"_id": f"{person.owner_id}:{month}",
                   "days": [datetime.fromordinal(d).replace(tzinfo=UTC) for d in sorted(days)],
                   "ownerId": person.owner_id, "month": month, "region": person.region,
                   "modelId": person.model_id,
                   "stage": person.stage.value if person.stage else None}


def derived_touchpoints(appointments: Sequence[Appointment], surveys: Sequence[Answer]
                        ) -> Iterator[Document]:
    """The ones the service records from its own events (domain/journey_events.py)."""
    for visit_ in appointments:
        yield touchpoint_document(new_id(visit_.created_at), visit_.owner_id, visit_.vehicle_id,
                                  K.BOOKING, C.APP, visit_.created_at, None,
                                  f"{K.BOOKING.value}:{visit_.id}", visit_.id)
        if visit_.completed_at is not None:
            yield touchpoint_document(new_id(visit_.completed_at), visit_.owner_id,
                                      visit_.vehicle_id, K.SERVICE_VISIT, C.IN_PERSON,
                                      visit_.completed_at, None,
                                      f"{K.SERVICE_VISIT.value}:{visit_.id}", visit_.id)
    for answer in surveys:
        yield touchpoint_document(new_id(answer.at), answer.person.owner_id,
                                  answer.person.vehicle.id, K.SURVEY, C.APP, answer.at, None,
                                  f"{K.SURVEY.value}:{answer.feedback_id}", answer.feedback_id)


def random_touchpoints(population: Sequence[Person], count: int, now: datetime,
                       rng: random.Random, activity: Activity | None) -> Iterator[Document]:
    """App use, charging, trips, OTA, notification responses, support: busier owners more."""
    weights = list(itertools.accumulate(1.0 + 4.0 * p.app_weight for p in population))
    kinds = list(KINDS)
    kind_weights = list(itertools.accumulate(w for w, _ in KINDS.values()))
    indexes = range(len(population))
    start = now - YEAR
    for offset in range(0, count, BATCH):
        size = min(BATCH, count - offset)
        for n, index, kind in zip(range(offset, offset + size),
                                  rng.choices(indexes, cum_weights=weights, k=size),
                                  rng.choices(kinds, cum_weights=kind_weights, k=size),
                                  strict=True):
            person = population[index]
            if kind in APP_USE and person.app_weight == 0.0:
                kind = K.CHARGE
            at = between(rng, max(start, person.vehicle.delivered_at), now)
            channel = KINDS[kind][1]
            if kind in APP_USE and activity is not None:
                activity.record(index, person, at)
            if kind in (K.APP_OPEN, K.APP_SESSION, K.SUPPORT_CONTACT):
                sentiment = rng.choice(list(Sentiment)) if kind is K.SUPPORT_CONTACT else None
                vehicle = person.vehicle.id if kind is K.APP_SESSION else None
                yield touchpoint_document(new_id(at, rng), person.owner_id, vehicle, kind,
                                          channel, at, sentiment,
                                          f"{person.owner_id}:app:e{n}", None)
            else:
                related = new_id(at, rng)
                yield touchpoint_document(new_id(at, rng), person.owner_id, person.vehicle.id,
                                          kind, channel, at, None, f"{kind.value}:{related}",
                                          related)


# ---------------------------------------------------------------------------- the rest

def sweep(population: Sequence[Person], now: datetime) -> None:
    """What the daily sweep sets: each owner's stage (newest vehicle: the only one)."""
    for person in population:
        person.stage = ownership_stage(person.vehicle, now, person.last_app_use,
                                       person.last_service)


def transitions(population: Sequence[Person], now: datetime) -> Iterator[Document]:
    """The stage moves of the last 12 months, each at the first sweep after it happened."""
    t = DEFAULT_THRESHOLDS
    for person in population:
        delivered = person.vehicle.delivered_at
        moves: list[tuple[datetime, OwnershipStage | None, OwnershipStage]] = [
            (delivered, None, OwnershipStage.ONBOARDING),
            (delivered + timedelta(days=t.onboarding_days), OwnershipStage.ONBOARDING,
             OwnershipStage.EARLY_OWNERSHIP),
            (delivered + timedelta(days=t.early_ownership_days), OwnershipStage.EARLY_OWNERSHIP,
             OwnershipStage.ESTABLISHED),
            (delivered + timedelta(days=t.renewal_days), OwnershipStage.ESTABLISHED,
             OwnershipStage.RENEWAL)]
        moves = [m for m in moves if m[0] <= now]
        if person.stage is OwnershipStage.LAPSED:
            quiet = max(at for at in (person.last_app_use, person.last_service, delivered) if at)
            lapsed = max(quiet + timedelta(days=t.lapsed_days),
                         delivered + timedelta(days=t.onboarding_days))
            moves = [m for m in moves if m[0] < lapsed]
            moves.append((lapsed, moves[-1][2], OwnershipStage.LAPSED))
        for happened, before, after in moves:
            at = midnight(happened) + timedelta(days=1, hours=SWEEP_HOUR)
            if now - YEAR <= at <= now:
                yield {"_id": f"{person.owner_id}:{at.isoformat()}:{after.value}",
                       "ownerId": person.owner_id,
                       "vehicleId": person.vehicle.id, "before": before.value if before else None,
                       "after": after.value, "at": at, "region": person.region,
                       "modelId": person.model_id}


def owner_document(i: int, person: Person, now: datetime) -> Document:
    region = REGIONS[person.region]
    return to_document(Owner(
        id=person.owner_id, name=f"Bench Owner {i}", email=f"bench.owner.{i}@example.com",
        locale="en", timezone=region[0], last_active_at=person.last_app_use,
        region=person.region, stage=person.stage, primary_model_id=person.model_id,
        created_at=person.created_at, updated_at=now))


def feedback_document(answer: Answer) -> Document:
    person = answer.person
    return stored_feedback(Feedback(
        id=answer.feedback_id, owner_id=person.owner_id, vehicle_id=person.vehicle.id,
        touchpoint=answer.touchpoint, nps_score=answer.nps, csat_score=answer.csat,
        comment=answer.comment, model_id=person.model_id, region=person.region,
        stage=person.stage, at=answer.at))


def engagement_rollups(population: Sequence[Person], now: datetime, rng: random.Random
                       ) -> Iterator[Document]:
    """Daily `notificationEngagement` rows per owner group, with totals and per kind
    (store/notifications.py `count`: only the counters that were incremented exist)."""
    groups: dict[tuple[str, str, str], int] = {}
    for person in population:
        key = (person.region, person.model_id, person.stage.value if person.stage else "")
        groups[key] = groups.get(key, 0) + 1
    daily = len(population) * NOTIFICATIONS_PER_OWNER_DAY
    first = midnight(now - YEAR)
    for offset in range(366):
        day = first + timedelta(days=offset)
        if day > now:
            break
        factor = 0.7 if day.weekday() >= 5 else 1.1
        for (region, model, stage), owners in groups.items():
            row: Document = {"_id": f"{day.date()}:{region}:{model}:{stage or None}",
                             "date": day, "region": region, "modelId": model,
                             "stage": stage or None, "kinds": {}}
            for kind, (share, opened_p, acted_p) in NOTIFICATION_KINDS.items():
                delivered = poisson(rng, daily * factor * share * owners / len(population))
                if not delivered:
                    continue
                opened = binomial(rng, delivered, opened_p)
                acted = binomial(rng, opened, acted_p / opened_p)
                counts = {k: v for k, v in (("delivered", delivered), ("opened", opened),
                                            ("acted", acted)) if v}
                row["kinds"][kind.value] = counts
                for name, n in counts.items():
                    row[name] = row.get(name, 0) + n
            if row["kinds"]:
                yield row


async def load(db: Database, loaded: Loaded, owners: int, touchpoints: int, raw_limit: int,
               now: datetime) -> list[Person]:
    """Everything but raw touchpoints first (the rollups and stages need one pass over them,
    not kept), then the touchpoints again from the same seed: if memory runs out there, the
    rest is in place and the metrics can still be measured."""
    rng = random.Random(SEED)
    started = time.perf_counter()
    population = people(owners, now, rng)
    centers = service_centers(now, rng)
    appointments, dues = service_history(population, centers, now, rng)
    surveys = answers(population, now, rng)
    derived = list(derived_touchpoints(appointments, surveys))
    randoms = max(0, touchpoints - len(derived))
    activity = Activity()
    for _ in random_touchpoints(population, randoms, now, random.Random(SEED + 1), activity):
        pass
    sweep(population, now)
    print(f"planned {owners:,} owners, {len(appointments):,} appointments, {len(dues):,} dues, "
          f"{len(surveys):,} answers, {len(derived) + randoms:,} touchpoints in "
          f"{time.perf_counter() - started:.0f}s", flush=True)

    for person, row in dues:
        row["stage"] = person.stage.value if person.stage else None
    await loaded.insert(db, "serviceCenters",
                        (to_document(c) for here in centers.values() for c in here))
    await loaded.insert(db, "owners",
                        (owner_document(i, p, now) for i, p in enumerate(population)))
    await loaded.insert(db, "vehicles", (to_document(p.vehicle) for p in population))
    await loaded.insert(db, "appointments", (to_document(a) for a in appointments))
    await loaded.insert(db, "feedback", (feedback_document(a) for a in surveys))
    await loaded.insert(db, "serviceDues", (row for _, row in dues))
    await loaded.insert(db, "stageTransitions", transitions(population, now))
    await loaded.insert(db, "appActivity", activity.documents(population))
    await loaded.insert(db, "notificationEngagement", engagement_rollups(population, now, rng))
    census = time.perf_counter()
    await MongoAnalyticsRepository(db).take_census(now)  # what the daily sweep ends with
    print(f"stage census (the daily sweep's last step) took {time.perf_counter() - census:.1f} s",
          flush=True)
    del appointments, dues, surveys, activity
    gc.collect()
    print(f"all but raw touchpoints loaded: rss {rss_mb():,.0f} MB", flush=True)
    again = random_touchpoints(population, randoms, now, random.Random(SEED + 1), None)
    try:
        await loaded.insert(db, "touchpoints",
                            itertools.islice(itertools.chain(derived, again), raw_limit))
    except OutOfMemory as error:
        print(f"touchpoints: {error}; measuring with those", flush=True)
    if loaded.counts["touchpoints"] < len(derived) + randoms:
        print(f"stored {loaded.counts['touchpoints']:,} of {len(derived) + randoms:,} touchpoints "
              f"raw; the rollups reflect all of them", flush=True)
    return population


# ---------------------------------------------------------------------------- measuring

@dataclass(frozen=True, slots=True)
class Case:
    label: str
    filter: dict[str, Any] | None
    interval: Interval | None = None

    def query(self) -> str:
        series = SERIES.replace("INTERVAL", self.interval.value) if self.interval else ""
        return ("query($filter: EngagementFilter) { engagementMetrics(filter: $filter) { "
                f"{FIELDS} {series} }} }}")


def cases(now: datetime, region: str, model: str) -> list[Case]:
    year = {"from": (now - YEAR).isoformat(), "to": now.isoformat()}
    return [Case("no filter (last 90 days)", None),
            Case(f"region {region}", {"regions": [region]}),
            Case(f"model {model} + region {region}", {"models": [model], "regions": [region]}),
            Case("12 months", year),
            Case("12 months + timeSeries(MONTH)", year, Interval.MONTH),
            Case("12 months + timeSeries(WEEK)", year, Interval.WEEK)]


def pct(samples: Sequence[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)]


def summary(m: dict[str, Any]) -> str:
    def rate(key: str) -> str:
        return "-" if m.get(key) is None else f"{m[key]}%"

    points = m.get("timeSeries")
    return (f"owners {m['owners']}, NPS {m['npsScore']}, CSAT {rate('csatPercent')}, responses "
            f"{m['responses']}, digital {rate('digitalEngagementRate')}, opened "
            f"{rate('notificationOpenRate')}, acted {rate('notificationActionRate')}, retention "
            f"{rate('serviceRetentionRate')}, first-time fix {rate('firstTimeFixRate')}, "
            f"{len(m['stageTransitions'])} transition rows, {len(m['byRegion'])} regions"
            + (f", {len(points)} points" if points is not None else ""))


class TimedOut(BaseException):
    """Raised by SIGALRM into the request's code: the embedded engine runs an aggregation on the
    event loop without ever yielding, so no asyncio timeout can fire. A BaseException, so that
    the app's error handling (which catches Exception) lets it through."""


class Deadline:
    """Interrupts whatever a request (or a pipeline) runs after `seconds`, in the caller's task
    and in any task it started (the pipelines `asyncio.gather` runs); on leaving, waits until
    those tasks have finished (they go on after a failed sibling), interrupting them too once
    the time is up. `orphan_seconds`: how long they ran after the call returned."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self.orphan_seconds = 0.0
        self._baseline: set[asyncio.Task[Any]] = set()
        self._caller: asyncio.Task[Any] | None = None
        self._previous: Any = None

    def _fire(self, signum: int, frame: object) -> None:
        self.expired = True
        try:
            task = asyncio.current_task()
        except RuntimeError:  # between two steps of the loop: nothing of ours runs
            return
        if task is not None and task not in self._baseline:
            raise TimedOut

    def _started(self) -> list[asyncio.Task[Any]]:
        return [t for t in asyncio.all_tasks() - self._baseline if not t.done()]

    async def __aenter__(self) -> Deadline:
        caller = asyncio.current_task()
        self._baseline = asyncio.all_tasks() - ({caller} if caller else set())
        self._previous = signal.signal(signal.SIGALRM, self._fire)
        signal.setitimer(signal.ITIMER_REAL, self.seconds, 0.2)
        return self

    async def __aexit__(self, *exc: object) -> None:
        caller = asyncio.current_task()
        if caller is not None:
            self._baseline.add(caller)  # no longer interrupted; what it started still is
        try:
            started = time.perf_counter()
            while orphans := self._started():
                await asyncio.wait(orphans, timeout=0.5)
            self.orphan_seconds = time.perf_counter() - started
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)


class TripLog(logging.Handler):
    """The app's request log (api/observability.py) counts each GraphQL request's round trips in
    a counter of its own, which hides them from an outer `counting_round_trips`: read them
    there."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.last: int | None = None
        logger = logging.getLogger("evjourney.http")
        if not logger.isEnabledFor(logging.INFO):
            logger.setLevel(logging.INFO)
        logger.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict) and "db_round_trips" in fields:
            self.last = int(fields["db_round_trips"])


TRIPS = TripLog()


@dataclass(frozen=True, slots=True)
class Outcome:
    samples: list[float]
    trips: int
    first: dict[str, Any] | None
    error: str | None = None
    orphan_seconds: float = 0.0


async def measure(client: httpx.AsyncClient, case: Case, repeat: int,
                  auth: dict[str, str], limit: float) -> Outcome:
    """`repeat` requests (the first included: nothing is cached); stops at a failed one."""
    payload = {"query": case.query(), "variables": {"filter": case.filter}}
    samples: list[float] = []
    first: dict[str, Any] | None = None
    trips = 0
    for _ in range(repeat):
        error, deadline, TRIPS.last = None, Deadline(limit), None
        with counting_round_trips() as counter:
            started = time.perf_counter()
            try:
                async with deadline:
                    response = await client.post("/graphql", json=payload, headers=auth)
                    samples.append(time.perf_counter() - started)
            except BaseException:
                if not deadline.expired:
                    raise
                samples.append(time.perf_counter() - started)
                error = f"no answer within --timeout {limit:.0f} s (interrupted)"
        trips = counter.count if TRIPS.last is None else TRIPS.last
        if error is None:
            body: dict[str, Any] = response.json()
            if response.status_code != 200 or body.get("errors"):
                errors = body.get("errors") or [{}]
                code = errors[0].get("extensions", {}).get("code")
                error = (f"HTTP {response.status_code} {code}: "
                         f"{errors[0].get('message', response.text[:300])}")
        if error is not None:
            if deadline.expired:
                error += f" (what still ran was interrupted at {limit:.0f} s)"
            return Outcome(samples, trips, first, error, deadline.orphan_seconds)
        first = first or body["data"]["engagementMetrics"]
    return Outcome(samples, trips, first)


async def pipelines(db: Database, now: datetime, region: str, model: str, limit: float
                    ) -> list[tuple[str, float, str]]:
    """Each store pipeline once, on its own: (what, seconds, rows or the error)."""
    repo = MongoAnalyticsRepository(db, limit)
    last90, year = Filter(now - timedelta(days=90), now), Filter(now - YEAR, now)
    narrow = Filter(now - timedelta(days=90), now, models=(model,), regions=(region,))
    month, week = Interval.MONTH, Interval.WEEK
    ftf_until, active_from = now - FIRST_TIME_FIX_WINDOW, now - ENGAGEMENT_WINDOW
    calls: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("owners_by_stage (all)", lambda: repo.owners_by_stage(last90)),
        (f"owners_by_stage ({model}, {region})", lambda: repo.owners_by_stage(narrow)),
        ("scores (90 d)", lambda: repo.scores(last90)),
        ("scores (12 mo)", lambda: repo.scores(year)),
        ("scores_by_period (12 mo, MONTH)", lambda: repo.scores_by_period(year, month)),
        ("scores_by_period (12 mo, WEEK)", lambda: repo.scores_by_period(year, week)),
        ("active_owners (30 d)", lambda: repo.active_owners(last90, active_from, now)),
        (f"active_owners (30 d, {model}, {region})",
         lambda: repo.active_owners(narrow, active_from, now)),
        ("active_owners_by_period (12 mo, MONTH)",
         lambda: repo.active_owners_by_period(year, month)),
        ("active_owners_by_period (12 mo, WEEK)",
         lambda: repo.active_owners_by_period(year, week)),
        ("notification_counts (90 d)", lambda: repo.notification_counts(last90)),
        ("notification_counts (12 mo)", lambda: repo.notification_counts(year)),
        ("notification_counts (12 mo, MONTH)", lambda: repo.notification_counts(year, month)),
        ("notification_counts (12 mo, WEEK)", lambda: repo.notification_counts(year, week)),
        ("service_retention (90 d)", lambda: repo.service_retention(last90, SERVICE_GRACE)),
        ("service_retention (12 mo)", lambda: repo.service_retention(year, SERVICE_GRACE)),
        ("first_time_fix (90 d)", lambda: repo.first_time_fix(last90, ftf_until)),
        (f"first_time_fix (90 d, {model}, {region})",
         lambda: repo.first_time_fix(narrow, ftf_until)),
        ("first_time_fix (12 mo)", lambda: repo.first_time_fix(year, ftf_until)),
        ("transitions (90 d)", lambda: repo.transitions(last90)),
        ("transitions (12 mo)", lambda: repo.transitions(year)),
    ]
    timed = []
    for label, call in calls:
        started = time.perf_counter()
        try:
            async with Deadline(limit):
                result = await call()
        except Exception as error:  # the embedded engine's budget, or anything else: shown
            rows = f"FAILED {type(error).__name__}: {error}"
        except TimedOut:
            rows = f"TIMEOUT: interrupted after --timeout {limit:.0f} s"
        else:
            found = result[1] if isinstance(result, tuple) else result
            rows = f"{len(found) if isinstance(found, dict | list) else 1} rows"
        seconds = time.perf_counter() - started
        timed.append((label, seconds, rows))
        print(f"  {label:<44}{seconds * 1e3:>11,.1f} ms  {rows}", flush=True)
    return timed


async def main(args: argparse.Namespace) -> None:
    versions = {name: importlib.metadata.version(dist) for name, dist in
                (("strawberry", "strawberry-graphql"), ("mongoeco", "mongoeco"),
                 ("pymongo", "pymongo"), ("starlette", "starlette"))}
    print(f"Python {platform.python_version()}  "
          + "  ".join(f"{name} {version}" for name, version in versions.items())
          + f"  {os.cpu_count()} CPUs, {available_mb():,.0f} MB available")
    uri = os.environ.get("MONGODB_URI") or None
    settings = Settings(jwt_secret=SECRET, evj_seed_owners=0, evj_worker_enabled=False,
                        evj_rate_limit_per_minute=0, mongodb_uri=uri, mongodb_db=args.db,
                        evj_analytics_max_seconds=args.timeout,
                        **({"evj_aggregation_limit": args.aggregation_limit}
                           if args.aggregation_limit else {}))
    print("store: " + (f"MongoDB at MONGODB_URI, database {args.db}" if not settings.embedded
                       else "embedded mongoeco (memory engine, in-process), aggregation "
                       f"limit {settings.evj_aggregation_limit:,} documents (EVJ_AGGREGATION_"
                       "LIMIT)"))
    print(f"--owners {args.owners:,} --touchpoints {args.touchpoints:,} --repeat {args.repeat}"
          + (f" --raw-touchpoints {args.raw_touchpoints:,}" if args.raw_touchpoints is not None
             else ""))
    app = create_app(settings)
    auth = {"authorization": "Bearer " + issue_token(settings, Role.OEM_ANALYST, "bench-analyst",
                                                     ttl_minutes=24 * 60)}
    now = datetime.now(UTC)
    check_touchpoint_shape(now)
    started = time.perf_counter()
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://bench", timeout=None) as client):
        db: Database = app.state.db
        if not settings.embedded:
            for name in await db.list_collection_names():
                await db[name].delete_many({})
        loaded = Loaded(args.min_free_mb)
        raw = args.touchpoints if args.raw_touchpoints is None else args.raw_touchpoints
        try:
            population = await load(db, loaded, args.owners, args.touchpoints, raw, now)
        except OutOfMemory as error:
            raise SystemExit(f"load stopped: {error}") from None
        gc.collect()
        print(f"\nloaded in {time.perf_counter() - started:.0f}s (app start included); rss "
              f"{rss_mb():,.0f} MB, peak {peak_mb():,.0f} MB, {available_mb():,.0f} MB free")
        print(f"{'collection':<24}{'documents':>12}{'seconds':>9}{'docs/s':>9}{'rss +MB':>9}")
        for name, count in loaded.counts.items():
            seconds = loaded.seconds[name]
            print(f"{name:<24}{count:>12,}{seconds:>9.1f}{count / max(seconds, 1e-9):>9,.0f}"
                  f"{loaded.grown_mb[name]:>9,.0f}")
        stages: dict[str, int] = {}
        for person in population:
            key = person.stage.value if person.stage else "-"
            stages[key] = stages.get(key, 0) + 1
        print("owners by stage: " + ", ".join(f"{k} {v:,}" for k, v in sorted(stages.items())))
        del population

        region = max(REGIONS, key=lambda r: REGIONS[r][1])
        model = max(MODELS, key=lambda m: MODELS[m])
        now = datetime.now(UTC)
        print(f"\nengagementMetrics, POST /graphql as OEM_ANALYST, up to {args.repeat} requests "
              f"per filter (the first included), sequential:")
        print(f"{'filter':<32}{'median ms':>11}{'p95 ms':>10}{'min ms':>10}{'max ms':>10}"
              f"{'runs':>6}{'db trips':>10}")
        for case in cases(now, region, model):
            outcome = await measure(client, case, args.repeat, auth, args.timeout)
            ms = [s * 1e3 for s in outcome.samples]
            print(f"{case.label:<32}{statistics.median(ms):>11,.0f}{pct(ms, 95):>10,.0f}"
                  f"{min(ms):>10,.0f}{max(ms):>10,.0f}{len(ms):>6}{outcome.trips:>10}")
            print("    " + (f"FAILED {outcome.error}" if outcome.error
                            else summary(outcome.first or {})), flush=True)
            if outcome.orphan_seconds >= 0.1:
                print(f"    after the error its other pipelines ran on for "
                      f"{outcome.orphan_seconds:,.1f} s (asyncio.gather does not cancel them)",
                      flush=True)

        if args.pipelines:
            print("\nstore pipelines, once each (store/analytics.py MongoAnalyticsRepository):")
            timed = await pipelines(db, now, region, model, args.timeout)
            slowest = sorted(timed, key=lambda t: -t[1])[:3]
            print("slowest: " + "; ".join(f"{label} {s * 1e3:,.0f} ms"
                                          for label, s, _ in slowest))
        print(f"\nrss {rss_mb():,.0f} MB, peak {peak_mb():,.0f} MB; "
              f"bench took {time.perf_counter() - started:.0f}s")
        if not settings.embedded:
            await db.client.drop_database(args.db)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--owners", type=int, default=100_000, help="owners, one vehicle each")
    parser.add_argument("--touchpoints", type=int, default=5_000_000,
                        help="touchpoints over 12 months (rolled up into appActivity)")
    parser.add_argument("--repeat", type=int, default=5, help="requests per filter")
    parser.add_argument("--raw-touchpoints", type=int, default=None,
                        help="store at most this many touchpoints raw (default: all)")
    parser.add_argument("--pipelines", action=argparse.BooleanOptionalAction, default=True,
                        help="also time each store pipeline on its own")
    parser.add_argument("--aggregation-limit", type=int, default=None,
                        help="embedded only: EVJ_AGGREGATION_LIMIT (default: the app's)")
    parser.add_argument("--timeout", type=float, default=300,
                        help="seconds one request or pipeline may take before it is interrupted "
                             "(also the pipelines' maxTimeMS)")
    parser.add_argument("--min-free-mb", type=float, default=3000,
                        help="stop loading when less memory than this is available")
    parser.add_argument("--db", default="evjourney_bench_analytics",
                        help="database with MONGODB_URI (emptied first, dropped at the end)")
    args = parser.parse_args()
    if min(args.owners, args.repeat) < 1 or args.touchpoints < 0:
        parser.error("--owners and --repeat must be at least 1, --touchpoints at least 0")
    if args.raw_touchpoints is not None and args.raw_touchpoints < 0:
        parser.error("--raw-touchpoints must be at least 0")
    if args.aggregation_limit is not None and args.aggregation_limit < 1:
        parser.error("--aggregation-limit must be at least 1")
    return args


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
