"""A real local HTTP receiver for the push webhook: records every request and answers with a
scripted status, on its own thread, like a push gateway that de-duplicates on Idempotency-Key."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]  # names in lower case
    body: bytes
    status: int

    @property
    def key(self) -> str:
        return self.headers["idempotency-key"]

    def json(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.body)
        return document


class WebhookReceiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._script: list[int] = []
        self._then = 200
        self.delay = 0.0  # seconds before answering: a slow gateway
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/push"

    def respond(self, *statuses: int, then: int = 200) -> None:
        """Answers the next requests with `statuses`, every later one with `then`."""
        with self._lock:
            self._script, self._then = list(statuses), then

    @property
    def delivered_keys(self) -> set[str]:
        """What a de-duplicating gateway forwarded: each accepted key once."""
        return {r.key for r in self.requests if 200 <= r.status < 300}

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _next_status(self, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            status = self._script.pop(0) if self._script else self._then
            self.requests.append(Received(headers, body, status))
        return status

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver._next_status(headers, body)
                reply = b'{"ok":true}' if status < 300 else b'{"error":"scripted"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        return Handler
