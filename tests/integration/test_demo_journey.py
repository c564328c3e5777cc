"""The journey demo: a deterministic population whose analytics have every figure and tell the
service-quality story (the weak center's region trails the strong one).

150 owners and a year of history (about 4,000 documents) keep this quick on every engine; the
analytics read no touchpoints, so that population goes without them (the wire server inserts
one document at a time, each costing more the fuller the collection). The clock is fixed: the
data is relative to the seeding time, so a fixed time gives the same data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette

from domain.access import Principal, Role
from domain.journey import OwnershipStage, Touchpoint, TouchpointKind
from domain.metrics import Filter, analytics_filter, csat_percent, nps
from domain.pagination import PageRequest
from services.analytics import engagement_metrics
from services.demo_journey import JourneyDemo, JourneyVolume, generate_journey, seed_journey
from services.deps import Deps
from services.journey import journey
from tests.conftest import GraphQLClient

S = OwnershipStage
SEED = 7
VOLUME = JourneyVolume(owners=150, months=12, timeline=False)
ANALYST = Principal(Role.OEM_ANALYST, "analyst-1")
WEAK, STRONG = "FR", "DE"  # Paris Saint-Denis; Berlin Tempelhof and Spandau
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_the_same_seed_and_time_give_the_same_population() -> None:
    small = JourneyVolume(owners=40, months=3)
    first = generate_journey(SEED, NOW, small)
    assert first == generate_journey(SEED, NOW, small)
    assert len(first.owners) == len(first.vehicles) == 40
    assert first.touchpoints
    # The timeline draws on its own: the population is the same without it.
    assert generate_journey(SEED, NOW, replace(small, timeline=False)) == replace(
        first, touchpoints=[])
    other = generate_journey(SEED + 1, NOW, small)
    assert [o.id for o in other.owners] != [o.id for o in first.owners]


async def test_seeded_journey_has_every_metric_and_stage(deps: Deps) -> None:
    deps = replace(deps, clock=lambda: NOW)
    demo = await seed_journey(deps, SEED, VOLUME)
    stored = await deps.owners.get_many([o.id for o in demo.owners])
    # Stored as generated: the stages the demo gave its owners are those the daily sweep finds.
    assert stored == demo.owners
    assert await deps.vehicles.get_many([v.id for v in demo.vehicles]) == demo.vehicles
    latest = {change.owner_id: change.after for _, change, _ in demo.transitions}
    assert all(latest.get(o.id, o.stage) is o.stage for o in demo.owners)  # history ends there

    now = deps.clock()
    report = await engagement_metrics(deps, ANALYST, _year(now))
    assert report.owners == VOLUME.owners
    assert [s.stage for s in report.stage_funnel if s.owners] == list(S)
    assert None not in (nps(report.scores), csat_percent(report.scores),
                        report.digital_engagement, report.notification_open,
                        report.notification_action, report.service_retention,
                        report.first_time_fix)
    assert {"SERVICE_VISIT", "CHARGING", "OTA_UPDATE", "APP", "DELIVERY"} <= set(
        report.by_touchpoint)
    moves = {(t.before, t.after) for t in report.transitions}
    assert {(None, S.ONBOARDING), (S.ONBOARDING, S.EARLY_OWNERSHIP),
            (S.EARLY_OWNERSHIP, S.ESTABLISHED), (S.ESTABLISHED, S.RENEWAL)} <= moves
    assert any(after is S.LAPSED for _, after in moves)

    opened = [await _open_rate(deps, now, stage)
              for stage in (S.ONBOARDING, S.ESTABLISHED, S.LAPSED)]
    assert opened == sorted(opened, reverse=True)  # new owners open most, lapsed ones least

    weak, strong = await _service(deps, now, WEAK), await _service(deps, now, STRONG)
    assert weak.csat < strong.csat
    assert weak.first_time_fix < strong.first_time_fix
    assert weak.retention < strong.retention


@dataclass(frozen=True)
class _Service:
    csat: float
    first_time_fix: float
    retention: float


async def _service(deps: Deps, now: datetime, region: str) -> _Service:
    """SERVICE_VISIT CSAT over the year; first-time fix and retention over the whole service
    history the demo has (three years, the longest period)."""
    year = await engagement_metrics(deps, ANALYST, _year(now, regions=(region,)))
    history = await engagement_metrics(deps, ANALYST, analytics_filter(
        now - timedelta(days=3 * 365), None, now, regions=(region,)))
    csat = csat_percent(year.by_touchpoint["SERVICE_VISIT"])
    assert csat is not None
    assert history.first_time_fix is not None
    assert history.service_retention is not None
    return _Service(csat, history.first_time_fix, history.service_retention)


async def _open_rate(deps: Deps, now: datetime, stage: OwnershipStage) -> float:
    report = await engagement_metrics(deps, ANALYST, _year(now, stages=(stage,)))
    assert report.notification_open is not None
    return report.notification_open


def _year(now: datetime, regions: tuple[str, ...] = (),
          stages: tuple[OwnershipStage, ...] = ()) -> Filter:
    return analytics_filter(now - timedelta(days=365), None, now, regions=regions,
                            stages=stages)


# --- the journey owners' timelines ------------------------------------------------------------

K = TouchpointKind
TIMELINE_VOLUME = JourneyVolume(owners=40, months=3)
APP_OPENS = """{ me { journey(first: 3, kinds: [APP_OPEN]) { edges { node { kind channel at } } }
  } }"""


async def test_journey_owners_timelines_match_what_was_generated(
    app: Starlette, deps: Deps, gql: GraphQLClient
) -> None:
    deps = replace(deps, clock=lambda: NOW)
    demo = await seed_journey(deps, SEED, TIMELINE_VOLUME)
    # The rollup is exactly the generated months: the touchpoints added no day to it.
    days = await _rollup_days(app)
    assert days == _generated_days(demo)
    for owner in demo.owners:
        timeline = (await journey(deps, Principal(Role.OWNER, owner.id), owner.id,
                                  PageRequest(first=100_000), [])).items
        opens = [t.at for t in timeline if t.kind is K.APP_OPEN]
        assert sorted(_midnight(at) for at in opens) == sorted(days.get(owner.id, []))
        visits = [a for a in demo.appointments if a.owner_id == owner.id]
        assert _related(timeline, K.BOOKING) == {a.id for a in visits}
        assert _related(timeline, K.SERVICE_VISIT) == {a.id for a in visits if a.completed_at}
        assert _related(timeline, K.SURVEY) == {f.id for f in demo.feedback
                                                 if f.owner_id == owner.id}
        assert len(timeline) == len(opens) + len(visits) + sum(
            1 for a in visits if a.completed_at) + len(_related(timeline, K.SURVEY))
    keen = max(demo.owners, key=lambda o: len(days.get(o.id, [])))
    edges = (await gql.ok(APP_OPENS, authorization=gql.bearer(Role.OWNER, keen.id))
             )["me"]["journey"]["edges"]
    newest = sorted(days[keen.id], reverse=True)[:3]
    assert [_midnight(datetime.fromisoformat(e["node"]["at"])) for e in edges] == newest
    assert {e["node"]["channel"] for e in edges} == {"APP"}


async def test_seeding_the_journey_history_again_adds_nothing(app: Starlette, deps: Deps
                                                              ) -> None:
    deps = replace(deps, clock=lambda: NOW)
    demo = await seed_journey(deps, SEED, TIMELINE_VOLUME)
    db = app.state.db
    stored, activity = await db["touchpoints"].count_documents({}), await _rollups(app)
    assert stored == len(demo.touchpoints)
    assert await deps.journey.add_history(demo.touchpoints) == 0
    assert await db["touchpoints"].count_documents({}) == stored
    assert await _rollups(app) == activity


def _related(timeline: list[Touchpoint], kind: TouchpointKind) -> set[str | None]:
    return {t.related_id for t in timeline if t.kind is kind}


def _midnight(at: datetime) -> datetime:
    day = at.astimezone(UTC)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def _rollups(app: Starlette) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = await app.state.db["appActivity"].find().sort(
        "_id", 1).to_list(None)
    return docs


async def _rollup_days(app: Starlette) -> dict[str, list[datetime]]:
    days: dict[str, list[datetime]] = defaultdict(list)
    for doc in await _rollups(app):
        days[doc["ownerId"]] += doc["days"]
    return dict(days)


def _generated_days(demo: JourneyDemo) -> dict[str, list[datetime]]:
    days: dict[str, list[datetime]] = defaultdict(list)
    for month in sorted(demo.app_use, key=lambda m: f"{m.owner_id}:{m.month}"):
        days[month.owner_id] += month.days
    return dict(days)
