"""Engagement analytics for OEM_ANALYST and ADMIN: aggregates only; groups under 5 owners are
suppressed (null)."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry.types import Info

from domain import metrics
from domain.journey import OwnershipStage
from resolvers import journey as _registers_enums  # noqa: F401  OwnershipStage, first
from resolvers.context import Context
from services import analytics

strawberry.enum(metrics.Interval, name="TimeInterval", description="Calendar weeks or months, UTC.")

NPS = ("Net Promoter Score: % of answers 9-10 minus % of answers 0-6 on the 0-10 scale "
       "(-100..100).")
CSAT = "Customer satisfaction: % of answers 4 or 5 on the 1-5 scale."


@strawberry.input(description="Which owners and period. Default: the last 90 days, everyone.")
class EngagementFilter:
    from_: datetime | None = strawberry.field(default=None, name="from")
    to: datetime | None = None
    models: list[str] | None = None
    regions: list[str] | None = None
    stages: list[OwnershipStage] | None = None


@strawberry.type(description="Owners in one stage (now).")
class StageFunnelRow:
    stage: OwnershipStage
    owners: int | None = strawberry.field(description="Null: fewer than 5 (suppressed).")


@strawberry.type(description="Owners who moved from one stage to another in the period.")
class StageTransitionRow:
    from_: OwnershipStage | None = strawberry.field(name="from",
                                                    description="Null: first stage known.")
    to: OwnershipStage
    count: int


@strawberry.type(description="Survey results about one touchpoint.")
class TouchpointScore:
    touchpoint: str
    nps: float | None = strawberry.field(description=NPS)
    csat: float | None = strawberry.field(description=CSAT)
    responses: int | None = strawberry.field(description="Answers (null when suppressed).")


@strawberry.type(description="Service figures of one region (owners' region for retention, "
                             "the center's for first-time fix).")
class RegionRow:
    region: str
    service_retention_rate: float | None
    first_time_fix_rate: float | None
    owners: int | None


@strawberry.type(description="One week or month.")
class MetricPoint:
    period_start: datetime
    nps_score: float | None = strawberry.field(description=NPS)
    csat_percent: float | None = strawberry.field(description=CSAT)
    responses: int | None
    digital_engagement_rate: float | None = strawberry.field(
        description="% of owners in scope who used the app in the period.")
    notification_open_rate: float | None
    notification_action_rate: float | None

    @classmethod
    def from_domain(cls, p: analytics.Point) -> Self:
        return cls(period_start=p.period_start, nps_score=metrics.nps(p.scores),
                   csat_percent=metrics.csat_percent(p.scores),
                   responses=metrics.responses(p.scores),
                   digital_engagement_rate=p.digital_engagement,
                   notification_open_rate=p.notification_open,
                   notification_action_rate=p.notification_action)


@strawberry.type(description="Engagement across the ownership journey. Every rate is a % of a "
                             "group of at least 5 owners, else null.")
class EngagementMetrics:
    owners: int | None = strawberry.field(description="Owners in scope.")
    nps_score: float | None = strawberry.field(description=NPS + " Answers in the period.")
    csat_percent: float | None = strawberry.field(description=CSAT + " Answers in the period.")
    responses: int | None = strawberry.field(description="Survey answers in the period.")
    digital_engagement_rate: float | None = strawberry.field(
        description="% of owners in scope active in the app in the 30 days up to `to`.")
    notification_open_rate: float | None = strawberry.field(
        description="% of notifications delivered in the period that were opened.")
    notification_action_rate: float | None = strawberry.field(
        description="% of notifications delivered in the period that were acted on.")
    service_retention_rate: float | None = strawberry.field(
        description="% of scheduled services done at an authorized center within 90 days of "
                    "their due date, among those whose 90 days ended in the period.")
    first_time_fix_rate: float | None = strawberry.field(
        description="% of repairs completed in the period (up to 30 days before `to`) not "
                    "reopened by a visit for the same concern within 30 days.")
    stage_funnel: list[StageFunnelRow] = strawberry.field(description="Owners per stage, now.")
    stage_transitions: list[StageTransitionRow] = strawberry.field(
        description="Stage moves in the period (rows under 5 suppressed).")
    by_touchpoint: list[TouchpointScore] = strawberry.field(description="NPS/CSAT per touchpoint.")
    by_region: list[RegionRow] = strawberry.field(description="Service figures per region.")
    filter: strawberry.Private[metrics.Filter]

    @classmethod
    def from_domain(cls, r: analytics.Report, f: metrics.Filter) -> Self:
        return cls(
            owners=r.owners, nps_score=metrics.nps(r.scores),
            csat_percent=metrics.csat_percent(r.scores), responses=metrics.responses(r.scores),
            digital_engagement_rate=r.digital_engagement,
            notification_open_rate=r.notification_open,
            notification_action_rate=r.notification_action,
            service_retention_rate=r.service_retention, first_time_fix_rate=r.first_time_fix,
            stage_funnel=[StageFunnelRow(stage=s.stage, owners=s.owners) for s in r.stage_funnel],
            stage_transitions=[StageTransitionRow(from_=t.before, to=t.after, count=t.count)
                               for t in r.transitions],
            by_touchpoint=[TouchpointScore(touchpoint=name, nps=metrics.nps(s),
                                           csat=metrics.csat_percent(s),
                                           responses=metrics.responses(s))
                           for name, s in sorted(r.by_touchpoint.items())],
            by_region=[RegionRow(region=row.region, service_retention_rate=row.service_retention,
                                 first_time_fix_rate=row.first_time_fix, owners=row.owners)
                       for row in r.by_region],
            filter=f)

    @strawberry.field(description="The same figures per week or month of the period.")
    async def time_series(self, info: Info[Context, None],
                          interval: metrics.Interval = metrics.Interval.MONTH
                          ) -> list[MetricPoint]:
        c = info.context
        points = await analytics.time_series(c.deps, c.actor, self.filter, interval)
        return [MetricPoint.from_domain(p) for p in points]


@strawberry.type
class AnalyticsQuery:
    @strawberry.field(description="Engagement metrics for OEM teams (OEM_ANALYST, ADMIN).")
    async def engagement_metrics(self, info: Info[Context, None],
                                 filter: EngagementFilter | None = None) -> EngagementMetrics:
        c = info.context
        given = filter or EngagementFilter()
        f = metrics.analytics_filter(
            given.from_, given.to, c.deps.clock(), tuple(given.models or ()),
            tuple(given.regions or ()), tuple(given.stages or ()))
        report = await analytics.engagement_metrics(c.deps, c.actor, f)
        return EngagementMetrics.from_domain(report, f)
