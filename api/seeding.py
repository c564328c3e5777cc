"""`evjourney seed`: demo data into the configured store, with a progress bar."""

from __future__ import annotations

from rich.progress import Progress

from api.app import build_deps
from api.settings import Settings
from services.demo import seed_demo
from store.client import open_database
from store.indexes import ensure_indexes


async def seed_store(settings: Settings, owners: int, seed: int) -> None:
    async with open_database(settings.mongodb_uri, settings.mongodb_db,
                             settings.evj_data_path) as db:
        await ensure_indexes(db)
        with Progress(disable=owners < 1000) as progress:
            task = progress.add_task("seeding owners", total=owners)
            vehicles = await seed_demo(build_deps(db), owners, seed,
                                       progress=lambda n: progress.advance(task, n))
    print(f"seeded {owners} owners with {vehicles} vehicles (seed {seed})")
