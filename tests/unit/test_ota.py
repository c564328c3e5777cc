"""OTA updates: versions, releases, eligibility, staged rollout, the halt and advance rules,
each vehicle's update lifecycle driven by its reports, owner scheduling and events."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import ota
from domain.errors import InvalidInput, InvalidTransition
from domain.events import DomainEvent
from domain.ids import looks_like_id
from domain.ota import (
    MAX_FAILED_ATTEMPTS,
    MAX_OWNER_HISTORY,
    CampaignDraft,
    CampaignHalted,
    CampaignStatus,
    Counts,
    Criticality,
    ReleaseDraft,
    SoftwareRelease,
    StatusReport,
    UpdateCampaign,
    UpdateFailed,
    UpdateHistoryEntry,
    UpdateInstalled,
    UpdateOffered,
    UpdateScheduled,
    UpdateStatus,
    VehicleUpdate,
)

U = UpdateStatus
C = CampaignStatus
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
VIN = "WVWZZZ1JZ3W386752"


def release_draft(**fields: Any) -> ReleaseDraft:
    values: dict[str, Any] = {
        "version": "2026.10.2", "notes": {"en": "Fixes a charging-port lock fault.",
                                          "de-DE": "Behebt einen Fehler der Ladeklappe."},
        "target_models": ("volta-one", "volta-one-lr"), "criticality": Criticality.SECURITY,
        "size_mb": 850.0, "estimated_install_minutes": 25, "min_from_version": "2026.6",
        "unavailable_functions": ("Driving", "Charging"), **fields}
    return ReleaseDraft(**values)


def a_release(**fields: Any) -> SoftwareRelease:
    return ota.new_release(release_draft(**fields), NOW)


RELEASE = a_release()


def a_campaign(**fields: Any) -> UpdateCampaign:
    return ota.new_campaign(CampaignDraft(release_id=RELEASE.id, **fields), NOW)


def running(**fields: Any) -> UpdateCampaign:
    return ota.start(a_campaign(**fields), NOW)


def offered() -> VehicleUpdate:
    return ota.offer(running(), RELEASE, "vehicle-1", "owner-1", NOW)


def in_status(status: UpdateStatus) -> VehicleUpdate:
    return offered().model_copy(update={"status": status})


def report(status: UpdateStatus, minutes: float = 10, event_id: str = "e1",
           reason: str | None = None, version: str = "2026.10.2") -> StatusReport:
    return StatusReport(vin=VIN, version=version, status=status, failure_reason=reason,
                        reported_at=NOW + timedelta(minutes=minutes), event_id=event_id)


def applied(update: VehicleUpdate, *reports: StatusReport) -> VehicleUpdate:
    for item in reports:
        after = ota.apply_report(update, item)
        assert after is not None
        update = after
    return update


# --- versions ---------------------------------------------------------------------------------


def test_a_version_is_read_as_its_numbers() -> None:
    assert ota.parse_version("2026.10.2") == (2026, 10, 2)
    assert ota.parse_version("7") == (7,)
    assert ota.parse_version("1.0.0.999999") == (1, 0, 0, 999999)


@pytest.mark.parametrize("text", [
    "", "1.", ".1", "1..2", "1.2.3.4.5", "1234567", "v1", "1.2-beta", " 1.2", "1,2", "-1",
    "\u0661.\u0662",  # Arabic-Indic digits: int() would read them
])
def test_anything_but_one_to_four_short_numbers_is_not_a_version(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        ota.parse_version(text)
    assert refused.value.field == "version"


def test_versions_compare_by_number_not_by_text() -> None:
    assert ota.version_key("2026.10.2") < ota.version_key("2026.10.10")
    assert "2026.10.2" > "2026.10.10"  # what a text comparison would get wrong
    assert ota.version_at_least("2026.10.10", "2026.10.2")
    assert not ota.version_at_least("2026.9.30", "2026.10")


def test_trailing_zeros_do_not_make_a_version_newer() -> None:
    assert ota.version_key("2026.10") == ota.version_key("2026.10.0.0")
    assert ota.version_at_least("2026.10", "2026.10.0")


versions = st.lists(st.integers(0, 999_999), min_size=1, max_size=4).map(tuple)


def text(parts: tuple[int, ...]) -> str:
    return ".".join(map(str, parts))


@given(versions, versions)
def test_version_order_is_the_order_of_the_numbers(a: tuple[int, ...],
                                                   b: tuple[int, ...]) -> None:
    assert ota.parse_version(text(a)) == a

    def padded(parts: tuple[int, ...]) -> tuple[int, ...]:
        return parts + (0,) * (4 - len(parts))

    assert (ota.version_key(text(a)) < ota.version_key(text(b))) == (padded(a) < padded(b))
    if len(a) == len(b):
        assert (ota.version_key(text(a)) < ota.version_key(text(b))) == (a < b)


def test_a_minimum_needs_a_known_version() -> None:
    assert ota.version_at_least(None, None)
    assert ota.version_at_least("garbage", None)
    assert not ota.version_at_least(None, "2026.1")
    assert not ota.version_at_least("unknown", "2026.1")


def test_reported_versions_sort_numerically_with_unknown_ones_first() -> None:
    reported = ["2026.10.10", "unknown", "2026.10.2", "2025.1"]
    assert sorted(reported, key=ota.parse_version_or_zero) == [
        "unknown", "2025.1", "2026.10.2", "2026.10.10"]


# --- releases ---------------------------------------------------------------------------------


def test_a_release_keeps_what_the_owner_is_told() -> None:
    release = a_release(version=" 2026.010.02 ", target_models=("volta-one-lr", "volta-one",
                                                                "volta-one"))
    assert looks_like_id(release.id)
    assert release.version == "2026.10.2"
    assert release.target_models == ("volta-one", "volta-one-lr")
    assert release.min_from_version == "2026.6"
    assert release.notes == {"de-DE": "Behebt einen Fehler der Ladeklappe.",
                             "en": "Fixes a charging-port lock fault."}
    assert (release.estimated_install_minutes, release.unavailable_functions) == (
        25, ("Driving", "Charging"))
    assert release.published_at == NOW


def test_a_release_at_every_upper_bound_is_accepted() -> None:
    release = a_release(notes={"fr": "x" * 5000}, size_mb=20_000.0,
                        estimated_install_minutes=600,
                        unavailable_functions=tuple(f"function {i}" for i in range(20)),
                        min_from_version=None)
    assert release.size_mb == 20_000.0
    assert release.min_from_version is None
    assert a_release(estimated_install_minutes=1).estimated_install_minutes == 1


@pytest.mark.parametrize(("fields", "field"), [
    ({"version": "2026.10.x"}, "version"),
    ({"notes": {}}, "notes"),
    ({"notes": {"english": "Fixes"}}, "notes"),
    ({"notes": {"en": "   "}}, "notes"),
    ({"notes": {"en": "x" * 5001}}, "notes"),
    ({"target_models": ()}, "targetModels"),
    ({"target_models": ("volta-one", "volta-rocket")}, "targetModels"),
    ({"min_from_version": "2026.10.2.0"}, "minFromVersion"),  # not lower than the version
    ({"min_from_version": "2027"}, "minFromVersion"),
    ({"min_from_version": "six"}, "minFromVersion"),
    ({"size_mb": 0.0}, "sizeMb"),
    ({"size_mb": 20_000.5}, "sizeMb"),
    ({"size_mb": float("nan")}, "sizeMb"),
    ({"estimated_install_minutes": 0}, "estimatedInstallMinutes"),
    ({"estimated_install_minutes": 601}, "estimatedInstallMinutes"),
    ({"unavailable_functions": tuple(str(i) for i in range(21))}, "unavailableFunctions"),
    ({"unavailable_functions": ("x" * 101,)}, "unavailableFunctions"),
])
def test_an_invalid_release_is_refused_naming_the_field(fields: dict[str, Any],
                                                        field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        a_release(**fields)
    assert refused.value.field == field


@pytest.mark.parametrize(("locale", "expected"), [
    ("de-DE", "Behebt"), ("de-AT", "Behebt"), ("de", "Behebt"), ("fr-FR", "Fixes"),
])
def test_release_notes_follow_the_owners_locale(locale: str, expected: str) -> None:
    assert ota.release_notes(RELEASE, locale).startswith(expected)


def test_release_notes_without_english_fall_back_to_any_language() -> None:
    release = a_release(notes={"sv": "Rättar", "nl": "Herstelt"})
    assert ota.release_notes(release, "ja") == "Herstelt"


# --- eligibility ------------------------------------------------------------------------------


@pytest.mark.parametrize(("model_id", "version", "expected"), [
    ("volta-one", "2026.6", True),  # exactly the minimum
    ("volta-one-lr", "2026.10.1", True),
    ("volta-city", "2026.8", False),  # model not targeted
    ("volta-one", "2026.5.9", False),  # below the minimum
    ("volta-one", "2026.10.2", False),  # already updated
    ("volta-one", "2026.10.2.0", False),  # the same version, written longer
    ("volta-one", "2026.11", False),  # newer already
    ("volta-one", None, False),  # unknown version cannot prove the minimum
    ("volta-one", "unknown", False),
])
def test_eligibility_needs_the_model_the_minimum_and_an_older_version(
        model_id: str, version: str | None, expected: bool) -> None:
    assert ota.eligible(RELEASE, model_id, version) is expected


def test_without_a_minimum_an_unknown_version_is_eligible() -> None:
    release = a_release(min_from_version=None)
    assert ota.eligible(release, "volta-one", None)
    assert ota.eligible(release, "volta-one", "0.1")
    assert not ota.eligible(release, "volta-one", "2026.10.2")


# --- campaigns --------------------------------------------------------------------------------


def test_a_new_campaign_is_a_draft_with_the_usual_stages() -> None:
    campaign = a_campaign()
    assert looks_like_id(campaign.id)
    assert (campaign.status, campaign.current_stage, campaign.started_at) == (C.DRAFT, -1, None)
    assert campaign.stages == (1.0, 10.0, 50.0, 100.0)
    assert (campaign.halt_failure_rate_percent, campaign.min_attempts_before_halt) == (20.0, 20)
    assert not campaign.auto_advance


@pytest.mark.parametrize("stages", [
    (), (10, 5, 100), (10, 10, 100), (0, 100), (50,), (1, 10, 101), (float("nan"), 100),
    (-1, 100), (*range(1, 11), 100),  # 11 stages
])
def test_stages_must_increase_strictly_and_end_at_100(stages: tuple[float, ...]) -> None:
    with pytest.raises(InvalidInput) as refused:
        a_campaign(stages=stages)
    assert refused.value.field == "stages"


def test_a_single_stage_of_100_percent_is_allowed() -> None:
    assert a_campaign(stages=(100,)).stages == (100.0,)


@pytest.mark.parametrize(("fields", "field"), [
    ({"halt_failure_rate_percent": -1}, "haltFailureRatePercent"),
    ({"halt_failure_rate_percent": 100}, "haltFailureRatePercent"),
    ({"min_attempts_before_halt": 0}, "minAttemptsBeforeHalt"),
    ({"advance_success_rate_percent": 0}, "advanceSuccessRatePercent"),
    ({"advance_success_rate_percent": 100.5}, "advanceSuccessRatePercent"),
    ({"advance_min_attempts": 0}, "advanceMinAttempts"),
])
def test_invalid_campaign_rules_are_refused(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        a_campaign(**fields)
    assert refused.value.field == field


def test_a_started_campaign_is_active_at_its_first_stage() -> None:
    later = NOW + timedelta(hours=1)
    campaign = ota.start(a_campaign(), later)
    assert (campaign.status, campaign.current_stage, campaign.started_at) == (C.ACTIVE, 0, later)
    assert ota.stage_percent(campaign) == 1.0


def test_advancing_walks_the_stages_and_stops_at_the_last() -> None:
    campaign = running()
    for percent in (10.0, 50.0, 100.0):
        campaign = ota.advance(campaign)
        assert ota.stage_percent(campaign) == percent
    assert ota.is_last_stage(campaign)
    with pytest.raises(InvalidTransition):
        ota.advance(campaign)


def test_pause_resume_and_halt() -> None:
    paused = ota.pause(running())
    assert paused.status is C.PAUSED
    assert ota.resume(paused).status is C.ACTIVE
    assert ota.halt(paused).status is C.HALTED
    assert ota.halt(running()).status is C.HALTED


OPERATIONS: dict[str, tuple[Callable[[UpdateCampaign], UpdateCampaign], set[CampaignStatus]]] = {
    "start": (lambda c: ota.start(c, NOW), {C.DRAFT}),
    "advance": (ota.advance, {C.ACTIVE}),
    "pause": (ota.pause, {C.ACTIVE}),
    "resume": (ota.resume, {C.PAUSED}),
    "halt": (ota.halt, {C.ACTIVE, C.PAUSED}),
}


@pytest.mark.parametrize(("operation", "status"), list(itertools.product(OPERATIONS, C)))
def test_each_campaign_operation_applies_only_from_its_statuses(
        operation: str, status: CampaignStatus) -> None:
    change, sources = OPERATIONS[operation]
    campaign = running().model_copy(update={"status": status})
    if status in sources:
        assert change(campaign).status is not None
    else:
        with pytest.raises(InvalidTransition):
            change(campaign)


def test_a_campaign_completes_at_its_last_stage_once_no_vehicle_is_still_updating() -> None:
    last = running(stages=(50, 100)).model_copy(update={"current_stage": 1})
    done = Counts(installed=90, rolled_back=3)
    assert ota.is_complete(last, done)
    assert ota.complete(last, done).status is C.COMPLETED
    for unfinished in (Counts(installed=90, offered=1), Counts(installed=90, failed=1)):
        assert not ota.is_complete(last, unfinished)
        with pytest.raises(InvalidTransition):
            ota.complete(last, unfinished)
    assert not ota.is_complete(running(stages=(50, 100)), done)
    assert not ota.is_complete(a_campaign(stages=(100,)), done)


# --- staged rollout ---------------------------------------------------------------------------


def test_the_bucket_is_stable_and_pinned() -> None:
    # Changing the bucketing would reshuffle which cars are in a campaign already running.
    assert ota.bucket("vehicle-1", "campaign-1") == pytest.approx(41.5453330909191, abs=1e-12)
    assert ota.bucket("vehicle-1", "campaign-1") == ota.bucket("vehicle-1", "campaign-1")
    assert ota.bucket("vehicle-1", "campaign-2") != ota.bucket("vehicle-1", "campaign-1")


@given(st.text(max_size=40), st.text(max_size=40))
def test_the_bucket_lies_in_0_to_100(vehicle_id: str, campaign_id: str) -> None:
    assert 0 <= ota.bucket(vehicle_id, campaign_id) < 100


@pytest.fixture(scope="module")
def fleet_buckets() -> list[float]:
    return [ota.bucket(f"{i:024x}", "6a1f00000000000000000001") for i in range(100_000)]


@pytest.mark.parametrize(("percent", "tolerance"), [
    (1.0, 0.2), (10.0, 0.6), (50.0, 1.0), (100.0, 0.0),
])
def test_each_stage_reaches_its_share_of_the_fleet(fleet_buckets: list[float], percent: float,
                                                   tolerance: float) -> None:
    share = sum(value < percent for value in fleet_buckets) / len(fleet_buckets) * 100
    assert share == pytest.approx(percent, abs=tolerance)


@given(st.text(min_size=1, max_size=30),
       st.lists(st.floats(0.01, 99.99), min_size=0, max_size=6, unique=True))
def test_advancing_never_removes_a_vehicle(vehicle_id: str, inner: list[float]) -> None:
    campaign = running(stages=(*sorted(inner), 100))
    inside = [ota.in_rollout(campaign, vehicle_id)]
    while not ota.is_last_stage(campaign):
        campaign = ota.advance(campaign)
        inside.append(ota.in_rollout(campaign, vehicle_id))
    assert inside == sorted(inside)  # False ... False True ... True
    assert inside[-1]


def test_no_vehicle_is_in_a_campaign_before_it_starts() -> None:
    draft = a_campaign()
    assert ota.stage_percent(draft) == 0.0
    assert not any(ota.in_rollout(draft, f"v{i}") for i in range(1000))


# --- halt and advance rules -------------------------------------------------------------------


def test_counts_give_attempts_and_rates() -> None:
    counts = Counts(offered=7, downloading=3, installed=75, failed=20, rolled_back=5)
    assert counts.attempts == 100
    assert counts.failure_rate_percent == 25.0
    assert counts.success_rate_percent == 75.0
    assert counts.unfinished == 30
    assert Counts(offered=10).failure_rate_percent is None
    assert Counts().success_rate_percent is None


@pytest.mark.parametrize(("counts", "halts"), [
    (Counts(installed=16, failed=4), False),  # exactly 20%: not above
    (Counts(installed=80, failed=20), False),
    (Counts(installed=79, failed=21), True),  # just above
    (Counts(installed=79, failed=10, rolled_back=11), True),  # rollbacks are failures
    (Counts(failed=19), False),  # 100% but fewer than 20 attempts
    (Counts(failed=19, downloading=50, offered=500), False),  # in flight is no attempt
    (Counts(installed=1, failed=19), True),
])
def test_a_campaign_halts_only_above_the_threshold_after_enough_attempts(
        counts: Counts, halts: bool) -> None:
    assert ota.should_halt(running(), counts) is halts


def test_the_halt_threshold_is_exact_for_decimal_percentages() -> None:
    campaign = running(halt_failure_rate_percent=33.3)
    assert not ota.should_halt(campaign, Counts(installed=667, failed=333))
    assert ota.should_halt(campaign, Counts(installed=666, failed=334))


@pytest.mark.parametrize(("status", "halts"), [
    (C.ACTIVE, True), (C.PAUSED, True), (C.DRAFT, False), (C.HALTED, False),
    (C.COMPLETED, False),
])
def test_only_a_running_campaign_halts(status: CampaignStatus, halts: bool) -> None:
    campaign = running().model_copy(update={"status": status})
    assert ota.should_halt(campaign, Counts(installed=10, failed=10)) is halts


@pytest.mark.parametrize(("counts", "advances"), [
    (Counts(installed=48, failed=2), True),  # 96%
    (Counts(installed=95, failed=5), True),  # exactly 95%
    (Counts(installed=47, failed=3), False),  # 94%
    (Counts(installed=49), False),  # too few attempts
    (Counts(installed=49, installing=100), False),
])
def test_a_stage_advances_itself_once_it_has_proven_itself(counts: Counts,
                                                           advances: bool) -> None:
    assert ota.should_auto_advance(running(auto_advance=True), counts) is advances


def test_auto_advance_needs_the_option_an_active_campaign_and_a_next_stage() -> None:
    good = Counts(installed=100)
    assert not ota.should_auto_advance(running(), good)
    assert not ota.should_auto_advance(ota.pause(running(auto_advance=True)), good)
    assert not ota.should_auto_advance(running(auto_advance=True, stages=(100,)), good)


# --- one vehicle's update ---------------------------------------------------------------------


def test_an_offer_targets_the_release_version_at_the_current_stage() -> None:
    update = ota.offer(ota.advance(running()), RELEASE, "vehicle-1", "owner-1", NOW)
    assert looks_like_id(update.id)
    assert (update.status, update.version, update.release_id, update.stage) == (
        U.OFFERED, "2026.10.2", RELEASE.id, 1)
    assert update.history == (UpdateHistoryEntry(status=U.OFFERED, at=NOW),)
    assert update.reported_at is None


def test_only_an_active_campaign_of_the_same_release_offers() -> None:
    with pytest.raises(InvalidTransition):
        ota.offer(ota.pause(running()), RELEASE, "vehicle-1", "owner-1", NOW)
    with pytest.raises(InvalidInput) as refused:
        ota.offer(running(), a_release(), "vehicle-1", "owner-1", NOW)
    assert refused.value.field == "releaseId"


ALLOWED = {
    (U.OFFERED, U.SCHEDULED), (U.OFFERED, U.DOWNLOADING),
    (U.SCHEDULED, U.SCHEDULED), (U.SCHEDULED, U.DOWNLOADING), (U.SCHEDULED, U.OFFERED),
    (U.DOWNLOADING, U.INSTALLING), (U.DOWNLOADING, U.FAILED),
    (U.INSTALLING, U.INSTALLED), (U.INSTALLING, U.FAILED), (U.INSTALLING, U.ROLLED_BACK),
    (U.FAILED, U.DOWNLOADING),
}


@pytest.mark.parametrize(("before", "after"), list(itertools.product(U, U)))
def test_every_status_pair_follows_the_transition_table(before: UpdateStatus,
                                                        after: UpdateStatus) -> None:
    if (before, after) in ALLOWED:
        ota.check_transition(before, after)
    else:
        with pytest.raises(InvalidTransition):
            ota.check_transition(before, after)


@pytest.mark.parametrize(("before", "after"),
                         [(b, a) for b, a in itertools.product(U, ota.REPORTED) if b is not a])
def test_a_vehicle_report_applies_exactly_the_allowed_changes(before: UpdateStatus,
                                                              after: UpdateStatus) -> None:
    update = in_status(before)
    if (before, after) in ALLOWED:
        changed = applied(update, report(after, reason="boom"))
        assert changed.status is after
        assert changed.history[-1] == UpdateHistoryEntry(
            status=after, at=NOW + timedelta(minutes=10), event_id="e1")
    else:
        with pytest.raises(InvalidTransition):
            ota.apply_report(update, report(after))


@pytest.mark.parametrize("status", [U.OFFERED, U.SCHEDULED])
def test_a_vehicle_cannot_report_the_owner_side_statuses(status: UpdateStatus) -> None:
    with pytest.raises(InvalidInput) as refused:
        ota.apply_report(offered(), report(status))
    assert refused.value.field == "status"


def test_a_successful_update_records_each_report_once() -> None:
    update = applied(offered(), report(U.DOWNLOADING, 10, "d"), report(U.INSTALLING, 40, "i"),
                     report(U.INSTALLED, 60, "done"))
    assert update.status is U.INSTALLED
    assert [(h.status, h.event_id) for h in update.history] == [
        (U.OFFERED, None), (U.DOWNLOADING, "d"), (U.INSTALLING, "i"), (U.INSTALLED, "done")]
    assert update.reported_at == update.updated_at == NOW + timedelta(minutes=60)


def test_a_late_out_of_order_report_is_ignored() -> None:
    installing = applied(offered(), report(U.DOWNLOADING, 10, "d"), report(U.INSTALLING, 40, "i"))
    assert ota.apply_report(installing, report(U.FAILED, 30, "late", "old news")) is None


def test_a_repeated_report_is_ignored_even_with_a_newer_time() -> None:
    downloading = applied(offered(), report(U.DOWNLOADING, 10, "d"))
    assert ota.apply_report(downloading, report(U.DOWNLOADING, 10, "d")) is None
    installing = applied(downloading, report(U.INSTALLING, 20, "i"))
    assert ota.apply_report(installing, report(U.DOWNLOADING, 30, "d")) is None


def test_the_same_status_with_a_newer_time_only_moves_reported_at() -> None:
    downloading = applied(offered(), report(U.DOWNLOADING, 10, "d1"))
    pinged = applied(downloading, report(U.DOWNLOADING, 15, "d2"))
    assert pinged.reported_at == NOW + timedelta(minutes=15)
    assert pinged.history == downloading.history
    assert ota.apply_report(pinged, report(U.DOWNLOADING, 15, "d3")) is None


def test_a_different_status_at_the_same_time_is_applied() -> None:
    downloading = applied(offered(), report(U.DOWNLOADING, 10, "d"))
    assert applied(downloading, report(U.FAILED, 10, "f")).status is U.FAILED


def test_a_failure_keeps_a_bounded_reason_until_the_retry() -> None:
    downloading = applied(offered(), report(U.DOWNLOADING, 10, "d"))
    failed = applied(downloading, report(U.FAILED, 20, "f", "  " + "x" * 600))
    assert failed.failure_reason == "x" * 500
    assert applied(failed, report(U.FAILED, 25, "f2")).failure_reason == "x" * 500
    retried = applied(failed, report(U.DOWNLOADING, 30, "d2", "ignored"))
    assert retried.failure_reason is None
    rolled_back = applied(retried, report(U.INSTALLING, 40, "i"),
                          report(U.ROLLED_BACK, 50, "r", "battery too low"))
    assert rolled_back.failure_reason == "battery too low"


def test_retries_stop_after_the_cap() -> None:
    update = offered()
    for attempt in range(MAX_FAILED_ATTEMPTS):
        update = applied(update, report(U.DOWNLOADING, 2 * attempt + 1, f"d{attempt}"),
                         report(U.FAILED, 2 * attempt + 2, f"f{attempt}"))
    with pytest.raises(InvalidTransition):
        ota.apply_report(update, report(U.DOWNLOADING, 100, "again"))


def test_a_report_for_another_version_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        ota.apply_report(offered(), report(U.DOWNLOADING, version="2026.10.3"))
    assert refused.value.field == "version"
    assert applied(offered(), report(U.DOWNLOADING, version="2026.10.2.0")).status is U.DOWNLOADING


def test_a_report_from_the_future_is_refused_when_the_clock_is_given() -> None:
    ahead = report(U.DOWNLOADING, minutes=6)
    with pytest.raises(InvalidInput) as refused:
        ota.apply_report(offered(), ahead, now=NOW)
    assert refused.value.field == "reportedAt"
    on_time = ota.apply_report(offered(), report(U.DOWNLOADING, minutes=5), now=NOW)
    assert on_time is not None
    assert on_time.updated_at == NOW


def test_a_report_without_an_event_id_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        ota.apply_report(offered(), report(U.DOWNLOADING, event_id=" "))
    assert refused.value.field == "eventId"


def test_a_report_time_without_offset_is_utc() -> None:
    naive = StatusReport(vin=VIN, version="2026.10.2", status=U.DOWNLOADING, failure_reason=None,
                         reported_at=datetime(2027, 3, 1, 9, 30), event_id="d")
    assert applied(offered(), naive).reported_at == datetime(2027, 3, 1, 9, 30, tzinfo=UTC)


# --- scheduling -------------------------------------------------------------------------------


@pytest.mark.parametrize("ahead", [timedelta(minutes=5), timedelta(days=30)])
def test_the_owner_schedules_between_5_minutes_and_30_days_ahead(ahead: timedelta) -> None:
    update = ota.schedule(offered(), NOW + ahead, NOW)
    assert (update.status, update.scheduled_for, update.updated_at) == (
        U.SCHEDULED, NOW + ahead, NOW)
    assert update.history[-1] == UpdateHistoryEntry(status=U.SCHEDULED, at=NOW)


@pytest.mark.parametrize("ahead", [
    timedelta(minutes=-1), timedelta(minutes=4, seconds=59), timedelta(days=30, seconds=1),
])
def test_a_time_too_soon_or_too_far_is_refused(ahead: timedelta) -> None:
    with pytest.raises(InvalidInput) as refused:
        ota.schedule(offered(), NOW + ahead, NOW)
    assert refused.value.field == "at"


@pytest.mark.parametrize("status", [s for s in U if s not in ota.SCHEDULABLE])
def test_only_an_offered_or_scheduled_update_can_be_scheduled(status: UpdateStatus) -> None:
    with pytest.raises(InvalidTransition):
        ota.schedule(in_status(status), NOW + timedelta(hours=1), NOW)


def test_rescheduling_changes_the_time_without_a_history_entry() -> None:
    scheduled = ota.schedule(offered(), NOW + timedelta(hours=1), NOW)
    moved = ota.schedule(scheduled, NOW + timedelta(days=2), NOW)
    assert moved.scheduled_for == NOW + timedelta(days=2)
    assert moved.history == scheduled.history


def test_unscheduling_offers_the_update_again() -> None:
    scheduled = ota.schedule(offered(), NOW + timedelta(hours=1), NOW)
    back = ota.unschedule(scheduled, NOW)
    assert (back.status, back.scheduled_for) == (U.OFFERED, None)
    with pytest.raises(InvalidTransition):
        ota.unschedule(back, NOW)


def test_owner_changes_stop_once_the_history_is_long_but_reports_still_apply() -> None:
    long = offered().history * MAX_OWNER_HISTORY
    with pytest.raises(InvalidTransition):
        ota.schedule(offered().model_copy(update={"history": long}), NOW + timedelta(hours=1),
                     NOW)
    scheduled = in_status(U.SCHEDULED).model_copy(update={"history": long})
    with pytest.raises(InvalidTransition):
        ota.unschedule(scheduled, NOW)
    assert ota.schedule(scheduled, NOW + timedelta(hours=2), NOW).history == long
    assert applied(scheduled, report(U.DOWNLOADING)).status is U.DOWNLOADING


# --- events -----------------------------------------------------------------------------------


def test_scheduling_and_rescheduling_tell_the_owner() -> None:
    before = offered()
    scheduled = ota.schedule(before, NOW + timedelta(hours=1), NOW)
    told = ota.update_event(before, scheduled, NOW)
    assert isinstance(told, UpdateScheduled)
    assert isinstance(told, DomainEvent)
    assert (told.vehicle_id, told.owner_id, told.campaign_id, told.release_id, told.version,
            told.scheduled_for) == ("vehicle-1", "owner-1", before.campaign_id, RELEASE.id,
                                    "2026.10.2", NOW + timedelta(hours=1))
    moved = ota.schedule(scheduled, NOW + timedelta(hours=3), NOW)
    assert isinstance(ota.update_event(scheduled, moved, NOW), UpdateScheduled)
    assert isinstance(ota.update_event(moved, ota.unschedule(moved, NOW), NOW), UpdateOffered)


def test_install_results_tell_the_owner_and_progress_does_not() -> None:
    installing = applied(offered(), report(U.DOWNLOADING, 10, "d"), report(U.INSTALLING, 20, "i"))
    assert ota.update_event(offered(), applied(offered(), report(U.DOWNLOADING)), NOW) is None
    installed = applied(installing, report(U.INSTALLED, 30, "ok"))
    assert isinstance(ota.update_event(installing, installed, NOW), UpdateInstalled)
    assert ota.update_event(installed, applied(installed, report(U.INSTALLED, 40, "x")),
                            NOW) is None
    rolled_back = applied(installing, report(U.ROLLED_BACK, 30, "rb", "checksum"))
    failure = ota.update_event(installing, rolled_back, NOW)
    assert isinstance(failure, UpdateFailed)
    assert (failure.status, failure.failure_reason) == (U.ROLLED_BACK, "checksum")
    failed = applied(installing, report(U.FAILED, 30, "f"))
    assert isinstance(ota.update_event(installing, failed, NOW), UpdateFailed)


def test_a_halted_campaign_is_a_domain_event() -> None:
    halted = CampaignHalted(at=NOW, campaign_id="c1", failure_rate_percent=25.0, attempts=100)
    assert isinstance(halted, DomainEvent)


# --- the owner's local time -------------------------------------------------------------------


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("now", "at_local", "expected"), [
    ("2027-03-01T09:00", "02:00", "2027-03-02T01:00"),  # 10:00 CET: tomorrow night
    ("2027-03-01T23:30", "02:00", "2027-03-02T01:00"),  # 00:30 CET: later this night
    ("2027-03-02T01:00", "02:00", "2027-03-03T01:00"),  # exactly now: the next one
    ("2027-03-27T21:00", "01:30", "2027-03-28T00:30"),  # before the spring change
    ("2027-03-27T21:00", "02:00", "2027-03-28T01:00"),  # skipped: 03:00 CEST
    ("2027-03-27T21:00", "02:30", "2027-03-28T01:30"),  # skipped: 03:30 CEST
    ("2027-03-27T21:00", "03:30", "2027-03-28T01:30"),  # after the change
    ("2027-03-28T12:00", "02:30", "2027-03-29T00:30"),  # the night after, in CEST
    ("2027-10-30T20:00", "02:30", "2027-10-31T00:30"),  # happens twice: the first
])
def test_a_local_time_is_the_next_such_instant_in_berlin(now: str, at_local: str,
                                                         expected: str) -> None:
    assert ota.local_time_tonight(at_local, "Europe/Berlin", utc(now)) == utc(expected)


@given(st.datetimes(datetime(2026, 1, 1), datetime(2028, 12, 31), timezones=st.just(UTC)),
       st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC",
                        "Asia/Kolkata"]),
       st.integers(0, 23), st.sampled_from([0, 15, 30, 59]))
def test_the_local_time_is_soon_after_now_and_shows_on_the_owners_clock(
        now: datetime, timezone: str, hour: int, minute: int) -> None:
    at_local = f"{hour:02d}:{minute:02d}"
    result = ota.local_time_tonight(at_local, timezone, now)
    assert now < result <= now + timedelta(hours=25)
    assert ota.local_time_tonight(at_local, timezone, result - timedelta(seconds=1)) == result
    zone = ZoneInfo(timezone)
    if result.astimezone(zone).strftime("%H:%M") != at_local:  # only just after a skipped hour
        shortly_before = result - timedelta(hours=3)
        assert result.astimezone(zone).utcoffset() != shortly_before.astimezone(zone).utcoffset()


@pytest.mark.parametrize("at_local", ["2:00", "24:00", "02:60", "0200", "02:00 ", ""])
def test_a_local_time_must_be_hh_mm(at_local: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        ota.local_time_tonight(at_local, "Europe/Berlin", NOW)
    assert refused.value.field == "at"


def test_a_local_time_needs_a_real_timezone() -> None:
    with pytest.raises(InvalidInput) as refused:
        ota.local_time_tonight("02:00", "Mars/Olympus_Mons", NOW)
    assert refused.value.field == "timezone"
