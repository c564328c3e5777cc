"""Push devices: the tokens an owner's phones and browsers registered for push notifications."""

from __future__ import annotations

from datetime import datetime

from domain.errors import InvalidInput
from domain.notifications.model import PushDevice, PushPlatform

MIN_TOKEN_LENGTH = 8
MAX_TOKEN_LENGTH = 4096  # web-push subscriptions are long; APNs and FCM tokens far shorter
# Every push is posted with all of the owner's tokens; old phones beyond these are forgotten.
MAX_DEVICES_PER_OWNER = 10


def push_device(owner_id: str, token: str, platform: PushPlatform | str,
                now: datetime) -> PushDevice:
    """A device as registered now; the token is opaque, only its size and characters are checked."""
    token = token.strip()
    if not MIN_TOKEN_LENGTH <= len(token) <= MAX_TOKEN_LENGTH:
        raise InvalidInput(f"token must be {MIN_TOKEN_LENGTH} to {MAX_TOKEN_LENGTH} characters",
                           field="token")
    if not token.isprintable():
        raise InvalidInput("token must not contain control characters", field="token")
    try:
        kind = PushPlatform(platform)
    except ValueError:
        choices = ", ".join(p.value for p in PushPlatform)
        raise InvalidInput(f"platform must be one of {choices}", field="platform") from None
    return PushDevice(token=token, owner_id=owner_id, platform=kind, registered_at=now)
