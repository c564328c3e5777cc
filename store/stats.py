"""Counts database round-trips per request, so tests and logs can pin how many a query makes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass
class RoundTrips:
    count: int = 0
    outer: RoundTrips | None = None  # a counter around this one counts these too


_current: ContextVar[RoundTrips | None] = ContextVar("round_trips", default=None)

# Collection methods that each send one command to the server.
_OPERATIONS = frozenset({
    "find", "find_one", "aggregate", "insert_one", "insert_many", "update_one", "update_many",
    "find_one_and_update", "delete_one", "delete_many", "count_documents", "bulk_write",
    "replace_one", "distinct",
})


@contextmanager
def counting_round_trips() -> Iterator[RoundTrips]:
    counter = RoundTrips(outer=_current.get())
    token = _current.set(counter)
    try:
        yield counter
    finally:
        _current.reset(token)


class CountedCollection:
    """Wraps a collection; every operation it forwards adds one to the current counter."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if name not in _OPERATIONS:
            return attribute
        return _counted(attribute)


def _counted(method: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        counter = _current.get()
        while counter is not None:
            counter.count += 1
            counter = counter.outer
        return method(*args, **kwargs)

    return call
