"""Stage derivation at its boundaries, touchpoint rules, metric definitions, k-anonymity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import InvalidInput
from domain.feedback import Context, FeedbackAnswer, FeedbackTouchpoint, answer
from domain.journey import (
    Channel,
    OwnershipStage,
    TouchpointKind,
    TouchpointReport,
    app_touchpoint,
    ownership_stage,
)
from domain.metrics import (
    Filter,
    Interval,
    Scores,
    Share,
    analytics_filter,
    csat_percent,
    nps,
    periods,
    suppress_small,
)
from domain.vehicles import Vehicle

NOW = datetime(2026, 6, 10, 12, tzinfo=UTC)
S = OwnershipStage


def car(days: float, km: float = 10_000) -> Vehicle:
    return Vehicle(id="v", vin="WVWZZZ1JZXW000001", owner_id="o", model_id="volta-one",
                   delivered_at=NOW - timedelta(days=days), odometer_km=km, created_at=NOW,
                   updated_at=NOW)


def recently(days: float = 1) -> datetime:
    return NOW - timedelta(days=days)


@pytest.mark.parametrize(("days", "stage"), [
    (0, S.ONBOARDING), (89.9, S.ONBOARDING), (90, S.EARLY_OWNERSHIP),
    (364.9, S.EARLY_OWNERSHIP), (365, S.ESTABLISHED), (4 * 365 - 0.1, S.ESTABLISHED),
    (4 * 365, S.RENEWAL),
])
def test_stage_follows_time_since_delivery(days: float, stage: OwnershipStage) -> None:
    assert ownership_stage(car(days), NOW, recently(), None) is stage


def test_high_mileage_means_renewal() -> None:
    assert ownership_stage(car(400, km=149_999), NOW, recently(), None) is S.ESTABLISHED
    assert ownership_stage(car(400, km=150_000), NOW, recently(), None) is S.RENEWAL


def test_lapsed_needs_180_quiet_days_of_both_app_and_service() -> None:
    old = car(1000)
    assert ownership_stage(old, NOW, recently(180), recently(200)) is S.LAPSED
    assert ownership_stage(old, NOW, recently(179.9), recently(400)) is S.ESTABLISHED
    assert ownership_stage(old, NOW, recently(400), recently(30)) is S.ESTABLISHED
    assert ownership_stage(old, NOW, None, None) is S.LAPSED
    assert ownership_stage(car(5 * 365), NOW, None, None) is S.LAPSED  # outranks renewal


def test_a_new_car_is_never_lapsed() -> None:
    assert ownership_stage(car(60), NOW, None, None) is S.ONBOARDING
    assert ownership_stage(car(200), NOW, None, None) is S.LAPSED  # delivered 200 d, silent


def report(kind: TouchpointKind = TouchpointKind.APP_OPEN, at: datetime = NOW) -> TouchpointReport:
    return TouchpointReport(event_id="e1", kind=kind, channel=Channel.APP, at=at)


def test_app_touchpoints_are_keyed_by_owner_and_event_id() -> None:
    touchpoint = app_touchpoint(report(), "o1", NOW)
    assert touchpoint.event_key == "o1:app:e1"


def test_the_app_cannot_report_what_the_service_records() -> None:
    with pytest.raises(InvalidInput):
        app_touchpoint(report(TouchpointKind.SERVICE_VISIT), "o1", NOW)
    with pytest.raises(InvalidInput):
        app_touchpoint(report(at=NOW - timedelta(days=31)), "o1", NOW)


def test_feedback_needs_a_score_in_range() -> None:
    context = Context("o1", "DE", "volta-one", S.ONBOARDING)
    given = answer(FeedbackAnswer(FeedbackTouchpoint.APP, nps_score=9), context, NOW)
    assert (given.region, given.stage) == ("DE", S.ONBOARDING)
    for bad in (FeedbackAnswer(FeedbackTouchpoint.APP),
                FeedbackAnswer(FeedbackTouchpoint.APP, nps_score=11),
                FeedbackAnswer(FeedbackTouchpoint.APP, csat_score=0)):
        with pytest.raises(InvalidInput):
            answer(bad, context, NOW)


def scores(nps_answers: list[int], csat_answers: list[int], owners: int) -> Scores:
    return Scores(owners=owners, nps_responses=len(nps_answers),
                  promoters=sum(1 for s in nps_answers if s >= 9),
                  detractors=sum(1 for s in nps_answers if s <= 6),
                  csat_responses=len(csat_answers),
                  satisfied=sum(1 for s in csat_answers if s >= 4))


def test_nps_of_a_known_set() -> None:
    # 4 promoters, 3 passives, 3 detractors of 10: 40% - 30% = 10.
    assert nps(scores([10, 9, 9, 10, 8, 7, 8, 6, 0, 5], [], owners=10)) == 10.0
    assert nps(scores([10] * 5, [], owners=5)) == 100.0
    assert nps(scores([0] * 5, [], owners=5)) == -100.0


def test_csat_is_the_share_of_4_and_5() -> None:
    assert csat_percent(scores([], [5, 4, 3, 2, 1, 4, 5, 5], owners=8)) == 62.5


def test_groups_under_five_owners_are_suppressed() -> None:
    assert nps(scores([10, 10, 10, 10, 10, 10], [], owners=4)) is None
    assert csat_percent(scores([], [5] * 9, owners=4)) is None
    assert Share(3, 4, owners=4).percent() is None
    assert Share(3, 4, owners=5).percent() == 75.0
    funnel = {row.stage: row.owners for row in suppress_small({S.ONBOARDING: 4,
                                                               S.ESTABLISHED: 5})}
    assert funnel[S.ONBOARDING] is None
    assert funnel[S.ESTABLISHED] == 5


def test_periods_cover_the_span_in_calendar_units() -> None:
    f = Filter(datetime(2026, 1, 20, tzinfo=UTC), datetime(2026, 3, 5, tzinfo=UTC))
    months = periods(f, Interval.MONTH)
    assert [p.start.date().isoformat() for p in months] == ["2026-01-20", "2026-02-01",
                                                            "2026-03-01"]
    weeks = periods(f, Interval.WEEK)
    assert weeks[1].start == datetime(2026, 1, 26, tzinfo=UTC)  # a Monday
    assert weeks[-1].end == f.end


def test_filter_defaults_and_bounds() -> None:
    f = analytics_filter(None, None, NOW)
    assert (f.end, f.end - f.start) == (NOW, timedelta(days=90))
    with pytest.raises(InvalidInput):
        analytics_filter(NOW, NOW - timedelta(days=1), NOW)
    with pytest.raises(InvalidInput):
        analytics_filter(datetime(2026, 1, 1), None, NOW)  # no offset
