"""Engagement metrics: their definitions, from counts the store aggregates, with k-anonymity.

Every figure is a share of a group of owners; a group of fewer than K_ANONYMITY owners is
suppressed (None), so no figure describes a person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from domain import validation
from domain.errors import InvalidInput
from domain.journey import OwnershipStage

K_ANONYMITY = 5
ENGAGEMENT_WINDOW = timedelta(days=30)
FIRST_TIME_FIX_WINDOW = timedelta(days=30)
SERVICE_GRACE = timedelta(days=90)  # a service done this long after its due date still counts
MAX_SPAN = timedelta(days=3 * 366)


class Interval(StrEnum):
    WEEK = "WEEK"
    MONTH = "MONTH"


@dataclass(frozen=True, slots=True)
class Filter:
    start: datetime
    end: datetime
    models: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    stages: tuple[OwnershipStage, ...] = ()


def analytics_filter(start: datetime | None, end: datetime | None, now: datetime,
                     models: tuple[str, ...] = (), regions: tuple[str, ...] = (),
                     stages: tuple[OwnershipStage, ...] = ()) -> Filter:
    """Default: the last 90 days. Spans are bounded so a query's cost is too."""
    end = validation.utc(end, "to") if end else now
    if start is not None and start.utcoffset() is None:
        raise InvalidInput("from and to need a time zone offset", field="from")
    start = validation.utc(start, "from") if start else end - timedelta(days=90)
    if not start < end:
        raise InvalidInput("from must be before to", field="from")
    if end - start > MAX_SPAN:
        raise InvalidInput("a period of at most three years", field="from")
    for name, values in (("models", models), ("regions", regions), ("stages", stages)):
        if len(values) > 50:
            raise InvalidInput(f"at most 50 {name}", field=name)
    return Filter(start.astimezone(UTC), end.astimezone(UTC), models, regions, stages)


@dataclass(slots=True)
class Scores:
    """Survey counts of one group, as the store's pipeline sums them."""

    owners: int = 0  # distinct owners who answered
    nps_responses: int = 0
    promoters: int = 0  # 9-10
    detractors: int = 0  # 0-6
    csat_responses: int = 0
    satisfied: int = 0  # 4-5

    @property
    def responses(self) -> int:
        return max(self.nps_responses, self.csat_responses)


PROMOTER, DETRACTOR, SATISFIED = 9, 6, 4  # NPS 9-10 and 0-6; CSAT 4-5


def answer_counts(nps_score: int | None, csat_score: int | None) -> dict[str, int]:
    """What one survey answer adds to each `Scores` count (0 or 1): stored with the answer, so
    the store's pipelines only sum fields."""
    return {"npsResponses": int(nps_score is not None),
            "promoters": int(nps_score is not None and nps_score >= PROMOTER),
            "detractors": int(nps_score is not None and nps_score <= DETRACTOR),
            "csatResponses": int(csat_score is not None),
            "satisfied": int(csat_score is not None and csat_score >= SATISFIED)}


def nps(scores: Scores) -> float | None:
    """Net Promoter Score: % promoters (9-10) minus % detractors (0-6), -100..100."""
    if scores.owners < K_ANONYMITY or scores.nps_responses == 0:
        return None
    return round(100 * (scores.promoters - scores.detractors) / scores.nps_responses, 1)


def csat_percent(scores: Scores) -> float | None:
    """CSAT: share of 4 and 5 answers on the 1-5 scale, in %."""
    if scores.owners < K_ANONYMITY or scores.csat_responses == 0:
        return None
    return round(100 * scores.satisfied / scores.csat_responses, 1)


def responses(scores: Scores) -> int | None:
    return scores.responses if scores.owners >= K_ANONYMITY else None


@dataclass(frozen=True, slots=True)
class Share:
    """`part` of `whole` owners (or vehicles, or events of that many owners)."""

    part: int
    whole: int
    owners: int  # how many owners the group holds: the k-anonymity test

    def percent(self) -> float | None:
        if self.owners < K_ANONYMITY or self.whole == 0:
            return None
        return round(100 * self.part / self.whole, 1)


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime
    end: datetime


def periods(f: Filter, interval: Interval) -> list[Period]:
    """Calendar weeks (Monday) or months in UTC covering the filter's span."""
    starts: list[datetime] = []
    cursor = _period_start(f.start, interval)
    while cursor < f.end:
        starts.append(cursor)
        cursor = _next(cursor, interval)
    return [Period(max(s, f.start), min(_next(s, interval), f.end)) for s in starts]


def _period_start(at: datetime, interval: Interval) -> datetime:
    day = at.astimezone(UTC).date()
    first = day - timedelta(days=day.weekday()) if interval is Interval.WEEK else day.replace(
        day=1)
    return datetime(first.year, first.month, first.day, tzinfo=UTC)


def _next(start: datetime, interval: Interval) -> datetime:
    if interval is Interval.WEEK:
        return start + timedelta(days=7)
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return start.replace(year=year, month=month)


def day_key(at: datetime | date) -> str:
    return (at.astimezone(UTC).date() if isinstance(at, datetime) else at).isoformat()


@dataclass(frozen=True, slots=True)
class StageCount:
    stage: OwnershipStage
    owners: int | None  # None: suppressed


@dataclass(frozen=True, slots=True)
class Transition:
    before: OwnershipStage | None
    after: OwnershipStage
    count: int


def suppress_small(counts: dict[OwnershipStage, int]) -> list[StageCount]:
    return [StageCount(stage, n if n >= K_ANONYMITY else None)
            for stage, n in ((s, counts.get(s, 0)) for s in OwnershipStage)]


@dataclass(frozen=True, slots=True)
class TouchpointScores:
    touchpoint: str
    scores: Scores = field(default_factory=Scores)


def period_key(start: datetime, interval: Interval) -> datetime:
    """The key the store's `$dateTrunc` gives the period that holds `start`."""
    return _period_start(start, interval)
