"""Owners: types, queries and mutations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from strawberry import relay
from strawberry.types import Info

from domain import owners
from domain.access import can_read_owner, ensure
from domain.journey import TouchpointKind
from domain.pagination import page_request
from resolvers.context import Context
from resolvers.relay import connection
from resolvers.tariffs import HomeTariff
from resolvers.user_errors import UserError, attempt
from services import owners as owner_service

if TYPE_CHECKING:
    from collections.abc import Iterable

    from resolvers.journey import Touchpoint
    from resolvers.notifications import Notification, NotificationPreferences
    from resolvers.privacy import Consent
    from resolvers.vehicles import Vehicle

VehicleRef = Annotated["Vehicle", strawberry.lazy("resolvers.vehicles")]
NotificationRef = Annotated["Notification", strawberry.lazy("resolvers.notifications")]
TouchpointRef = Annotated["Touchpoint", strawberry.lazy("resolvers.journey")]
PreferencesRef = Annotated["NotificationPreferences", strawberry.lazy("resolvers.notifications")]
ConsentRef = Annotated["Consent", strawberry.lazy("resolvers.privacy")]


@strawberry.type(description="A person who owns one or more vehicles of the brand.")
class Owner(relay.Node):
    id: relay.NodeID[str]
    name: str = strawberry.field(description="Full name.")
    email: str = strawberry.field(description="Email address, lower case.")
    locale: str = strawberry.field(description="Preferred language, e.g. de-DE.")
    timezone: str = strawberry.field(description="IANA timezone, e.g. Europe/Berlin.")
    region: str | None = strawberry.field(description="Country code, e.g. DE.")
    home_tariff: HomeTariff | None = strawberry.field(
        description="Prices home sessions reported without a cost.")
    domain: strawberry.Private[owners.Owner]

    @classmethod
    def from_domain(cls, owner: owners.Owner) -> Self:
        tariff = HomeTariff.from_domain(owner.home_tariff) if owner.home_tariff else None
        return cls(id=owner.id, name=owner.name, email=owner.email, locale=owner.locale,
                   timezone=owner.timezone, region=owner.region, home_tariff=tariff,
                   domain=owner)

    @strawberry.field(description="The owner's inbox, newest delivery first. The owner (and "
                                  "ADMIN) only.")
    async def notifications(self, info: Info[Context, None], first: int | None = None,
                            after: str | None = None, unread_only: bool = False
                            ) -> relay.Connection[NotificationRef]:
        from resolvers.notifications import owner_notifications

        return await owner_notifications(info, self.id, first, after, unread_only)

    @strawberry.field(description="The owner's touchpoint timeline, newest first: charges, "
                                  "trips, bookings, visits, updates, notifications opened and "
                                  "acted on, app sessions, surveys.")
    async def journey(self, info: Info[Context, None], first: int | None = None,
                      after: str | None = None, kinds: list[TouchpointKind] | None = None
                      ) -> relay.Connection[TouchpointRef]:
        from resolvers.journey import owner_journey

        return await owner_journey(info, self.id, first, after, kinds)

    @strawberry.field(description="How and when the owner wants to be notified.")
    def notification_preferences(self) -> PreferencesRef:
        from resolvers.notifications import NotificationPreferences

        return NotificationPreferences.from_domain(self.domain)

    @strawberry.field(description="Consent per purpose: the current answer for every purpose, "
                                  "or with `history: true` every record, newest first (up to "
                                  "100).")
    async def consents(self, info: Info[Context, None],
                       history: bool = False) -> list[ConsentRef]:
        from resolvers.privacy import owner_consents

        return await owner_consents(info, self.domain, history)

    @strawberry.field(description="The owner's vehicles, in registration order.")
    async def vehicles(self, info: Info[Context, None], first: int | None = None,
                       after: str | None = None) -> relay.Connection[VehicleRef]:
        from resolvers.vehicles import Vehicle

        page = await info.context.loaders.vehicles_by_owner.load(
            (self.id, page_request(first, after)))
        return connection(page, Vehicle.from_domain, key=lambda vehicle: vehicle.id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # async form of the overloads
        cls, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        actor = info.context.actor
        found = await info.context.loaders.owner.load_many(list(node_ids))
        for owner in found:
            if owner is not None:
                ensure(can_read_owner(actor, owner.id), "see this owner")
        return [cls.from_domain(owner) if owner else None for owner in found]


@strawberry.input(description="A new owner account.")
class RegisterOwnerInput:
    name: str = strawberry.field(description="Full name, 1 to 100 characters.")
    email: str = strawberry.field(description="Email address; unique.")
    locale: str = strawberry.field(default="en", description="Language tag, e.g. en or de-DE.")
    timezone: str = strawberry.field(default="UTC", description="IANA timezone.")
    region: str | None = strawberry.field(
        default=None, description="Country code (e.g. DE); analytics group owners by it.")


@strawberry.type(description="The result of registerOwner.")
class RegisterOwnerPayload:
    owner: Owner | None = strawberry.field(description="The new owner, unless there are errors.")
    errors: list[UserError] = strawberry.field(description="Why nothing was registered.")


@strawberry.type
class OwnerQuery:
    @strawberry.field(description="The signed-in owner; null for other roles.")
    async def me(self, info: Info[Context, None]) -> Owner | None:
        owner_id = info.context.actor.owner_id
        owner = await info.context.loaders.owner.load(owner_id) if owner_id else None
        return Owner.from_domain(owner) if owner else None

    @strawberry.field(description="All owners, oldest first; `search` matches name or email. "
                                  "ADMIN only.")
    async def owners(self, info: Info[Context, None], first: int | None = None,
                     after: str | None = None, search: str | None = None
                     ) -> relay.Connection[Owner]:
        context = info.context
        page = await owner_service.list_owners(context.deps, context.actor,
                                               page_request(first, after), search)
        context.loaders.prime_owners(page.items)
        return connection(page, Owner.from_domain, key=lambda owner: owner.id)


@strawberry.type
class OwnerMutation:
    @strawberry.mutation(description="Creates an owner account. ADMIN only.")
    async def register_owner(self, info: Info[Context, None],
                             input: RegisterOwnerInput) -> RegisterOwnerPayload:
        context = info.context
        data = owners.OwnerRegistration(name=input.name, email=input.email,
                                        locale=input.locale, timezone=input.timezone,
                                        region=input.region)
        owner, errors = await attempt(
            lambda: owner_service.register_owner(context.deps, context.actor, data))
        return RegisterOwnerPayload(owner=Owner.from_domain(owner) if owner else None,
                                    errors=errors)
