"""Engagement metrics for OEM teams: aggregates only, small groups suppressed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from domain import metrics
from domain.access import Principal, Role, ensure
from domain.journey import OwnershipStage
from domain.metrics import Filter, Interval, Scores, Share
from services.deps import Deps

ANALYSTS = frozenset({Role.OEM_ANALYST, Role.ADMIN})


def can_read_analytics(actor: Principal) -> bool:
    return actor.role in ANALYSTS


@dataclass(frozen=True, slots=True)
class RegionRates:
    region: str
    service_retention: float | None
    first_time_fix: float | None
    owners: int | None


@dataclass(frozen=True, slots=True)
class Report:
    owners: int | None
    scores: Scores
    by_touchpoint: dict[str, Scores]
    digital_engagement: float | None
    notification_open: float | None
    notification_action: float | None
    service_retention: float | None
    first_time_fix: float | None
    stage_funnel: list[metrics.StageCount]
    transitions: list[metrics.Transition]
    by_region: list[RegionRates]


@dataclass(frozen=True, slots=True)
class Point:
    period_start: datetime
    scores: Scores
    digital_engagement: float | None
    notification_open: float | None
    notification_action: float | None


async def engagement_metrics(deps: Deps, actor: Principal, f: Filter) -> Report:
    ensure(can_read_analytics(actor), "read engagement analytics")
    a = deps.analytics
    # Independent pipelines: run together, so the answer takes as long as the slowest one.
    people = asyncio.gather(
        a.owners_by_stage(f), a.scores(f),
        a.active_owners(f, f.end - metrics.ENGAGEMENT_WINDOW, f.end), a.notification_counts(f))
    service = asyncio.gather(
        a.service_retention(f, metrics.SERVICE_GRACE),
        a.first_time_fix(f, f.end - metrics.FIRST_TIME_FIX_WINDOW), a.transitions(f))
    (by_stage, (scores, by_touchpoint), active, counts), (retention, fixes, moves) = (
        await asyncio.gather(people, service))
    owners = sum(by_stage.values())
    notes = counts.get(None, {})
    return Report(
        owners=owners if owners >= metrics.K_ANONYMITY else None,
        scores=scores, by_touchpoint=by_touchpoint,
        digital_engagement=Share(active, owners, owners).percent(),
        notification_open=_rate(notes, "opened", owners),
        notification_action=_rate(notes, "acted", owners),
        service_retention=_total(retention.values()).percent(),
        first_time_fix=_total(fixes.values()).percent(),
        stage_funnel=metrics.suppress_small(
            {OwnershipStage(k): v for k, v in by_stage.items() if k}),
        transitions=_transitions(moves),
        by_region=_regions(retention, fixes))


async def time_series(deps: Deps, actor: Principal, f: Filter,
                      interval: Interval) -> list[Point]:
    ensure(can_read_analytics(actor), "read engagement analytics")
    a = deps.analytics
    by_stage, scores, active, notes = await asyncio.gather(
        a.owners_by_stage(f), a.scores_by_period(f, interval),
        a.active_owners_by_period(f, interval), a.notification_counts(f, interval))
    owners = sum(by_stage.values())
    points = []
    for period in metrics.periods(f, interval):
        key = metrics.period_key(period.start, interval)
        counts = notes.get(key, {})
        points.append(Point(
            period_start=period.start, scores=scores.get(key, Scores()),
            digital_engagement=Share(active.get(key, 0), owners, owners).percent(),
            notification_open=_rate(counts, "opened", owners),
            notification_action=_rate(counts, "acted", owners)))
    return points


def _rate(counts: dict[str, int], what: str, owners: int) -> float | None:
    return Share(counts.get(what, 0), counts.get("delivered", 0), owners).percent()


def _total(shares: Iterable[Share]) -> Share:
    items = list(shares)
    return Share(sum(s.part for s in items), sum(s.whole for s in items),
                 sum(s.owners for s in items))


def _transitions(rows: list[tuple[str | None, str, int]]) -> list[metrics.Transition]:
    return [metrics.Transition(OwnershipStage(before) if before else None,
                               OwnershipStage(after), n)
            for before, after, n in rows if n >= metrics.K_ANONYMITY]


def _regions(retention: dict[str, Share], fixes: dict[str, Share]) -> list[RegionRates]:
    rows = []
    for region in sorted(set(retention) | set(fixes)):
        kept, fixed = retention.get(region), fixes.get(region)
        owners = max((s.owners for s in (kept, fixed) if s), default=0)
        rows.append(RegionRates(region, kept.percent() if kept else None,
                                fixed.percent() if fixed else None,
                                owners if owners >= metrics.K_ANONYMITY else None))
    return rows
