"""Ingesting vehicle telemetry through GraphQL, and what the vehicle learns from it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.applications import Starlette

from api.cli import main
from domain.access import Role
from domain.events import DomainEvent
from domain.telemetry import FaultCodesReported, VehicleStatusReported
from domain.vehicles import Vehicle
from services.deps import Deps
from store.stats import counting_round_trips
from tests.conftest import TEST_SECRET, GraphQLClient, error_codes
from tests.factories import add_owner, add_vehicle, gid

INGEST = """
mutation($batch: [TelemetryInput!]!) {
  ingestTelemetry(batch: $batch) {
    stored duplicates rejected
    results { index eventId vin status errors { __typename field message } }
  }
}"""
VEHICLE = """
query($id: ID!) {
  vehicle(id: $id) { odometerKm measuredConsumptionWhPerKm rangeEstimate }
}"""
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)


class RecordingSink:
    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    async def publish(self, *events: DomainEvent) -> None:
        self.events.extend(events)


@pytest.fixture
def published(app: Starlette) -> list[DomainEvent]:
    sink = RecordingSink()
    app.state.deps = dataclasses.replace(app.state.deps, events=sink)
    return sink.events


def item(vehicle: Vehicle, minute: int, **fields: Any) -> dict[str, Any]:
    """A telemetry event `minute` minutes after START, as GraphQL input."""
    return {"vin": vehicle.vin, "eventId": f"evt-{minute}",
            "at": (START + timedelta(minutes=minute)).isoformat(), "socPercent": 80.0,
            "odometerKm": 1000.0, "charging": False, **fields}


async def ingest(gql: GraphQLClient, batch: list[dict[str, Any]],
                 role: Role = Role.VEHICLE_GATEWAY) -> dict[str, Any]:
    data = await gql.ok(INGEST, {"batch": batch}, gql.bearer(role, "gateway-1"))
    payload: dict[str, Any] = data["ingestTelemetry"]
    return payload


def statuses(payload: dict[str, Any]) -> list[str]:
    return [result["status"] for result in payload["results"]]


async def _count(app: Starlette, collection: str) -> int:
    found: int = await app.state.db[collection].count_documents({})
    return found


async def test_an_event_is_stored_once_per_vin_and_event_id(
    gql: GraphQLClient, deps: Deps, app: Starlette
) -> None:
    owner = await add_owner(deps)
    car, other = await add_vehicle(deps, owner), await add_vehicle(deps, owner)
    first = await ingest(gql, [item(car, 0), item(car, 0), item(other, 0)])
    again = await ingest(gql, [item(car, 0, socPercent=10)])
    assert statuses(first) == ["STORED", "DUPLICATE", "STORED"]
    assert (first["stored"], first["duplicates"], first["rejected"]) == (2, 1, 0)
    assert statuses(again) == ["DUPLICATE"]
    assert again["results"][0] == {"index": 0, "eventId": "evt-0", "vin": car.vin,
                                   "status": "DUPLICATE", "errors": []}
    assert await _count(app, "telemetry") == 2
    [status] = await deps.telemetry.statuses([car.id])
    assert status is not None
    assert status.soc_percent == 80


async def test_an_older_event_never_replaces_the_newest_state(
    gql: GraphQLClient, deps: Deps, published: list[DomainEvent]
) -> None:
    car = await add_vehicle(deps, await add_owner(deps))
    await ingest(gql, [item(car, 10, socPercent=70, odometerKm=1200, faultCodes=[])])
    published.clear()
    late = await ingest(gql, [item(car, 5, socPercent=20, odometerKm=1100,
                                   faultCodes=["P0A80"])])
    assert statuses(late) == ["STORED"]
    assert published == []
    [status] = await deps.telemetry.statuses([car.id])
    assert status is not None
    assert (status.event_id, status.soc_percent, status.active_fault_codes) == ("evt-10", 70, ())
    data = await gql.ok(VEHICLE, {"id": gid("Vehicle", car.id)}, gql.bearer(Role.ADMIN, "a"))
    assert data["vehicle"]["odometerKm"] == 1200


async def test_each_vehicle_reports_its_newest_state_and_new_fault_codes_once(
    gql: GraphQLClient, deps: Deps, published: list[DomainEvent]
) -> None:
    owner = await add_owner(deps)
    car, other = await add_vehicle(deps, owner), await add_vehicle(deps, owner)
    await ingest(gql, [item(car, 2, socPercent=60, faultCodes=["P0A80"]),
                       item(car, 1, socPercent=70), item(other, 1)])
    assert sorted((e.vehicle_id, e.soc_percent) for e in published
                  if isinstance(e, VehicleStatusReported)) == sorted([(car.id, 60), (other.id, 80)])
    assert [(e.vehicle_id, e.owner_id, e.codes) for e in published
            if isinstance(e, FaultCodesReported)] == [(car.id, owner.id, ("P0A80",))]
    published.clear()
    await ingest(gql, [item(car, 3, faultCodes=["U0100", "P0A80"])])
    assert [e.codes for e in published if isinstance(e, FaultCodesReported)] == [("U0100",)]
    published.clear()
    await ingest(gql, [item(car, 4)])  # faultCodes not sent: the active ones stay active
    assert [type(e) for e in published] == [VehicleStatusReported]


async def test_bad_events_are_rejected_and_the_rest_stored(
    gql: GraphQLClient, deps: Deps, app: Starlette
) -> None:
    car = await add_vehicle(deps, await add_owner(deps))
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    payload = await ingest(gql, [
        item(car, 0), item(car, 1, socPercent=101), item(car, 2, vin="WVWZZZ1JZXW000001"),
        item(car, 3, vin="not-a-vin"), item(car, 4, at=future),
        item(car, 5, location={"lat": 91, "lng": 0}), item(car, 6, eventId=""),
        item(car, 7, faultCodes=["P0A80"] * 3 + ["bad code"]),
        item(car, 8, vin=car.vin.lower())])
    assert statuses(payload) == ["STORED"] + ["REJECTED"] * 7 + ["STORED"]
    assert [(e["__typename"], e["field"]) for r in payload["results"] for e in r["errors"]] == [
        ("InvalidInput", "socPercent"), ("NotFound", "vin"), ("InvalidVin", "vin"),
        ("InvalidInput", "at"), ("InvalidInput", "location"), ("InvalidInput", "eventId"),
        ("InvalidInput", "faultCodes")]
    assert await _count(app, "telemetry") == 2


async def test_more_than_a_thousand_events_are_refused_and_nothing_is_written(
    gql: GraphQLClient, deps: Deps, app: Starlette
) -> None:
    car = await add_vehicle(deps, await add_owner(deps))
    body = await gql.post(INGEST, {"batch": [item(car, i) for i in range(1001)]},
                          gql.bearer(Role.VEHICLE_GATEWAY, "gateway-1"))
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "at most 1000" in body["errors"][0]["message"]
    assert await _count(app, "telemetry") == 0


@pytest.mark.parametrize(("role", "center"), [
    (Role.OWNER, None), (Role.SERVICE_STAFF, "c-1"), (Role.OEM_ANALYST, None)])
async def test_people_cannot_ingest_telemetry(
    gql: GraphQLClient, deps: Deps, app: Starlette, role: Role, center: str | None
) -> None:
    owner = await add_owner(deps)
    car = await add_vehicle(deps, owner)
    body = await gql.post(INGEST, {"batch": [item(car, 0)]}, gql.bearer(role, owner.id, center))
    assert error_codes(body) == ["FORBIDDEN"]
    assert await _count(app, "telemetry") == 0


async def test_anonymous_callers_must_sign_in(gql: GraphQLClient, deps: Deps) -> None:
    car = await add_vehicle(deps, await add_owner(deps))
    body = await gql.post(INGEST, {"batch": [item(car, 0)]})
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_an_admin_may_ingest_too(gql: GraphQLClient, deps: Deps) -> None:
    car = await add_vehicle(deps, await add_owner(deps))
    assert statuses(await ingest(gql, [item(car, 0)], Role.ADMIN)) == ["STORED"]


async def test_the_cli_issues_a_gateway_token_that_may_ingest(
    gql: GraphQLClient, deps: Deps, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JWT_SECRET", TEST_SECRET)
    assert main(["token", "--role", "VEHICLE_GATEWAY"]) == 0
    token = capsys.readouterr().out.strip()
    car = await add_vehicle(deps, await add_owner(deps))
    data = await gql.ok(INGEST, {"batch": [item(car, 0)]}, f"Bearer {token}")
    assert data["ingestTelemetry"]["stored"] == 1


async def test_range_estimate_follows_measured_consumption_after_200_km(
    gql: GraphQLClient, deps: Deps
) -> None:
    car = await add_vehicle(deps, await add_owner(deps))  # volta-one: 58 kWh, rated 160 Wh/km
    auth, variables = gql.bearer(Role.ADMIN, "a"), {"id": gid("Vehicle", car.id)}
    rated = (await gql.ok(VEHICLE, variables, auth))["vehicle"]
    await ingest(gql, [item(car, 0, socPercent=90), item(car, 60, socPercent=60,
                                                         odometerKm=1100)])
    partial = (await gql.ok(VEHICLE, variables, auth))["vehicle"]
    await ingest(gql, [item(car, 120, socPercent=30, odometerKm=1200)])
    measured = (await gql.ok(VEHICLE, variables, auth))["vehicle"]
    assert rated["measuredConsumptionWhPerKm"] is None
    assert partial["measuredConsumptionWhPerKm"] is None  # 100 km are not enough
    assert partial["rangeEstimate"] == rated["rangeEstimate"]
    assert measured["measuredConsumptionWhPerKm"] == 174.0  # 60% of 58 kWh over 200 km
    assert measured["rangeEstimate"] == pytest.approx(rated["rangeEstimate"] * 160 / 174,
                                                      abs=0.1)
    assert measured["odometerKm"] == 1200


async def test_round_trips_do_not_grow_with_the_batch(
    gql: GraphQLClient, deps: Deps, published: list[DomainEvent]
) -> None:
    """Ingestion's own round-trips; what subscribers of its events do is theirs to count."""
    owner = await add_owner(deps)
    cars = [await add_vehicle(deps, owner) for _ in range(6)]

    async def round_trips(batch: list[dict[str, Any]]) -> int:
        with counting_round_trips() as trips:
            await ingest(gql, batch)
        return trips.count

    few = await round_trips([item(car, 0, odometerKm=1001) for car in cars[:2]])
    many = await round_trips([item(car, m, odometerKm=1001 + m) for car in cars
                              for m in (1, 2, 3)])
    parked = await round_trips([item(car, 4, odometerKm=1004) for car in cars])
    assert few == many == 6  # vehicles, insert, statuses, batteries, status write, odometers
    assert parked == 5  # no odometer rose


async def test_measured_consumption_of_a_garage_is_one_round_trip(
    gql: GraphQLClient, deps: Deps
) -> None:
    owner = await add_owner(deps)
    for _ in range(4):
        await add_vehicle(deps, owner)
    garage = "{ me { vehicles(first: 10) { edges { node { vin %s } } } } }"
    auth = gql.bearer(Role.OWNER, owner.id)

    async def round_trips(query: str) -> int:
        with counting_round_trips() as trips:
            data = await gql.ok(query, authorization=auth)
        assert len(data["me"]["vehicles"]["edges"]) == 4
        return trips.count

    await round_trips(garage % "")  # the first request of a session may note app use
    plain = await round_trips(garage % "")
    measured = await round_trips(garage % "measuredConsumptionWhPerKm")
    assert measured == plain + 1  # every vehicle's status in one query
