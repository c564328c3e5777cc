"""The charging station repository against the engine in use: OCPI import round trip (upserts)
and the box query with a minimum power."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from domain.geo import distance_km
from domain.stations import ChargingStation, demo_network, from_ocpi_location
from store.charging_stations import COLLECTION, INDEXES, MongoChargingStationRepository
from store.documents import SCHEMA_VERSION
from store.stats import counting_round_trips

OCPI_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "ocpi-2.2.1"


async def _repository(app: Starlette) -> MongoChargingStationRepository:
    await app.state.db[COLLECTION].create_indexes(INDEXES)
    return MongoChargingStationRepository(app.state.db)


def _examples() -> list[ChargingStation]:
    docs: list[dict[str, Any]] = [json.loads(path.read_text(encoding="utf-8"))
                                  for path in sorted(OCPI_DIR.glob("location_example*.json"))]
    return [from_ocpi_location(doc) for doc in docs]


async def test_indexes_are_created(app: Starlette) -> None:
    await _repository(app)
    info = await app.state.db[COLLECTION].index_information()
    assert [tuple(key) for key in info["lat_lng"]["key"]] == [("location.lat", 1),
                                                             ("location.lng", 1)]
    assert [tuple(key) for key in info["max_power_kw"]["key"]] == [("maxPowerKw", 1)]
    assert not any(index.get("unique") for name, index in info.items() if name != "_id_")


async def test_ocpi_import_round_trip(app: Starlette) -> None:
    repository = await _repository(app)
    stations = _examples()
    ids = [station.id for station in stations]
    with counting_round_trips() as trips:
        assert await repository.upsert_many(stations) == (len(stations), 0)
    assert trips.count == 1
    assert await repository.get_many(ids) == stations
    assert await repository.get_many([*reversed(ids), "XX-YYY-missing"]) == [
        *reversed(stations), None]
    assert await repository.get_many([ids[0]]) == [stations[0]]
    assert await repository.get_many([]) == []

    doc = await app.state.db[COLLECTION].find_one({"_id": "BE-BEC-LOC1"})
    assert doc["schemaVersion"] == SCHEMA_VERSION
    assert doc["maxPowerKw"] == stations[[s.id for s in stations].index("BE-BEC-LOC1")].max_power_kw
    assert doc["location"]["lat"] == 51.047599
    assert doc["updatedAt"].tzinfo is not None

    # Importing the same feed again updates, it does not insert.
    with counting_round_trips() as trips:
        assert await repository.upsert_many(stations) == (0, len(stations))
    assert trips.count == 1
    assert await app.state.db[COLLECTION].count_documents({}) == len(stations)


async def test_upsert_mixes_new_and_changed_stations(app: Starlette) -> None:
    repository = await _repository(app)
    first, *rest = _examples()
    assert await repository.upsert_many([first]) == (1, 0)
    renamed = first.model_copy(update={"name": "Renamed", "price_per_kwh": 0.45,
                                       "currency": "EUR"})
    assert await repository.upsert_many([renamed, *rest]) == (len(rest), 1)
    assert await repository.get_many([first.id]) == [renamed]
    assert await repository.upsert_many([]) == (0, 0)


async def test_box_query_with_min_power(app: Starlette) -> None:
    repository = await _repository(app)
    network = demo_network(21, 240)
    assert await repository.upsert_many(network) == (len(network), 0)
    # Around Munich: the city cluster (11-50 kW) and the corridor stations that start there.
    south, west, north, east = 47.9, 11.2, 48.4, 11.9
    inside = [s for s in network if south <= s.location.lat <= north
              and west <= s.location.lng <= east]
    fast = [s for s in inside if s.max_power_kw >= 150]
    assert fast
    assert len(fast) < len(inside)

    def ids(stations: list[ChargingStation]) -> list[str]:
        return sorted(station.id for station in stations)

    assert ids(await repository.in_box(south, west, north, east, 0)) == ids(inside)
    found = await repository.in_box(south, west, north, east, 150)
    assert ids(found) == ids(fast)
    assert all(station.max_power_kw >= 150 for station in found)
    assert ids(await repository.in_box(south, west, north, east, 22)) == ids(
        [s for s in inside if s.max_power_kw >= 22])
    assert await repository.in_box(south, west, north, east, 400) == []
    # Exact distances are the domain's job: the box is only the prefilter.
    munich = found[0].location.model_copy(update={"lat": 48.1351, "lng": 11.5820})
    assert all(distance_km(munich, station.location) < 60 for station in found)
