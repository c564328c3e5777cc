"""Keyset pages on `_id` (ids are time-ordered): fetch first + 1 to learn if a next page exists."""

from __future__ import annotations

from typing import Any

from domain.pagination import PageRequest
from store.client import Document


def after_filter(query: Document, request: PageRequest) -> Document:
    if request.after is None:
        return query
    return {**query, "_id": {"$gt": request.after}}


async def find_page(collection: Any, query: Document, request: PageRequest) -> list[Document]:
    cursor = collection.find(after_filter(query, request)).sort("_id", 1).limit(request.first + 1)
    rows: list[Document] = await cursor.to_list(None)
    return rows


def grouped_pages_pipeline(key: str, ids: list[str], request: PageRequest) -> list[Document]:
    """One aggregation that returns the first page of each parent's children, keyed by parent."""
    return [
        {"$match": after_filter({key: {"$in": ids}}, request)},
        {"$sort": {key: 1, "_id": 1}},
        {"$group": {"_id": f"${key}", "docs": {"$push": "$$ROOT"}}},
        {"$project": {"docs": {"$slice": ["$docs", request.first + 1]}}},
    ]
