"""Deterministic demo population for journey analytics: hundreds of lighter owners (one car each,
no charging history) across regions, models and all five stages, with about a year of the data
the OEM metrics read, so every chart of the dashboard tells a story.

Times are relative to `now` (the seeding time), so "the last 90 days" always has data; the same
seed and `now` give the same data. Each owner lives in a region of the demo service network
(`services/demo_centers.py`) and uses one of its centers, and each center has a quality level:
it decides how owners rate their service visits (NPS, CSAT), how often a repair comes back
(first-time fix) and how often a due service is done there in time (retention). The weak center
is Paris Saint-Denis (FR), so FR trails the other regions on all three; Stockholm (SE) and
Amsterdam (NL) have the best.

What is written, through the repositories (bulk, to keep start-up fast):
- owners (region, stage, model, last app use) and their vehicles, delivered 0 to 5 years ago;
- each car's service history since delivery: maintenance when the schedule says it is due
  (`domain.service_schedule`), done in time, late or elsewhere, and repairs, some reopened by a
  return visit within 30 days; the dues of that history, RETAINED or LAPSED;
- for the last `months` months: app use (the monthly `appActivity` rollups: heavy in
  onboarding, fading before an owner lapses), survey answers about SERVICE_VISIT, CHARGING,
  OTA_UPDATE, APP and DELIVERY, notification engagement rollups (open rates by stage), and the
  stage transitions the daily sweep would have recorded;
- then the real sweep (`services.journey.refresh_stages`) runs, which opens the dues that are
  up now and lapses the overdue ones, as it does every day.
"""

from __future__ import annotations

import gc
import itertools
import math
import random
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.appointments import Appointment, AppointmentStatus, HistoryEntry
from domain.availability import starts_on
from domain.catalogue import CATALOGUE
from domain.events import DomainEvent
from domain.feedback import (
    Context,
    Feedback,
    FeedbackAnswer,
    FeedbackSubmitted,
    FeedbackTouchpoint,
    answer,
)
from domain.ids import new_id
from domain.journey import (
    DEFAULT_THRESHOLDS,
    AppUseMonth,
    Channel,
    OwnershipStage,
    StageChanged,
    StageThresholds,
    Touchpoint,
    TouchpointKind,
    app_event_key,
    ownership_stage,
)
from domain.journey_events import touchpoint_for
from domain.notifications.model import EngagementCount, Kind
from domain.owners import Owner
from domain.service_centers import (
    ServiceCenter,
    ServiceType,
    concern_categories,
    duration_minutes,
)
from domain.service_schedule import LastService, ServiceDue, service_due
from domain.vehicles import Vehicle
from services.demo_centers import demo_centers, journey_events, seed_service_network
from services.deps import Deps
from services.journey import DUE_GRACE, refresh_stages

S = OwnershipStage
T = ServiceType
F = FeedbackTouchpoint
DEFAULT_OWNERS = 600
DEFAULT_MONTHS = 12
MAX_AGE_DAYS = 5 * 365


@dataclass(frozen=True, slots=True)
class JourneyVolume:
    """How much to generate: owners, and months of history (app use, surveys, notifications,
    transitions) before the current month. Service histories always start at delivery.
    `timeline`: each owner's touchpoints too; analytics read only the rollups, so a population
    for them alone can do without (the touchpoints are most of the documents)."""

    owners: int = DEFAULT_OWNERS
    months: int = DEFAULT_MONTHS
    timeline: bool = True


@dataclass(frozen=True, slots=True)
class _Region:
    country: str
    weight: int
    locale: str
    first: tuple[str, ...]
    last: tuple[str, ...]


_REGIONS: tuple[_Region, ...] = (
    _Region("DE", 22, "de-DE", ("Lukas", "Anna", "Jonas", "Lea", "Felix", "Mia"),
            ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner")),
    _Region("US", 20, "en-US", ("James", "Olivia", "Noah", "Emma", "Liam", "Sophia"),
            ("Johnson", "Williams", "Miller", "Davis", "Garcia", "Rodriguez")),
    _Region("GB", 15, "en-GB", ("Oliver", "Amelia", "Harry", "Isla", "Jack", "Ava"),
            ("Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans")),
    _Region("FR", 14, "fr-FR", ("Lucas", "Léa", "Hugo", "Chloé", "Louis", "Manon"),
            ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit")),
    _Region("NL", 10, "nl-NL", ("Daan", "Emma", "Sem", "Julia", "Lars", "Sanne"),
            ("de Jong", "Jansen", "de Vries", "Bakker", "Visser", "Smit")),
    _Region("ES", 10, "es-ES", ("Mateo", "Lucía", "Pablo", "Sofía", "Diego", "Martina"),
            ("García", "Fernández", "López", "Martínez", "Sánchez", "Pérez")),
    _Region("SE", 9, "sv-SE", ("Erik", "Elsa", "Oskar", "Maja", "Nils", "Astrid"),
            ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson")),
)
_MODEL_WEIGHTS = {"volta-city": 22, "volta-one": 30, "volta-one-lr": 22, "volta-tourer": 14,
                  "volta-cargo": 12}
# Service quality of each demo center (0 poor .. 1 excellent), by name without "Volta Service ".
QUALITY: dict[str, float] = {
    "Paris Saint-Denis": 0.3, "Madrid Alcobendas": 0.7, "London Croydon": 0.6,
    "London Park Royal": 0.85, "Berlin Tempelhof": 0.9, "Berlin Spandau": 0.8,
    "Amsterdam Sloterdijk": 0.92, "Stockholm Kungens Kurva": 0.95,
    "New York Long Island City": 0.75, "New York Jersey City": 0.65,
    "Los Angeles Culver City": 0.8, "Los Angeles Pasadena": 0.85,
}
_DEFAULT_QUALITY = 0.75
_SOFTWARE = ("2025.44.1", "2026.8.2", "2026.20.0", "2026.32.1")  # services/demo.py's versions
_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"

# App use: the chance of using the app on a given day, by stage, and per owner a habit factor.
_APP_DAILY = {S.ONBOARDING: 0.35, S.EARLY_OWNERSHIP: 0.12, S.ESTABLISHED: 0.05, S.RENEWAL: 0.07,
              S.LAPSED: 0.0}
_HABITS = ((0.35, 25), (1.0, 50), (1.9, 25))  # (factor, weight %): occasional, regular, keen
_MAX_APP_GAP = 75  # days: an owner who has not lapsed opens the app at least this often
_FADE_DAYS = 120  # an owner who lapses uses the app less and less over this long before
# Notifications per month by stage, what they are about (one campaign a month per stage, drawn
# from these), and how they are answered.
_NOTES_PER_MONTH = {S.ONBOARDING: 4.0, S.EARLY_OWNERSHIP: 2.5, S.ESTABLISHED: 1.5,
                    S.RENEWAL: 2.0, S.LAPSED: 1.0}
_NOTE_KINDS: dict[OwnershipStage, tuple[tuple[Kind, int], ...]] = {
    S.ONBOARDING: ((Kind.ONBOARDING_PUBLIC_CHARGING, 6), (Kind.TIP_HIGH_SOC, 4)),
    S.EARLY_OWNERSHIP: ((Kind.UPDATE_OFFERED, 6), (Kind.TIP_DC_FAST_SHARE, 4)),
    S.ESTABLISHED: ((Kind.SERVICE_DUE, 5), (Kind.UPDATE_OFFERED, 5)),
    S.RENEWAL: ((Kind.SERVICE_DUE, 6), (Kind.BATTERY_FADING_FAST, 4)),
    S.LAPSED: ((Kind.RE_ENGAGEMENT, 1),),
}
_OPEN_RATE = {S.ONBOARDING: 0.68, S.EARLY_OWNERSHIP: 0.52, S.ESTABLISHED: 0.41, S.RENEWAL: 0.46,
              S.LAPSED: 0.12}
_ACT_RATE = {Kind.ONBOARDING_PUBLIC_CHARGING: 0.4, Kind.TIP_HIGH_SOC: 0.15,
             Kind.TIP_DC_FAST_SHARE: 0.12, Kind.UPDATE_OFFERED: 0.55, Kind.SERVICE_DUE: 0.35,
             Kind.BATTERY_FADING_FAST: 0.3, Kind.RE_ENGAGEMENT: 0.2}
# Surveys: who answers, and the mean satisfaction (0..1) behind their scores.
_SERVICE_SURVEY = 0.45  # share of visits answered
_DELIVERY_SURVEY = 0.55
_CHARGING_SURVEY, _APP_SURVEY = 0.04, 0.04  # per owner and month
_OTA_SURVEY = 0.12  # per owner and release
_OTA_EVERY_DAYS, _BAD_OTA = 91, 2  # a release each quarter; the second-newest went badly
_APP_RELEASE_DAYS = 150  # a new app version this many days ago fixed the worst complaints
_CHARGING_MOOD = {"volta-city": 0.66, "volta-one": 0.76, "volta-one-lr": 0.78,
                  "volta-tourer": 0.86, "volta-cargo": 0.84}
_REPAIRS: dict[ServiceType, tuple[str, ...]] = {
    T.BATTERY_DIAGNOSTICS: ("Range dropped noticeably", "Battery warning after a cold night"),
    T.CHARGING_SYSTEM_REPAIR: ("DC charging stops after a few minutes",
                               "Charge port does not release the cable"),
    T.SOFTWARE_DIAGNOSTICS: ("Centre screen freezes on start-up", "Phone key not recognised"),
    T.HIGH_VOLTAGE_REPAIR: ("Isolation fault message",),
    T.GENERAL_REPAIR: ("Knocking noise from the front suspension", "Wipers judder"),
}
_WORK = {T.ANNUAL_SERVICE: "Annual inspection and HV system check",
         T.TYRE_ROTATION: "Tyres rotated", T.BRAKE_FLUID: "Brake fluid replaced",
         T.CABIN_FILTER: "Cabin filter replaced",
         T.BATTERY_DIAGNOSTICS: "Battery diagnostics, cells balanced",
         T.HIGH_VOLTAGE_REPAIR: "HV connector resealed",
         T.CHARGING_SYSTEM_REPAIR: "Charge port actuator replaced",
         T.SOFTWARE_DIAGNOSTICS: "Software reflashed", T.GENERAL_REPAIR: "Fault repaired"}


# What a center's quality q (0 poor .. 1 excellent) does.
def _in_time(q: float) -> float:
    """The chance a due service is done there within the grace period; of the others, half
    are done late and half elsewhere, for good."""
    return 0.55 + 0.4 * q


def _reopens(q: float) -> float:
    """The chance a repair comes back within 30 days (first-time fix is the rest)."""
    return 0.04 + 0.32 * (1 - q)


def _visit_mood(q: float, return_visit: bool) -> float:
    """Mean satisfaction (0..1) behind a service visit's survey scores."""
    return 0.5 + 0.4 * q - (0.2 if return_visit else 0.0)


def _drifts_away(q: float) -> float:
    """The chance an owner stops using the app and the service (LAPSED after 180 days)."""
    return 0.08 + 0.2 * (1 - q)


_BUNDLE_DAYS = 45  # services due this soon after a visit are done in the same visit
_SWEEP_DELAY_HOURS = (1, 23)  # the daily sweep notices a new stage within a day


@dataclass(slots=True)
class JourneyDemo:
    """Everything generated, ready to store."""

    owners: list[Owner] = field(default_factory=list)
    vehicles: list[Vehicle] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)
    dues: list[dict[str, object]] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)
    app_use: list[AppUseMonth] = field(default_factory=list)
    transitions: list[tuple[Owner, StageChanged, str | None]] = field(default_factory=list)
    engagement: list[EngagementCount] = field(default_factory=list)
    touchpoints: list[Touchpoint] = field(default_factory=list)


def quality(center: ServiceCenter) -> float:
    return QUALITY.get(center.name.removeprefix("Volta Service "), _DEFAULT_QUALITY)


def generate_journey(seed: int, now: datetime, volume: JourneyVolume = JourneyVolume(),
                     thresholds: StageThresholds = DEFAULT_THRESHOLDS) -> JourneyDemo:
    """The population for this seed and `now` (UTC): the same inputs give the same data."""
    now = now.astimezone(UTC).replace(microsecond=0)
    centers: dict[str, list[ServiceCenter]] = defaultdict(list)
    for center in sorted(demo_centers(seed), key=lambda c: c.id):
        centers[center.region].append(center)
    start = _months_back(now, volume.months)
    demo = JourneyDemo()
    notes: dict[tuple[date, Kind, str, str, OwnershipStage], list[int]] = {}
    calendar, campaigns = _Calendar(), _Campaigns(seed)
    for index in range(volume.owners):
        rng = random.Random(f"{seed}:journey:{index}")
        life = _Life(rng, index, now, start, centers, thresholds, calendar, campaigns)
        life.run(demo, notes, volume.timeline)
    demo.engagement = [EngagementCount(day=day, kind=kind, region=region, model_id=model,
                                       stage=stage.value, delivered=n[0], opened=n[1],
                                       acted=n[2])
                       for (day, kind, region, model, stage), n in notes.items()]
    return demo


async def seed_journey(deps: Deps, seed: int, volume: JourneyVolume = JourneyVolume(),
                       now: datetime | None = None) -> JourneyDemo:
    """Stores the journey population (and the demo centers, if missing), then runs the daily
    stage sweep. Returns what it wrote."""
    with _no_cycle_collection():
        demo = generate_journey(seed, now or deps.clock(), volume, deps.stage_thresholds)
        await seed_service_network(deps, [], {}, seed)  # the centers only
        await deps.owners.add_many(demo.owners)
        await deps.vehicles.add_many(demo.vehicles)
        await deps.appointments.add_many(demo.appointments)
        await deps.service_dues.add_settled(demo.dues)
        await deps.feedback.add_many(demo.feedback)
        await deps.journey.add_app_use(demo.app_use)
        await deps.journey.add_history(demo.touchpoints)  # add_app_use wrote their rollups
        await deps.journey.add_transitions(demo.transitions)
        await deps.notifications.add_engagement(demo.engagement)
        await refresh_stages(deps)
    return demo


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pauses the cycle collector while tens of thousands of documents are built and encoded:
    with a large embedded store in memory its full passes cost about a fifth of the time.
    Reference counting still frees everything that is not a cycle."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Calendar:
    """When centers take visits: `domain.availability.starts_on` for one week of each center
    and visit length, as local wall-clock times, reused for every day (visits are on weekdays
    and Saturdays, never on the Sunday nights clocks change)."""

    _WEEK = date(2026, 1, 5)  # a Monday in a month without a clock change

    def __init__(self) -> None:
        self._walls: dict[tuple[str, int, int], tuple[time, ...]] = {}

    def start(self, rng: random.Random, center: ServiceCenter, day: date,
              minutes: int) -> datetime | None:
        """A start on the first day from `day` (within a week) the center has one."""
        zone = ZoneInfo(center.timezone)
        for offset in range(7):
            local = day + timedelta(days=offset)
            walls = self._wall_times(center, local.weekday(), minutes, zone)
            if walls:
                return datetime.combine(local, rng.choice(walls), tzinfo=zone).astimezone(UTC)
        return None

    def _wall_times(self, center: ServiceCenter, weekday: int, minutes: int,
                    zone: ZoneInfo) -> tuple[time, ...]:
        key = (center.id, weekday, minutes)
        if key not in self._walls:
            starts = starts_on(center, self._WEEK + timedelta(days=weekday), minutes)
            self._walls[key] = tuple(s.astimezone(zone).time() for s in starts)
        return self._walls[key]


class _Campaigns:
    """What a month's notifications to the owners in a stage are about: one campaign per
    month and stage (OTA offers one month, service reminders the next), the same for all."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._kinds: dict[tuple[datetime, OwnershipStage], Kind] = {}

    def kind(self, month: datetime, stage: OwnershipStage) -> Kind:
        key = (month, stage)
        if key not in self._kinds:
            rng = random.Random(f"{self._seed}:campaign:{month:%Y-%m}:{stage.value}")
            kinds = _NOTE_KINDS[stage]
            self._kinds[key] = rng.choices([k for k, _ in kinds],
                                           weights=[w for _, w in kinds])[0]
        return self._kinds[key]


# --- one owner's life --------------------------------------------------------------------------


class _Life:
    """One owner and car: who they are, when the car came, how they use the app and the
    service network; `run` writes what that produced into the demo."""

    def __init__(self, rng: random.Random, index: int, now: datetime, start: datetime,
                 centers: dict[str, list[ServiceCenter]], thresholds: StageThresholds,
                 calendar: _Calendar, campaigns: _Campaigns) -> None:
        self.rng, self.now, self.start, self.limits = rng, now, start, thresholds
        self.calendar, self.campaigns = calendar, campaigns
        region = rng.choices(_REGIONS, weights=[r.weight for r in _REGIONS])[0]
        self.center = rng.choice(centers[region.country])
        self.quality = quality(self.center)
        models = [model.id for model in CATALOGUE]
        self.model_id = rng.choices(models, weights=[_MODEL_WEIGHTS.get(m, 10) for m in models])[0]
        age = timedelta(days=1 + int(MAX_AGE_DAYS * rng.random() ** 1.35),
                        hours=rng.uniform(0, 8))
        self.delivered = (now - age).replace(microsecond=0)  # stored times keep ms at most
        self.km_per_day = (rng.uniform(105, 135) if rng.random() < 0.03
                           else min(max(rng.gauss(40, 12), 12), 85))
        self.habit = rng.choices([h for h, _ in _HABITS], weights=[w for _, w in _HABITS])[0]
        self.lapse_at = self._lapse_at()
        limits, d = thresholds, self.delivered
        self.early_from = d + timedelta(days=limits.onboarding_days)
        self.established_from = d + timedelta(days=limits.early_ownership_days)
        self.renewal_from = min(d + timedelta(days=limits.renewal_days),
                                d + timedelta(days=limits.renewal_km / self.km_per_day))
        self.lapsed_from = (max(self.lapse_at + timedelta(days=limits.lapsed_days),
                                self.early_from) if self.lapse_at else None)
        first, last = rng.choice(region.first), rng.choice(region.last)
        joined = self.delivered - timedelta(days=rng.randint(3, 40))
        self.owner = Owner(
            id=new_id(joined, rng), name=f"{first} {last}",
            email=f"{_ascii(first)}.{_ascii(last)}.{index}@journey.example.com",
            locale=region.locale, timezone=self.center.timezone, region=region.country,
            created_at=joined, updated_at=joined)
        self.vehicle = Vehicle(
            id=new_id(self.delivered, rng), vin="".join(rng.choices(_VIN_CHARS, k=17)),
            owner_id=self.owner.id, model_id=self.model_id, delivered_at=self.delivered,
            odometer_km=round(self.km_at(now), 1),
            software_version=_SOFTWARE[min(3, int(3.99 * rng.random() ** 0.5))],
            created_at=self.delivered, updated_at=self.delivered)
        self.visits: list[Appointment] = []

    def _lapse_at(self) -> datetime | None:
        """When an owner who drifts away last used the app or the service (None: never)."""
        latest = self.now - timedelta(days=self.limits.lapsed_days + 1)
        earliest = self.delivered + timedelta(days=60)
        chance = _drifts_away(self.quality)
        if earliest >= latest or self.rng.random() >= chance:
            return None
        # Most who drift away do so within the last two years.
        earliest = max(earliest, latest - timedelta(days=730))
        return (earliest + (latest - earliest) * self.rng.random()).replace(microsecond=0)

    # -- what the stage rules see ------------------------------------------------------------

    def km_at(self, at: datetime) -> float:
        return max((at - self.delivered).total_seconds(), 0) / 86_400 * self.km_per_day

    def stage_at(self, at: datetime) -> OwnershipStage:
        """As `domain.journey.ownership_stage` says at that time, for this owner's behaviour:
        active until `lapse_at`, if any, and never quiet for long before."""
        if self.lapsed_from is not None and at >= self.lapsed_from:
            return S.LAPSED
        if at >= self.renewal_from:
            return S.RENEWAL
        if at < self.early_from:
            return S.ONBOARDING
        return S.EARLY_OWNERSHIP if at < self.established_from else S.ESTABLISHED

    def active_until(self) -> datetime:
        return self.lapse_at or self.now

    # -- the whole story ---------------------------------------------------------------------

    def run(self, demo: JourneyDemo,
            notes: dict[tuple[date, Kind, str, str, OwnershipStage], list[int]],
            timeline: bool) -> None:
        dues: list[dict[str, object]] = []
        self._maintenance(dues)
        self._repairs()
        self.visits.sort(key=lambda a: a.start)
        app_days = self._app_days()
        last_app = self._last_app_use(app_days)
        last_service = max((a.completed_at for a in self.visits if a.completed_at), default=None)
        stage = ownership_stage(self.vehicle, self.now, last_app, last_service, self.limits)
        owner = self.owner.model_copy(update={
            "last_active_at": last_app, "stage": stage, "primary_model_id": self.model_id,
            "updated_at": max(last_app or self.owner.created_at, self.owner.created_at)})
        demo.owners.append(owner)
        demo.vehicles.append(self.vehicle)
        demo.appointments.extend(self.visits)
        demo.dues.extend(dues)
        demo.app_use.extend(self._app_months(app_days))
        demo.transitions.extend(self._transitions(owner))
        surveys = self._surveys()
        demo.feedback.extend(surveys)
        if timeline:
            demo.touchpoints.extend(self._timeline(app_days, last_app, surveys))
        self._notifications(notes)

    # -- service ----------------------------------------------------------------------------

    def _maintenance(self, dues: list[dict[str, object]]) -> None:
        """Visits as the schedule comes due: most in time (RETAINED), some late (LAPSED, then
        done), some never (the owner went elsewhere; the sweep lapses that due later)."""
        rng, last = self.rng, dict[ServiceType, LastService]()
        in_time = _in_time(self.quality)
        since = self.delivered + timedelta(days=30)
        while True:
            due = service_due(self.vehicle.model_copy(
                update={"odometer_km": round(self.km_at(since), 1)}), last, since)
            first = due[0].due_on
            draw = rng.random()
            if draw < in_time:
                day = first + timedelta(days=rng.randint(-20, -1) if rng.random() < 0.15
                                        else rng.randint(0, 60))
            elif draw < in_time + (1 - in_time) / 2:
                day = first + timedelta(days=rng.randint(95, 240))
            else:
                return
            day = max(day, since.date() + timedelta(days=1))
            types = frozenset(d.service_type for d in due
                              if d.due_on <= day + timedelta(days=_BUNDLE_DAYS))
            visit = self._visit(day, types, None)
            if visit is None or visit.completed_at is None:
                return
            self.visits.append(visit)
            dues.extend(self._due(d, visit) for d in due if d.service_type in types
                        and _midnight(d.due_on) <= visit.start)
            for kind in types:
                last[kind] = LastService(visit.completed_at, visit.odometer_km)
            since = visit.completed_at

    def _due(self, due: ServiceDue, visit: Appointment) -> dict[str, object]:
        due_on = _midnight(due.due_on)
        kept = visit.start - due_on <= DUE_GRACE
        return {"_id": f"{self.vehicle.id}:{due.service_type.value}:{due.due_on}",
                "vehicleId": self.vehicle.id, "ownerId": self.owner.id,
                "serviceType": due.service_type.value, "dueOn": due_on,
                "region": self.owner.region, "modelId": self.model_id,
                "stage": self.stage_at(due_on).value,
                "status": "RETAINED" if kept else "LAPSED",
                **({"servicedAt": visit.completed_at} if kept else {})}

    def _repairs(self) -> None:
        """Faults fixed at the center; a weaker center sends more cars back within 30 days."""
        rng = self.rng
        reopen = _reopens(self.quality)
        at = self.delivered + timedelta(days=rng.expovariate(0.35 / 365) + 20)
        while at < self.active_until() - timedelta(days=2):
            kind = rng.choice(sorted(_REPAIRS))
            concern = rng.choice(_REPAIRS[kind])
            visit = self._visit(at.date(), frozenset({kind}), concern)
            if visit is None or visit.completed_at is None:
                break
            back = visit.completed_at + timedelta(days=rng.randint(3, 22))  # +6: within 30
            again = None
            if rng.random() < reopen:
                again = self._visit(back.date(), frozenset({kind}),
                                    f"Same problem again: {concern}", booked=visit.completed_at)
            if again is not None and again.completed_at is not None:
                self.visits += [visit.model_copy(update={"reopened": True,
                                                         "concern_resolved": False}),
                                again.model_copy(update={"return_of": visit.id})]
                at = again.completed_at
            else:
                self.visits.append(visit)
                at = visit.completed_at
            at += timedelta(days=rng.expovariate((0.3 + 0.03 * self._years(at)) / 365) + 7)

    def _years(self, at: datetime) -> float:
        return (at - self.delivered).days / 365

    def _visit(self, day: date, types: frozenset[ServiceType], concern: str | None,
               booked: datetime | None = None) -> Appointment | None:
        """A completed visit on the first day from `day` the center has a start for it; None
        when it would not be over before now (or after the owner drifted away)."""
        rng, center = self.rng, self.center
        minutes = duration_minutes(types)
        start = self.calendar.start(rng, center, day, minutes)
        if start is None:
            return None
        end = start + timedelta(minutes=minutes)
        done = end + timedelta(minutes=rng.randint(-10, 40))
        if start <= self.delivered or done >= min(self.active_until(), self.now - timedelta(
                hours=12)):
            return None
        earliest = booked or start - timedelta(days=21)
        created = (earliest + (start - timedelta(hours=2) - earliest) * rng.random()).replace(
            microsecond=0)
        staff = f"staff-{center.id[-6:]}-{rng.randint(1, 4)}"
        history = (
            HistoryEntry(status=AppointmentStatus.CONFIRMED, at=created, by=self.owner.id),
            HistoryEntry(status=AppointmentStatus.CHECKED_IN,
                         at=start - timedelta(minutes=rng.randint(0, 15)), by=staff),
            HistoryEntry(status=AppointmentStatus.IN_PROGRESS,
                         at=start + timedelta(minutes=rng.randint(0, 10)), by=staff),
            HistoryEntry(status=AppointmentStatus.COMPLETED, at=done, by=staff))
        return Appointment(
            id=new_id(created, rng), vehicle_id=self.vehicle.id, owner_id=self.owner.id,
            center_id=center.id, timezone=center.timezone, start=start, end=end,
            service_types=tuple(sorted(types)), status=AppointmentStatus.COMPLETED,
            concern=concern, concern_categories=tuple(sorted(concern_categories(types))),
            history=history, work_performed="; ".join(_WORK[t] for t in sorted(types)),
            concern_resolved=True if concern else None, completed_at=done,
            odometer_km=round(self.km_at(done), 1), created_at=created)

    # -- app use ----------------------------------------------------------------------------

    def _app_days(self) -> list[date]:
        """Days of app use in the history window, by stage and habit; owners who lapse fade
        out before their last day, the others never go quiet for long."""
        rng = self.rng
        first = max(self.start, self.delivered).date().toordinal()
        last = min(self.now, self.lapse_at or self.now).date().toordinal()
        lapse = self.lapse_at.date().toordinal() if self.lapse_at else None
        # The stage (so the daily chance) changes on the first day at or after each threshold.
        cuts = {first, last + 1}
        for point in (self.early_from, self.established_from, self.renewal_from):
            day = point.date().toordinal() + (1 if point.time() > datetime.min.time() else 0)
            if first < day <= last:
                cuts.add(day)
        days: list[int] = []
        quiet = 0
        ordered = sorted(cuts)
        for lo, hi in itertools.pairwise(ordered):
            base = min(_APP_DAILY[self.stage_at(_midnight(date.fromordinal(lo)))] * self.habit,
                       0.9)
            for day in range(lo, hi):
                chance = base if lapse is None else base * min(max(
                    (lapse - day) / _FADE_DAYS, 0.0), 1.0)
                quiet += 1
                if rng.random() < chance or (lapse is None and quiet >= _MAX_APP_GAP):
                    days.append(day)
                    quiet = 0
        if lapse is not None and last >= first and (not days or days[-1] != last):
            days.append(last)  # the last time they opened the app
        return [date.fromordinal(day) for day in days]

    def _last_app_use(self, days: Sequence[date]) -> datetime | None:
        if self.lapse_at is not None:
            return self.lapse_at.replace(microsecond=0)
        if not days:  # none in the window: they used it before (never quiet for long)
            return (self.start - timedelta(hours=self.rng.uniform(1, 48))).replace(
                microsecond=0) if self.delivered < self.start else None
        at = _midnight(days[-1]) + timedelta(hours=self.rng.uniform(7, 22))
        return min(at, self.now).replace(microsecond=0)

    def _app_months(self, days: Sequence[date]) -> list[AppUseMonth]:
        months: dict[str, list[datetime]] = defaultdict(list)
        for day in days:
            months[day.strftime("%Y-%m")].append(_midnight(day))
        return [AppUseMonth(owner_id=self.owner.id, month=month, days=tuple(used),
                            region=self.owner.region, model_id=self.model_id,
                            stage=self.stage_at(used[-1]))
                for month, used in months.items()]

    # -- the timeline -----------------------------------------------------------------------

    def _timeline(self, app_days: Sequence[date], last_app: datetime | None,
                  surveys: Sequence[Feedback]) -> list[Touchpoint]:
        """The owner's touchpoints: an app open on each day of use, each booking and visit,
        each survey answer (mapped as the live events are). Notifications have none: their
        engagement is generated as group rollups, not per owner."""
        # Draws of its own, so the rest of the population is the same with or without it.
        rng = random.Random(f"{self.owner.id}:timeline")
        events: list[DomainEvent] = [e for visit in self.visits for e in journey_events(visit)]
        events += [FeedbackSubmitted(at=f.at, feedback_id=f.id, owner_id=f.owner_id,
                                     vehicle_id=f.vehicle_id, touchpoint=f.touchpoint)
                   for f in surveys]
        found = [t for t in (touchpoint_for(e, self.owner.id) for e in events) if t]
        return [*(self._app_open(rng, day, last_app) for day in app_days),
                *(t.model_copy(update={"id": new_id(t.at, rng)}) for t in found)]

    def _app_open(self, rng: random.Random, day: date, last_app: datetime | None
                  ) -> Touchpoint:
        """Within the UTC day the rollup has, and not after the owner's last use."""
        at = _midnight(day) + timedelta(seconds=round(rng.uniform(7, 22) * 3600))
        at = min(at, last_app or self.now)
        return Touchpoint(id=new_id(at, rng), owner_id=self.owner.id,
                          kind=TouchpointKind.APP_OPEN, channel=Channel.APP, at=at,
                          event_key=app_event_key(self.owner.id, f"demo-open-{day.isoformat()}"))

    # -- stages -----------------------------------------------------------------------------

    def _transitions(self, owner: Owner) -> list[tuple[Owner, StageChanged, str | None]]:
        """What the daily sweep recorded in the window: a new owner's first stage, each age
        threshold, the mileage threshold, and lapsing."""
        d = self.delivered
        points = [d, self.early_from, self.established_from, self.renewal_from]
        if self.lapsed_from is not None:
            points.append(self.lapsed_from)
        changes: list[tuple[Owner, StageChanged, str | None]] = []
        before = None if d >= self.start else self.stage_at(self.start)
        for point in sorted(p for p in points if self.start <= p <= self.now):
            after = self.stage_at(point + timedelta(seconds=1))
            if after is before:
                continue
            at = point + timedelta(hours=self.rng.uniform(*_SWEEP_DELAY_HOURS))
            at = (at if at <= self.now else point).replace(microsecond=0)  # ids stay unique
            changes.append((owner, StageChanged(at=at, vehicle_id=self.vehicle.id,
                                                owner_id=owner.id, before=before, after=after),
                            self.model_id))
            before = after
        return changes

    # -- surveys ----------------------------------------------------------------------------

    def _surveys(self) -> list[Feedback]:
        rng, found = self.rng, []
        for visit in self.visits:
            if visit.completed_at and visit.completed_at >= self.start and (
                    rng.random() < _SERVICE_SURVEY):
                mood = _visit_mood(self.quality, visit.return_of is not None)
                found.append(self._answer(F.SERVICE_VISIT, visit.completed_at + timedelta(
                    hours=rng.uniform(2, 72)), mood, visit.id))
        if self.delivered >= self.start and rng.random() < _DELIVERY_SURVEY:
            found.append(self._answer(F.DELIVERY, self.delivered + timedelta(
                days=rng.uniform(2, 10)), 0.84))
        month = self.start
        while month < self.now:
            at = month + timedelta(days=rng.uniform(0, 28), hours=rng.uniform(8, 21))
            if self._engaged(at) and rng.random() < _CHARGING_SURVEY:
                mood = _CHARGING_MOOD.get(self.model_id, 0.76) - (
                    0.05 if self.owner.region == "US" else 0.0)
                found.append(self._answer(F.CHARGING, at, mood))
            if self._engaged(at) and rng.random() < _APP_SURVEY * self.habit:
                released = at >= self.now - timedelta(days=_APP_RELEASE_DAYS)
                found.append(self._answer(F.APP, at, 0.82 if released else 0.64))
            month = _next_month(month)
        for n in range(1, 12):
            release = self.now - timedelta(days=n * _OTA_EVERY_DAYS - 20)
            at = release + timedelta(days=rng.uniform(1, 20))
            if release >= self.start and self._engaged(at) and rng.random() < _OTA_SURVEY:
                found.append(self._answer(F.OTA_UPDATE, at, 0.56 if n == _BAD_OTA else 0.8))
        return [f for f in found if f.at < self.now]

    def _engaged(self, at: datetime) -> bool:
        return self.delivered <= at < self.active_until()

    def _answer(self, touchpoint: FeedbackTouchpoint, at: datetime, mood: float,
                related: str | None = None) -> Feedback:
        rng = self.rng
        felt = min(max(rng.gauss(mood, 0.17), 0.0), 1.0)
        csat = min(5, 1 + int(felt * 5))
        nps = min(10, max(0, round(felt * 10 + rng.gauss(0.5, 0.8)))) if rng.random() < 0.7 \
            else None
        at = at.replace(microsecond=0)
        context = Context(self.owner.id, self.owner.region, self.model_id, self.stage_at(at))
        given = answer(FeedbackAnswer(touchpoint=touchpoint, nps_score=nps, csat_score=csat,
                                      related_id=related, vehicle_id=self.vehicle.id),
                       context, at)
        return given.model_copy(update={"id": new_id(at, rng)})

    # -- notifications ----------------------------------------------------------------------

    def _notifications(self,
                       notes: dict[tuple[date, Kind, str, str, OwnershipStage], list[int]]
                       ) -> None:
        """Each month's notifications, added to the month's rollup of the owner's group (on a
        day of that month, before today)."""
        rng, month = self.rng, max(self.start, _month_start(self.delivered))
        opens = 0.7 if self.habit < 0.5 else 1.2 if self.habit > 1.5 else 1.0
        while month < self.now:
            ends = min(_next_month(month), self.now)
            share = max((ends - max(month, self.delivered)).total_seconds(), 0) / (
                (ends - month).total_seconds() or 1)
            stage = self.stage_at(max(month, self.delivered) + (ends - max(
                month, self.delivered)) / 2)
            kind, day = self.campaigns.kind(month, stage), _rollup_day(month, self.now)
            month = _next_month(month)
            if day is None:
                continue
            for _ in range(_poisson(rng, _NOTES_PER_MONTH[stage] * share)):
                counts = notes.setdefault(
                    (day, kind, self.owner.region or "", self.model_id, stage), [0, 0, 0])
                counts[0] += 1
                if rng.random() < min(_OPEN_RATE[stage] * opens, 0.95):
                    counts[1] += 1
                    if rng.random() < _ACT_RATE[kind]:
                        counts[2] += 1


# --- helpers -----------------------------------------------------------------------------------


def _poisson(rng: random.Random, mean: float) -> int:
    limit, n, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        n += 1
        product *= rng.random()
    return n


def _rollup_day(month: datetime, now: datetime) -> date | None:
    """The day a month's rollup is written on: the 15th, or yesterday in the current month
    (today's rollup belongs to live counting)."""
    day = month.date().replace(day=15)
    yesterday = now.date() - timedelta(days=1)
    if day > yesterday:
        day = yesterday
    return day if day >= month.date() else None


def _month_start(at: datetime) -> datetime:
    return datetime(at.year, at.month, 1, tzinfo=UTC)


def _next_month(at: datetime) -> datetime:
    return datetime(at.year + at.month // 12, at.month % 12 + 1, 1, tzinfo=UTC)


def _months_back(now: datetime, months: int) -> datetime:
    index = now.year * 12 + now.month - 1 - months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _ascii(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return plain.replace(" ", "").lower()

