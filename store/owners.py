"""Owners in the `owners` collection."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from pymongo import ReturnDocument

from domain.errors import DuplicateEmail
from domain.notifications.model import NotificationPreferences
from domain.owners import Owner
from domain.pagination import Page, PageRequest, page_from_rows
from domain.tariffs import HomeTariff
from store.client import DUPLICATE_KEY_ERRORS, Database, Document
from store.documents import find_by_ids, from_document, to_document, to_fields
from store.paging import find_page
from store.stats import CountedCollection


class MongoOwnerRepository:
    def __init__(self, db: Database) -> None:
        self._owners = CountedCollection(db["owners"])

    async def get_many(self, ids: Sequence[str]) -> list[Owner | None]:
        return await find_by_ids(self._owners, Owner, ids)

    async def add(self, owner: Owner) -> None:
        try:
            await self._owners.insert_one(to_document(owner))
        except DUPLICATE_KEY_ERRORS:
            raise DuplicateEmail("an owner with this email exists", field="email") from None

    async def add_many(self, owners: Sequence[Owner]) -> None:
        if owners:
            await self._owners.insert_many([to_document(owner) for owner in owners])

    async def set_home_tariff(self, owner_id: str, tariff: HomeTariff | None,
                              at: datetime) -> Owner | None:
        value = to_fields({"home_tariff": tariff.model_dump() if tariff else None})
        doc = await self._owners.find_one_and_update(
            {"_id": owner_id}, {"$set": {**value, "updatedAt": at}},
            return_document=ReturnDocument.AFTER)
        return from_document(Owner, doc) if doc else None

    async def page(self, request: PageRequest, search: str | None) -> Page[Owner]:
        rows = await find_page(self._owners, _search_filter(search), request)
        return page_from_rows([from_document(Owner, doc) for doc in rows], request.first)


def _search_filter(search: str | None) -> Document:
    if not search:
        return {}
    # Escaped so a search is always a literal substring, never a user-supplied pattern.
    pattern = {"$regex": re.escape(search), "$options": "i"}
    return {"$or": [{"name": pattern}, {"email": pattern}]}


class OwnerNotificationSettings:
    """The owner fields notifications need: preferences, and the last app use."""

    def __init__(self, db: Database) -> None:
        self._owners = CountedCollection(db["owners"])

    async def set_preferences(self, owner_id: str, preferences: NotificationPreferences,
                              locale: str, timezone: str, at: datetime) -> Owner | None:
        doc = await self._owners.find_one_and_update(
            {"_id": owner_id},
            {"$set": {**to_fields({"notification_preferences": preferences.model_dump()}),
                      "locale": locale, "timezone": timezone, "updatedAt": at}},
            return_document=ReturnDocument.AFTER)
        return from_document(Owner, doc) if doc else None

    async def touch(self, owner_id: str, at: datetime, min_gap: timedelta) -> Owner | None:
        """Records app use, at most once per `min_gap`: the owner when this call recorded it,
        None when a use was recorded less than `min_gap` ago (or there is no such owner)."""
        doc = await self._owners.find_one_and_update(
            {"_id": owner_id, "$or": [{"lastActiveAt": None},
                                      {"lastActiveAt": {"$lt": at - min_gap}}]},
            {"$set": {"lastActiveAt": at}}, return_document=ReturnDocument.AFTER)
        return from_document(Owner, doc) if doc else None

    async def lapsed(self, inactive_since: datetime, nudged_before: datetime,
                     limit: int) -> list[Owner]:
        """Owners away since `inactive_since` and not nudged since `nudged_before`."""
        docs = await self._owners.find(
            {"lastActiveAt": {"$type": "date", "$lt": inactive_since},  # never null
             "$or": [{"nudgedAt": None}, {"nudgedAt": {"$lt": nudged_before}}]},
            {"nudgedAt": 0}).sort("lastActiveAt", 1).limit(limit).to_list(None)
        return [from_document(Owner, doc) for doc in docs]

    async def mark_nudged(self, owner_ids: Sequence[str], at: datetime) -> None:
        if owner_ids:
            await self._owners.update_many({"_id": {"$in": list(owner_ids)}},
                                           {"$set": {"nudgedAt": at}})
