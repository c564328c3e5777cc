"""OTA use cases: releases, staged campaigns, offers, owner scheduling and vehicle reports."""

from __future__ import annotations

from datetime import datetime

from domain import ota
from domain.access import Principal, Role, can_manage_owner_vehicles, ensure
from domain.errors import InvalidTransition, NotFound
from domain.ota import (
    CampaignHalted,
    SoftwareRelease,
    StatusReport,
    UpdateCampaign,
    UpdateStatus,
    VehicleUpdate,
)
from domain.pagination import Page, PageRequest
from domain.vehicles import normalize_vin
from services.deps import Deps
from services.lookup import one


def _admin(actor: Principal) -> None:
    ensure(actor.is_admin, "manage software releases and campaigns")


def can_watch_campaigns(actor: Principal) -> bool:
    return actor.role in (Role.ADMIN, Role.OEM_ANALYST)


async def create_release(deps: Deps, actor: Principal,
                         draft: ota.ReleaseDraft) -> SoftwareRelease:
    _admin(actor)
    release = ota.new_release(draft, deps.clock())
    await deps.ota.add_release(release)
    return release


async def create_campaign(deps: Deps, actor: Principal,
                          draft: ota.CampaignDraft) -> UpdateCampaign:
    _admin(actor)
    await _release(deps, draft.release_id)
    campaign = ota.new_campaign(draft, deps.clock())
    await deps.ota.add_campaign(campaign)
    return campaign


async def start_campaign(deps: Deps, actor: Principal, campaign_id: str) -> UpdateCampaign:
    return await _step(deps, actor, campaign_id, lambda c: ota.start(c, deps.clock()))


async def advance_campaign(deps: Deps, actor: Principal, campaign_id: str) -> UpdateCampaign:
    return await _step(deps, actor, campaign_id, ota.advance)


async def pause_campaign(deps: Deps, actor: Principal, campaign_id: str) -> UpdateCampaign:
    return await _step(deps, actor, campaign_id, ota.pause, offer=False)


async def resume_campaign(deps: Deps, actor: Principal, campaign_id: str) -> UpdateCampaign:
    return await _step(deps, actor, campaign_id, ota.resume)


async def _step(deps: Deps, actor: Principal, campaign_id: str,
                change: ota.CampaignChange, offer: bool = True) -> UpdateCampaign:
    _admin(actor)
    before = await _campaign(deps, campaign_id)
    after = await deps.ota.replace_campaign(before, change(before))
    if after is None:
        raise InvalidTransition("the campaign changed meanwhile; reload it", field="status")
    if offer and after.status is ota.CampaignStatus.ACTIVE:
        # An advance only reaches the new slice; a resume offers the whole stage again.
        since = ota.stage_percent(before) if after.current_stage > before.current_stage else 0.0
        await offer_updates(deps, after, since)
    return after


async def offer_updates(deps: Deps, campaign: UpdateCampaign, since_percent: float = 0.0) -> int:
    """Offers the release to eligible vehicles whose bucket lies in [since, stage); idempotent.

    Buckets are stable, so the vehicles below `since` were offered at an earlier stage.
    """
    release = await _release(deps, campaign.release_id)
    now, offered, upto = deps.clock(), 0, ota.stage_percent(campaign)
    async for batch in deps.ota.fleet(release.target_models):
        offers = [ota.offer(campaign, release, v["_id"], v["ownerId"], now) for v in batch
                  if since_percent <= ota.bucket(v["_id"], campaign.id) < upto
                  and ota.eligible(release, v["modelId"], v.get("softwareVersion"))]
        added = await deps.ota.add_offers(offers)
        await deps.events.publish(*(ota.event(ota.UpdateOffered, u, now) for u in added))
        offered += len(added)
    return offered


async def schedule_update(deps: Deps, actor: Principal, vehicle_id: str, release_id: str,
                          at: datetime) -> VehicleUpdate:
    [vehicle] = await deps.vehicles.get_many([vehicle_id])
    if vehicle is None:
        raise NotFound("vehicle not found", field="vehicleId")
    ensure(can_manage_owner_vehicles(actor, vehicle.owner_id), "schedule this vehicle's update")
    release = await _release(deps, release_id)
    before = await deps.ota.open_update(vehicle.id, release.version)
    if before is None:
        raise NotFound("this update is not offered to this vehicle", field="releaseId")
    after = ota.schedule(before, at, deps.clock())
    return await _save_update(deps, before, after)


async def report_status(deps: Deps, actor: Principal, report: StatusReport) -> VehicleUpdate:
    """The car reports progress; repeats and late, out-of-order reports change nothing."""
    [vehicle] = await deps.vehicles.get_many_by_vin([normalize_vin(report.vin)])
    if vehicle is None:
        raise NotFound("vehicle not found", field="vin")
    ensure(can_manage_owner_vehicles(actor, vehicle.owner_id), "report for this vehicle")
    version = ota.canonical_version(report.version)
    before = await deps.ota.open_update(vehicle.id, version)
    if before is None:
        raise NotFound("no update to this version was offered to this vehicle",
                       field="version")
    after = ota.apply_report(before, report, deps.clock())
    if after is None:
        return before
    saved = await _save_update(deps, before, after)
    if saved.status is UpdateStatus.INSTALLED:
        await deps.vehicles.update(vehicle.id, {"software_version": saved.version,
                                                "updated_at": deps.clock()})
    await _check_campaign(deps, saved.campaign_id)
    return saved


async def _save_update(deps: Deps, before: VehicleUpdate, after: VehicleUpdate) -> VehicleUpdate:
    saved = await deps.ota.replace_update(before, after)
    if saved is None:
        raise InvalidTransition("the update changed meanwhile; report again", field="status")
    event = ota.update_event(before, saved, deps.clock())
    if event is not None:
        await deps.events.publish(event)
    return saved


async def _check_campaign(deps: Deps, campaign_id: str) -> None:
    """Halts on too many failures, or advances a stage that has proven itself."""
    campaign = await _campaign(deps, campaign_id)
    [counts] = await deps.ota.counts([campaign_id])
    if ota.is_complete(campaign, counts):
        await deps.ota.replace_campaign(campaign, ota.complete(campaign, counts))
    elif ota.should_halt(campaign, counts):
        halted = await deps.ota.replace_campaign(campaign, ota.halt(campaign))
        if halted is not None:  # only the writer that won the race announces it
            await deps.events.publish(CampaignHalted(
                at=deps.clock(), campaign_id=campaign_id,
                failure_rate_percent=counts.failure_rate_percent or 0.0,
                attempts=counts.attempts))
    elif campaign.auto_advance and ota.should_auto_advance(
            campaign, await deps.ota.stage_counts(campaign_id, campaign.current_stage)):
        advanced = await deps.ota.replace_campaign(campaign, ota.advance(campaign))
        if advanced is not None:
            await offer_updates(deps, advanced, ota.stage_percent(campaign))


async def _release(deps: Deps, release_id: str) -> SoftwareRelease:
    return await one(deps.ota.releases, release_id, "software release", "releaseId")


async def _campaign(deps: Deps, campaign_id: str) -> UpdateCampaign:
    return await one(deps.ota.campaigns, campaign_id, "campaign", "id")


async def version_distribution(deps: Deps, actor: Principal,
                               model_id: str | None) -> list[tuple[str, str, int]]:
    """How many vehicles run each version (UNECE R156): counts only, no vehicle or owner."""
    ensure(can_watch_campaigns(actor), "see the fleet's software versions")
    rows = await deps.ota.version_distribution(model_id)
    return sorted(rows, key=lambda row: (row[0], ota.parse_version_or_zero(row[1])))


async def campaign_page(deps: Deps, actor: Principal, request: PageRequest,
                        status: ota.CampaignStatus | None) -> Page[UpdateCampaign]:
    ensure(can_watch_campaigns(actor), "see update campaigns")
    return await deps.ota.campaign_page(request, status)


async def campaign(deps: Deps, actor: Principal, campaign_id: str) -> UpdateCampaign:
    ensure(can_watch_campaigns(actor), "see update campaigns")
    return await _campaign(deps, campaign_id)
