"""Nested lists are batched: the number of database round-trips does not grow with the data."""

from __future__ import annotations

from domain.access import Role
from services.deps import Deps
from store.stats import counting_round_trips
from tests.conftest import GraphQLClient
from tests.factories import add_owner, add_vehicle

OWNERS_WITH_VEHICLES = """
{ owners(first: 50) { edges { node { name
    vehicles(first: 10) { edges { node { vin model { name } owner { email } } } } } } } }"""
ME = "{ me { vehicles(first: 50) { edges { node { vin model { name } owner { name } } } } } }"


async def _owners_with_vehicles(deps: Deps, count: int) -> None:
    for _ in range(count):
        owner = await add_owner(deps)
        for _ in range(2):
            await add_vehicle(deps, owner)


async def _round_trips(gql: GraphQLClient, query: str, authorization: str) -> int:
    with counting_round_trips() as trips:
        await gql.ok(query, authorization=authorization)
    return trips.count


async def test_owner_list_with_vehicles_and_owners_is_constant(
    gql: GraphQLClient, deps: Deps
) -> None:
    auth = gql.bearer(Role.ADMIN, "admin")
    await _owners_with_vehicles(deps, 3)
    few = await _round_trips(gql, OWNERS_WITH_VEHICLES, auth)
    await _owners_with_vehicles(deps, 47)
    many = await _round_trips(gql, OWNERS_WITH_VEHICLES, auth)
    data = await gql.ok(OWNERS_WITH_VEHICLES, authorization=auth)
    assert len(data["owners"]["edges"]) == 50
    assert all(len(e["node"]["vehicles"]["edges"]) == 2 for e in data["owners"]["edges"])
    assert few == many == 2  # owners page, then every owner's vehicles in one query


async def test_me_with_fifty_vehicles_takes_two_round_trips(
    gql: GraphQLClient, deps: Deps
) -> None:
    owner = await add_owner(deps)
    for _ in range(50):
        await add_vehicle(deps, owner)
    auth = gql.bearer(Role.OWNER, owner.id)
    await gql.ok(ME, authorization=auth)  # an owner's first request of the hour records app use
    assert await _round_trips(gql, ME, auth) == 2  # the owner, then one page of vehicles
    data = await gql.ok(ME, authorization=auth)
    assert len(data["me"]["vehicles"]["edges"]) == 50
