"""Registering and updating vehicles: validation, duplicates, ownership, concurrency."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from domain.access import Role
from services.deps import Deps
from tests.conftest import GraphQLClient, error_codes
from tests.factories import add_owner, add_vehicle, gid, random_vin

REGISTER = """
mutation($input: RegisterVehicleInput!) {
  registerVehicle(input: $input) {
    vehicle { id vin nickname odometerKm deliveredAt model { id } owner { email } }
    errors { __typename message field code }
  }
}"""
UPDATE = """
mutation($input: UpdateVehicleInput!) {
  updateVehicle(input: $input) {
    vehicle { nickname odometerKm }
    errors { __typename field }
  }
}"""
COUNT_VEHICLES = "query($id: ID!) { node(id: $id) { ... on Owner { vehicles { edges { node "\
                 "{ vin } } } } } }"


def _input(owner_id: str, **fields: Any) -> dict[str, Any]:
    return {"ownerId": gid("Owner", owner_id), "vin": random_vin(), "modelId": "volta-tourer",
            "deliveredAt": "2026-03-01T10:00:00+01:00", **fields}


async def _vins(gql: GraphQLClient, owner_id: str) -> list[str]:
    data = await gql.ok(COUNT_VEHICLES, {"id": gid("Owner", owner_id)},
                        gql.bearer(Role.ADMIN, "admin"))
    return [edge["node"]["vin"] for edge in data["node"]["vehicles"]["edges"]]


async def test_owner_registers_a_vehicle_for_themself(gql: GraphQLClient, deps: Deps) -> None:
    owner = await add_owner(deps)
    variables = {"input": _input(owner.id, vin="wvwzzz1jzxw000001", nickname=" Blue ")}
    data = await gql.ok(REGISTER, variables, gql.bearer(Role.OWNER, owner.id))
    payload = data["registerVehicle"]
    assert payload["errors"] == []
    assert payload["vehicle"]["vin"] == "WVWZZZ1JZXW000001"
    assert payload["vehicle"]["nickname"] == "Blue"
    assert payload["vehicle"]["deliveredAt"] == "2026-03-01T09:00:00+00:00"
    assert payload["vehicle"]["owner"]["email"] == owner.email
    assert await _vins(gql, owner.id) == ["WVWZZZ1JZXW000001"]


@pytest.mark.parametrize("role", [Role.SERVICE_STAFF, Role.OEM_ANALYST])
async def test_staff_and_analysts_cannot_register_vehicles(
    gql: GraphQLClient, deps: Deps, role: Role
) -> None:
    owner = await add_owner(deps)
    body = await gql.post(REGISTER, {"input": _input(owner.id)},
                          gql.bearer(role, "someone", center_id="c1"))
    assert error_codes(body) == ["FORBIDDEN"]
    assert await _vins(gql, owner.id) == []


async def test_owner_cannot_register_for_someone_else(gql: GraphQLClient, deps: Deps) -> None:
    me, other = await add_owner(deps), await add_owner(deps)
    body = await gql.post(REGISTER, {"input": _input(other.id)}, gql.bearer(Role.OWNER, me.id))
    assert error_codes(body) == ["FORBIDDEN"]
    assert await _vins(gql, other.id) == []


@pytest.mark.parametrize(("fields", "typename", "field"), [
    ({"vin": "WVWZZZ1JZXW00000"}, "InvalidVin", "vin"),
    ({"vin": "WVWZZZ1JZXW0000011"}, "InvalidVin", "vin"),
    ({"vin": "WVWZZZ1JZXO000001"}, "InvalidVin", "vin"),
    ({"vin": "IVWZZZ1JZXW000001"}, "InvalidVin", "vin"),
    ({"vin": "QVWZZZ1JZXW00000-"}, "InvalidVin", "vin"),
    ({"modelId": "model-t"}, "InvalidInput", "modelId"),
    ({"nickname": "n" * 41}, "InvalidInput", "nickname"),
    ({"odometerKm": -1}, "InvalidInput", "odometerKm"),
    ({"deliveredAt": "2999-01-01T00:00:00Z"}, "InvalidInput", "deliveredAt"),
    ({"ownerId": "not-an-id"}, "InvalidInput", "ownerId"),
    ({"ownerId": gid("Vehicle", "0" * 24)}, "InvalidInput", "ownerId"),
    ({"ownerId": gid("Owner", "0" * 24)}, "NotFound", "ownerId"),
])
async def test_bad_vehicle_input_is_a_typed_error(
    gql: GraphQLClient, deps: Deps, fields: dict[str, Any], typename: str, field: str
) -> None:
    owner = await add_owner(deps)
    data = await gql.ok(REGISTER, {"input": _input(owner.id, **fields)},
                        gql.bearer(Role.ADMIN, "admin"))
    payload = data["registerVehicle"]
    assert payload["vehicle"] is None
    [error] = payload["errors"]
    assert (error["__typename"], error["field"]) == (typename, field)
    assert await _vins(gql, owner.id) == []


async def test_duplicate_vin_is_refused(gql: GraphQLClient, deps: Deps) -> None:
    owner, other = await add_owner(deps), await add_owner(deps)
    existing = await add_vehicle(deps, owner)
    data = await gql.ok(REGISTER, {"input": _input(other.id, vin=existing.vin.lower())},
                        gql.bearer(Role.ADMIN, "admin"))
    assert [e["__typename"] for e in data["registerVehicle"]["errors"]] == ["DuplicateVin"]
    assert await _vins(gql, other.id) == []


async def test_racing_registrations_of_one_vin_store_exactly_one(
    gql: GraphQLClient, deps: Deps
) -> None:
    owners = [await add_owner(deps) for _ in range(8)]
    vin = random_vin()
    results = await asyncio.gather(*(
        gql.ok(REGISTER, {"input": _input(owner.id, vin=vin)}, gql.bearer(Role.ADMIN, "admin"))
        for owner in owners))
    stored = [r for r in results if r["registerVehicle"]["vehicle"]]
    assert len(stored) == 1
    assert sum([len(await _vins(gql, owner.id)) for owner in owners]) == 1


async def test_owner_updates_nickname_and_odometer(gql: GraphQLClient, deps: Deps) -> None:
    owner = await add_owner(deps)
    vehicle = await add_vehicle(deps, owner, odometer_km=1000)
    auth = gql.bearer(Role.OWNER, owner.id)
    changes = {"id": gid("Vehicle", vehicle.id), "nickname": "Sparky", "odometerKm": 1500.5}
    data = await gql.ok(UPDATE, {"input": changes}, auth)
    assert data["updateVehicle"] == {"vehicle": {"nickname": "Sparky", "odometerKm": 1500.5},
                                     "errors": []}
    cleared = await gql.ok(UPDATE, {"input": {"id": gid("Vehicle", vehicle.id), "nickname": ""}},
                           auth)
    assert cleared["updateVehicle"]["vehicle"] == {"nickname": None, "odometerKm": 1500.5}


async def test_odometer_never_goes_down(gql: GraphQLClient, deps: Deps) -> None:
    owner = await add_owner(deps)
    vehicle = await add_vehicle(deps, owner, odometer_km=1000)
    data = await gql.ok(UPDATE, {"input": {"id": gid("Vehicle", vehicle.id), "odometerKm": 999}},
                        gql.bearer(Role.OWNER, owner.id))
    assert data["updateVehicle"] == {"vehicle": None,
                                     "errors": [{"__typename": "InvalidInput",
                                                 "field": "odometerKm"}]}


async def test_concurrent_odometer_readings_keep_the_highest(
    gql: GraphQLClient, deps: Deps
) -> None:
    owner = await add_owner(deps)
    vehicle = await add_vehicle(deps, owner, odometer_km=0)
    auth = gql.bearer(Role.OWNER, owner.id)
    readings = [1000.0 + 10 * i for i in range(20)]
    await asyncio.gather(*(
        gql.post(UPDATE, {"input": {"id": gid("Vehicle", vehicle.id), "odometerKm": km}}, auth)
        for km in reversed(readings)))
    [stored] = await deps.vehicles.get_many([vehicle.id])
    assert stored is not None
    assert stored.odometer_km == max(readings)


async def test_owner_cannot_update_another_owners_vehicle(
    gql: GraphQLClient, deps: Deps
) -> None:
    me, other = await add_owner(deps), await add_owner(deps)
    vehicle = await add_vehicle(deps, other)
    body = await gql.post(UPDATE, {"input": {"id": gid("Vehicle", vehicle.id), "nickname": "x"}},
                          gql.bearer(Role.OWNER, me.id))
    assert error_codes(body) == ["FORBIDDEN"]
    [stored] = await deps.vehicles.get_many([vehicle.id])
    assert stored is not None
    assert stored.nickname is None


@pytest.mark.parametrize("variables", [
    {}, {"id": "x", "vin": "y"}, {"id": "%%%"}, {"id": gid("Owner", "0" * 24)}, {"vin": "short"},
])
async def test_vehicle_lookup_arguments_are_checked(
    gql: GraphQLClient, variables: dict[str, str]
) -> None:
    body = await gql.post("query($id: ID, $vin: String) { vehicle(id: $id, vin: $vin) { vin } }",
                          variables, gql.bearer(Role.ADMIN, "admin"))
    assert error_codes(body) in (["BAD_USER_INPUT"], ["INVALID_VIN"])


async def test_unknown_vehicle_is_null_by_id_and_not_found_by_vin(gql: GraphQLClient) -> None:
    auth = gql.bearer(Role.ADMIN, "admin")
    by_id = await gql.ok("query($id: ID!) { vehicle(id: $id) { vin } }",
                         {"id": gid("Vehicle", "0" * 24)}, auth)
    assert by_id["vehicle"] is None
    body = await gql.post("query($vin: String!) { vehicle(vin: $vin) { vin } }",
                          {"vin": random_vin()}, auth)
    assert error_codes(body) == ["NOT_FOUND"]
