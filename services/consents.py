"""Consent: the owner's answers per purpose, kept as an append-only history with timestamps.

Usage-based tips have one current state, the notification preference the policy obeys
(`allowUsageBasedTips`); both ways of changing it (recordConsent and the preferences) append a
record, so the history explains every change of that state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from domain import privacy
from domain.access import Principal, can_read_owner, ensure
from domain.errors import AccessDenied
from domain.owners import Owner
from domain.privacy import Consent, ConsentPurpose, ConsentSource, ConsentState
from services.deps import Deps
from services.lookup import one


async def record_consent(deps: Deps, actor: Principal, purpose: ConsentPurpose,
                         granted: bool) -> Consent:
    """The signed-in owner gives or withdraws consent; only the person can answer for it."""
    if actor.owner_id is None:
        raise AccessDenied("only owners give or withdraw consent")
    owner = await one(deps.owners.get_many, actor.owner_id, "owner", "ownerId")
    record = privacy.consent(owner.id, purpose, granted, ConsentSource.APP, deps.clock())
    preferences = owner.notification_preferences.model_copy(
        update={"allow_usage_based_tips": granted})

    async def save() -> None:
        if record.purpose is ConsentPurpose.USAGE_BASED_TIPS:
            await deps.notification_settings.set_preferences(
                owner.id, preferences, owner.locale, owner.timezone, record.at)

    await with_consent_record(deps, record, save)
    await deps.events.publish(privacy.ConsentRecorded(
        at=record.at, owner_id=owner.id, purpose=record.purpose, granted=granted))
    return record


async def with_consent_record[T](deps: Deps, record: Consent | None,
                                 write: Callable[[], Awaitable[T]]) -> T:
    """Writes the state and appends its record in the order that leaves a crash between the two
    harmless: a grant is recorded before it takes effect, a withdrawal takes effect first. So
    nothing is ever done under a consent the history cannot show."""
    if record is not None and record.granted:
        await deps.consents.add(record)
    result = await write()
    if record is not None and not record.granted:
        await deps.consents.add(record)
    return result


async def current_consents(deps: Deps, actor: Principal, owner: Owner) -> list[ConsentState]:
    ensure(can_read_owner(actor, owner.id), "see this owner's consents")
    latest = await deps.consents.latest(owner.id)
    return privacy.current_consents(latest, owner.notification_preferences)


async def consent_history(deps: Deps, actor: Principal, owner_id: str) -> list[Consent]:
    ensure(can_read_owner(actor, owner_id), "see this owner's consents")
    return await deps.consents.history(owner_id, privacy.HISTORY_CAP)
