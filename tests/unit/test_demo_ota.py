"""Demo OTA data: deterministic releases per model, one campaign in progress, and vehicle
updates that the real rules could have produced, seeded so the campaign's counters match."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import ota
from domain.catalogue import CATALOGUE
from domain.ids import looks_like_id
from domain.ota import TRANSITIONS, Counts, UpdateStatus
from domain.vehicles import Vehicle
from services import demo, demo_ota
from services.demo_ota import (
    CAMPAIGN_STAGE,
    STAGE_STARTS,
    DemoUpdate,
    campaign_release,
    campaign_stages,
    demo_campaign,
    demo_releases,
    demo_updates,
    seed_ota,
)
from services.deps import Deps

U = UpdateStatus
SEED = 7
seeds = st.integers(min_value=0, max_value=2**31)


def fleet(owners: int, seed: int = SEED) -> list[Vehicle]:
    return [vehicle for item in demo.generate(owners, seed) for vehicle in item.vehicles]


@pytest.fixture(scope="module")
def sample() -> list[DemoUpdate]:
    """Enough updates for the shares to mean something (about 500)."""
    return demo_updates(fleet(3000, 3), 3)


def counts_of(updates: list[ota.VehicleUpdate]) -> Counts:
    found = Counter(update.status for update in updates)
    return Counts(**{status.value.lower(): found[status] for status in UpdateStatus})


# --- determinism -----------------------------------------------------------------------------


def test_the_demo_epoch_and_versions_are_services_demos() -> None:
    assert demo_ota.EPOCH == demo.EPOCH
    assert demo_ota.SOFTWARE == demo._SOFTWARE


@given(seeds)
@settings(max_examples=10, deadline=None)
def test_the_same_seed_gives_the_same_data(seed: int) -> None:
    vehicles = fleet(40, seed)
    assert demo_releases(seed) == demo_releases(seed)
    assert campaign_stages(seed) == campaign_stages(seed)
    assert demo_updates(vehicles, seed) == demo_updates(vehicles, seed)
    other = seed + 1
    assert {r.id for r in demo_releases(seed)}.isdisjoint(r.id for r in demo_releases(other))
    assert demo_campaign(seed).id != demo_campaign(other).id


def test_a_batch_gets_the_updates_it_would_get_in_the_whole_fleet() -> None:
    vehicles = fleet(400)
    whole = demo_updates(vehicles, SEED)
    assert demo_updates(vehicles[:150], SEED) + demo_updates(vehicles[150:], SEED) == whole


# --- releases and the campaign ---------------------------------------------------------------


def test_every_model_has_the_releases_its_demo_vehicles_run() -> None:
    releases = demo_releases(SEED)
    assert all(looks_like_id(r.id) for r in releases)
    assert len({r.id for r in releases}) == len(releases)
    for model in CATALOGUE:
        history = [r for r in releases if model.id in r.target_models]
        assert [r.version for r in history] == list(demo_ota.SOFTWARE)
        assert [r.published_at for r in history] == sorted(r.published_at for r in history)
        assert history[-1].published_at < demo_ota.CAMPAIGN_CREATED
        for release in history:
            assert set(release.notes) == {"en", "de-DE"}
            assert {"Driving", "Charging"} <= set(release.unavailable_functions)
            assert 100 < release.size_mb < 3000
            assert 5 <= release.estimated_install_minutes <= 90


def test_one_campaign_rolls_out_the_newest_release_of_one_or_two_models() -> None:
    release = campaign_release(SEED)
    assert release in demo_releases(SEED)
    assert 1 <= len(release.target_models) <= 2
    assert release.version == max(demo_ota.SOFTWARE, key=ota.version_key)
    campaign = demo_campaign(SEED)
    assert campaign.release_id == release.id
    assert campaign.status is ota.CampaignStatus.ACTIVE
    assert (campaign.current_stage, campaign.stages) == (2, (1.0, 10.0, 50.0, 100.0))
    assert campaign.started_at == STAGE_STARTS[0]
    assert [c.current_stage for c in campaign_stages(SEED)] == list(range(CAMPAIGN_STAGE + 1))
    assert STAGE_STARTS[-1] < demo_ota.EPOCH


# --- vehicle updates -------------------------------------------------------------------------


def test_each_vehicle_is_offered_by_the_first_stage_that_reached_it(
    sample: list[DemoUpdate]
) -> None:
    release, stages = campaign_release(3), campaign_stages(3)
    for item in sample:
        offer, vehicle = item.states[0], item.vehicle
        assert ota.eligible(release, vehicle.model_id, vehicle.software_version)
        assert offer.created_at == STAGE_STARTS[offer.stage] >= vehicle.created_at
        assert ota.in_rollout(stages[offer.stage], vehicle.id)
        earlier = [s for s in range(offer.stage) if STAGE_STARTS[s] >= vehicle.created_at]
        assert not any(ota.in_rollout(stages[s], vehicle.id) for s in earlier)
    assert {item.update.stage for item in sample} == {0, 1, 2}


def test_every_history_follows_the_domain_transitions(sample: list[DemoUpdate]) -> None:
    for item in sample:
        update = item.update
        statuses = [entry.status for entry in update.history]
        assert statuses[0] is U.OFFERED
        assert statuses[-1] is update.status
        for before, after in pairwise(statuses):
            assert after in TRANSITIONS[before], statuses
        times = [entry.at for entry in update.history]
        assert times == sorted(times)
        assert max(times) < demo_ota.EPOCH
        events = [entry.event_id for entry in update.history if entry.event_id is not None]
        assert len(events) == len(set(events))
        # Each stored state is the one before with one change.
        assert [len(state.history) for state in item.states] == list(
            range(1, len(update.history) + 1))
    ids = [item.update.id for item in sample]
    assert len(ids) == len(set(ids))


def test_the_mix_is_mostly_installed_with_few_failures(sample: list[DemoUpdate]) -> None:
    counts = counts_of([item.update for item in sample])
    total = len(sample)
    assert counts.installed > 0.6 * total
    assert 0.02 * total <= counts.failed <= 0.06 * total
    assert 1 <= counts.rolled_back <= 0.02 * total
    assert min(counts.offered, counts.scheduled, counts.downloading) > 0
    retried = [item for item in sample
               if [e.status for e in item.update.history].count(U.DOWNLOADING) > 1]
    assert retried


def test_the_failure_rate_stays_below_the_halt_threshold(sample: list[DemoUpdate]) -> None:
    campaign = demo_campaign(3)
    counts = counts_of([item.update for item in sample])
    rate = counts.failure_rate_percent
    assert rate is not None
    assert rate < campaign.halt_failure_rate_percent
    assert not ota.should_halt(campaign, counts)


# --- seeding ---------------------------------------------------------------------------------


async def test_seeding_in_batches_keeps_the_campaign_counters_right(deps: Deps) -> None:
    vehicles = fleet(500)
    await deps.vehicles.add_many(vehicles)
    expected = demo_updates(vehicles, SEED)
    half = len(vehicles) // 2
    first = await seed_ota(deps, vehicles[:half], SEED)
    second = await seed_ota(deps, vehicles[half:], SEED)
    assert first[0] == len(demo_releases(SEED))
    assert second[0] == 0
    assert first[1] + second[1] == len(expected) > 50
    assert await seed_ota(deps, vehicles[:half], SEED) == (0, 0)  # a repeated batch

    campaign = demo_campaign(SEED)
    assert await deps.ota.campaigns([campaign.id]) == [campaign]
    ids = [release.id for release in demo_releases(SEED)]
    assert await deps.ota.releases(ids) == demo_releases(SEED)
    stored = await deps.ota.updates([item.update.id for item in expected])
    assert stored == [item.update for item in expected]
    [counts] = await deps.ota.counts([campaign.id])
    assert counts == counts_of([item.update for item in expected])

    installed = {item.vehicle.id: item.update for item in expected
                 if item.update.status is U.INSTALLED}
    for vehicle in await deps.vehicles.get_many([v.id for v in vehicles]):
        assert vehicle is not None
        if vehicle.id in installed:
            assert vehicle.software_version == installed[vehicle.id].version
            assert vehicle.updated_at == installed[vehicle.id].updated_at
        else:
            assert vehicle.software_version in demo_ota.SOFTWARE
