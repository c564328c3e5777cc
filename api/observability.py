"""Structured logs with a request id, and Prometheus metrics at GET /metrics.

Every HTTP request gets an id (the caller's `X-Request-ID`, else a new one) that every log line
of the request carries and the response echoes. A GraphQL request is logged once, as JSON, with
its operation name, status, duration and database round trips, and counted in the metrics.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.deps import Deps
from store.stats import counting_round_trips

log = logging.getLogger("evjourney.http")
request_id: ContextVar[str] = ContextVar("request_id", default="-")

REQUESTS = Counter("evj_graphql_requests_total", "GraphQL requests by operation and status",
                   ["operation", "status"])
LATENCY = Histogram("evj_graphql_request_seconds", "GraphQL request duration by operation",
                    ["operation"], buckets=(.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5))
ROUND_TRIPS = Counter("evj_db_round_trips_total", "Database round trips by operation",
                      ["operation"])
OUTBOX = Gauge("evj_outbox_items", "Push outbox items by status", ["status"])

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
MAX_OPERATIONS = 200  # clients name operations: bounded, so a client cannot flood the metrics
_known: set[str] = set()


def _stamp_request_ids() -> None:
    """Every log record remembers the request it was made in, wherever it is formatted."""
    make = logging.getLogRecordFactory()

    def stamped(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        record.request_id = request_id.get()
        return record

    logging.setLogRecordFactory(stamped)


_stamp_request_ids()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
            "logger": record.name, "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-")}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str, json_lines: bool) -> None:
    handler = logging.StreamHandler()
    if json_lines:
        handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)


def operation_label(body: bytes) -> str:
    try:
        name = json.loads(body).get("operationName") if body else None
    except (ValueError, AttributeError):
        name = None
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        return "anonymous"
    if name not in _known and len(_known) >= MAX_OPERATIONS:
        return "other"
    _known.add(name)
    return name


class Observability:
    """Outermost middleware: request id, then (for /graphql) timing, round trips, log, metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        rid = headers.get(b"x-request-id", b"").decode("latin-1")[:64] or uuid.uuid4().hex
        token = request_id.set(rid)
        body, status = bytearray(), [500]

        async def receiving() -> Message:
            message = await receive()
            if len(body) < 65_536:
                body.extend(message.get("body", b""))
            return message

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", rid.encode())]
            await send(message)

        started = time.perf_counter()
        try:
            with counting_round_trips() as trips:
                await self.app(scope, receiving, sending)
        finally:
            if scope["path"] == "/graphql":
                _record(operation_label(bytes(body)), status[0],
                        time.perf_counter() - started, trips.count)
            request_id.reset(token)


def _record(operation: str, status: int, seconds: float, trips: int) -> None:
    REQUESTS.labels(operation, str(status)).inc()
    LATENCY.labels(operation).observe(seconds)
    ROUND_TRIPS.labels(operation).inc(trips)
    log.info("graphql %s %d in %.1f ms", operation, status, seconds * 1000, extra={"fields": {
        "operation": operation, "status": status, "duration_ms": round(seconds * 1000, 2),
        "db_round_trips": trips}})


async def metrics(request: Request) -> Response:
    """Prometheus text format; the outbox depth is read from the database at each scrape."""
    deps: Deps = request.app.state.deps
    try:
        for status, count in (await deps.outbox.counts()).items():
            OUTBOX.labels(status.value).set(count)
    except Exception:  # a scrape must answer even when the database does not
        log.warning("outbox depth unavailable for /metrics")
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
