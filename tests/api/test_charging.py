"""Recording charging sessions and reading them back, through GraphQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from domain.access import Role
from services.deps import Deps
from tests.conftest import GraphQLClient, error_codes
from tests.factories import add_owner, add_vehicle, gid, session_input

RECORD = """
mutation($input: ChargingSessionInput!) {
  recordChargingSession(input: $input) {
    duplicate
    session { id externalId cost currency costSource durationMinutes averagePowerKw }
    errors { __typename field message }
  }
}"""
RECORD_MANY = """
mutation($inputs: [ChargingSessionInput!]!) {
  recordChargingSessions(inputs: $inputs) {
    stored duplicates rejected
    results { index status session { externalId } errors { __typename field } }
  }
}"""
SESSIONS = """
query($id: ID!, $first: Int, $after: String, $from: DateTime, $to: DateTime,
      $type: LocationType) {
  vehicle(id: $id) {
    chargingSessions(first: $first, after: $after, from: $from, to: $to, locationType: $type) {
      edges { cursor node { externalId startedAt locationType } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""


async def _record(gql: GraphQLClient, auth: str, **fields: Any) -> dict[str, Any]:
    data = await gql.ok(RECORD, {"input": fields}, auth)
    payload: dict[str, Any] = data["recordChargingSession"]
    return payload


async def _external_ids(gql: GraphQLClient, auth: str, vehicle_id: str,
                        **variables: Any) -> list[str]:
    data = await gql.ok(SESSIONS, {"id": gid("Vehicle", vehicle_id), **variables}, auth)
    return [e["node"]["externalId"] for e in data["vehicle"]["chargingSessions"]["edges"]]


async def test_owner_records_a_session_once_per_external_id(
    gql: GraphQLClient, deps: Deps
) -> None:
    owner = await add_owner(deps)
    vehicle = await add_vehicle(deps, owner)
    auth = gql.bearer(Role.OWNER, owner.id)
    first = await _record(gql, auth, **session_input(vehicle, cost=6.0, currency="eur"))
    again = await _record(gql, auth, **session_input(vehicle, cost=6.0, currency="eur"))
    assert first["errors"] == []
    assert first["duplicate"] is False
    assert first["session"]["currency"] == "EUR"
    assert first["session"]["durationMinutes"] == 240
    assert first["session"]["averagePowerKw"] == 5.0
    assert again["duplicate"] is True
    assert again["session"]["id"] == first["session"]["id"]
    assert await _external_ids(gql, auth, vehicle.id) == ["ext-0"]


@pytest.mark.parametrize(("fields", "typename", "field"), [
    ({"endedAt": "2020-01-01T00:00:00Z"}, "ImpossibleSession", "endedAt"),
    ({"socStartPercent": -5}, "ImpossibleSession", "socStartPercent"),
    ({"socEndPercent": 101}, "ImpossibleSession", "socEndPercent"),
    ({"socStartPercent": 70, "socEndPercent": 60}, "ImpossibleSession", "socEndPercent"),
    ({"energyDeliveredKwh": -1}, "ImpossibleSession", "energyDeliveredKwh"),
    ({"energyDeliveredKwh": 200}, "ImpossibleSession", "energyDeliveredKwh"),
    ({"energyAddedKwh": 90}, "ImpossibleSession", "energyAddedKwh"),
    ({"peakPowerKw": 400}, "ImpossibleSession", "peakPowerKw"),
    ({"cost": 5}, "InvalidInput", "currency"),
    ({"cost": 5, "currency": "euro"}, "InvalidInput", "currency"),
    ({"externalId": ""}, "InvalidInput", "externalId"),
    ({"location": {"lat": 91, "lng": 0}}, "InvalidInput", "location"),
    ({"vehicleId": gid("Vehicle", "0" * 24)}, "NotFound", "vehicleId"),
    ({"vin": "WVWZZZ1JZXW000001"}, "InvalidInput", "vehicleId"),
])
async def test_impossible_sessions_are_rejected_and_nothing_is_stored(
    gql: GraphQLClient, deps: Deps, fields: dict[str, Any], typename: str, field: str
) -> None:
    owner = await add_owner(deps)
    vehicle = await add_vehicle(deps, owner)  # volta-one: 58 kWh, 11 kW AC
    auth = gql.bearer(Role.ADMIN, "admin")
    payload = await _record(gql, auth, **session_input(vehicle, **fields))
    assert payload["session"] is None
    assert [(e["__typename"], e["field"]) for e in payload["errors"]] == [(typename, field)]
    assert await _external_ids(gql, auth, vehicle.id) == []


async def test_a_session_faster_than_the_car_can_charge_is_rejected(
    gql: GraphQLClient, deps: Deps
) -> None:
    vehicle = await add_vehicle(deps, await add_owner(deps))
    fields = session_input(vehicle, energyDeliveredKwh=20.0)
    half_hour_later = datetime.fromisoformat(fields["startedAt"]) + timedelta(minutes=30)
    payload = await _record(gql, gql.bearer(Role.ADMIN, "a"),
                            **{**fields, "endedAt": half_hour_later.isoformat()})
    assert [e["field"] for e in payload["errors"]] == ["energyDeliveredKwh"]  # 40 kW on 11 kW AC


async def test_sessions_by_vin_work_for_the_vehicle_side(gql: GraphQLClient, deps: Deps) -> None:
    owner = await add_owner(deps)
    vehicle = await add_vehicle(deps, owner)
    fields = {k: v for k, v in session_input(vehicle).items() if k != "vehicleId"}
    payload = await _record(gql, gql.bearer(Role.OWNER, owner.id), vin=vehicle.vin, **fields)
    assert payload["errors"] == []


@pytest.mark.parametrize("role", [Role.OWNER, Role.SERVICE_STAFF, Role.OEM_ANALYST])
async def test_others_cannot_record_or_read_a_vehicles_sessions(
    gql: GraphQLClient, deps: Deps, role: Role
) -> None:
    owner = await add_owner(deps)
    vehicle = await add_vehicle(deps, owner)
    stored = await _record(gql, gql.bearer(Role.OWNER, owner.id), **session_input(vehicle))
    other = gql.bearer(role, (await add_owner(deps)).id, center_id="c1")
    body = await gql.post(RECORD, {"input": session_input(vehicle, n=1)}, other)
    assert error_codes(body) == ["FORBIDDEN"]
    body = await gql.post(SESSIONS, {"id": gid("Vehicle", vehicle.id)}, other)
    assert error_codes(body) == ["FORBIDDEN"]
    body = await gql.post("query($id: ID!) { node(id: $id) { id } }",
                          {"id": stored["session"]["id"]}, other)
    assert error_codes(body) == ["FORBIDDEN"]
    assert await _external_ids(gql, gql.bearer(Role.OWNER, owner.id), vehicle.id) == ["ext-0"]


async def test_batch_reports_each_item(gql: GraphQLClient, deps: Deps) -> None:
    owner, other = await add_owner(deps), await add_owner(deps)
    mine, theirs = await add_vehicle(deps, owner), await add_vehicle(deps, other)
    auth = gql.bearer(Role.OWNER, owner.id)
    await _record(gql, auth, **session_input(mine, n=0))
    inputs = [session_input(mine, n=0), session_input(mine, n=1),
              session_input(mine, n=2, socEndPercent=10), session_input(theirs, n=3),
              session_input(mine, n=4, vehicleId="garbage"), session_input(mine, n=1)]
    data = await gql.ok(RECORD_MANY, {"inputs": inputs}, auth)
    result = data["recordChargingSessions"]
    assert (result["stored"], result["duplicates"], result["rejected"]) == (1, 2, 3)
    assert [(r["index"], r["status"]) for r in result["results"]] == [
        (0, "DUPLICATE"), (1, "STORED"), (2, "REJECTED"), (3, "REJECTED"), (4, "REJECTED"),
        (5, "DUPLICATE")]
    assert [e["__typename"] for r in result["results"] for e in r["errors"]] == [
        "ImpossibleSession", "Forbidden", "InvalidInput"]
    assert sorted(await _external_ids(gql, auth, mine.id)) == ["ext-0", "ext-1"]


async def test_batch_over_the_limit_is_refused(gql: GraphQLClient, deps: Deps) -> None:
    vehicle = await add_vehicle(deps, await add_owner(deps))
    inputs = [session_input(vehicle, n=i) for i in range(1001)]
    body = await gql.post(RECORD_MANY, {"inputs": inputs}, gql.bearer(Role.ADMIN, "a"))
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_sessions_are_newest_first_paged_and_filtered(
    gql: GraphQLClient, deps: Deps
) -> None:
    owner = await add_owner(deps)
    vehicle = await add_vehicle(deps, owner)
    auth = gql.bearer(Role.OWNER, owner.id)
    inputs = [session_input(vehicle, n=n, locationType="WORK" if n % 3 == 0 else "HOME")
              for n in range(7)]
    await gql.ok(RECORD_MANY, {"inputs": inputs}, auth)
    newest_first = [f"ext-{n}" for n in range(7)]
    seen: list[str] = []
    after = None
    while True:
        data = await gql.ok(SESSIONS, {"id": gid("Vehicle", vehicle.id), "first": 3,
                                       "after": after}, auth)
        page = data["vehicle"]["chargingSessions"]
        seen += [edge["node"]["externalId"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == newest_first
    assert await _external_ids(gql, auth, vehicle.id, type="WORK") == ["ext-0", "ext-3", "ext-6"]
    window = {"from": inputs[4]["startedAt"], "to": inputs[1]["startedAt"]}
    assert await _external_ids(gql, auth, vehicle.id, **window) == ["ext-2", "ext-3", "ext-4"]
    body = await gql.post(SESSIONS, {"id": gid("Vehicle", vehicle.id), **{
        "from": inputs[1]["startedAt"], "to": inputs[4]["startedAt"]}}, auth)
    assert error_codes(body) == ["BAD_USER_INPUT"]
