"""GraphQL `me` owner query vs. a plain JSON endpoint doing the same reads, in-process.

Usage: .venv/bin/python bench/owner_query.py [--requests N] [--owners N] [--profile]

Both endpoints live in the same Starlette app on the embedded (mongoeco, in-memory) store and
are driven through httpx's ASGI transport, so the difference between them is the GraphQL layer
(parsing/validation caches, execution, DataLoaders, serialisation), not the network.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib.metadata
import io
import platform
import pstats
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.app import create_app
from api.auth import InvalidToken, TokenVerifier, issue_token
from api.settings import Settings
from domain.access import Role
from domain.catalogue import find_model
from domain.pagination import PageRequest
from services.demo import demo_owner_id
from services.deps import Deps
from store.stats import counting_round_trips

SECRET = "bench-secret-at-least-32-bytes-long!!"
SEED = 7
PAGE_SIZE = 20
WARMUP = 50
BLOCK = 100  # requests per alternating block
QUERY = ("{ me { id name email vehicles(first: 20) { edges { node { id vin "
         "model { name batteryCapacityKwh } owner { name } } } } } }")

type Send = Callable[[], Awaitable[httpx.Response]]


def plain_me_endpoint(settings: Settings, refetch_owners: bool) -> Callable[
        [Request], Awaitable[Response]]:
    """The reads the GraphQL `me` query makes, as a hand-written JSON endpoint."""
    verifier = TokenVerifier(settings)

    async def plain_me(request: Request) -> Response:
        deps: Deps = request.app.state.deps
        try:
            principal = await verifier.principal(request.headers.get("authorization"))
        except InvalidToken as error:
            return JSONResponse({"error": str(error)}, status_code=401)
        owner_id = principal.owner_id if principal else None
        if owner_id is None:
            return JSONResponse({"me": None})
        [owner] = await deps.owners.get_many([owner_id])
        if owner is None:
            return JSONResponse({"me": None})
        [page] = await deps.vehicles.pages_by_owner([owner_id], PageRequest(first=PAGE_SIZE))
        # GraphQL's per-request owner DataLoader already holds `me`, so by default only
        # owners not yet read are fetched (none, for one's own vehicles): the same reads.
        known = {} if refetch_owners else {owner.id: owner}
        missing = list(dict.fromkeys(v.owner_id for v in page.items if v.owner_id not in known))
        if missing:
            found = await deps.owners.get_many(missing)
            known.update({o.id: o for o in found if o is not None})
        vehicles: list[dict[str, Any]] = []
        for vehicle in page.items:
            model = find_model(vehicle.model_id)
            vehicles.append({
                "id": vehicle.id,
                "vin": vehicle.vin,
                "model": {"name": model.name, "batteryCapacityKwh": model.battery_capacity_kwh}
                if model else None,
                "owner": {"name": known[vehicle.owner_id].name},
            })
        return JSONResponse({"me": {"id": owner.id, "name": owner.name, "email": owner.email,
                                    "vehicles": vehicles}})

    return plain_me


def graphql_vins(body: Any) -> list[str]:
    if body.get("errors"):
        raise SystemExit(f"GraphQL errors: {body['errors']}")
    me = body["data"]["me"]
    if me is None:
        raise SystemExit("GraphQL `me` is null: the token's owner is not in the store")
    return [edge["node"]["vin"] for edge in me["vehicles"]["edges"]]


def plain_vins(body: Any) -> list[str]:
    me = body.get("me")
    if me is None:
        raise SystemExit(f"plain /plain/me returned no owner: {body}")
    return [vehicle["vin"] for vehicle in me["vehicles"]]


async def timed(send: Send, count: int, into: list[float]) -> None:
    for _ in range(count):
        start = time.perf_counter()
        response = await send()
        into.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise SystemExit(f"HTTP {response.status_code}: {response.text[:200]}")


async def round_trips(send: Send) -> int:
    with counting_round_trips() as trips:
        await send()
    return trips.count


@dataclass(frozen=True, slots=True)
class Stats:
    median_ms: float
    p95_ms: float
    rps: float

    @classmethod
    def of(cls, samples: list[float]) -> Stats:
        ordered = sorted(samples)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        return cls(statistics.median(ordered) * 1e3, p95 * 1e3, len(ordered) / sum(ordered))


async def profiled(send: Send, count: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        for _ in range(count):
            await send()
    finally:
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)
    return out.getvalue()


async def main(requests: int, owners: int, do_profile: bool, refetch_owners: bool) -> None:
    versions = {name: importlib.metadata.version(dist) for name, dist in
                (("strawberry", "strawberry-graphql"), ("mongoeco", "mongoeco"),
                 ("starlette", "starlette"), ("httpx", "httpx"))}
    print(f"Python {platform.python_version()} ({platform.python_implementation()})  "
          + "  ".join(f"{name} {version}" for name, version in versions.items()))

    settings = Settings(jwt_secret=SECRET, evj_seed_owners=owners, evj_seed=SEED,
                        mongodb_uri=None, evj_rate_limit_per_minute=0,
                        evj_seed_journey_owners=0)
    if not settings.embedded:
        raise SystemExit("expected the embedded store")
    app = create_app(settings)
    app.router.routes.append(Route("/plain/me", plain_me_endpoint(settings, refetch_owners),
                                   methods=["GET"]))
    token = issue_token(settings, Role.OWNER, demo_owner_id(SEED), ttl_minutes=120)
    headers = {"authorization": f"Bearer {token}"}

    started = time.perf_counter()
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://bench") as client):
        print(f"seeded {owners} owners in {time.perf_counter() - started:.2f}s")

        def gql() -> Awaitable[httpx.Response]:
            return client.post("/graphql", json={"query": QUERY}, headers=headers)

        def plain() -> Awaitable[httpx.Response]:
            return client.get("/plain/me", headers=headers)

        gql_vins, rest_vins = graphql_vins((await gql()).json()), plain_vins((await plain()).json())
        if not gql_vins or gql_vins != rest_vins:
            raise SystemExit(f"responses differ: graphql {gql_vins} vs plain {rest_vins}")
        print(f"owner {demo_owner_id(SEED)}: {len(gql_vins)} vehicle(s), VINs match: "
              f"{', '.join(gql_vins)}")

        for send in (gql, plain):
            await timed(send, WARMUP, [])
        gql_trips, plain_trips = await round_trips(gql), await round_trips(plain)

        samples: dict[str, list[float]] = {"graphql": [], "plain": []}
        kinds: list[tuple[str, Send]] = [("graphql", gql), ("plain", plain)]
        done, block_index = 0, 0
        while done < requests:
            size = min(BLOCK, requests - done)
            order = kinds if block_index % 2 == 0 else kinds[::-1]
            for name, send in order:
                await timed(send, size, samples[name])
            done, block_index = done + size, block_index + 1

        stats = {name: Stats.of(values) for name, values in samples.items()}
        trips = {"graphql": gql_trips, "plain": plain_trips}
        print()
        print(f"{requests} requests each, sequential, alternating blocks of {BLOCK}")
        print(f"{'endpoint':<10}{'median ms':>11}{'p95 ms':>10}{'req/s':>10}{'db trips':>10}")
        for name, stat in stats.items():
            print(f"{name:<10}{stat.median_ms:>11.3f}{stat.p95_ms:>10.3f}{stat.rps:>10.0f}"
                  f"{trips[name]:>10}")
        ratio = stats["graphql"].median_ms / stats["plain"].median_ms
        print(f"{'ratio':<10}{ratio:>10.2f}x  (GraphQL median / plain median)")
        print(f"database round-trips per GraphQL request: {gql_trips}")

        if do_profile:
            print("\ncProfile of 500 GraphQL requests:")
            print(await profiled(gql, 500))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per kind")
    parser.add_argument("--owners", type=int, default=100, help="demo owners to seed")
    parser.add_argument("--profile", action="store_true", help="cProfile GraphQL afterwards")
    parser.add_argument("--refetch-owners", action="store_true",
                        help="plain endpoint re-reads vehicle owners (one more round-trip "
                             "than GraphQL, whose DataLoader already holds `me`)")
    args = parser.parse_args()
    if args.requests < 1 or args.owners < 1:
        parser.error("--requests and --owners must be at least 1")
    return args


if __name__ == "__main__":
    arguments = parse_args()
    asyncio.run(main(arguments.requests, arguments.owners, arguments.profile,
                     arguments.refetch_owners))
