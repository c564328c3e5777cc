"""Keyset pagination: a page is `first` items after a cursor that names the last `_id` seen."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from domain.errors import InvalidInput
from domain.ids import looks_like_id

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
_PREFIX = "c1:"


@dataclass(frozen=True, slots=True)
class PageRequest:
    first: int = DEFAULT_PAGE_SIZE
    after: str | None = None


@dataclass(frozen=True, slots=True)
class Page[T]:
    items: list[T]
    has_next: bool


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{key}".encode()).decode()


def decode_cursor(cursor: str) -> str:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    key = text.removeprefix(_PREFIX)
    if not text.startswith(_PREFIX) or not looks_like_id(key):
        raise InvalidInput("after is not a cursor from this API", field="after")
    return key


def page_request(first: int | None, after: str | None) -> PageRequest:
    size = DEFAULT_PAGE_SIZE if first is None else first
    if not 0 <= size <= MAX_PAGE_SIZE:
        raise InvalidInput(f"first must be between 0 and {MAX_PAGE_SIZE}", field="first")
    return PageRequest(size, decode_cursor(after) if after else None)


def page_from_rows[T](rows: list[T], first: int) -> Page[T]:
    """Rows were fetched with limit first + 1: the extra one only says a next page exists."""
    return Page(rows[:first], len(rows) > first)


def position_key(item_id: str) -> str:
    """A cursor key for lists ordered by something other than a time-ordered id (e.g. distance):
    it names the item, and the page continues after it."""
    return hashlib.sha256(item_id.encode()).hexdigest()[:24]


def page_after[T](rows: list[T], keys: list[str], request: PageRequest) -> Page[T]:
    """A page of an in-memory ordered list, after the row whose key the cursor names."""
    begin = keys.index(request.after) + 1 if request.after in keys else 0
    return page_from_rows(rows[begin:begin + request.first + 1], request.first)
