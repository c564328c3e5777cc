"""Deterministic demo data: the same seed and count always give the same owners and vehicles."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.catalogue import CATALOGUE
from domain.ids import new_id
from domain.owners import Owner
from domain.pagination import PageRequest
from domain.vehicles import Vehicle
from services.deps import Deps

_FIRST = ("Ana", "Ben", "Chloé", "Dev", "Elif", "Femi", "Greta", "Hiro", "Ines", "Jonas",
          "Kira", "Luca", "Maya", "Nils", "Olu", "Priya", "Quinn", "Rosa", "Sami", "Tove")
_LAST = ("Almeida", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Hansen",
         "Ivanova", "Jensen", "Kowalski", "Lindqvist", "Müller", "Nakamura", "Okafor", "Rossi")
_PLACES = (("en-GB", "Europe/London"), ("de-DE", "Europe/Berlin"), ("fr-FR", "Europe/Paris"),
           ("nl-NL", "Europe/Amsterdam"), ("sv-SE", "Europe/Stockholm"), ("es-ES", "Europe/Madrid"),
           ("en-US", "America/New_York"), ("en-US", "America/Los_Angeles"))
_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_SOFTWARE = ("2025.44.1", "2026.8.2", "2026.20.0", "2026.32.1")
# Reference time for generated histories, so a seed means the same data on any day.
EPOCH = datetime.fromisoformat("2026-11-01T00:00:00+00:00")


@dataclass(frozen=True, slots=True)
class DemoOwner:
    owner: Owner
    vehicles: list[Vehicle]


def demo_owner_id(seed: int, index: int = 0) -> str:
    """The id of the index-th demo owner for a seed: handy for `evjourney token --owner`."""
    return next(generate(index + 1, seed, start=index)).owner.id


def generate(count: int, seed: int, start: int = 0) -> Iterator[DemoOwner]:
    for index in range(start, count):
        rng = random.Random(f"{seed}:{index}")
        yield _demo_owner(rng, index)


def _demo_owner(rng: random.Random, index: int) -> DemoOwner:
    joined = EPOCH - timedelta(days=rng.randint(10, 4 * 365))
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    locale, timezone = rng.choice(_PLACES)
    owner = Owner(id=new_id(joined, rng), name=f"{first} {last}",
                  email=f"{_ascii(first)}.{_ascii(last)}.{index}@example.com".lower(),
                  locale=locale, timezone=timezone, created_at=joined, updated_at=joined)
    count = rng.choices((1, 2, 3), weights=(80, 17, 3))[0]
    return DemoOwner(owner, [_demo_vehicle(rng, owner, joined) for _ in range(count)])


def _demo_vehicle(rng: random.Random, owner: Owner, joined: datetime) -> Vehicle:
    delivered = min(joined + timedelta(days=rng.randint(0, 60)), EPOCH)
    days_owned = max((EPOCH - delivered).days, 0)
    return Vehicle(
        id=new_id(delivered, rng), vin="".join(rng.choices(_VIN_CHARS, k=17)),
        owner_id=owner.id, model_id=rng.choice(CATALOGUE).id,
        nickname=rng.choice((None, "Daily", "Blue", "Family car", "Sparky")),
        delivered_at=delivered, odometer_km=round(days_owned * rng.uniform(20, 60), 1),
        software_version=rng.choice(_SOFTWARE), created_at=delivered, updated_at=delivered,
    )


def _ascii(name: str) -> str:
    return name.encode("ascii", "ignore").decode()


async def seed_demo(
    deps: Deps, count: int, seed: int, progress: Callable[[int], None] | None = None,
    batch: int = 500,
) -> int:
    """Writes `count` demo owners with their vehicles in batches; returns vehicles written."""
    written = 0
    for chunk in itertools.batched(generate(count, seed), batch, strict=False):
        await deps.owners.add_many([item.owner for item in chunk])
        vehicles = [vehicle for item in chunk for vehicle in item.vehicles]
        await deps.vehicles.add_many(vehicles)
        written += len(vehicles)
        if progress:
            progress(len(chunk))
    return written


async def store_is_empty(deps: Deps) -> bool:
    probe = await deps.owners.page(PageRequest(first=0), None)
    return not probe.has_next


async def seed_demo_if_empty(deps: Deps, count: int, seed: int) -> int:
    """Seeds only a store without owners; returns vehicles written (0 if it had data)."""
    return await seed_demo(deps, count, seed) if await store_is_empty(deps) else 0
