"""Finding centers near a point, and what a vehicle is due for, through GraphQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.access import Role
from services.deps import Deps
from tests.conftest import GraphQLClient, error_codes
from tests.factories import add_center, add_owner, add_vehicle, gid

NEAR = """
query($lat: Float!, $lng: Float!, $radius: Float!, $first: Int, $after: String) {
  serviceCenters(near: {lat: $lat, lng: $lng}, radiusKm: $radius, first: $first, after: $after) {
    edges { node { id distanceKm openingHours { weekday opens closes } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
DUE = """query($id: ID!) { vehicle(id: $id) { serviceDue {
  serviceType dueOn dueAtKm reason overdue dueSoon } } }"""


async def test_centers_are_found_nearest_first_within_the_radius(
    gql: GraphQLClient, deps: Deps
) -> None:
    # Berlin Mitte, Potsdam (~27 km), Leipzig (~150 km), and one just inside the box's corner.
    mitte = await add_center(deps, lat=52.520, lng=13.405)
    potsdam = await add_center(deps, lat=52.391, lng=13.064)
    await add_center(deps, lat=51.340, lng=12.375)
    await add_center(deps, lat=52.520 + 0.25, lng=13.405 + 0.40)  # ~37 km: in box, out of 30 km
    auth = gql.bearer(Role.OWNER, "someone")
    data = await gql.ok(NEAR, {"lat": 52.52, "lng": 13.40, "radius": 30}, auth)
    edges = data["serviceCenters"]["edges"]
    assert [e["node"]["id"] for e in edges] == [gid("ServiceCenter", mitte.id),
                                                gid("ServiceCenter", potsdam.id)]
    assert edges[0]["node"]["distanceKm"] < 1 < 20 < edges[1]["node"]["distanceKm"] < 30
    first_page = await gql.ok(NEAR, {"lat": 52.52, "lng": 13.40, "radius": 30, "first": 1}, auth)
    page = first_page["serviceCenters"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await gql.ok(NEAR, {"lat": 52.52, "lng": 13.40, "radius": 30, "first": 1,
                               "after": page["pageInfo"]["endCursor"]}, auth)
    assert [e["node"]["id"] for e in rest["serviceCenters"]["edges"]] == [
        gid("ServiceCenter", potsdam.id)]


async def test_center_search_checks_its_arguments(gql: GraphQLClient) -> None:
    auth = gql.bearer(Role.OWNER, "someone")
    for variables in ({"lat": 95, "lng": 0, "radius": 10}, {"lat": 0, "lng": 0, "radius": 0},
                      {"lat": 0, "lng": 0, "radius": 5000}):
        body = await gql.post(NEAR, variables, auth)
        assert error_codes(body) == ["BAD_USER_INPUT"]
    assert error_codes(await gql.post(NEAR, {"lat": 0, "lng": 0, "radius": 5})) == [
        "UNAUTHENTICATED"]


async def test_service_due_by_time_and_by_distance(gql: GraphQLClient, deps: Deps) -> None:
    owner = await add_owner(deps)
    # Delivered 100 days ago (factories), 1,000 km: the time limit comes first.
    gentle = await add_vehicle(deps, owner, odometer_km=1000)
    # 100 days and 11,500 km: tyre rotation (12,000 km) is due soon, by distance.
    heavy = await add_vehicle(deps, owner, odometer_km=11_500)
    auth = gql.bearer(Role.OWNER, owner.id)
    due = {d["serviceType"]: d for d in (await gql.ok(DUE, {"id": gid("Vehicle", gentle.id)},
                                                      auth))["vehicle"]["serviceDue"]}
    delivered = (datetime.now(UTC) - timedelta(days=100)).date()
    assert due["ANNUAL_SERVICE"]["reason"] == "TIME"
    assert due["ANNUAL_SERVICE"]["dueOn"] == delivered.replace(year=delivered.year + 2).isoformat()
    assert due["ANNUAL_SERVICE"]["overdue"] is False
    tyres = {d["serviceType"]: d for d in (await gql.ok(DUE, {"id": gid("Vehicle", heavy.id)},
                                                        auth))["vehicle"]["serviceDue"]}
    assert tyres["TYRE_ROTATION"]["reason"] == "DISTANCE"
    assert tyres["TYRE_ROTATION"]["dueSoon"] is True
    assert tyres["TYRE_ROTATION"]["dueAtKm"] == 12_000
