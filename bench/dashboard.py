"""The owner dashboard query through GraphQL vs a plain Starlette JSON endpoint doing the same
reads on the same store, side by side in one run (issue 9: within 1.5x).

Usage: .venv/bin/python bench/dashboard.py [--requests N] [--owners N] [--profile]

The dashboard: the owner, their vehicles with battery health, the 5 latest charging sessions,
available updates and the next appointment, and their 5 newest unread notifications.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parent))
from owner_query import SECRET, Stats, profiled, round_trips, timed

from api.app import create_app
from api.auth import TokenVerifier, issue_token
from api.settings import Settings
from domain import battery
from domain.access import Role
from domain.catalogue import find_model
from domain.charging_stats import SessionFilter
from domain.pagination import PageRequest
from services.demo import demo_owner_id
from services.deps import Deps

SEED = 7
WARMUP = 50
BLOCK = 100
QUERY = """query Dashboard { me { id name
  vehicles(first: 5) { edges { node { id nickname odometerKm softwareVersion
    batteryHealth { stateOfHealthPercent status }
    chargingSessions(first: 5) { edges { node { id startedAt energyDeliveredKwh cost currency } } }
    availableUpdates { id version status }
    nextAppointment { id start status } } } }
  notifications(first: 5, unreadOnly: true) { edges { node { id title kind createdAt } } } } }"""


def plain_dashboard(settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    verifier = TokenVerifier(settings)

    async def dashboard(request: Request) -> Response:
        deps: Deps = request.app.state.deps
        principal = await verifier.principal(request.headers.get("authorization"))
        owner_id = principal.owner_id if principal else None
        [owner] = await deps.owners.get_many([owner_id]) if owner_id else [None]
        if owner is None:
            return JSONResponse({"me": None})
        [page] = await deps.vehicles.pages_by_owner([owner.id], PageRequest(5))
        ids = [v.id for v in page.items]
        states, sessions, updates, visits, inbox = await _reads(deps, owner.id, ids)
        vehicles = [{
            "id": v.id, "nickname": v.nickname, "odometerKm": v.odometer_km,
            "softwareVersion": v.software_version,
            "batteryHealth": _health(deps, v, state),
            "chargingSessions": [{"id": s.id, "startedAt": s.started_at.isoformat(),
                                  "energyDeliveredKwh": s.energy_delivered_kwh, "cost": s.cost,
                                  "currency": s.currency} for s in sessions_page.items],
            "availableUpdates": [{"id": u.id, "version": u.version, "status": u.status.value}
                                 for u in open_updates],
            "nextAppointment": {"id": visit.id, "start": visit.start.isoformat(),
                                "status": visit.status.value} if visit else None}
            for v, state, sessions_page, open_updates, visit in zip(
                page.items, states, sessions, updates, visits, strict=True)]
        return JSONResponse({"me": {"id": owner.id, "name": owner.name, "vehicles": vehicles,
                                    "notifications": [
                                        {"id": n.id, "title": n.title, "kind": n.kind.value,
                                         "createdAt": n.created_at.isoformat()}
                                        for n in inbox.items]}})

    return dashboard


async def _reads(deps: Deps, owner_id: str, ids: list[str]) -> Any:
    if not ids:
        return [], [], [], [], await deps.notifications.page(owner_id, PageRequest(5), True)
    return (await deps.battery.get_many(ids),
            await deps.charging.pages(ids, PageRequest(5), SessionFilter()),
            await deps.ota.open_for_vehicles(ids),
            await deps.appointments.next_for_vehicles(ids, deps.clock()),
            await deps.notifications.page(owner_id, PageRequest(5), True))


def _health(deps: Deps, vehicle: Any, state: Any) -> dict[str, Any]:
    model = find_model(vehicle.model_id)
    assert model is not None
    health = battery.assess(state or battery.BatteryState(), model.battery_capacity_kwh,
                            vehicle.delivered_at, deps.health_policy)
    return {"stateOfHealthPercent": health.state_of_health_percent,
            "status": health.status.value}


def same_sessions(graphql: Any, plain: Any) -> bool:
    me = graphql["data"]["me"]
    ours = [len(v["node"]["chargingSessions"]["edges"]) for v in me["vehicles"]["edges"]]
    theirs = [len(v["chargingSessions"]) for v in plain["me"]["vehicles"]]
    return ours == theirs and len(me["notifications"]["edges"]) == len(
        plain["me"]["notifications"])


async def main(requests: int, owners: int, do_profile: bool) -> None:
    settings = Settings(jwt_secret=SECRET, evj_seed_owners=owners, evj_seed=SEED,
                        mongodb_uri=None, evj_rate_limit_per_minute=0, evj_worker_enabled=False,
                        evj_seed_journey_owners=0)
    app = create_app(settings)
    app.router.routes.append(Route("/plain/dashboard", plain_dashboard(settings)))
    token = issue_token(settings, Role.OWNER, demo_owner_id(SEED), ttl_minutes=120)
    headers = {"authorization": f"Bearer {token}"}
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://bench") as client):
        def gql() -> Awaitable[httpx.Response]:
            return client.post("/graphql", json={"query": QUERY}, headers=headers)

        def plain() -> Awaitable[httpx.Response]:
            return client.get("/plain/dashboard", headers=headers)

        first, other = (await gql()).json(), (await plain()).json()
        if "errors" in first or not same_sessions(first, other):
            raise SystemExit(f"responses differ: {first} vs {other}")
        for send in (gql, plain):
            await timed(send, WARMUP, [])
        trips = {"graphql": await round_trips(gql), "plain": await round_trips(plain)}
        samples: dict[str, list[float]] = {"graphql": [], "plain": []}
        for block in range(0, requests, BLOCK):
            order = [("graphql", gql), ("plain", plain)]
            for name, send in order if block // BLOCK % 2 == 0 else order[::-1]:
                await timed(send, min(BLOCK, requests - block), samples[name])
        report(samples, trips, requests)
        if do_profile:
            print(await profiled(gql, 300))


def report(samples: dict[str, list[float]], trips: dict[str, int], requests: int) -> None:
    stats = {name: Stats.of(values) for name, values in samples.items()}
    print(f"owner dashboard, {requests} requests each, sequential, alternating blocks")
    print(f"{'endpoint':<10}{'median ms':>11}{'p95 ms':>10}{'req/s':>10}{'db trips':>10}")
    for name, stat in stats.items():
        print(f"{name:<10}{stat.median_ms:>11.3f}{stat.p95_ms:>10.3f}{stat.rps:>10.0f}"
              f"{trips[name]:>10}")
    ratio = stats["graphql"].median_ms / stats["plain"].median_ms
    print(f"ratio {ratio:.2f}x (GraphQL median / plain median; target <= 1.5x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--owners", type=int, default=50)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.owners, args.profile))
