"""The ownership journey: touchpoints (reported by the app or recorded from events), stages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from domain.access import Principal, can_read_owner, ensure
from domain.appointments import AppointmentCompleted
from domain.errors import AccessDenied
from domain.events import DomainEvent
from domain.journey import (
    OwnershipStage,
    StageChanged,
    Touchpoint,
    TouchpointKind,
    TouchpointReport,
    app_touchpoint,
    ownership_stage,
)
from domain.journey_events import needs_owner, touchpoint_for
from domain.metrics import SERVICE_GRACE
from domain.owners import Owner
from domain.pagination import Page, PageRequest
from domain.service_centers import ServiceType
from domain.service_schedule import LastService, service_due
from domain.vehicles import Vehicle
from services.deps import Deps
from services.lookup import one

DUE_GRACE = SERVICE_GRACE
SWEEP_PAGE = 200  # mongoeco's SQLite engine refuses an $in of 500 (expression depth)


async def record_touchpoint(deps: Deps, actor: Principal,
                            report: TouchpointReport) -> tuple[Touchpoint, bool]:
    """An app-side touchpoint of the signed-in owner; (it, whether it was new)."""
    if actor.owner_id is None:
        raise AccessDenied("only owners report their app use")
    if report.vehicle_id is not None:
        vehicle = await one(deps.vehicles.get_many, report.vehicle_id, "vehicle", "vehicleId")
        ensure(vehicle.owner_id == actor.owner_id, "report touchpoints for this vehicle")
    owner = await one(deps.owners.get_many, actor.owner_id, "owner", "ownerId")
    touchpoint = app_touchpoint(report, owner.id, deps.clock())
    [stored] = await deps.journey.add_touchpoints([touchpoint], {owner.id: owner})
    return touchpoint, stored


async def journey(deps: Deps, actor: Principal, owner_id: str, request: PageRequest,
                  kinds: Sequence[TouchpointKind]) -> Page[Touchpoint]:
    ensure(can_read_owner(actor, owner_id), "see this owner's journey")
    return await deps.journey.page(owner_id, request, kinds)


async def record_journey(deps: Deps, events: Sequence[DomainEvent]) -> int:
    """The touchpoints among the events (each once), and dues served by completed visits."""
    vehicle_ids = sorted({e.vehicle_id for e in events if needs_owner(e)})  # type: ignore[attr-defined]
    vehicles = dict(zip(vehicle_ids, await deps.vehicles.get_many(vehicle_ids), strict=True)) \
        if vehicle_ids else {}
    found = [touchpoint_for(e, _owner_of(e, vehicles)) for e in events]
    touchpoints = [t for t in found if t is not None]
    if touchpoints:
        owner_ids = sorted({t.owner_id for t in touchpoints})
        owners = {o.id: o for o in await deps.owners.get_many(owner_ids) if o}
        await deps.journey.add_touchpoints(touchpoints, owners)
    await _retain_dues(deps, [e for e in events if isinstance(e, AppointmentCompleted)])
    return len(touchpoints)


async def record_history(deps: Deps, events: Iterable[DomainEvent],
                         owner_of: Mapping[str, str]) -> int:
    """The touchpoints among events that happened before they reached the service (the demo's
    history, imports), at their own times: mapped and keyed as live ones, so replaying the live
    event adds nothing. Only the touchpoints: history is not news (no notifications), and it
    must not retain today's open dues with a visit of years ago as `record_journey` would.
    `owner_of` maps vehicle ids to owners, for events that name only the vehicle. Returns how
    many were new."""
    found = (touchpoint_for(e, owner_of.get(getattr(e, "vehicle_id", None) or "")) for e in events)
    return await deps.journey.add_history(t for t in found if t is not None)


def _owner_of(event: DomainEvent, vehicles: dict[str, Vehicle | None]) -> str | None:
    vehicle = vehicles.get(getattr(event, "vehicle_id", "") or "")
    return vehicle.owner_id if vehicle else None


async def _retain_dues(deps: Deps, completed: Sequence[AppointmentCompleted]) -> None:
    if not completed:
        return
    visits = await deps.appointments.get_many([e.appointment_id for e in completed])
    for visit in visits:
        if visit is not None:
            await deps.service_dues.retain(visit.vehicle_id, visit.service_types,
                                           visit.completed_at or deps.clock())


async def stages(deps: Deps, vehicles: Sequence[Vehicle]) -> list[OwnershipStage]:
    """Each vehicle's stage now, from its owner's last app use and its last service."""
    owners = {o.id: o for o in await deps.owners.get_many(
        sorted({v.owner_id for v in vehicles})) if o}
    last = await deps.appointments.last_services([v.id for v in vehicles])
    now = deps.clock()
    return [stage_of(deps, v, owners.get(v.owner_id), services, now)
            for v, services in zip(vehicles, last, strict=True)]


def stage_of(deps: Deps, vehicle: Vehicle, owner: Owner | None,
             services: dict[ServiceType, LastService], now: datetime) -> OwnershipStage:
    last_service = max((s.at for s in services.values()), default=None)
    return ownership_stage(vehicle, now, owner.last_active_at if owner else None, last_service,
                           deps.stage_thresholds)


async def refresh_stages(deps: Deps) -> int:
    """The daily sweep: every owner's stage (a transition when it moved), the service dues
    that came up, and the census of stages the funnel reads. Returns how many owners changed
    stage."""
    changed, after = 0, None
    while True:
        page = await deps.owners.page(PageRequest(first=SWEEP_PAGE, after=after), None)
        changed += await _sweep(deps, page.items)
        if not page.has_next:
            break
        after = page.items[-1].id
    await deps.service_dues.lapse(deps.clock() - DUE_GRACE)
    await deps.analytics.take_census(deps.clock())
    return changed


async def _sweep(deps: Deps, owners: Sequence[Owner]) -> int:
    pages = await deps.vehicles.pages_by_owner([o.id for o in owners], PageRequest(first=20))
    vehicles = [v for page in pages for v in page.items]
    if not vehicles:
        return 0
    now = deps.clock()
    # One read of the last services serves both the stages and the dues (the owners are
    # this page's).
    last = await deps.appointments.last_services([v.id for v in vehicles])
    by_id = {o.id: o for o in owners}
    found = {v.id: stage_of(deps, v, by_id.get(v.owner_id), services, now)
             for v, services in zip(vehicles, last, strict=True)}
    await deps.service_dues.open(_dues(deps, vehicles, owners, now, last))
    changes: list[tuple[Owner, StageChanged, str | None]] = []
    for owner, page in zip(owners, pages, strict=True):
        if not page.items:
            continue
        newest = max(page.items, key=lambda v: v.delivered_at)
        stage = found[newest.id]
        if stage is not owner.stage or owner.primary_model_id != newest.model_id:
            changes.append((owner, StageChanged(at=now, vehicle_id=newest.id, owner_id=owner.id,
                                                before=owner.stage, after=stage),
                            newest.model_id))
    await deps.journey.record_stages(changes)
    return sum(1 for _, change, _ in changes if change.before is not change.after)


def _dues(deps: Deps, vehicles: Sequence[Vehicle], owners: Sequence[Owner], now: datetime,
          last: Sequence[dict[ServiceType, LastService]]) -> list[dict[str, object]]:
    by_id = {o.id: o for o in owners}
    rows: list[dict[str, object]] = []
    for vehicle, services in zip(vehicles, last, strict=True):
        owner = by_id[vehicle.owner_id]
        for due in service_due(vehicle, services, now):
            if due.due_on <= now.date():
                rows.append({
                    "_id": f"{vehicle.id}:{due.service_type.value}:{due.due_on}",
                    "vehicleId": vehicle.id, "ownerId": vehicle.owner_id,
                    "serviceType": due.service_type.value,
                    "dueOn": datetime(due.due_on.year, due.due_on.month, due.due_on.day,
                                      tzinfo=UTC),
                    "region": owner.region, "modelId": vehicle.model_id,
                    "stage": owner.stage.value if owner.stage else None})
    return rows
