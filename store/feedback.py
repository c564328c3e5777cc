"""Survey answers in `feedback`: raw, indexed by time (surveys are few next to touchpoints)."""

from __future__ import annotations

from collections.abc import Sequence

from domain.feedback import Feedback
from store.client import Database
from store.documents import to_document
from store.stats import CountedCollection


class MongoFeedbackRepository:
    def __init__(self, db: Database) -> None:
        self._feedback = CountedCollection(db["feedback"])

    async def add(self, feedback: Feedback) -> None:
        await self._feedback.insert_one(to_document(feedback))

    async def add_many(self, feedback: Sequence[Feedback]) -> None:
        if feedback:
            await self._feedback.insert_many([to_document(f) for f in feedback], ordered=False)
