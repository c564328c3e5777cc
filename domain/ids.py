"""Identifiers: 24 hex characters, millisecond time first, so `_id` order is creation order.

That lets every list page on the `_id` index alone (keyset pagination) without a second key.
Like a MongoDB ObjectId, the tail is a per-process random part and a counter, so ids made in
the same millisecond by one process still sort in the order they were made.
"""

from __future__ import annotations

import itertools
import random
import secrets
from datetime import UTC, datetime, timedelta

_PROCESS = secrets.randbits(16)
_COUNTER = itertools.count(secrets.randbits(24))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def new_id(at: datetime, rng: random.Random | None = None) -> str:
    millis = (at - _EPOCH) // _MILLISECOND  # integer arithmetic: floats lose milliseconds
    if rng is not None:
        return f"{millis:012x}{rng.getrandbits(48):012x}"
    return f"{millis:012x}{_PROCESS:04x}{next(_COUNTER) % 2**32:08x}"


def looks_like_id(value: str) -> bool:
    return len(value) == 24 and all(c in "0123456789abcdef" for c in value)
