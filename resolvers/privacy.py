"""Privacy: the data export, account deletion and consent records."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from domain import owners, privacy
from domain.privacy import ConsentPurpose, ConsentSource
from resolvers.context import Context
from resolvers.relay import local_id
from resolvers.user_errors import UserError, attempt
from services import consents
from services import privacy as privacy_service

strawberry.enum(ConsentPurpose, description=(
    "What a consent is for. USAGE_BASED_TIPS is the notification preference "
    "allowUsageBasedTips (either changes both)."))
strawberry.enum(ConsentSource, description=(
    "Where an answer came from: APP (recordConsent), PREFERENCES (the notification "
    "preferences), ADMIN (changed by an administrator)."))

Confirm = Annotated[str, strawberry.argument(
    description=f"Must be {privacy.CONFIRM_DELETION}: deleting an account cannot be undone.")]
OwnerId = Annotated[strawberry.ID | None, strawberry.argument(
    description="ADMIN only, and then required: the account to delete.")]


@strawberry.type(description="An answer about one purpose: the current one, or a record of the "
                              "history.")
class Consent:
    purpose: ConsentPurpose = strawberry.field(description="What it is for.")
    granted: bool = strawberry.field(description="Given (true) or withdrawn / never given.")
    at: datetime | None = strawberry.field(
        description="When it was answered; null when it never was (then it is not granted).")
    source: ConsentSource | None = strawberry.field(description="Where the answer came from.")

    @classmethod
    def from_state(cls, state: privacy.ConsentState) -> Self:
        return cls(purpose=state.purpose, granted=state.granted, at=state.at, source=state.source)

    @classmethod
    def from_record(cls, record: privacy.Consent) -> Self:
        return cls(purpose=record.purpose, granted=record.granted, at=record.at,
                   source=record.source)


@strawberry.type(description="The result of exportMyData.")
class ExportMyDataPayload:
    data: JSON | None = strawberry.field(description=(
        "Everything stored about the signed-in owner: profile, consents, vehicles, charging, "
        "battery, telemetry, appointments, updates, notifications, devices, journey, feedback. "
        "Newest first, at most 10,000 items per section (`truncated` names fuller ones)."))
    errors: list[UserError] = strawberry.field(description="Why there is no export.")


@strawberry.type(description="What the erasure did to one collection.")
class ErasedCollection:
    collection: str = strawberry.field(description="The MongoDB collection.")
    deleted: int = strawberry.field(description="Documents deleted.")
    anonymised: int = strawberry.field(description="Documents kept under a pseudonym.")


@strawberry.type(description="The result of deleteMyAccount.")
class DeleteMyAccountPayload:
    deleted: bool = strawberry.field(description="True when nothing personal is left.")
    cancelled_appointments: int = strawberry.field(
        description="Upcoming service visits cancelled (their slots given back).")
    collections: list[ErasedCollection] = strawberry.field(
        description="Per collection: documents deleted and kept anonymised.")
    errors: list[UserError] = strawberry.field(description="Why nothing was deleted.")


@strawberry.type(description="The result of recordConsent.")
class RecordConsentPayload:
    consent: Consent | None = strawberry.field(description="The record just appended.")
    errors: list[UserError] = strawberry.field(description="Why nothing was recorded.")


async def owner_consents(info: Info[Context, None], owner: owners.Owner,
                         history: bool) -> list[Consent]:
    c = info.context
    if history:
        records = await consents.consent_history(c.deps, c.actor, owner.id)
        return [Consent.from_record(r) for r in records]
    states = await consents.current_consents(c.deps, c.actor, owner)
    return [Consent.from_state(s) for s in states]


@strawberry.type
class PrivacyMutation:
    @strawberry.mutation(description=(
        "A copy of everything stored about the signed-in OWNER, as JSON (the right of access "
        "and to data portability). Only the owner themself, for themself."))
    async def export_my_data(self, info: Info[Context, None]) -> ExportMyDataPayload:
        c = info.context
        data, errors = await attempt(lambda: privacy_service.export_my_data(c.deps, c.actor))
        return ExportMyDataPayload(data=cast(JSON, data), errors=errors)

    @strawberry.mutation(description=(
        "Deletes the signed-in OWNER's account: personal data are erased, analytics kept only "
        "under a pseudonym, upcoming visits cancelled. ADMIN may delete any account by "
        "ownerId. Running it again finishes an erasure that was interrupted."))
    async def delete_my_account(self, info: Info[Context, None], confirm: Confirm,
                                owner_id: OwnerId = None) -> DeleteMyAccountPayload:
        c = info.context

        async def delete() -> privacy_service.ErasureReport:
            target = local_id(owner_id, "Owner", "ownerId") if owner_id else None
            return await privacy_service.delete_account(c.deps, c.actor, target, confirm)

        report, errors = await attempt(delete)
        return DeleteMyAccountPayload(
            deleted=report is not None,
            cancelled_appointments=report.cancelled_appointments if report else 0,
            collections=[ErasedCollection(collection=e.collection, deleted=e.deleted,
                                          anonymised=e.anonymised)
                         for e in (report.collections if report else [])],
            errors=errors)

    @strawberry.mutation(description=(
        "Gives or withdraws the signed-in OWNER's consent to a purpose; appended to the "
        "history with the time. USAGE_BASED_TIPS also sets allowUsageBasedTips."))
    async def record_consent(self, info: Info[Context, None], purpose: ConsentPurpose,
                             granted: bool) -> RecordConsentPayload:
        c = info.context
        record, errors = await attempt(
            lambda: consents.record_consent(c.deps, c.actor, purpose, granted))
        return RecordConsentPayload(consent=Consent.from_record(record) if record else None,
                                    errors=errors)
