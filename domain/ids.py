"""Identifiers: 24 hex characters, millisecond time first, so `_id` order is creation order.

That lets every list page on the `_id` index alone (keyset pagination) without a second key.
"""

from __future__ import annotations

import random
import secrets
from datetime import datetime


def new_id(at: datetime, rng: random.Random | None = None) -> str:
    millis = int(at.timestamp() * 1000)
    tail = f"{rng.getrandbits(48):012x}" if rng else secrets.token_hex(6)
    return f"{millis:012x}{tail}"


def looks_like_id(value: str) -> bool:
    return len(value) == 24 and all(c in "0123456789abcdef" for c in value)
