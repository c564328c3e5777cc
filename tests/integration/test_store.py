"""The MongoDB repositories against the engine in use (in-process, wire server or MongoDB)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.settings import Settings
from domain.errors import DuplicateEmail, DuplicateVin
from domain.pagination import PageRequest
from services.demo import generate, seed_demo
from services.deps import Deps
from store.documents import SCHEMA_VERSION
from tests.conftest import TEST_SECRET
from tests.factories import add_owner, add_vehicle


def _db(app: Starlette) -> Any:
    return app.state.db


async def test_documents_carry_schema_version_and_timestamps(app: Starlette, deps: Deps) -> None:
    vehicle = await add_vehicle(deps, await add_owner(deps))
    doc = await _db(app)["vehicles"].find_one({"_id": vehicle.id})
    assert doc["schemaVersion"] == SCHEMA_VERSION
    assert doc["createdAt"] == doc["updatedAt"]
    assert doc["ownerId"] == vehicle.owner_id
    assert doc["createdAt"].tzinfo is not None


async def test_unique_indexes_exist(app: Starlette) -> None:
    vehicle_indexes = await _db(app)["vehicles"].index_information()
    owner_indexes = await _db(app)["owners"].index_information()
    assert vehicle_indexes["vin_unique"]["unique"]
    assert [tuple(k) for k in vehicle_indexes["vin_unique"]["key"]] == [("vin", 1)]
    assert owner_indexes["email_unique"]["unique"]
    assert [tuple(k) for k in vehicle_indexes["owner_id"]["key"]] == [("ownerId", 1), ("_id", 1)]


async def test_unique_indexes_refuse_duplicates(deps: Deps) -> None:
    owner = await add_owner(deps, email="same@example.com")
    with pytest.raises(DuplicateEmail):
        await add_owner(deps, email="same@example.com")
    vehicle = await add_vehicle(deps, owner)
    with pytest.raises(DuplicateVin):
        await add_vehicle(deps, owner, vin=vehicle.vin)


async def test_get_many_answers_in_key_order_with_gaps(deps: Deps) -> None:
    first, second = await add_owner(deps), await add_owner(deps)
    found = await deps.owners.get_many([second.id, "f" * 24, first.id])
    assert [owner.id if owner else None for owner in found] == [second.id, None, first.id]


async def test_grouped_pages_equal_single_owner_pages(deps: Deps) -> None:
    owners = [await add_owner(deps) for _ in range(3)]
    for count, owner in zip((0, 2, 5), owners, strict=True):
        for _ in range(count):
            await add_vehicle(deps, owner)
    request = PageRequest(first=3)
    grouped = await deps.vehicles.pages_by_owner([o.id for o in owners], request)
    single = [(await deps.vehicles.pages_by_owner([o.id], request))[0] for o in owners]
    assert grouped == single
    assert [(len(p.items), p.has_next) for p in grouped] == [(0, False), (2, False), (3, True)]
    after = PageRequest(first=3, after=grouped[2].items[-1].id)
    rest = await deps.vehicles.pages_by_owner([owners[2].id, owners[1].id], after)
    assert [(len(p.items), p.has_next) for p in rest] == [(2, False), (0, False)]


async def test_update_refuses_a_lower_odometer_atomically(deps: Deps) -> None:
    vehicle = await add_vehicle(deps, await add_owner(deps), odometer_km=500)
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert await deps.vehicles.update(vehicle.id, {"odometer_km": 400.0}) is None
    updated = await deps.vehicles.update(vehicle.id, {"odometer_km": 600.0, "updated_at": later})
    assert updated is not None
    assert (updated.odometer_km, updated.updated_at) == (600.0, later.replace(
        microsecond=later.microsecond // 1000 * 1000))


async def test_demo_seed_is_deterministic(deps: Deps) -> None:
    vehicles = await seed_demo(deps, 5, seed=3, batch=2)
    expected = list(generate(5, seed=3))
    assert vehicles == sum(len(item.vehicles) for item in expected)
    found = await deps.owners.get_many([item.owner.id for item in expected])
    assert [owner.email if owner else None for owner in found] == [
        item.owner.email for item in expected]


async def test_sqlite_file_keeps_data_across_restarts(tmp_path: Path) -> None:
    settings = Settings(mongodb_uri=None, evj_data_path=str(tmp_path / "evj.sqlite"),
                        evj_seed_owners=4, evj_seed=11, evj_seed_journey_owners=0,
                        jwt_secret=TEST_SECRET)
    first_ids = await _owner_ids_after_start(settings)
    again = await _owner_ids_after_start(settings.model_copy(update={"evj_seed": 12}))
    assert len(first_ids) == 4
    assert again == first_ids  # not re-seeded: the store was not empty


async def _owner_ids_after_start(settings: Settings) -> list[str]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        page = await app.state.deps.owners.page(PageRequest(first=100), None)
    return [owner.id for owner in page.items]
