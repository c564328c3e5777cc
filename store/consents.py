"""Consent records in `consents`: append-only, one document per answer (ids are time-ordered)."""

from __future__ import annotations

from domain.privacy import Consent
from store.client import Database, Document
from store.documents import from_document, to_document
from store.stats import CountedCollection


class MongoConsentRepository:
    def __init__(self, db: Database) -> None:
        self._consents = CountedCollection(db["consents"])

    async def add(self, consent: Consent) -> None:
        await self._consents.insert_one(to_document(consent))

    async def latest(self, owner_id: str) -> list[Consent]:
        pipeline: list[Document] = [
            {"$match": {"ownerId": owner_id}}, {"$sort": {"_id": -1}},
            {"$group": {"_id": "$purpose", "doc": {"$first": "$$ROOT"}}}]
        rows = await (await self._consents.aggregate(pipeline)).to_list(None)
        return [from_document(Consent, row["doc"]) for row in rows]

    async def history(self, owner_id: str, limit: int) -> list[Consent]:
        docs = await self._consents.find({"ownerId": owner_id}).sort("_id", -1).limit(
            limit).to_list(None)
        return [from_document(Consent, doc) for doc in docs]
