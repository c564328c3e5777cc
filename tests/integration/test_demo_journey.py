"""The journey demo: a deterministic population whose analytics have every figure and tell the
service-quality story (the weak center's region trails the strong one).

150 owners and a year of history (about 4,000 documents) keep this quick on every engine. The
clock is fixed: the data is relative to the seeding time, so a fixed time gives the same data.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from domain.access import Principal, Role
from domain.journey import OwnershipStage
from domain.metrics import Filter, analytics_filter, csat_percent, nps
from services.analytics import engagement_metrics
from services.demo_journey import JourneyVolume, generate_journey, seed_journey
from services.deps import Deps

S = OwnershipStage
SEED = 7
VOLUME = JourneyVolume(owners=150, months=12)
ANALYST = Principal(Role.OEM_ANALYST, "analyst-1")
WEAK, STRONG = "FR", "DE"  # Paris Saint-Denis; Berlin Tempelhof and Spandau
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_the_same_seed_and_time_give_the_same_population() -> None:
    small = JourneyVolume(owners=40, months=3)
    first = generate_journey(SEED, NOW, small)
    assert first == generate_journey(SEED, NOW, small)
    assert len(first.owners) == len(first.vehicles) == 40
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
