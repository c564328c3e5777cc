"""`evjourney seed`: demo data into the configured store, with a progress bar."""

from __future__ import annotations

from rich.progress import Progress

from api.app import build_deps
from api.settings import Settings
from services.demo import seed_demo, store_is_empty
from store.client import open_database
from store.indexes import ensure_indexes


async def seed_store(settings: Settings, owners: int, seed: int) -> None:
    async with open_database(settings.mongodb_uri, settings.mongodb_db,
                             settings.evj_data_path) as db:
        await ensure_indexes(db)
        deps = build_deps(db, settings)
        if not await store_is_empty(deps):
            print(f"database {settings.mongodb_db!r} already has owners: seed an empty one")
            return
        with Progress(disable=owners < 1000) as progress:
            task = progress.add_task("seeding owners", total=owners)
            vehicles = await seed_demo(deps, owners, seed,
                                       progress=lambda n: progress.advance(task, n))
    print(f"seeded {owners} owners with {vehicles} vehicles (seed {seed})")
