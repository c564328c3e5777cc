"""The journey timeline through GraphQL: recorded from events, reported by the app, private."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.access import Role
from services.deps import Deps
from tests.api.test_charging import RECORD
from tests.conftest import GraphQLClient, error_codes
from tests.factories import add_owner, add_vehicle, gid, session_input

JOURNEY = """query($kinds: [TouchpointKind!], $after: String) { me {
  journey(first: 2, kinds: $kinds, after: $after) {
    edges { node { kind channel relatedId } } pageInfo { hasNextPage endCursor } }
  vehicles { edges { node { ownershipStage } } } } }"""
TOUCH = """mutation($input: TouchpointInput!) { recordTouchpoint(input: $input) {
  touchpoint { kind channel } duplicate errors { __typename field message } } }"""


async def touch(gql: GraphQLClient, auth: str, **fields: Any) -> dict[str, Any]:
    data = await gql.ok(TOUCH, {"input": {"at": datetime.now(UTC).isoformat(), **fields}}, auth)
    payload: dict[str, Any] = data["recordTouchpoint"]
    return payload


async def test_events_and_app_reports_make_the_timeline(gql: GraphQLClient, deps: Deps) -> None:
    owner = await add_owner(deps)
    car = await add_vehicle(deps, owner)
    auth = gql.bearer(Role.OWNER, owner.id)
    stored = await gql.ok(RECORD, {"input": session_input(car)}, auth)
    session_id = stored["recordChargingSession"]["session"]["id"]
    first = await touch(gql, auth, eventId="open-1", kind="APP_OPEN")
    again = await touch(gql, auth, eventId="open-1", kind="APP_OPEN")
    assert (first["duplicate"], again["duplicate"]) == (False, True)
    await touch(gql, auth, eventId="open-2", kind="APP_SESSION", vehicleId=gid("Vehicle", car.id))
    me = (await gql.ok(JOURNEY, {}, auth))["me"]
    kinds = [e["node"]["kind"] for e in me["journey"]["edges"]]
    assert kinds == ["APP_SESSION", "APP_OPEN"]  # newest first
    rest = (await gql.ok(JOURNEY, {"after": me["journey"]["pageInfo"]["endCursor"]}, auth)
            )["me"]["journey"]["edges"]
    [charge] = [e["node"] for e in rest]
    assert charge["kind"] == "CHARGE"
    assert charge["channel"] == "VEHICLE"
    assert gid("ChargingSession", charge["relatedId"]) == session_id
    charges = (await gql.ok(JOURNEY, {"kinds": ["CHARGE"]}, auth))["me"]["journey"]["edges"]
    assert len(charges) == 1
    assert me["vehicles"]["edges"][0]["node"]["ownershipStage"] == "EARLY_OWNERSHIP"


async def test_app_reports_are_checked(gql: GraphQLClient, deps: Deps) -> None:
    owner, other = await add_owner(deps), await add_owner(deps)
    theirs = await add_vehicle(deps, other)
    auth = gql.bearer(Role.OWNER, owner.id)
    wrong_kind = await touch(gql, auth, eventId="x", kind="SERVICE_VISIT")
    assert wrong_kind["errors"][0]["field"] == "kind"
    body = await gql.post(TOUCH, {"input": {"eventId": "y", "kind": "APP_OPEN",
                                            "at": datetime.now(UTC).isoformat(),
                                            "vehicleId": gid("Vehicle", theirs.id)}}, auth)
    assert error_codes(body) == ["FORBIDDEN"]
    analyst = await gql.post(TOUCH, {"input": {"eventId": "z", "kind": "APP_OPEN",
                                               "at": datetime.now(UTC).isoformat()}},
                             gql.bearer(Role.OEM_ANALYST, "a"))
    assert error_codes(analyst) == ["FORBIDDEN"]


async def test_another_owner_cannot_read_a_journey(gql: GraphQLClient, deps: Deps) -> None:
    owner, other = await add_owner(deps), await add_owner(deps)
    query = ("query($id: ID!) { node(id: $id) { ... on Owner { "
             "journey { edges { node { id } } } } } }")
    body = await gql.post(query, {"id": gid("Owner", owner.id)}, gql.bearer(Role.OWNER, other.id))
    assert error_codes(body) == ["FORBIDDEN"]
    admin = await gql.ok(query, {"id": gid("Owner", owner.id)}, gql.bearer(Role.ADMIN, "a"))
    assert admin["node"]["journey"]["edges"] == []
