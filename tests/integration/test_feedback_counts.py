"""Survey answers carry their counts; answers stored before counts existed get them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette

from domain.feedback import Feedback, FeedbackTouchpoint
from domain.ids import new_id
from domain.metrics import Filter, answer_counts, csat_percent, nps
from services.deps import Deps
from store.feedback import backfill_counts

NOW = datetime.now(UTC)
NPS = [10, 9, 8, 7, 6, 0, None, 10]
CSAT = [5, None, 4, 3, 1, None, 2, 4]


@given(st.one_of(st.none(), st.integers(0, 10)), st.one_of(st.none(), st.integers(1, 5)))
def test_an_answer_counts_once_in_each_class_it_belongs_to(nps_score: int | None,
                                                          csat_score: int | None) -> None:
    counts = answer_counts(nps_score, csat_score)
    assert counts["npsResponses"] == (nps_score is not None)
    assert counts["promoters"] + counts["detractors"] <= counts["npsResponses"]
    assert counts["promoters"] == (nps_score in (9, 10))
    assert counts["detractors"] == (nps_score is not None and nps_score <= 6)
    assert counts["satisfied"] == (csat_score in (4, 5))


@pytest.fixture
def answers() -> list[Feedback]:
    return [Feedback(id=new_id(NOW), owner_id=f"owner-{i}", vehicle_id=None,
                     touchpoint=FeedbackTouchpoint.APP, nps_score=n, csat_score=c, region="DE",
                     at=NOW - timedelta(days=1)) for i, (n, c) in enumerate(zip(NPS, CSAT,
                                                                                   strict=True))]


async def test_old_answers_get_their_counts_and_score_like_new_ones(
        app: Starlette, deps: Deps, answers: list[Feedback]) -> None:
    await app.state.db["migrations"].delete_many({})  # as before the backfill existed
    await deps.feedback.add_many(answers[:4])
    old = [{k: v for k, v in doc.items() if k != "counts"}
           for doc in await app.state.db["feedback"].find({}).to_list(None)]
    await app.state.db["feedback"].delete_many({})
    await app.state.db["feedback"].insert_many(old)  # as stored before `counts`
    await deps.feedback.add_many(answers[4:])
    assert await backfill_counts(app.state.db) == 4
    assert await backfill_counts(app.state.db) == 0
    overall, _ = await deps.analytics.scores(Filter(NOW - timedelta(days=7), NOW))
    # NPS: promoters 10, 9, 10; detractors 6, 0; of 7 answers. CSAT: 5, 4, 4 of 6.
    assert (overall.nps_responses, overall.promoters, overall.detractors) == (7, 3, 2)
    assert nps(overall) == 14.3
    assert csat_percent(overall) == 50.0
