"""Survey answers in `feedback`: raw, indexed by time (surveys are few next to touchpoints).

Each answer carries its `counts` (`domain.metrics.answer_counts`: is it a promoter, a detractor,
satisfied...), so the analytics sum fields instead of evaluating conditions per answer (3x
faster on the embedded engine). Answers stored before `counts` existed get them at start-up.
"""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import UpdateOne

from domain.feedback import Feedback
from domain.metrics import answer_counts
from store.client import Database, Document
from store.documents import to_document
from store.stats import CountedCollection

BACKFILL_BATCH = 1000
BACKFILL_DONE = "feedback-counts"  # its `migrations` record


class MongoFeedbackRepository:
    def __init__(self, db: Database) -> None:
        self._feedback = CountedCollection(db["feedback"])

    async def add(self, feedback: Feedback) -> None:
        await self._feedback.insert_one(feedback_document(feedback))

    async def add_many(self, feedback: Sequence[Feedback]) -> None:
        if feedback:
            await self._feedback.insert_many([feedback_document(f) for f in feedback],
                                             ordered=False)


def feedback_document(feedback: Feedback) -> Document:
    return {**to_document(feedback),
            "counts": answer_counts(feedback.nps_score, feedback.csat_score)}


async def backfill_counts(db: Database) -> int:
    """Adds `counts` to answers stored without them; returns how many it changed. Answers are
    only ever written with counts, so once done it is marked done: later starts do not scan."""
    if await db["migrations"].find_one({"_id": BACKFILL_DONE}) is not None:
        return 0
    feedback, changed = db["feedback"], 0
    while batch := await feedback.find(
            {"counts": {"$exists": False}}, {"npsScore": 1, "csatScore": 1}
    ).limit(BACKFILL_BATCH).to_list(None):
        await feedback.bulk_write([UpdateOne({"_id": doc["_id"]}, {"$set": {
            "counts": answer_counts(doc.get("npsScore"), doc.get("csatScore"))}})
            for doc in batch], ordered=False)
        changed += len(batch)
    await db["migrations"].update_one({"_id": BACKFILL_DONE}, {"$set": {"done": True}},
                                      upsert=True)
    return changed
