"""Charging stations: OCPI 2.2.1 Location import (against the specification's own examples) and
the deterministic demo network."""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from domain.errors import InvalidInput
from domain.geo import distance_km
from domain.stations import (
    DEMO_CITIES,
    DEMO_OPERATORS,
    MAX_SPACING_KM,
    MIN_SPACING_KM,
    ChargingStation,
    Connector,
    demo_network,
    from_ocpi_location,
    station_id,
)

OCPI_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "ocpi-2.2.1"
EXAMPLES = sorted(OCPI_DIR.glob("location_example*.json"))


def _load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


def _expected_kw(connector: dict[str, Any]) -> float:
    if connector.get("max_electric_power") is not None:
        return float(connector["max_electric_power"]) / 1000
    phases = 3 if connector["power_type"] == "AC_3_PHASE" else 1
    return float(connector["max_voltage"] * connector["max_amperage"] * phases) / 1000


def test_the_examples_are_there() -> None:
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_every_ocpi_example_parses(path: Path) -> None:
    doc = _load(path)
    station = from_ocpi_location(doc)
    assert station.id == f"{doc['country_code']}-{doc['party_id']}-{doc['id']}"
    assert isinstance(station.location.lat, float)
    assert station.location.lat == float(doc["coordinates"]["latitude"])
    assert station.location.lng == float(doc["coordinates"]["longitude"])
    assert station.operator == doc.get("operator", {}).get("name")
    assert station.name == doc.get("name", doc["address"])
    assert (station.address, station.city, station.country) == (
        doc["address"], doc["city"], doc["country"])
    assert station.updated_at == datetime.fromisoformat(doc["last_updated"])
    expected = [c for evse in doc["evses"] if evse["status"] != "REMOVED"
                for c in evse["connectors"]]
    assert [c.max_power_kw for c in station.connectors] == pytest.approx(
        [_expected_kw(c) for c in expected])
    assert [(c.type, c.format, c.power_type) for c in station.connectors] == [
        (c["standard"], c["format"], c["power_type"]) for c in expected]
    assert station.max_power_kw == pytest.approx(max(_expected_kw(c) for c in expected))
    assert station.price_per_kwh is None


def test_known_powers_of_the_examples() -> None:
    by_name = {path.name: from_ocpi_location(_load(path)) for path in EXAMPLES}
    gent = by_name["location_example.json"]
    assert gent.id == "BE-BEC-LOC1"
    assert gent.operator == "BeCharged"
    assert len(gent.connectors) == 3  # two EVSEs; powers are per connector, never summed
    assert gent.max_power_kw == pytest.approx(220 * 16 * 3 / 1000)  # 10.56 kW, 3-phase
    home = by_name["location_example_uc5_home_charge_point.json"]
    assert home.max_power_kw == pytest.approx(230 * 8 / 1000)  # 1.84 kW, single phase
    assert home.name == "Krautwigstraße 283A"  # no name in OCPI: the address stands in


def _gent() -> dict[str, Any]:
    return copy.deepcopy(_load(OCPI_DIR / "location_example.json"))


def test_max_electric_power_wins_over_voltage_times_amperage() -> None:
    doc = _gent()
    doc["evses"][0]["connectors"][0].update(power_type="DC", max_voltage=920,
                                            max_amperage=500, max_electric_power=350000)
    station = from_ocpi_location(doc)
    assert station.connectors[0].max_power_kw == pytest.approx(350.0)
    assert station.max_power_kw == pytest.approx(350.0)


def test_removed_evses_are_skipped() -> None:
    doc = _gent()
    doc["evses"][0]["status"] = "REMOVED"
    assert len(from_ocpi_location(doc).connectors) == 1


def test_ids_are_made_safe() -> None:
    assert station_id("DE", "ABC", "loc 1/2?x") == "DE-ABC-loc_1_2_x"
    doc = _gent()
    doc["id"] = "a$b"
    assert from_ocpi_location(doc).id == "BE-BEC-a_b"


def _drop(doc: dict[str, Any], *path: str | int) -> None:
    *parents, last = path
    target: Any = doc
    for key in parents:
        target = target[key]
    del target[last]


def _set(doc: dict[str, Any], value: Any, *path: str | int) -> None:
    *parents, last = path
    target: Any = doc
    for key in parents:
        target = target[key]
    target[last] = value


@pytest.mark.parametrize(("path", "field"), [
    (("id",), "id"),
    (("country_code",), "country_code"),
    (("party_id",), "party_id"),
    (("coordinates",), "coordinates"),
    (("coordinates", "latitude"), "coordinates"),
    (("address",), "address"),
    (("city",), "city"),
    (("last_updated",), "last_updated"),
    (("evses", 0, "connectors", 1, "max_voltage"), "evses[0].connectors[1].max_voltage"),
    (("evses", 1, "connectors", 0, "standard"), "evses[1].connectors[0].standard"),
])
def test_missing_fields_are_named(path: tuple[str | int, ...], field: str) -> None:
    doc = _gent()
    _drop(doc, *path)
    with pytest.raises(InvalidInput) as caught:
        from_ocpi_location(doc)
    assert caught.value.field == field
    assert caught.value.message


@pytest.mark.parametrize(("path", "value", "field"), [
    (("coordinates", "latitude"), "north", "coordinates.latitude"),
    (("coordinates", "longitude"), "nan", "coordinates.longitude"),
    (("coordinates", "latitude"), "91.5", "coordinates"),
    (("coordinates",), "51.0,3.7", "coordinates"),
    (("evses", 0, "connectors", 0, "max_amperage"), "16", "evses[0].connectors[0].max_amperage"),
    (("evses", 0, "connectors", 0, "max_amperage"), -16, "evses[0].connectors[0].max_amperage"),
    (("evses", 0, "connectors", 0, "max_voltage"), True, "evses[0].connectors[0].max_voltage"),
    (("evses", 0, "connectors", 0, "max_electric_power"), 0,
     "evses[0].connectors[0].max_electric_power"),
    (("evses", 0, "connectors", 0, "power_type"), "AC_4_PHASE",
     "evses[0].connectors[0].power_type"),
    (("evses",), {"uid": "1"}, "evses"),
    (("operator",), "BeCharged", "operator"),
    (("id",), "", "id"),
    (("last_updated",), "yesterday", "last_updated"),
])
def test_malformed_values_are_named(path: tuple[str | int, ...], value: Any, field: str) -> None:
    doc = _gent()
    _set(doc, value, *path)
    with pytest.raises(InvalidInput) as caught:
        from_ocpi_location(doc)
    assert caught.value.field == field
    assert field.split("[")[0].split(".")[0] in caught.value.message


def test_a_location_without_evses_has_no_power() -> None:
    doc = _gent()
    del doc["evses"]
    station = from_ocpi_location(doc)
    assert station.connectors == ()
    assert station.max_power_kw == 0.0


def test_models_are_frozen() -> None:
    station = from_ocpi_location(_gent())
    with pytest.raises(ValueError, match="frozen"):
        station.name = "x"  # type: ignore[misc]
    connector = Connector(type="CHADEMO", format="CABLE", power_type="DC", max_power_kw=50)
    assert connector.max_power_kw == 50.0


# --- demo network --------------------------------------------------------------------------


def test_demo_network_is_deterministic_and_prefix_stable() -> None:
    assert demo_network(7, 150) == demo_network(7, 150)
    assert demo_network(7, 40) == demo_network(7, 150)[:40]
    assert demo_network(7, 60) != demo_network(8, 60)
    assert demo_network(7, 0) == []
    with pytest.raises(InvalidInput):
        demo_network(7, -1)


def test_demo_network_is_plausible() -> None:
    stations = demo_network(3, 300)
    assert len(stations) == 300
    assert len({s.id for s in stations}) == 300
    assert len({(s.location.lat, s.location.lng) for s in stations}) == 300
    powers = {c.max_power_kw for s in stations for c in s.connectors}
    assert {11.0, 22.0, 50.0, 150.0, 350.0} <= powers
    assert {s.operator for s in stations} == set(DEMO_OPERATORS)
    for station in stations:
        assert station.connectors
        assert station.currency == "EUR"
        assert station.price_per_kwh is not None
        assert 0.39 <= station.price_per_kwh <= 0.79
        assert 44 < station.location.lat < 55
        assert 2 < station.location.lng < 14
        assert station.updated_at.tzinfo is not None
        assert station.updated_at.microsecond == 0
        assert ChargingStation.model_validate(station.model_dump()) == station


def _corridors(stations: list[ChargingStation]) -> dict[str, list[ChargingStation]]:
    """Corridor stations are `{cc}-{party}-{FROM}-{TO}-{nnn}`, in order along the corridor."""
    corridors: dict[str, list[ChargingStation]] = defaultdict(list)
    for station in stations:
        parts = station.id.split("-")
        if len(parts) == 5:
            corridors[f"{parts[2]}-{parts[3]}"].append(station)
    return corridors


def test_corridor_stations_are_25_to_60_km_apart() -> None:
    corridors = _corridors(demo_network(11, 400))
    assert len(corridors) == 6
    for code, stations in corridors.items():
        start, _end = code.split("-")
        _, lat, lng, *_ = DEMO_CITIES[start]
        assert len(stations) >= 4, code
        assert stations == sorted(stations, key=lambda s: s.id.rsplit("-", 1)[1])
        first = distance_km(stations[0].location, stations[0].location.model_copy(
            update={"lat": lat, "lng": lng}))
        assert MIN_SPACING_KM - 2 <= first <= MAX_SPACING_KM + 2
        for a, b in pairwise(stations):
            gap = distance_km(a.location, b.location)
            assert MIN_SPACING_KM - 2 <= gap <= MAX_SPACING_KM + 2, (a.id, b.id, gap)
            assert a.max_power_kw >= 150.0  # corridors are for fast charging


def test_city_clusters_surround_their_city() -> None:
    stations = demo_network(5, 400)
    city_stations = [s for s in stations if len(s.id.split("-")) == 4]
    assert len(city_stations) >= 6 * 10
    centers = {name: (lat, lng) for name, lat, lng, *_ in DEMO_CITIES.values()}
    for station in city_stations:
        lat, lng = centers[station.city]
        center = station.location.model_copy(update={"lat": lat, "lng": lng})
        assert distance_km(station.location, center) <= 13.0
        assert station.max_power_kw in (11.0, 22.0, 50.0)
