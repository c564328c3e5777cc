"""Limits in front of GraphQL: request body size, and requests per caller and minute.

Refused requests never reach GraphQL execution: a 413, or a 429 with `Retry-After` and a
GraphQL-shaped error with code RATE_LIMITED. Counters live in MongoDB, so every instance
counts the same caller together.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import InvalidToken, TokenVerifier
from domain.rate_limits import RateLimited, check, window_at
from services.deps import Deps
from store.client import DATABASE_ERRORS

log = logging.getLogger("evjourney.limits")


class RequestLimits:
    def __init__(self, app: ASGIApp, verifier: TokenVerifier, max_body_bytes: int,
                 per_minute: int) -> None:
        self.app, self.verifier = app, verifier
        self.max_body_bytes, self.per_minute = max_body_bytes, per_minute

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/graphql":
            await self.app(scope, receive, send)
            return
        body = await _read_body(scope, receive, self.max_body_bytes)
        if body is None:
            await _error(send, 413, "PAYLOAD_TOO_LARGE",
                         f"request body over {self.max_body_bytes} bytes")
            return
        try:
            await self._count(scope)
        except RateLimited as limited:
            await _error(send, 429, limited.code, limited.message,
                         {"retry-after": str(limited.retry_after_seconds)})
            return
        await self.app(scope, _replay(body), send)

    async def _count(self, scope: Scope) -> None:
        if self.per_minute <= 0:
            return
        deps: Deps = scope["app"].state.deps
        now = deps.clock()
        window = window_at(now)
        try:
            count = await deps.rate_limits.hit(await self._caller(scope), window.start,
                                               window.end - window.start)
        except DATABASE_ERRORS:
            return  # a lost counter must not turn every request away; GraphQL reports the DB
        check(count, self.per_minute, window, now)

    async def _caller(self, scope: Scope) -> str:
        """The token's subject and role; an anonymous or bad token counts by client address."""
        headers = dict(scope.get("headers") or [])
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        try:
            principal = await self.verifier.principal(authorization or None)
        except InvalidToken:
            principal = None
        if principal is not None:
            return f"{principal.role.value}:{principal.subject}"
        client = scope.get("client") or ("unknown", 0)
        return f"ip:{client[0]}"


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it is over `limit` (declared or streamed)."""
    headers = dict(scope.get("headers") or [])
    declared = headers.get(b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _error(send: Send, status: int, code: str, message: str,
                 extra_headers: dict[str, str] | None = None) -> None:
    payload: dict[str, Any] = {"data": None, "errors": [{"message": message,
                                                         "extensions": {"code": code}}]}
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra_headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
