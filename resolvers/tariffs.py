"""Home tariffs: how home charging is priced when a session arrives without a cost."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from strawberry.types import Info

from domain import tariffs
from resolvers.context import Context
from resolvers.relay import local_id
from resolvers.user_errors import UserError, attempt
from services import owners as owner_service

if TYPE_CHECKING:
    from resolvers.owners import Owner

OwnerRef = Annotated["Owner", strawberry.lazy("resolvers.owners")]


@strawberry.type(description="A daily time-of-use window, owner's local time.")
class TariffWindow:
    start: str = strawberry.field(description="HH:MM, inclusive.")
    end: str = strawberry.field(description="HH:MM, exclusive; at or before start wraps midnight.")
    price_per_kwh: float = strawberry.field(description="Price inside the window.")


@strawberry.type(description="The owner's home electricity tariff.")
class HomeTariff:
    currency: str = strawberry.field(description="ISO 4217 code.")
    price_per_kwh: float = strawberry.field(description="Price outside every window (flat price).")
    windows: list[TariffWindow] = strawberry.field(description="Time-of-use windows.")

    @classmethod
    def from_domain(cls, tariff: tariffs.HomeTariff) -> Self:
        return cls(currency=tariff.currency, price_per_kwh=tariff.price_per_kwh,
                   windows=[TariffWindow(start=w.start.strftime("%H:%M"),
                                         end=w.end.strftime("%H:%M"),
                                         price_per_kwh=w.price_per_kwh) for w in tariff.windows])


@strawberry.input(description="A time-of-use window.")
class TariffWindowInput:
    start: str = strawberry.field(description="HH:MM.")
    end: str = strawberry.field(description="HH:MM; at or before start wraps past midnight.")
    price_per_kwh: float = strawberry.field(description="Price inside the window.")


@strawberry.input(description="A flat tariff (no windows) or time-of-use windows.")
class SetHomeTariffInput:
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Default: the signed-in owner. ADMIN may name anyone.")
    currency: str = strawberry.field(description="ISO 4217 code.")
    price_per_kwh: float = strawberry.field(description="Flat price, or the price outside "
                                                        "the windows.")
    windows: list[TariffWindowInput] = strawberry.field(default_factory=list,
                                                        description="Up to 12 windows.")


@strawberry.type(description="The result of setHomeTariff.")
class SetHomeTariffPayload:
    owner: OwnerRef | None = strawberry.field(description="The owner with the new tariff.")
    errors: list[UserError] = strawberry.field(description="Why nothing changed.")


@strawberry.type
class TariffMutation:
    @strawberry.mutation(description="Sets the home tariff used to price home sessions reported "
                                     "without a cost. OWNER for themself, or ADMIN.")
    async def set_home_tariff(self, info: Info[Context, None],
                              input: SetHomeTariffInput) -> SetHomeTariffPayload:
        from resolvers.owners import Owner

        context = info.context

        async def set_tariff() -> Owner:
            owner_id = (local_id(input.owner_id, "Owner", "ownerId") if input.owner_id
                        else context.actor.owner_id or "")
            windows = [tariffs.tariff_window(w.start, w.end, w.price_per_kwh)
                       for w in input.windows]
            owner = await owner_service.set_home_tariff(context.deps, context.actor, owner_id,
                                                        input.currency, input.price_per_kwh,
                                                        windows)
            return Owner.from_domain(owner)

        owner, errors = await attempt(set_tariff)
        return SetHomeTariffPayload(owner=owner, errors=errors)
