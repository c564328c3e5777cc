"""Owner use cases."""

from __future__ import annotations

from domain import owners
from domain.access import Principal, ensure
from domain.events import OwnerRegistered
from domain.owners import Owner, OwnerRegistration
from domain.pagination import Page, PageRequest
from services.deps import Deps


async def register_owner(deps: Deps, actor: Principal, data: OwnerRegistration) -> Owner:
    ensure(actor.is_admin, "register owners")
    now = deps.clock()
    owner = owners.register(data, now)
    await deps.owners.add(owner)
    await deps.events.publish(OwnerRegistered(at=now, owner_id=owner.id))
    return owner


async def list_owners(
    deps: Deps, actor: Principal, request: PageRequest, search: str | None
) -> Page[Owner]:
    ensure(actor.is_admin, "list owners")
    return await deps.owners.page(request, owners.search_term(search))
