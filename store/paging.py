"""Keyset pages on `_id` (ids are time-ordered): fetch first + 1 to learn if a next page exists."""

from __future__ import annotations

from typing import Any

from domain.pagination import PageRequest
from store.client import Document


def after_filter(query: Document, request: PageRequest, descending: bool = False) -> Document:
    if request.after is None:
        return query
    return {**query, "_id": {"$lt" if descending else "$gt": request.after}}


async def find_page(collection: Any, query: Document, request: PageRequest,
                    descending: bool = False) -> list[Document]:
    cursor = (collection.find(after_filter(query, request, descending))
              .sort("_id", -1 if descending else 1).limit(request.first + 1))
    rows: list[Document] = await cursor.to_list(None)
    return rows


def grouped_pages_pipeline(key: str, query: Document, request: PageRequest,
                           descending: bool = False) -> list[Document]:
    """One aggregation that returns a page of children per parent, grouped by the parent key."""
    direction = -1 if descending else 1
    return [
        {"$match": after_filter(query, request, descending)},
        {"$sort": {key: 1, "_id": direction}},
        {"$group": {"_id": f"${key}", "docs": {"$push": "$$ROOT"}}},
        {"$project": {"docs": {"$slice": ["$docs", request.first + 1]}}},
    ]
