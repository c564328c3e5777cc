"""Over-the-air updates: releases, staged campaigns, per-vehicle updates and reports."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Protocol, Self

import strawberry
from strawberry import relay
from strawberry.types import Info

from domain import ota
from domain.access import can_read_owner, ensure
from domain.ota import CampaignStatus, Criticality, UpdateStatus
from domain.pagination import page_request
from resolvers.context import Context
from resolvers.relay import connection, local_id
from resolvers.user_errors import UserError, attempt
from services import ota as ota_service

if TYPE_CHECKING:
    from resolvers.vehicles import Vehicle

VehicleRef = Annotated["Vehicle", strawberry.lazy("resolvers.vehicles")]
strawberry.enum(Criticality, description="Why a release matters.")
strawberry.enum(CampaignStatus, description="Where a rollout is.")
strawberry.enum(UpdateStatus, description="Where one vehicle's update is.")


class VehicleRoot(Protocol):
    id: str
    owner_id: str


@strawberry.type(description="Text in one language.")
class LocalizedText:
    locale: str = strawberry.field(description="Language tag.")
    text: str = strawberry.field(description="The text.")


@strawberry.type(description="A software release (UNECE R156: purpose, duration and what "
                             "will not work while it installs are told before install).")
class SoftwareRelease(relay.Node):
    id: relay.NodeID[str]
    version: str = strawberry.field(description="Version, e.g. 2026.44.1.")
    notes: list[LocalizedText] = strawberry.field(description="Release notes per locale.")
    target_models: list[str] = strawberry.field(description="VehicleModel ids it is for.")
    min_from_version: str | None = strawberry.field(description="Oldest version it updates.")
    criticality: Criticality = strawberry.field(description="SECURITY, SAFETY, FEATURE, ...")
    size_mb: float = strawberry.field(description="Download size, MB.")
    estimated_install_minutes: int = strawberry.field(description="The car is unusable this long.")
    unavailable_functions: list[str] = strawberry.field(
        description="Functions that will not work during the install.")
    published_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def from_domain(cls, r: ota.SoftwareRelease) -> Self:
        return cls(id=r.id, version=r.version,
                   notes=[LocalizedText(locale=k, text=v) for k, v in sorted(r.notes.items())],
                   target_models=list(r.target_models), min_from_version=r.min_from_version,
                   criticality=r.criticality, size_mb=r.size_mb,
                   estimated_install_minutes=r.estimated_install_minutes,
                   unavailable_functions=list(r.unavailable_functions),
                   published_at=r.published_at)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # async form of the overloads
        cls, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        info.context.actor  # noqa: B018  # release information is for signed-in users
        found = await info.context.loaders.release.load_many(list(node_ids))
        return [cls.from_domain(r) if r else None for r in found]


@strawberry.type(description="Vehicles per update status.")
class UpdateCounts:
    offered: int
    scheduled: int
    downloading: int
    installing: int
    installed: int
    failed: int
    rolled_back: int


@strawberry.type(description="A staged rollout of a release.")
class UpdateCampaign(relay.Node):
    id: relay.NodeID[str]
    stages: list[float] = strawberry.field(description="Percent of eligible vehicles per stage.")
    current_stage: int = strawberry.field(description="Index into stages; -1 before start.")
    status: CampaignStatus = strawberry.field(description="DRAFT, ACTIVE, PAUSED, HALTED, ...")
    halt_failure_rate_percent: float = strawberry.field(
        description="Halts itself when failed / attempts passes this.")
    min_attempts_before_halt: int = strawberry.field(description="Attempts before it may halt.")
    auto_advance: bool = strawberry.field(description="Advances stages by itself.")
    started_at: datetime | None = strawberry.field(description="When it started.")
    release_id: strawberry.Private[str]

    @classmethod
    def from_domain(cls, c: ota.UpdateCampaign) -> Self:
        return cls(id=c.id, stages=list(c.stages), current_stage=c.current_stage,
                   status=c.status, halt_failure_rate_percent=c.halt_failure_rate_percent,
                   min_attempts_before_halt=c.min_attempts_before_halt,
                   auto_advance=c.auto_advance, started_at=c.started_at, release_id=c.release_id)

    @strawberry.field(description="The release rolled out.")
    async def release(self, info: Info[Context, None]) -> SoftwareRelease:
        found = await info.context.loaders.release.load(self.release_id)
        if found is None:
            raise LookupError(f"campaign {self.id} has no release")
        return SoftwareRelease.from_domain(found)

    @strawberry.field(description="Vehicles per status.")
    async def counts(self, info: Info[Context, None]) -> UpdateCounts:
        c = await info.context.loaders.campaign_counts.load(self.id)
        return UpdateCounts(offered=c.offered, scheduled=c.scheduled, downloading=c.downloading,
                            installing=c.installing, installed=c.installed, failed=c.failed,
                            rolled_back=c.rolled_back)

    @strawberry.field(description="(failed + rolledBack) / attempts, percent; null before any.")
    async def failure_rate_percent(self, info: Info[Context, None]) -> float | None:
        rate = (await info.context.loaders.campaign_counts.load(self.id)).failure_rate_percent
        return None if rate is None else round(float(rate), 2)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # async form of the overloads
        cls, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        ensure(ota_service.can_watch_campaigns(info.context.actor), "see update campaigns")
        found = await info.context.loaders.campaign.load_many(list(node_ids))
        return [cls.from_domain(c) if c else None for c in found]


@strawberry.type(description="One status change of a vehicle's update.")
class UpdateHistoryEntry:
    status: UpdateStatus
    at: datetime
    event_id: str | None


@strawberry.type(description="A release offered to one vehicle, and how far it got.")
class VehicleUpdate(relay.Node):
    id: relay.NodeID[str]
    version: str = strawberry.field(description="Target version.")
    status: UpdateStatus = strawberry.field(description="OFFERED ... INSTALLED or FAILED.")
    scheduled_for: datetime | None = strawberry.field(description="When the owner chose.")
    failure_reason: str | None = strawberry.field(description="Why it failed.")
    updated_at: datetime = strawberry.field(description="Last change.")
    history: list[UpdateHistoryEntry] = strawberry.field(description="Status changes.")
    vehicle_id: strawberry.Private[str]
    owner_id: strawberry.Private[str]
    release_id: strawberry.Private[str]

    @classmethod
    def from_domain(cls, u: ota.VehicleUpdate) -> Self:
        return cls(id=u.id, version=u.version, status=u.status, scheduled_for=u.scheduled_for,
                   failure_reason=u.failure_reason, updated_at=u.updated_at,
                   history=[UpdateHistoryEntry(status=h.status, at=h.at, event_id=h.event_id)
                            for h in u.history],
                   vehicle_id=u.vehicle_id, owner_id=u.owner_id, release_id=u.release_id)

    @strawberry.field(description="The vehicle.")
    async def vehicle(self, info: Info[Context, None]) -> VehicleRef:
        from resolvers.vehicles import Vehicle

        found = await info.context.loaders.vehicle.load(self.vehicle_id)
        if found is None:
            raise LookupError(f"update {self.id} has no vehicle")
        return Vehicle.from_domain(found)

    @strawberry.field(description="The release.")
    async def release(self, info: Info[Context, None]) -> SoftwareRelease:
        found = await info.context.loaders.release.load(self.release_id)
        if found is None:
            raise LookupError(f"update {self.id} has no release")
        return SoftwareRelease.from_domain(found)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # async form of the overloads
        cls, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        actor = info.context.actor
        found = await info.context.loaders.vehicle_update.load_many(list(node_ids))
        for update in found:
            if update is not None:
                ensure(can_read_owner(actor, update.owner_id), "see this vehicle's updates")
        return [cls.from_domain(u) if u else None for u in found]


@strawberry.type(description="How many vehicles of a model run a version.")
class VersionCount:
    model: str
    version: str
    vehicles: int


async def vehicle_available_updates(root: strawberry.Parent[VehicleRoot],
                                    info: Info[Context, None]) -> list[VehicleUpdate]:
    return [VehicleUpdate.from_domain(u)
            for u in await info.context.loaders.open_updates.load(root.id)]


async def vehicle_update_history(root: strawberry.Parent[VehicleRoot], info: Info[Context, None],
                                 first: int | None = None, after: str | None = None
                                 ) -> relay.Connection[VehicleUpdate]:
    page = await info.context.loaders.update_pages.load((root.id, page_request(first, after)))
    return connection(page, VehicleUpdate.from_domain, key=lambda u: u.id)


@strawberry.input(description="Release notes in one language.")
class LocalizedTextInput:
    locale: str
    text: str


@strawberry.input(description="A new software release.")
class CreateSoftwareReleaseInput:
    version: str
    notes: list[LocalizedTextInput]
    target_models: list[str]
    criticality: Criticality
    size_mb: float
    estimated_install_minutes: int
    min_from_version: str | None = None
    unavailable_functions: list[str] = strawberry.field(default_factory=list)


@strawberry.input(description="A new staged campaign (starts as DRAFT).")
class CreateUpdateCampaignInput:
    release_id: strawberry.ID
    stages: list[float] = strawberry.field(default_factory=lambda: list(ota.DEFAULT_STAGES))
    halt_failure_rate_percent: float = 20.0
    min_attempts_before_halt: int = 20
    auto_advance: bool = False
    advance_success_rate_percent: float = 95.0
    advance_min_attempts: int = 50


@strawberry.input(description="A status report from the vehicle; idempotent by eventId.")
class VehicleUpdateStatusInput:
    vin: str
    version: str
    status: UpdateStatus
    reported_at: datetime
    event_id: str
    failure_reason: str | None = None


@strawberry.type(description="The result of createSoftwareRelease.")
class SoftwareReleasePayload:
    release: SoftwareRelease | None
    errors: list[UserError]


@strawberry.type(description="The result of a campaign mutation.")
class UpdateCampaignPayload:
    campaign: UpdateCampaign | None
    errors: list[UserError]


@strawberry.type(description="The result of scheduling or reporting a vehicle's update.")
class VehicleUpdatePayload:
    update: VehicleUpdate | None
    errors: list[UserError]


def _campaign_id(value: strawberry.ID) -> str:
    return local_id(value, "UpdateCampaign")


async def _campaign_payload(call: Callable[[], Awaitable[ota.UpdateCampaign]]
                            ) -> UpdateCampaignPayload:
    campaign, errors = await attempt(call)
    return UpdateCampaignPayload(
        campaign=UpdateCampaign.from_domain(campaign) if campaign else None, errors=errors)


async def _update_payload(call: Callable[[], Awaitable[ota.VehicleUpdate]]
                          ) -> VehicleUpdatePayload:
    update, errors = await attempt(call)
    return VehicleUpdatePayload(update=VehicleUpdate.from_domain(update) if update else None,
                                errors=errors)


@strawberry.type
class OtaQuery:
    @strawberry.field(description="Campaigns, newest first. ADMIN and OEM_ANALYST.")
    async def update_campaigns(self, info: Info[Context, None],
                               status: CampaignStatus | None = None, first: int | None = None,
                               after: str | None = None) -> relay.Connection[UpdateCampaign]:
        c = info.context
        page = await ota_service.campaign_page(c.deps, c.actor, page_request(first, after), status)
        return connection(page, UpdateCampaign.from_domain, key=lambda x: x.id)

    @strawberry.field(description="One campaign. ADMIN and OEM_ANALYST.")
    async def update_campaign(self, info: Info[Context, None],
                              id: strawberry.ID) -> UpdateCampaign:
        c = info.context
        return UpdateCampaign.from_domain(
            await ota_service.campaign(c.deps, c.actor, _campaign_id(id)))

    @strawberry.field(description="Vehicles per model and version (UNECE R156). ADMIN and "
                                  "OEM_ANALYST; counts only.")
    async def software_version_distribution(self, info: Info[Context, None],
                                            model: str | None = None) -> list[VersionCount]:
        c = info.context
        rows = await ota_service.version_distribution(c.deps, c.actor, model)
        return [VersionCount(model=m, version=v, vehicles=n) for m, v, n in rows]


@strawberry.type
class OtaMutation:
    @strawberry.mutation(description="Creates a release. ADMIN only.")
    async def create_software_release(self, info: Info[Context, None],
                                      input: CreateSoftwareReleaseInput
                                      ) -> SoftwareReleasePayload:
        c = info.context
        draft = ota.ReleaseDraft(
            version=input.version, notes={n.locale: n.text for n in input.notes},
            target_models=input.target_models, criticality=input.criticality,
            size_mb=input.size_mb, estimated_install_minutes=input.estimated_install_minutes,
            min_from_version=input.min_from_version,
            unavailable_functions=input.unavailable_functions)
        release, errors = await attempt(lambda: ota_service.create_release(c.deps, c.actor, draft))
        return SoftwareReleasePayload(
            release=SoftwareRelease.from_domain(release) if release else None, errors=errors)

    @strawberry.mutation(description="Creates a DRAFT campaign. ADMIN only.")
    async def create_update_campaign(self, info: Info[Context, None],
                                     input: CreateUpdateCampaignInput) -> UpdateCampaignPayload:
        c = info.context

        async def create() -> ota.UpdateCampaign:
            draft = ota.CampaignDraft(
                release_id=local_id(input.release_id, "SoftwareRelease", "releaseId"),
                stages=input.stages, halt_failure_rate_percent=input.halt_failure_rate_percent,
                min_attempts_before_halt=input.min_attempts_before_halt,
                auto_advance=input.auto_advance,
                advance_success_rate_percent=input.advance_success_rate_percent,
                advance_min_attempts=input.advance_min_attempts)
            return await ota_service.create_campaign(c.deps, c.actor, draft)

        return await _campaign_payload(create)

    @strawberry.mutation(description="Starts a DRAFT campaign: offers its first stage. ADMIN.")
    async def start_update_campaign(self, info: Info[Context, None],
                                    id: strawberry.ID) -> UpdateCampaignPayload:
        c = info.context
        return await _campaign_payload(
            lambda: ota_service.start_campaign(c.deps, c.actor, _campaign_id(id)))

    @strawberry.mutation(description="Moves to the next stage and offers it. ADMIN.")
    async def advance_update_campaign(self, info: Info[Context, None],
                                      id: strawberry.ID) -> UpdateCampaignPayload:
        c = info.context
        return await _campaign_payload(
            lambda: ota_service.advance_campaign(c.deps, c.actor, _campaign_id(id)))

    @strawberry.mutation(description="Stops new offers for now. ADMIN.")
    async def pause_update_campaign(self, info: Info[Context, None],
                                    id: strawberry.ID) -> UpdateCampaignPayload:
        c = info.context
        return await _campaign_payload(
            lambda: ota_service.pause_campaign(c.deps, c.actor, _campaign_id(id)))

    @strawberry.mutation(description="Resumes a PAUSED campaign. ADMIN.")
    async def resume_update_campaign(self, info: Info[Context, None],
                                     id: strawberry.ID) -> UpdateCampaignPayload:
        c = info.context
        return await _campaign_payload(
            lambda: ota_service.resume_campaign(c.deps, c.actor, _campaign_id(id)))

    @strawberry.mutation(description="The owner picks when to install an offered update.")
    async def schedule_vehicle_update(self, info: Info[Context, None], vehicle_id: strawberry.ID,
                                      release_id: strawberry.ID,
                                      at: datetime) -> VehicleUpdatePayload:
        c = info.context
        return await _update_payload(lambda: ota_service.schedule_update(
            c.deps, c.actor, local_id(vehicle_id, "Vehicle", "vehicleId"),
            local_id(release_id, "SoftwareRelease", "releaseId"), at))

    @strawberry.mutation(description="The vehicle reports progress; repeats and late reports "
                                     "change nothing. ADMIN (backend) or the vehicle's OWNER.")
    async def report_vehicle_update_status(self, info: Info[Context, None],
                                           input: VehicleUpdateStatusInput
                                           ) -> VehicleUpdatePayload:
        c = info.context
        report = ota.StatusReport(vin=input.vin, version=input.version, status=input.status,
                                  failure_reason=input.failure_reason,
                                  reported_at=input.reported_at, event_id=input.event_id)
        return await _update_payload(lambda: ota_service.report_status(c.deps, c.actor, report))
