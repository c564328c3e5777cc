"""Authentication and each role's access to owners and vehicles, through GraphQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from domain.access import Role
from services.deps import Deps
from tests.conftest import TEST_SECRET, GraphQLClient, error_codes
from tests.factories import add_owner, add_vehicle, gid

ME = "{ me { id name vehicles { edges { node { vin } } } } }"
VEHICLE = "query($id: ID!) { vehicle(id: $id) { vin owner { email } } }"
VEHICLE_BY_VIN = "query($vin: String!) { vehicle(vin: $vin) { vin } }"
OWNERS = "{ owners(first: 10) { edges { node { email } } } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on Owner { email } } }"


def _raw(claims: dict[str, object], secret: str = TEST_SECRET) -> str:
    base = {"sub": "x", "role": "ADMIN", "exp": datetime.now(UTC) + timedelta(minutes=5)}
    return "Bearer " + jwt.encode({**base, **claims}, secret, algorithm="HS256")


async def test_missing_token_is_unauthenticated(gql: GraphQLClient) -> None:
    body = await gql.post(ME)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"]["me"] is None


@pytest.mark.parametrize("authorization", [
    "Bearer not-a-jwt",
    "Basic dXNlcjpwYXNz",
    "Bearer ",
    _raw({}, secret="another-secret-that-is-long-enough-too"),
    _raw({"exp": datetime.now(UTC) - timedelta(minutes=1)}),
    _raw({"role": "SUPERUSER"}),
    _raw({"role": "SERVICE_STAFF"}),
])
async def test_bad_tokens_are_unauthenticated(gql: GraphQLClient, authorization: str) -> None:
    body = await gql.post(OWNERS, authorization=authorization)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] is None


async def test_unsigned_token_is_refused(gql: GraphQLClient) -> None:
    claims = {"sub": "x", "role": "ADMIN", "exp": datetime.now(UTC) + timedelta(minutes=5)}
    unsigned = jwt.encode(claims, key="", algorithm="none")
    body = await gql.post(OWNERS, authorization=f"Bearer {unsigned}")
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_owner_sees_themself_and_their_vehicles(gql: GraphQLClient, deps: Deps) -> None:
    owner = await add_owner(deps, name="Ana Costa")
    vehicle = await add_vehicle(deps, owner)
    data = await gql.ok(ME, authorization=gql.bearer(Role.OWNER, owner.id))
    assert data["me"]["name"] == "Ana Costa"
    assert data["me"]["id"] == gid("Owner", owner.id)
    assert [e["node"]["vin"] for e in data["me"]["vehicles"]["edges"]] == [vehicle.vin]


async def test_owner_reads_own_vehicle_by_id_and_vin(gql: GraphQLClient, deps: Deps) -> None:
    owner = await add_owner(deps)
    vehicle = await add_vehicle(deps, owner)
    auth = gql.bearer(Role.OWNER, owner.id)
    by_id = await gql.ok(VEHICLE, {"id": gid("Vehicle", vehicle.id)}, auth)
    assert by_id["vehicle"] == {"vin": vehicle.vin, "owner": {"email": owner.email}}
    by_vin = await gql.ok(VEHICLE_BY_VIN, {"vin": vehicle.vin.lower()}, auth)
    assert by_vin["vehicle"]["vin"] == vehicle.vin


async def test_owner_is_forbidden_another_owners_vehicle(gql: GraphQLClient, deps: Deps) -> None:
    mine, theirs = await add_owner(deps), await add_owner(deps)
    their_vehicle = await add_vehicle(deps, theirs)
    auth = gql.bearer(Role.OWNER, mine.id)
    for query, variables in ((VEHICLE, {"id": gid("Vehicle", their_vehicle.id)}),
                             (VEHICLE_BY_VIN, {"vin": their_vehicle.vin}),
                             (NODE, {"id": gid("Vehicle", their_vehicle.id)}),
                             (NODE, {"id": gid("Owner", theirs.id)})):
        body = await gql.post(query, variables, auth)
        assert error_codes(body) == ["FORBIDDEN"], body
        assert their_vehicle.vin not in str(body)
        assert theirs.email not in str(body)


@pytest.mark.parametrize("role", [Role.OWNER, Role.SERVICE_STAFF, Role.OEM_ANALYST])
async def test_only_admin_lists_owners(gql: GraphQLClient, deps: Deps, role: Role) -> None:
    await add_owner(deps)
    body = await gql.post(OWNERS, authorization=gql.bearer(role, "someone", center_id="c1"))
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["data"] is None


@pytest.mark.parametrize("role", [Role.SERVICE_STAFF, Role.OEM_ANALYST])
async def test_staff_and_analysts_cannot_read_owner_vehicles(
    gql: GraphQLClient, deps: Deps, role: Role
) -> None:
    vehicle = await add_vehicle(deps, await add_owner(deps))
    auth = gql.bearer(role, "someone", center_id="c1")
    body = await gql.post(VEHICLE, {"id": gid("Vehicle", vehicle.id)}, auth)
    assert error_codes(body) == ["FORBIDDEN"]
    me = await gql.ok("{ me { id } }", authorization=auth)
    assert me["me"] is None


async def test_admin_reads_any_owner_and_vehicle(gql: GraphQLClient, deps: Deps) -> None:
    owner = await add_owner(deps)
    vehicle = await add_vehicle(deps, owner)
    auth = gql.bearer(Role.ADMIN, "admin")
    data = await gql.ok(VEHICLE, {"id": gid("Vehicle", vehicle.id)}, auth)
    assert data["vehicle"]["owner"]["email"] == owner.email
    node = await gql.ok(NODE, {"id": gid("Owner", owner.id)}, auth)
    assert node["node"]["email"] == owner.email
    listed = await gql.ok(OWNERS, authorization=auth)
    assert [e["node"]["email"] for e in listed["owners"]["edges"]] == [owner.email]


async def test_vehicle_catalogue_is_public(gql: GraphQLClient) -> None:
    data = await gql.ok("{ vehicleModels { id name batteryCapacityKwh dcChargingCurve "
                        "{ socPercent powerKw } } }")
    assert len(data["vehicleModels"]) >= 3
    assert all(40 <= m["batteryCapacityKwh"] <= 100 for m in data["vehicleModels"])
