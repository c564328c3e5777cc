"""The composition root: opens the store, wires use cases, serves GraphQL and health checks."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import fields
from datetime import timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, process_result
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from api.auth import InvalidToken, TokenVerifier
from api.broker import InProcessBroker
from api.dashboard import dashboard_routes
from api.limits import RequestLimits
from api.notifying import AppUseTracker, DiscardEvents, NotifyingEventSink, realtime_feed
from api.observability import Observability, metrics
from api.push_gateway import webhook_gateway
from api.settings import Settings
from api.worker import Job, Worker, every, outbox_drainer
from domain.battery import ChargingEfficiency
from domain.notifications.outbox import OutboxPolicy
from domain.ports import NotificationFeed, PushGateway
from resolvers.context import Context
from resolvers.errors import (
    REFUSED,
    TIMED_OUT,
    UNAVAILABLE,
    client_error,
    register_database_errors,
)
from resolvers.schema import schema
from services.demo import seed_demo_if_empty, seed_station_network
from services.demo_journey import JourneyVolume, seed_journey
from services.demo_notifications import seed_demo_notifications
from services.deps import Deps, utc_now
from services.inbox import remind_lapsed_owners
from services.journey import refresh_stages
from services.notifications import release_due_notifications
from store.client import (
    DATABASE_ERRORS,
    TIMEOUT_ERRORS,
    UNAVAILABLE_ERRORS,
    Database,
    open_database,
    ping,
)
from store.feedback import backfill_counts
from store.indexes import ensure_indexes
from store.repositories import build_repositories

log = logging.getLogger("evjourney")
INDEX_RETRY_SECONDS = 2.0
START_WAIT_SECONDS = 10.0  # a database that is merely slow to answer still starts ready
register_database_errors(UNAVAILABLE_ERRORS, UNAVAILABLE)
register_database_errors(TIMEOUT_ERRORS, TIMED_OUT)
register_database_errors(DATABASE_ERRORS, REFUSED)


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self, verifier: TokenVerifier, graphiql: bool, introspection: bool) -> None:
        super().__init__(schema, graphql_ide="graphiql" if graphiql else None,
                         subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL])
        self.verifier = verifier
        self.introspection = introspection
        self.app_use = AppUseTracker()

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        deps: Deps = request.app.state.deps
        try:
            principal = await self.verifier.principal(request.headers.get("authorization"))
        except InvalidToken as error:
            return Context(deps=deps, principal=None, auth_error=str(error), request=request,
                           response=response, introspection=self.introspection)
        await self.app_use.seen(deps, principal)
        return Context(deps=deps, principal=principal, request=request, response=response,
                       introspection=self.introspection)

    async def process_result(self, request: Request, result: ExecutionResult
                             ) -> GraphQLHTTPResponse:
        # Errors raised before execution (e.g. the token limit while parsing) skip the
        # schema extensions; give them the same codes and masking here.
        if result.errors:
            result.errors = [client_error(error) for error in result.errors]
        return process_result(result)


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    db: Database = request.app.state.db
    try:
        ready = request.app.state.indexed.is_set() and await asyncio.wait_for(ping(db), 2)
    except TimeoutError:
        ready = False
    return JSONResponse({"status": "ready" if ready else "unavailable"},
                        status_code=200 if ready else 503)


async def seed_embedded(settings: Settings, deps: Deps) -> None:
    """The embedded store starts with demo data, so the app is explorable at once."""
    if settings.embedded and settings.evj_seed_owners > 0:
        quiet = dataclasses.replace(deps, events=DiscardEvents())
        vehicles = await seed_demo_if_empty(quiet, settings.evj_seed_owners, settings.evj_seed)
        if vehicles:
            stations = await seed_station_network(quiet, settings.evj_seed)
            notes = await seed_demo_notifications(deps, settings.evj_seed)
            log.info("seeded %d demo owners with %d vehicles, %d charging stations, "
                     "%d notifications", settings.evj_seed_owners, vehicles, stations, notes)
            if settings.evj_seed_journey_owners > 0:
                await seed_journey(quiet, settings.evj_seed,
                                   JourneyVolume(owners=settings.evj_seed_journey_owners))
                log.info("seeded %d journey owners for analytics",
                         settings.evj_seed_journey_owners)


@asynccontextmanager
async def prepared(db: Database, settings: Settings) -> AsyncIterator[asyncio.Event]:
    """Creates the indexes; with the database down, the server starts unready and keeps trying
    in the background (readyz says when it is done) instead of exiting."""
    indexed = asyncio.Event()

    async def create() -> None:
        while True:
            try:
                await ensure_indexes(db, settings.evj_telemetry_retention_days)
                await backfill_counts(db)  # survey answers stored before they had counts
            except DATABASE_ERRORS as error:
                log.warning("database unavailable at start (%s); retrying", error)
                await asyncio.sleep(INDEX_RETRY_SECONDS)
            else:
                indexed.set()
                return

    task = asyncio.create_task(create())
    await asyncio.wait([task], timeout=START_WAIT_SECONDS)
    try:
        yield indexed
    finally:
        task.cancel()


def build_deps(db: Database, settings: Settings, feed: NotificationFeed | None = None) -> Deps:
    repositories = build_repositories(db, settings.evj_analytics_max_seconds)
    efficiency = ChargingEfficiency(ac=settings.evj_ac_efficiency, dc=settings.evj_dc_efficiency)
    ports = {field.name: getattr(repositories, field.name) for field in fields(repositories)}
    sink = NotifyingEventSink()
    deps = Deps(**ports, feed=feed or InProcessBroker(), events=sink, efficiency=efficiency,
                outbox_policy=OutboxPolicy(
                    max_attempts=settings.evj_push_max_attempts,
                    lease=timedelta(seconds=settings.evj_push_lease_seconds)))
    sink.attach(deps)
    return deps


def worker_jobs(settings: Settings, gateway: PushGateway | None) -> list[Job]:
    """What the background worker runs each round, in this order; a job is
    `async (deps, now) -> object`. Add one with one line."""
    jobs: list[Job] = [release_due_notifications,
                       every("remind-lapsed-owners", timedelta(hours=1),
                             lambda deps, _: remind_lapsed_owners(deps)),
                       every("refresh-stages", timedelta(days=1),
                             lambda deps, _: refresh_stages(deps))]
    if gateway is not None:  # without a webhook, items wait in the outbox until one is set
        jobs.append(outbox_drainer(gateway, settings.evj_push_batch_size))
    return jobs


@asynccontextmanager
async def background_worker(settings: Settings, deps: Deps) -> AsyncIterator[None]:
    if not settings.evj_worker_enabled:
        yield
        return
    async with webhook_gateway(settings) as gateway:
        worker = Worker(deps, worker_jobs(settings, gateway), settings.evj_worker_interval_seconds)
        async with worker.running():
            yield


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    verifier = TokenVerifier(settings)  # fails fast on a missing secret with a real MongoDB
    settings.push_webhook_secret()  # and on a webhook without a signing key

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_database(settings.mongodb_uri, settings.mongodb_db,
                                 settings.evj_data_path, settings.evj_aggregation_limit) as db:
            app.state.db = db
            async with prepared(db, settings) as app.state.indexed, \
                    realtime_feed(db, settings.embedded, utc_now) as feed:
                app.state.deps = build_deps(db, settings, feed)
                await seed_embedded(settings, app.state.deps)
                async with background_worker(settings, app.state.deps):
                    yield

    graphql = GraphQLApp(verifier, settings.evj_graphiql, settings.evj_introspection)
    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        *dashboard_routes(),
    ]
    limits = Middleware(RequestLimits, verifier=verifier,
                        max_body_bytes=settings.evj_max_body_bytes,
                        per_minute=settings.evj_rate_limit_per_minute)
    return Starlette(routes=routes, lifespan=lifespan,
                     middleware=[Middleware(Observability), limits])
