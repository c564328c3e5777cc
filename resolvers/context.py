"""The per-request context: who is asking, the use-case dependencies and fresh DataLoaders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from strawberry.dataloader import DataLoader

from domain.access import Principal
from domain.owners import Owner
from domain.pagination import Page, PageRequest
from domain.vehicles import Vehicle
from resolvers.errors import Unauthenticated
from services.deps import Deps

type OwnerPageKey = tuple[str, PageRequest]


@dataclass
class Loaders:
    """One set per request, so cached objects never outlive the request that read them."""

    deps: Deps
    owner: DataLoader[str, Owner | None] = field(init=False)
    vehicle: DataLoader[str, Vehicle | None] = field(init=False)
    vehicles_by_owner: DataLoader[OwnerPageKey, Page[Vehicle]] = field(init=False)

    def __post_init__(self) -> None:
        self.owner = DataLoader(self.deps.owners.get_many)
        self.vehicle = DataLoader(self.deps.vehicles.get_many)
        self.vehicles_by_owner = DataLoader(self._vehicle_pages)

    async def _vehicle_pages(self, keys: Sequence[OwnerPageKey]) -> list[Page[Vehicle]]:
        """One query per distinct page request (usually one), however many owners."""
        owners_by_request: dict[PageRequest, list[str]] = defaultdict(list)
        for owner_id, request in keys:
            owners_by_request[request].append(owner_id)
        pages: dict[OwnerPageKey, Page[Vehicle]] = {}
        for request, owner_ids in owners_by_request.items():
            found = await self.deps.vehicles.pages_by_owner(owner_ids, request)
            pages.update({(owner_id, request): page for owner_id, page in zip(owner_ids, found,
                                                                              strict=True)})
        return [pages[key] for key in keys]

    def prime_owners(self, owners: Sequence[Owner]) -> None:
        for owner in owners:
            self.owner.prime(owner.id, owner)


@dataclass
class Context:
    deps: Deps
    principal: Principal | None
    auth_error: str | None = None
    request: Any = None
    response: Any = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.deps)

    @property
    def actor(self) -> Principal:
        if self.principal is None:
            raise Unauthenticated(self.auth_error or "sign in: send Authorization: Bearer <JWT>")
        return self.principal
