"""Over-the-air software updates (UNECE R156): releases, staged campaigns, and each vehicle's
update, moved along by the vehicle's own status reports.

The maker must know every vehicle's software version, so reports are applied idempotently:
repeats and late, out-of-order reports change nothing. The owner is told the purpose (notes),
the duration and what will not work during the install before choosing a time.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from domain import validation
from domain.catalogue import find_model
from domain.errors import InvalidInput, InvalidTransition
from domain.events import DomainEvent
from domain.ids import new_id

_VERSION = re.compile(r"[0-9]{1,6}(?:\.[0-9]{1,6}){0,3}")
_VERSION_PARTS = 4
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
MAX_NOTES = 5000
MAX_NOTE_LOCALES = 30
MAX_SIZE_MB = 20_000.0
MAX_INSTALL_MINUTES = 600
MAX_UNAVAILABLE_FUNCTIONS = 20
MAX_FUNCTION = 100
MAX_STAGES = 10
MAX_ATTEMPTS_SETTING = 1_000_000
DEFAULT_STAGES = (1.0, 10.0, 50.0, 100.0)
MAX_FAILURE_REASON = 500
MAX_EVENT_ID = 100
# A car may retry a failed update in the same campaign this many times; bounds the history.
MAX_FAILED_ATTEMPTS = 10
# Owner actions (schedule, unschedule) stop here; car reports are bounded by the retry cap.
MAX_OWNER_HISTORY = 60
SCHEDULE_NOTICE = timedelta(minutes=5)
SCHEDULE_HORIZON = timedelta(days=30)
REPORT_CLOCK_SKEW = timedelta(minutes=5)
_BUCKET_BYTES = 6  # 48 bits: top * 100 / 2**48 stays below 100 in floats
_BUCKET_SPAN = 1 << 8 * _BUCKET_BYTES


class Criticality(StrEnum):
    SECURITY = "SECURITY"
    SAFETY = "SAFETY"
    FEATURE = "FEATURE"
    MAINTENANCE = "MAINTENANCE"


class CampaignStatus(StrEnum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    HALTED = "HALTED"
    COMPLETED = "COMPLETED"


class UpdateStatus(StrEnum):
    OFFERED = "OFFERED"
    SCHEDULED = "SCHEDULED"
    DOWNLOADING = "DOWNLOADING"
    INSTALLING = "INSTALLING"
    INSTALLED = "INSTALLED"
    FAILED = "FAILED"
    ROLLED_BACK = "ROLLED_BACK"


# --- versions ---------------------------------------------------------------------------------


def parse_version(text: str, *, field: str = "version") -> tuple[int, ...]:
    """'2026.10.2' -> (2026, 10, 2): one to four dot-separated numbers of up to six digits."""
    if not _VERSION.fullmatch(text):
        raise InvalidInput(f"{field} must be 1 to 4 dot-separated numbers such as 2026.10.2",
                           field=field)
    return tuple(int(part) for part in text.split("."))


def version_key(text: str) -> tuple[int, ...]:
    """What versions are compared by: trailing zeros do not count (2026.10 == 2026.10.0)."""
    parts = parse_version(text)
    return parts + (0,) * (_VERSION_PARTS - len(parts))


def canonical_version(text: str, *, field: str = "version") -> str:
    """Without surrounding spaces or leading zeros, so equal versions are equal strings."""
    return ".".join(str(part) for part in parse_version(text.strip(), field=field))


def _known_version(text: str | None) -> tuple[int, ...] | None:
    # A vehicle's stored version is data, not input: unreadable means unknown, not an error.
    return version_key(text) if text is not None and _VERSION.fullmatch(text) else None


def parse_version_or_zero(text: str | None) -> tuple[int, ...]:
    """A sort key for reported versions; unknown or unreadable ones sort first."""
    return _known_version(text) or (0,)


def version_at_least(version: str | None, minimum: str | None) -> bool:
    if minimum is None:
        return True
    known = _known_version(version)
    return known is not None and known >= version_key(minimum)


# --- releases ---------------------------------------------------------------------------------


class SoftwareRelease(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    version: str
    notes: dict[str, str]  # locale -> what the update is for, shown before install
    target_models: tuple[str, ...]
    min_from_version: str | None = None
    criticality: Criticality
    size_mb: float
    estimated_install_minutes: int
    unavailable_functions: tuple[str, ...] = ()  # what will not work while it installs
    published_at: datetime


@dataclass(frozen=True, slots=True)
class ReleaseDraft:
    version: str
    notes: Mapping[str, str]
    target_models: Sequence[str]
    criticality: Criticality
    size_mb: float
    estimated_install_minutes: int
    min_from_version: str | None = None
    unavailable_functions: Sequence[str] = ()


def new_release(draft: ReleaseDraft, now: datetime) -> SoftwareRelease:
    version = canonical_version(draft.version)
    return SoftwareRelease(
        id=new_id(now), version=version, notes=_notes(draft.notes),
        target_models=_target_models(draft.target_models),
        min_from_version=_min_from(draft.min_from_version, version),
        criticality=draft.criticality, size_mb=_size_mb(draft.size_mb),
        estimated_install_minutes=_whole(draft.estimated_install_minutes,
                                         "estimatedInstallMinutes", 1, MAX_INSTALL_MINUTES),
        unavailable_functions=_functions(draft.unavailable_functions),
        published_at=validation.utc(now))


def _notes(notes: Mapping[str, str]) -> dict[str, str]:
    if not 1 <= len(notes) <= MAX_NOTE_LOCALES:
        raise InvalidInput(f"give release notes in 1 to {MAX_NOTE_LOCALES} languages",
                           field="notes")
    return {validation.locale_tag(locale, "notes"):
            validation.bounded(text, "notes", max_len=MAX_NOTES)
            for locale, text in sorted(notes.items())}


def _target_models(model_ids: Sequence[str]) -> tuple[str, ...]:
    if not model_ids:
        raise InvalidInput("target at least one vehicle model", field="targetModels")
    for model_id in model_ids:
        if find_model(model_id) is None:
            raise InvalidInput(f"unknown vehicle model {model_id[:40]!r}", field="targetModels")
    return tuple(sorted(set(model_ids)))


def _min_from(value: str | None, version: str) -> str | None:
    if value is None or not value.strip():
        return None
    minimum = canonical_version(value, field="minFromVersion")
    if version_key(minimum) >= version_key(version):
        raise InvalidInput("minFromVersion must be lower than the version",
                           field="minFromVersion")
    return minimum


def _size_mb(value: float) -> float:
    if not 0 < value <= MAX_SIZE_MB:  # also refuses NaN
        raise InvalidInput(f"sizeMb must be above 0 and at most {MAX_SIZE_MB:g}", field="sizeMb")
    return float(value)


def _whole(value: int, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{field} must be {low} to {high}", field=field)
    return value


def _functions(values: Sequence[str]) -> tuple[str, ...]:
    if len(values) > MAX_UNAVAILABLE_FUNCTIONS:
        raise InvalidInput(f"list at most {MAX_UNAVAILABLE_FUNCTIONS} unavailable functions",
                           field="unavailableFunctions")
    texts = (validation.bounded(v, "unavailableFunctions", max_len=MAX_FUNCTION) for v in values)
    return tuple(dict.fromkeys(texts))


def release_notes(release: SoftwareRelease, locale: str) -> str:
    """The notes in the owner's locale, else their language, else English, else any."""
    language = locale.split("-")[0]
    same_language = sorted(key for key in release.notes if key.split("-")[0] == language)
    for key in (locale, *same_language, "en"):
        if key in release.notes:
            return release.notes[key]
    return release.notes[min(release.notes)]


# --- campaigns --------------------------------------------------------------------------------


class UpdateCampaign(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    release_id: str
    stages: tuple[float, ...]  # percent of the eligible fleet, strictly increasing, ends at 100
    current_stage: int = -1  # index into stages; -1 before start
    status: CampaignStatus = CampaignStatus.DRAFT
    halt_failure_rate_percent: float = 20.0
    min_attempts_before_halt: int = 20
    auto_advance: bool = False
    advance_success_rate_percent: float = 95.0
    advance_min_attempts: int = 50
    started_at: datetime | None = None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CampaignDraft:
    release_id: str
    stages: Sequence[float] = DEFAULT_STAGES
    halt_failure_rate_percent: float = 20.0
    min_attempts_before_halt: int = 20
    auto_advance: bool = False
    advance_success_rate_percent: float = 95.0
    advance_min_attempts: int = 50


def new_campaign(draft: CampaignDraft, now: datetime) -> UpdateCampaign:
    return UpdateCampaign(
        id=new_id(now), release_id=validation.bounded(draft.release_id, "releaseId", max_len=64),
        stages=_stages(draft.stages),
        halt_failure_rate_percent=_percent(draft.halt_failure_rate_percent,
                                           "haltFailureRatePercent", zero_ok=True),
        min_attempts_before_halt=_whole(draft.min_attempts_before_halt, "minAttemptsBeforeHalt",
                                        1, MAX_ATTEMPTS_SETTING),
        auto_advance=draft.auto_advance,
        advance_success_rate_percent=_percent(draft.advance_success_rate_percent,
                                              "advanceSuccessRatePercent", zero_ok=False),
        advance_min_attempts=_whole(draft.advance_min_attempts, "advanceMinAttempts",
                                    1, MAX_ATTEMPTS_SETTING),
        created_at=validation.utc(now))


def _stages(values: Sequence[float]) -> tuple[float, ...]:
    stages = tuple(float(value) for value in values)
    if not (1 <= len(stages) <= MAX_STAGES and all(0 < s <= 100 for s in stages)
            and all(a < b for a, b in itertools.pairwise(stages)) and stages[-1] == 100):
        raise InvalidInput(f"stages must be 1 to {MAX_STAGES} strictly increasing percentages "
                           "above 0, ending at 100", field="stages")
    return stages


def _percent(value: float, field: str, *, zero_ok: bool) -> float:
    # A failure threshold of 100 could never be passed, and a success threshold of 0 is no test.
    ok = 0 <= value < 100 if zero_ok else 0 < value <= 100
    if not ok:
        bounds = "at least 0 and below 100" if zero_ok else "above 0 and at most 100"
        raise InvalidInput(f"{field} must be {bounds}", field=field)
    return float(value)


CampaignChange = Callable[[UpdateCampaign], UpdateCampaign]
C = CampaignStatus
RUNNING = frozenset({C.ACTIVE, C.PAUSED})


def _move(campaign: UpdateCampaign, sources: frozenset[CampaignStatus], to: CampaignStatus,
          **changes: Any) -> UpdateCampaign:
    if campaign.status not in sources:
        raise InvalidTransition(f"a {campaign.status} campaign cannot become {to}",
                                field="status")
    return campaign.model_copy(update={"status": to, **changes})


def start(campaign: UpdateCampaign, now: datetime) -> UpdateCampaign:
    return _move(campaign, frozenset({C.DRAFT}), C.ACTIVE, current_stage=0,
                 started_at=validation.utc(now))


def is_last_stage(campaign: UpdateCampaign) -> bool:
    return campaign.current_stage == len(campaign.stages) - 1


def advance(campaign: UpdateCampaign) -> UpdateCampaign:
    if campaign.status is C.ACTIVE and is_last_stage(campaign):
        raise InvalidTransition("the campaign already reaches every eligible vehicle",
                                field="currentStage")
    return _move(campaign, frozenset({C.ACTIVE}), C.ACTIVE,
                 current_stage=campaign.current_stage + 1)


def pause(campaign: UpdateCampaign) -> UpdateCampaign:
    return _move(campaign, frozenset({C.ACTIVE}), C.PAUSED)


def resume(campaign: UpdateCampaign) -> UpdateCampaign:
    return _move(campaign, frozenset({C.PAUSED}), C.ACTIVE)


def halt(campaign: UpdateCampaign) -> UpdateCampaign:
    """Final: a halted campaign is never resumed; fix the release and start a new one."""
    return _move(campaign, RUNNING, C.HALTED)


def is_complete(campaign: UpdateCampaign, counts: Counts) -> bool:
    """At the last stage and no offered vehicle is still on its way (FAILED may retry)."""
    return campaign.status in RUNNING and is_last_stage(campaign) and counts.unfinished == 0


def complete(campaign: UpdateCampaign, counts: Counts) -> UpdateCampaign:
    if not is_complete(campaign, counts):
        raise InvalidTransition("the campaign is not at its last stage, or vehicles are still "
                                "updating", field="status")
    return _move(campaign, RUNNING, C.COMPLETED)


# --- staged rollout ---------------------------------------------------------------------------


def bucket(vehicle_id: str, campaign_id: str) -> float:
    """A stable place in [0, 100) per vehicle and campaign (never `hash()`: it is salted)."""
    digest = hashlib.sha256(f"{campaign_id}:{vehicle_id}".encode()).digest()
    top = int.from_bytes(digest[:_BUCKET_BYTES], "big")
    return top * 100 / _BUCKET_SPAN


def stage_percent(campaign: UpdateCampaign) -> float:
    return campaign.stages[campaign.current_stage] if campaign.current_stage >= 0 else 0.0


def in_rollout(campaign: UpdateCampaign, vehicle_id: str) -> bool:
    """Stages only grow, so advancing only ever adds vehicles."""
    return bucket(vehicle_id, campaign.id) < stage_percent(campaign)


def eligible(release: SoftwareRelease, model_id: str, software_version: str | None) -> bool:
    """A targeted model, at least the minimum version, and not already on this one or newer.

    An unknown (or unreadable) version qualifies only when the release needs no minimum.
    """
    if model_id not in release.target_models:
        return False
    if not version_at_least(software_version, release.min_from_version):
        return False
    known = _known_version(software_version)
    return known is None or known < version_key(release.version)


@dataclass(frozen=True, slots=True)
class Counts:
    """How many of a campaign's vehicle updates are in each status now."""

    offered: int = 0
    scheduled: int = 0
    downloading: int = 0
    installing: int = 0
    installed: int = 0
    failed: int = 0
    rolled_back: int = 0

    @property
    def attempts(self) -> int:
        return self.installed + self.failed + self.rolled_back

    @property
    def failure_rate_percent(self) -> float | None:
        attempts = self.attempts
        return (self.failed + self.rolled_back) / attempts * 100 if attempts else None

    @property
    def success_rate_percent(self) -> float | None:
        attempts = self.attempts
        return self.installed / attempts * 100 if attempts else None

    @property
    def unfinished(self) -> int:
        return (self.offered + self.scheduled + self.downloading + self.installing
                + self.failed)


def _share(part: int, whole: int) -> Fraction:
    return Fraction(100 * part, whole)


def _threshold(percent: float) -> Fraction:
    # Exact decimal value as written (20, 33.3): float products like 0.2 * 100 overshoot.
    return Fraction(repr(float(percent)))


def should_halt(campaign: UpdateCampaign, counts: Counts) -> bool:
    """Failure rate strictly above the threshold, once there are enough attempts."""
    attempts = counts.attempts
    return (campaign.status in RUNNING and attempts >= campaign.min_attempts_before_halt
            and attempts > 0 and _share(counts.failed + counts.rolled_back, attempts)
            > _threshold(campaign.halt_failure_rate_percent))


def should_auto_advance(campaign: UpdateCampaign, counts_in_current_stage: Counts) -> bool:
    counts = counts_in_current_stage
    return (campaign.auto_advance and campaign.status is C.ACTIVE
            and not is_last_stage(campaign) and counts.attempts >= campaign.advance_min_attempts
            and _share(counts.installed, counts.attempts)
            >= _threshold(campaign.advance_success_rate_percent))


# --- one vehicle's update ---------------------------------------------------------------------

U = UpdateStatus
TRANSITIONS: dict[UpdateStatus, frozenset[UpdateStatus]] = {
    U.OFFERED: frozenset({U.SCHEDULED, U.DOWNLOADING}),
    U.SCHEDULED: frozenset({U.SCHEDULED, U.DOWNLOADING, U.OFFERED}),
    U.DOWNLOADING: frozenset({U.INSTALLING, U.FAILED}),
    U.INSTALLING: frozenset({U.INSTALLED, U.FAILED, U.ROLLED_BACK}),
    U.FAILED: frozenset({U.DOWNLOADING}),
    U.INSTALLED: frozenset(),
    U.ROLLED_BACK: frozenset(),
}
TERMINAL = frozenset({U.INSTALLED, U.ROLLED_BACK})
# What the car reports; OFFERED and SCHEDULED are set by the campaign and the owner.
REPORTED = frozenset({U.DOWNLOADING, U.INSTALLING, U.INSTALLED, U.FAILED, U.ROLLED_BACK})
SCHEDULABLE = frozenset({U.OFFERED, U.SCHEDULED})
_FAILURES = frozenset({U.FAILED, U.ROLLED_BACK})


class UpdateHistoryEntry(BaseModel):
    model_config = ConfigDict(frozen=True)
    status: UpdateStatus
    at: datetime
    event_id: str | None = None  # the car's report id; None for offers and owner actions


class VehicleUpdate(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    vehicle_id: str
    owner_id: str
    campaign_id: str
    release_id: str
    version: str  # the target version
    stage: int = 0  # the campaign stage that offered it, for per-stage counts
    status: UpdateStatus
    scheduled_for: datetime | None = None
    failure_reason: str | None = None
    reported_at: datetime | None = None  # the time of the last applied vehicle report
    history: tuple[UpdateHistoryEntry, ...] = ()  # status changes only
    updated_at: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StatusReport:
    vin: str
    version: str
    status: UpdateStatus
    failure_reason: str | None
    reported_at: datetime
    event_id: str


def check_transition(before: UpdateStatus, after: UpdateStatus) -> None:
    if after not in TRANSITIONS[before]:
        raise InvalidTransition(f"an update cannot go from {before} to {after}", field="status")


def offer(campaign: UpdateCampaign, release: SoftwareRelease, vehicle_id: str, owner_id: str,
          now: datetime) -> VehicleUpdate:
    if campaign.release_id != release.id:
        raise InvalidInput("the campaign rolls out another release", field="releaseId")
    if campaign.status is not C.ACTIVE:
        raise InvalidTransition(f"a {campaign.status} campaign offers nothing", field="status")
    at = validation.utc(now)
    return VehicleUpdate(
        id=new_id(at), vehicle_id=vehicle_id, owner_id=owner_id, campaign_id=campaign.id,
        release_id=release.id, version=release.version, stage=campaign.current_stage,
        status=U.OFFERED, history=(UpdateHistoryEntry(status=U.OFFERED, at=at),),
        updated_at=at, created_at=at)


def apply_report(update: VehicleUpdate, report: StatusReport,
                 now: datetime | None = None) -> VehicleUpdate | None:
    """The update after the car's report, or None when the report changes nothing.

    Ignored: a repeat (its event id is in the history), a report older than the last applied
    one, and a report of the current status at the same time. A report of the current status
    with a newer time only moves `reported_at` (and the failure reason): progress pings would
    otherwise grow the history without bound. Pass `now` to refuse reports from the future,
    which would shadow every later report.
    """
    at = _check_report(update, report, now)
    same = report.status is update.status
    if any(entry.event_id == report.event_id for entry in update.history):
        return None
    last = update.reported_at
    if last is not None and (at < last or (at == last and same)):
        return None
    reason = _reason(report) or (update.failure_reason if same else None)
    changes: dict[str, Any] = {"reported_at": at, "failure_reason": reason,
                               "updated_at": validation.utc(now) if now is not None else at}
    if not same:
        check_transition(update.status, report.status)
        _check_retry(update, report.status)
        entry = UpdateHistoryEntry(status=report.status, at=at, event_id=report.event_id)
        changes |= {"status": report.status, "history": (*update.history, entry)}
    return update.model_copy(update=changes)


def _check_report(update: VehicleUpdate, report: StatusReport, now: datetime | None) -> datetime:
    if _known_version(report.version) != version_key(update.version):
        raise InvalidInput("the report is for another version", field="version")
    if report.status not in REPORTED:
        raise InvalidInput(f"a vehicle cannot report {report.status}", field="status")
    validation.bounded(report.event_id, "eventId", max_len=MAX_EVENT_ID)
    at = validation.utc(report.reported_at, "reportedAt")
    if now is not None and at > validation.utc(now) + REPORT_CLOCK_SKEW:
        raise InvalidInput("reportedAt is in the future; check the vehicle clock",
                           field="reportedAt")
    return at


def _check_retry(update: VehicleUpdate, to: UpdateStatus) -> None:
    failures = sum(entry.status is U.FAILED for entry in update.history)
    if to is U.DOWNLOADING and failures >= MAX_FAILED_ATTEMPTS:
        raise InvalidTransition(f"{MAX_FAILED_ATTEMPTS} attempts failed; the update needs a new "
                                "campaign", field="status")


def _reason(report: StatusReport) -> str | None:
    if report.status not in _FAILURES or report.failure_reason is None:
        return None
    return report.failure_reason.strip()[:MAX_FAILURE_REASON] or None


def schedule(update: VehicleUpdate, at: datetime, now: datetime) -> VehicleUpdate:
    """The owner's chosen time; a re-schedule changes the time without a history entry."""
    if update.status not in SCHEDULABLE:
        raise InvalidTransition(f"a {update.status} update cannot be scheduled", field="status")
    when, now = validation.utc(at, "at"), validation.utc(now)
    if when < now + SCHEDULE_NOTICE:
        raise InvalidInput("choose a time at least 5 minutes ahead", field="at")
    if when > now + SCHEDULE_HORIZON:
        raise InvalidInput("choose a time within the next 30 days", field="at")
    history = update.history
    if update.status is not U.SCHEDULED:
        history = _owner_entry(update, U.SCHEDULED, now)
    return update.model_copy(update={"status": U.SCHEDULED, "scheduled_for": when,
                                     "history": history, "updated_at": now})


def unschedule(update: VehicleUpdate, now: datetime) -> VehicleUpdate:
    check_transition(update.status, U.OFFERED)
    now = validation.utc(now)
    return update.model_copy(update={"status": U.OFFERED, "scheduled_for": None,
                                     "history": _owner_entry(update, U.OFFERED, now),
                                     "updated_at": now})


def _owner_entry(update: VehicleUpdate, status: UpdateStatus,
                 now: datetime) -> tuple[UpdateHistoryEntry, ...]:
    if len(update.history) >= MAX_OWNER_HISTORY:
        raise InvalidTransition("this update was changed too often", field="status")
    return (*update.history, UpdateHistoryEntry(status=status, at=now))


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CampaignHalted(DomainEvent):
    campaign_id: str
    failure_rate_percent: float
    attempts: int


@dataclass(frozen=True, slots=True)
class UpdateEvent(DomainEvent):
    update_id: str
    vehicle_id: str
    owner_id: str
    campaign_id: str
    release_id: str
    version: str
    status: UpdateStatus
    scheduled_for: datetime | None
    failure_reason: str | None


class UpdateOffered(UpdateEvent):
    pass


class UpdateScheduled(UpdateEvent):
    pass


class UpdateInstalled(UpdateEvent):
    pass


class UpdateFailed(UpdateEvent):
    """FAILED or ROLLED_BACK: `status` tells which."""


_EVENTS: dict[UpdateStatus, type[UpdateEvent]] = {
    U.OFFERED: UpdateOffered, U.SCHEDULED: UpdateScheduled, U.INSTALLED: UpdateInstalled,
    U.FAILED: UpdateFailed, U.ROLLED_BACK: UpdateFailed,
}


def event[E: UpdateEvent](kind: type[E], update: VehicleUpdate, at: datetime) -> E:
    return kind(at=at, update_id=update.id, vehicle_id=update.vehicle_id,
                owner_id=update.owner_id, campaign_id=update.campaign_id,
                release_id=update.release_id, version=update.version, status=update.status,
                scheduled_for=update.scheduled_for, failure_reason=update.failure_reason)


def update_event(before: VehicleUpdate, after: VehicleUpdate, at: datetime) -> UpdateEvent | None:
    """The event worth telling the owner about, if this change is one (a new time counts)."""
    kind = _EVENTS.get(after.status)
    moved = before.status is not after.status or before.scheduled_for != after.scheduled_for
    return event(kind, after, at) if kind is not None and moved else None


# --- owner's local time -----------------------------------------------------------------------


def local_time_tonight(at_local: str, timezone: str, now: datetime) -> datetime:
    """The next instant after `now` when the owner's clock shows `at_local` ("02:00"), in UTC.

    A time skipped by a DST change is moved forward by the gap (02:30 -> 03:30); a time that
    happens twice is the first one.
    """
    match = _CLOCK.fullmatch(at_local)
    if match is None:
        raise InvalidInput("give the local time as HH:MM", field="at")
    zone = ZoneInfo(validation.timezone_name(timezone))
    wanted = time(int(match[1]), int(match[2]))
    now = validation.utc(now)
    today = now.astimezone(zone).date()
    candidates = (_instant(today + timedelta(days=n), wanted, zone) for n in range(3))
    return next(candidate for candidate in candidates if candidate > now)


def _instant(day: date, wanted: time, zone: ZoneInfo) -> datetime:
    # fold=0 reads a skipped wall time with the offset before the change, i.e. after the gap.
    return datetime.combine(day, wanted, tzinfo=zone).astimezone(UTC)
