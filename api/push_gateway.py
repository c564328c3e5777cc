"""The push gateway as a signed webhook: one JSON POST per outbox item.

Headers: `Idempotency-Key` (the item id, the same on every retry), `X-Evjourney-Timestamp`
(Unix seconds) and `X-Evjourney-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Any

import httpx

from api.settings import Settings
from domain.notifications.model import OutboxItem, PushDevice
from domain.notifications.outbox import DeliveryFailed, retryable_status

SIGNATURE_HEADER = "X-Evjourney-Signature"
TIMESTAMP_HEADER = "X-Evjourney-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_RETRY_AFTER = timedelta(hours=1)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value; the receiver recomputes it over the raw body it got."""
    message = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def request_body(item: OutboxItem, devices: Sequence[PushDevice]) -> bytes:
    document = {
        "id": item.id, "channel": item.channel.value, "attempt": item.attempts,
        "notification": item.payload,
        "devices": [{"token": d.token, "platform": d.platform.value} for d in devices],
    }
    return json.dumps(document, separators=(",", ":"), default=_json_value).encode()


class WebhookGateway:
    def __init__(self, client: httpx.AsyncClient, url: str, secret: str,
                 clock: Callable[[], float] = time.time) -> None:
        self._client, self._url, self._secret, self._clock = client, url, secret, clock

    async def send(self, item: OutboxItem, devices: Sequence[PushDevice]) -> None:
        body = request_body(item, devices)
        try:
            response = await self._client.post(self._url, content=body,
                                               headers=self._headers(item, body))
        except httpx.TimeoutException as error:
            raise DeliveryFailed(f"timed out ({type(error).__name__})", retryable=True) from error
        except httpx.TransportError as error:
            raise DeliveryFailed(f"could not reach the gateway: {error!r}",
                                 retryable=True) from error
        if response.is_success:
            return
        status = response.status_code
        raise DeliveryFailed(f"HTTP {status}: {response.text[:200]}",
                             retryable=retryable_status(status),
                             retry_after=_retry_after(response))

    def _headers(self, item: OutboxItem, body: bytes) -> dict[str, str]:
        # Wall-clock time, not the worker's `now`: the receiver checks it against its own clock.
        timestamp = str(int(self._clock()))
        return {"Content-Type": "application/json", IDEMPOTENCY_HEADER: item.id,
                TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(self._secret, timestamp, body)}


@asynccontextmanager
async def webhook_gateway(settings: Settings) -> AsyncIterator[WebhookGateway | None]:
    """The configured gateway with its HTTP client, or None when no webhook is configured."""
    secret = settings.push_webhook_secret()
    if secret is None or settings.evj_push_webhook_url is None:
        yield None
        return
    timeout = httpx.Timeout(settings.evj_push_timeout_seconds)
    # Redirects are not followed: a signed request must reach the configured receiver only.
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        yield WebhookGateway(client, settings.evj_push_webhook_url, secret)


def _retry_after(response: httpx.Response) -> timedelta | None:
    value = response.headers.get("Retry-After", "")
    if not value.isdigit():  # the HTTP-date form is rare from gateways; backoff covers it
        return None
    return min(timedelta(seconds=int(value)), MAX_RETRY_AFTER)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
