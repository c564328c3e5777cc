"""`evjourney seed`: demo data into the configured store, with a progress bar."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.progress import Progress

from api.app import build_deps
from api.settings import Settings
from domain.access import Principal, Role
from services.charging_stations import MAX_IMPORT, import_locations
from services.demo import seed_demo, store_is_empty
from store.client import open_database
from store.indexes import ensure_indexes


async def seed_store(settings: Settings, owners: int, seed: int) -> None:
    async with open_database(settings.mongodb_uri, settings.mongodb_db,
                             settings.evj_data_path) as db:
        await ensure_indexes(db, settings.evj_telemetry_retention_days)
        deps = build_deps(db, settings)
        if not await store_is_empty(deps):
            print(f"database {settings.mongodb_db!r} already has owners: seed an empty one")
            return
        with Progress(disable=owners < 1000) as progress:
            task = progress.add_task("seeding owners", total=owners)
            vehicles = await seed_demo(deps, owners, seed,
                                       progress=lambda n: progress.advance(task, n))
    print(f"seeded {owners} owners with {vehicles} vehicles (seed {seed})")


def _locations(path: Path) -> list[dict[str, Any]]:
    document = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(document, dict) and isinstance(document.get("data"), list):
        document = document["data"]  # an OCPI response envelope
    items = document if isinstance(document, list) else [document]
    return [item if isinstance(item, dict) else {} for item in items]


async def import_station_file(settings: Settings, file: str) -> int:
    """Imports in chunks through the same use case as the API; prints what was refused."""
    locations = _locations(Path(file))
    admin = Principal(role=Role.ADMIN, subject="cli")
    imported = updated = rejected = 0
    async with open_database(settings.mongodb_uri, settings.mongodb_db,
                             settings.evj_data_path) as db:
        await ensure_indexes(db, settings.evj_telemetry_retention_days)
        deps = build_deps(db, settings)
        with Progress(disable=len(locations) < 1000) as progress:
            task = progress.add_task("importing stations", total=len(locations))
            for start in range(0, len(locations), MAX_IMPORT):
                result = await import_locations(deps, admin, locations[start:start + MAX_IMPORT])
                imported, updated = imported + result.imported, updated + result.updated
                for index, error in result.rejected:
                    print(f"location {start + index}: {error.message}")
                rejected += len(result.rejected)
                progress.advance(task, min(MAX_IMPORT, len(locations) - start))
    print(f"imported {imported}, updated {updated}, rejected {rejected}")
    return 0 if rejected == 0 else 1
