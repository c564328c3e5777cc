"""Importing OCPI locations and finding stations, through GraphQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from domain.access import Role
from tests.conftest import GraphQLClient, error_codes

OCPI = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ocpi-2.2.1"
IMPORT = """mutation($locations: [JSON!]!) { importChargingStations(locations: $locations) {
  imported updated rejected { index error { __typename field } } } }"""
NEAR = """query($lat: Float!, $lng: Float!, $min: Float!) {
  chargingStations(near: {lat: $lat, lng: $lng}, radiusKm: 50, minPowerKw: $min) {
    edges { node { name operator distanceKm connectors { type powerType maxPowerKw } } } } }"""


def _examples() -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted(OCPI.glob("location_example*.json"))]


async def test_admin_imports_real_ocpi_locations_and_owners_find_them(gql: GraphQLClient) -> None:
    documents = _examples()
    admin = gql.bearer(Role.ADMIN, "admin")
    first = await gql.ok(IMPORT, {"locations": [*documents, {"id": "broken"}, 42]}, admin)
    result = first["importChargingStations"]
    assert (result["imported"], result["updated"]) == (len(documents), 0)
    assert [r["index"] for r in result["rejected"]] == [len(documents), len(documents) + 1]
    again = await gql.ok(IMPORT, {"locations": documents}, admin)
    assert (again["importChargingStations"]["imported"],
            again["importChargingStations"]["updated"]) == (0, len(documents))
    lat = float(documents[0]["coordinates"]["latitude"])
    lng = float(documents[0]["coordinates"]["longitude"])
    found = await gql.ok(NEAR, {"lat": lat, "lng": lng, "min": 0},
                         gql.bearer(Role.OWNER, "someone"))
    edges = found["chargingStations"]["edges"]
    assert edges
    assert edges[0]["node"]["distanceKm"] < 0.01
    powerful = await gql.ok(NEAR, {"lat": lat, "lng": lng, "min": 1000},
                            gql.bearer(Role.OWNER, "someone"))
    assert powerful["chargingStations"]["edges"] == []


async def test_only_admins_import(gql: GraphQLClient) -> None:
    body = await gql.post(IMPORT, {"locations": _examples()}, gql.bearer(Role.OWNER, "x"))
    assert error_codes(body) == ["FORBIDDEN"]
