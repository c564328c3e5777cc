"""Owner use cases."""

from __future__ import annotations

from domain import owners
from domain.access import Principal, can_read_owner, ensure
from domain.errors import NotFound
from domain.events import OwnerRegistered
from domain.owners import Owner, OwnerRegistration
from domain.pagination import Page, PageRequest
from domain.tariffs import TariffWindow, tariff
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


async def set_home_tariff(deps: Deps, actor: Principal, owner_id: str, currency: str,
                          price_per_kwh: float, windows: list[TariffWindow]) -> Owner:
    """The price of home charging from now on; sessions reported without a cost use it."""
    ensure(can_read_owner(actor, owner_id), "set this owner's tariff")
    home_tariff = tariff(currency, price_per_kwh, windows)
    owner = await deps.owners.set_home_tariff(owner_id, home_tariff, deps.clock())
    if owner is None:
        raise NotFound("owner not found", field="ownerId")
    return owner
