"""The owner's data rights: a copy of everything about them, and erasure of their account."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from domain import privacy
from domain.access import Principal, can_erase_owner, can_export_owner_data
from domain.appointments import RESCHEDULABLE, AppointmentStatus, HistoryEntry
from domain.availability import capacity_month, hold_for
from domain.errors import AccessDenied, InvalidInput
from domain.pagination import PageRequest
from domain.privacy import ErasedCollection, Erasure
from services.deps import Deps
from services.lookup import one

log = logging.getLogger("evjourney.privacy")
EXPORT_FORMAT = "evjourney-export/1"
ERASURE_ACTOR = "account-erasure"  # who cancelled the visits, in their history
MAX_UPCOMING = 100


@dataclass(frozen=True, slots=True)
class ErasureReport:
    cancelled_appointments: int
    collections: list[ErasedCollection]


async def export_my_data(deps: Deps, actor: Principal) -> dict[str, Any]:
    """Everything stored about the signed-in owner, as JSON; bounded per collection."""
    owner_id = actor.owner_id
    if owner_id is None or not can_export_owner_data(actor, owner_id):
        raise AccessDenied("only an owner exports their own data")
    await one(deps.owners.get_many, owner_id, "owner", "ownerId")
    now = deps.clock()
    found = await deps.privacy.export(owner_id, now - timedelta(days=privacy.RAW_TELEMETRY_DAYS),
                                      privacy.EXPORT_CAP)
    limits = {"itemsPerCollection": privacy.EXPORT_CAP,
              "rawTelemetryDays": privacy.RAW_TELEMETRY_DAYS,
              "note": "Lists are newest first. Sections named in `truncated` had more items "
                      "than the limit. Raw telemetry is listed for the last "
                      f"{privacy.RAW_TELEMETRY_DAYS} days; `telemetrySummary` counts every raw "
                      "event still stored. Push tokens are masked but for their last "
                      f"{privacy.VISIBLE_TOKEN_CHARS} characters."}
    document = {"format": EXPORT_FORMAT, "exportedAt": now, "ownerId": owner_id,
                "limits": limits, **found}
    result: dict[str, Any] = privacy.jsonable(document)
    return result


async def delete_account(deps: Deps, actor: Principal, owner_id: str | None,
                         confirm: str) -> ErasureReport:
    """Erases the owner's personal data and keeps analytics under a pseudonym. Running it again
    finishes an erasure that stopped part-way (and does nothing after a finished one)."""
    if actor.is_admin and owner_id is None:
        raise InvalidInput("an admin names the account: give ownerId", field="ownerId")
    target = owner_id or actor.owner_id
    if target is None or not can_erase_owner(actor, target):
        raise AccessDenied("not allowed to delete this account")
    privacy.check_confirmation(confirm)
    erasure = await deps.privacy.begin_erasure(target, privacy.new_salt(), deps.clock())
    cancelled = await _cancel_upcoming(deps, erasure)
    collections = await deps.privacy.erase(erasure)
    await deps.privacy.finish_erasure(target)
    log.info("erased an account (requested by %s): %d documents deleted, %d anonymised",
             actor.role.value, sum(c.deleted for c in collections),
             sum(c.anonymised for c in collections))
    await deps.events.publish(privacy.AccountErased(
        at=deps.clock(), owner_id=target, cancelled_appointments=cancelled))
    return ErasureReport(cancelled, collections)


async def _cancel_upcoming(deps: Deps, erasure: Erasure) -> int:
    """Visits still to come are cancelled and their bays and loaners given back: nobody is left
    to bring the car. Quietly (no notification, no touchpoint): the account is gone."""
    if not erasure.vehicle_ids:
        return 0
    now = deps.clock()
    pages = await deps.appointments.pages_by_vehicle(list(erasure.vehicle_ids),
                                                     PageRequest(first=MAX_UPCOMING))
    upcoming = [a for page in pages for a in page.items
                if a.status in RESCHEDULABLE and a.start > now]
    cancelled = 0
    for visit in upcoming:
        entry = HistoryEntry(status=AppointmentStatus.CANCELLED, at=now, by=ERASURE_ACTOR)
        if await deps.appointments.change(visit, entry, {}) is None:
            continue  # changed meanwhile: staff moved it on
        [center] = await deps.centers.get_many([visit.center_id])
        if center is not None:
            await deps.capacity.release(center.id, capacity_month(center, visit.start), hold_for(
                center, visit.start, frozenset(visit.service_types), visit.loaner,
                visit.mobile_service))
        cancelled += 1
    return cancelled
