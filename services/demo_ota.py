"""Deterministic demo OTA data: each catalogue model's release history, and one staged campaign
in progress, with every offered demo vehicle's update as far as it had got by EPOCH.

Models share software by platform (City; One and One Long Range; the 800 V Tourer and Cargo),
so a release targets a platform's models. Each platform has the four releases demo vehicles run
(services/demo.py's `_SOFTWARE`; versions are year.week of the branch, published weeks later).
The campaign rolls out the One platform's newest release in stages [1, 10, 50, 100]; it is
ACTIVE at stage 2 (50 %). Each vehicle inside a stage was offered when that stage began, and
then moved by its owner (scheduling) and by its own reports, through `domain.ota`'s rules:
most have installed, some are still offered, scheduled or downloading, a few failed (some of
those retried), a couple rolled back.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from domain import ota
from domain.events import DomainEvent
from domain.ids import new_id
from domain.ota import (
    CampaignDraft,
    Criticality,
    ReleaseDraft,
    SoftwareRelease,
    StatusReport,
    UpdateCampaign,
    UpdateStatus,
    VehicleUpdate,
)
from domain.vehicles import Vehicle
from services.deps import Deps

U = UpdateStatus
# services/demo.py's EPOCH and _SOFTWARE (a test keeps them equal): not imported, so that
# seed_demo can import this module without an import cycle.
EPOCH = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
SOFTWARE = ("2025.44.1", "2026.8.2", "2026.20.0", "2026.32.1")
STAGES = ota.DEFAULT_STAGES
CAMPAIGN_STAGE = 2  # ACTIVE at stages[2] = 50 %
# When the campaign was created, and when each stage up to CAMPAIGN_STAGE began.
CAMPAIGN_CREATED = EPOCH - timedelta(days=29, hours=14)
STAGE_STARTS = (EPOCH - timedelta(days=27, hours=15), EPOCH - timedelta(days=17, hours=15),
                EPOCH - timedelta(days=3, hours=15))
_RELEASED_AFTER_BRANCH = timedelta(weeks=7)  # validation between branch week and publication


@dataclass(frozen=True, slots=True)
class _Platform:
    name: str
    models: tuple[str, ...]
    size_factor: float  # bigger images for more controllers
    minutes_factor: float
    extra_notes: dict[str, tuple[str, str]]  # version -> (en, de-DE) added to the notes
    days_later: int  # after the first platform's release of the same version


@dataclass(frozen=True, slots=True)
class _Version:
    version: str
    criticality: Criticality
    size_mb: float
    install_minutes: int
    unavailable: tuple[str, ...]
    min_from: str | None
    en: str
    de: str


_ALWAYS = ("Driving", "Charging")
_VERSIONS: tuple[_Version, ...] = (
    _Version(
        "2025.44.1", Criticality.MAINTENANCE, 1240.0, 45,
        (*_ALWAYS, "Remote app commands", "Cabin pre-conditioning"), None,
        "Winter update: the battery now pre-heats on the way to a fast charger from 0 °C "
        "(was -5 °C), the heat pump runs more quietly at night, and the range estimate "
        "reacts faster to cold weather.",
        "Winter-Update: Die Batterie wird auf dem Weg zum Schnelllader nun schon ab 0 °C "
        "vorgeheizt (bisher -5 °C), die Wärmepumpe läuft nachts leiser, und die "
        "Reichweitenprognose reagiert schneller auf Kälte."),
    _Version(
        "2026.8.2", Criticality.SECURITY, 210.0, 15, (*_ALWAYS, "Phone key (use the key card)"),
        None,
        "Security update for the telematics unit and the Bluetooth phone key: fixes "
        "reported vulnerabilities. Recommended for every vehicle.",
        "Sicherheitsupdate für die Telematikeinheit und den Bluetooth-Telefonschlüssel: "
        "behebt gemeldete Schwachstellen. Für alle Fahrzeuge empfohlen."),
    _Version(
        "2026.20.0", Criticality.FEATURE, 1630.0, 40,
        (*_ALWAYS, "Remote app commands", "Navigation", "Cabin pre-conditioning"), "2025.44.1",
        "Departure times: tell the car when you leave, and it finishes charging and "
        "pre-conditions the cabin just in time, in the cheap hours of your tariff. New "
        "charging screen with the time to 80 %.",
        "Abfahrtszeiten: Sagen Sie dem Auto, wann Sie losfahren, und es lädt rechtzeitig "
        "fertig und klimatisiert den Innenraum vor, in den günstigen Stunden Ihres Tarifs. "
        "Neuer Ladebildschirm mit der Zeit bis 80 %."),
    _Version(
        "2026.32.1", Criticality.SAFETY, 880.0, 30, (*_ALWAYS, "Remote app commands"),
        "2025.44.1",
        "Safety fix: in rare cases the rear-view camera image appeared up to two seconds "
        "late after selecting reverse. Also faster DC charging below 10 °C, thanks to a "
        "revised battery thermal model.",
        "Sicherheitskorrektur: In seltenen Fällen erschien das Bild der Rückfahrkamera nach "
        "dem Einlegen des Rückwärtsgangs bis zu zwei Sekunden verspätet. Außerdem schnelleres "
        "DC-Laden unter 10 °C dank eines überarbeiteten Batterie-Wärmemodells."),
)
_PLATFORMS: tuple[_Platform, ...] = (
    _Platform("city", ("volta-city",), 0.8, 0.8, {
        "2026.20.0": (" On the City, departure times also work with the granny charger.",
                      " Beim City funktionieren Abfahrtszeiten auch mit dem Notladekabel."),
    }, 0),
    _Platform("one", ("volta-one", "volta-one-lr"), 1.0, 1.0, {}, 2),
    _Platform("800v", ("volta-tourer", "volta-cargo"), 1.25, 1.2, {
        "2026.32.1": (" On 800 V models the charging curve now holds over 230 kW up to 50 %.",
                      " Bei 800-V-Modellen hält die Ladekurve jetzt über 230 kW bis 50 %."),
    }, 4),
)
CAMPAIGN_PLATFORM = "one"

# How owners and cars get through an offer.
_SLOW_OWNER_SHARE = 0.15  # leave the offer alone for days or weeks
_SCHEDULE_SHARE = 0.35  # pick a time rather than "install now"/automatic at night
_STALL_SHARE = 0.35  # the car sleeps without a connection part-way through the download
_DOWNLOAD_FAILURE = 0.03
_OUTCOMES = (U.INSTALLED, U.FAILED, U.ROLLED_BACK)
_OUTCOME_WEIGHTS = (0.945, 0.044, 0.011)
_RETRY_SHARE = 0.5
_MAX_ATTEMPTS = 3
_DOWNLOAD_FAILURES = ("Download interrupted: package checksum mismatch",
                      "Download abandoned: no network connection for 24 h")
_INSTALL_FAILURES = ("Pre-install check failed: 12 V battery below 12.2 V",
                     "Installation aborted: the vehicle was unlocked during the install",
                     "Flash timeout on the body controller; previous version kept")
_ROLLBACK_REASONS = ("Post-install self-test failed on the thermal controller; previous "
                     "version restored",)


# --- releases and the campaign ---------------------------------------------------------------


def _published_at(version: str, platform: _Platform) -> datetime:
    year, week, *_ = ota.parse_version(version)
    branch = date.fromisocalendar(year, week, 1)
    day = branch + _RELEASED_AFTER_BRANCH + timedelta(days=platform.days_later)
    return datetime.combine(day, time(8), tzinfo=EPOCH.tzinfo)


def _release(seed: int, platform: _Platform, version: _Version) -> SoftwareRelease:
    extra_en, extra_de = platform.extra_notes.get(version.version, ("", ""))
    published = _published_at(version.version, platform)
    release = ota.new_release(ReleaseDraft(
        version=version.version, notes={"en": version.en + extra_en,
                                        "de-DE": version.de + extra_de},
        target_models=platform.models, criticality=version.criticality,
        size_mb=round(version.size_mb * platform.size_factor),
        estimated_install_minutes=round(version.install_minutes * platform.minutes_factor),
        min_from_version=version.min_from, unavailable_functions=version.unavailable),
        published)
    rng = random.Random(f"{seed}:ota:release:{platform.name}:{version.version}")
    return release.model_copy(update={"id": new_id(published, rng)})


def demo_releases(seed: int) -> list[SoftwareRelease]:
    """Every platform's four releases, oldest first; the same ids for the same seed."""
    return [_release(seed, platform, version)
            for platform in _PLATFORMS for version in _VERSIONS]


def campaign_release(seed: int) -> SoftwareRelease:
    """The release the campaign rolls out: the One platform's newest."""
    [platform] = [p for p in _PLATFORMS if p.name == CAMPAIGN_PLATFORM]
    return _release(seed, platform, _VERSIONS[-1])


def campaign_stages(seed: int) -> list[UpdateCampaign]:
    """The campaign as it was at each stage up to now: [stage 0, stage 1, stage 2 (as stored)]."""
    draft = CampaignDraft(release_id=campaign_release(seed).id, stages=STAGES)
    created = ota.new_campaign(draft, CAMPAIGN_CREATED)
    rng = random.Random(f"{seed}:ota:campaign")
    campaign = ota.start(created.model_copy(update={"id": new_id(CAMPAIGN_CREATED, rng)}),
                         STAGE_STARTS[0])
    stages = [campaign]
    for _ in range(CAMPAIGN_STAGE):
        stages.append(ota.advance(stages[-1]))
    return stages


def demo_campaign(seed: int) -> UpdateCampaign:
    return campaign_stages(seed)[-1]


# --- each vehicle's update --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoUpdate:
    """One vehicle's update: the offer, then the update after each change, oldest first."""

    vehicle: Vehicle
    states: tuple[VehicleUpdate, ...]

    @property
    def update(self) -> VehicleUpdate:
        return self.states[-1]


def demo_updates(vehicles: Sequence[Vehicle], seed: int) -> list[DemoUpdate]:
    """The campaign's updates of these vehicles: offered at the first stage that reached them
    after delivery (as `offer_updates` does at each start and advance), then moved along."""
    release, stages = campaign_release(seed), campaign_stages(seed)
    found: list[DemoUpdate] = []
    for vehicle in vehicles:
        if not ota.eligible(release, vehicle.model_id, vehicle.software_version):
            continue
        stage = next((s for s, (campaign, start) in enumerate(zip(stages, STAGE_STARTS,
                                                                  strict=True))
                      if start >= vehicle.created_at and ota.in_rollout(campaign, vehicle.id)),
                     None)
        if stage is not None:
            rng = random.Random(f"{seed}:{vehicle.id}:ota")
            found.append(DemoUpdate(vehicle, _Journey(rng, vehicle, release, stages[stage],
                                                      STAGE_STARTS[stage]).run()))
    return found


def _second(at: datetime) -> datetime:
    # Whole seconds: what the store keeps (milliseconds) is then exactly what was generated.
    return at.replace(microsecond=0)


class _Journey:
    """An offered update, moved by the owner and by the car's reports until EPOCH."""

    def __init__(self, rng: random.Random, vehicle: Vehicle, release: SoftwareRelease,
                 campaign: UpdateCampaign, offered_at: datetime) -> None:
        self.rng, self.vehicle, self.release = rng, vehicle, release
        offer = ota.offer(campaign, release, vehicle.id, vehicle.owner_id, offered_at)
        self.states = [offer.model_copy(update={"id": new_id(offered_at, rng)})]
        self.events = itertools.count(1)

    @property
    def update(self) -> VehicleUpdate:
        return self.states[-1]

    def run(self) -> tuple[VehicleUpdate, ...]:
        rng = self.rng
        respond = self.update.created_at + self._owner_delay()
        if respond >= EPOCH:
            return tuple(self.states)
        start: datetime | None = respond
        if rng.random() < _SCHEDULE_SHARE:
            when = _second(respond + timedelta(hours=rng.uniform(3, 72)))
            self.states.append(ota.schedule(self.update, when, respond))
            start = when if when < EPOCH else None
        for _ in range(_MAX_ATTEMPTS):
            if start is None:
                break
            failed_at = self._attempt(start)
            if failed_at is None or rng.random() >= _RETRY_SHARE:
                break
            retry = _second(failed_at + timedelta(hours=rng.uniform(6, 72)))
            start = retry if retry < EPOCH else None
        return tuple(self.states)

    def _owner_delay(self) -> timedelta:
        rng = self.rng
        if rng.random() < _SLOW_OWNER_SHARE:
            return timedelta(seconds=round(rng.uniform(5, 40) * 86_400))
        return timedelta(seconds=round(rng.lognormvariate(math.log(14), 0.9) * 3600))

    def _attempt(self, start: datetime) -> datetime | None:
        """Download then install from `start`; the time it failed, if it did (and can retry)."""
        rng = self.rng
        self._report(U.DOWNLOADING, start)
        minutes = self.release.size_mb / rng.uniform(8, 40)
        if rng.random() < _STALL_SHARE:
            minutes += rng.uniform(1, 30) * 60
        downloaded = _second(start + timedelta(minutes=max(minutes, 1)))
        if downloaded >= EPOCH:
            return None
        if rng.random() < _DOWNLOAD_FAILURE:
            self._report(U.FAILED, downloaded, rng.choice(_DOWNLOAD_FAILURES))
            return downloaded
        installing = _second(downloaded + timedelta(minutes=rng.uniform(1, 240)))
        if installing >= EPOCH:
            return None
        self._report(U.INSTALLING, installing)
        took = self.release.estimated_install_minutes * rng.uniform(0.8, 1.4)
        ended = _second(installing + timedelta(minutes=took))
        if ended >= EPOCH:
            return None
        outcome = rng.choices(_OUTCOMES, _OUTCOME_WEIGHTS)[0]
        if outcome is U.INSTALLED:
            self._report(U.INSTALLED, ended)
            return None
        reasons = _INSTALL_FAILURES if outcome is U.FAILED else _ROLLBACK_REASONS
        self._report(outcome, ended, rng.choice(reasons))
        return ended if outcome is U.FAILED else None

    def _report(self, status: UpdateStatus, at: datetime, reason: str | None = None) -> None:
        report = StatusReport(vin=self.vehicle.vin, version=self.release.version, status=status,
                              failure_reason=reason, reported_at=at,
                              event_id=f"demo-{self.vehicle.id}-{next(self.events)}")
        after = ota.apply_report(self.update, report, at)
        if after is None:  # every generated report is new and later than the one before
            raise RuntimeError(f"demo report {report.event_id} changed nothing")
        self.states.append(after)


# --- seeding ---------------------------------------------------------------------------------


async def seed_ota(deps: Deps, vehicles: Sequence[Vehicle], seed: int,
                   history: list[DomainEvent] | None = None) -> tuple[int, int]:
    """Writes the releases and the campaign (those not stored yet) and these vehicles' updates,
    one change at a time as reports would, so the campaign's counters follow; an installed
    update sets the vehicle's software version (and its UpdateInstalled, at the car's report,
    goes to `history`, if given: the OTA_UPDATE touchpoint). Can be called once per batch of
    vehicles; a vehicle already offered is skipped. Returns (releases written, vehicle updates
    written)."""
    releases = demo_releases(seed)
    stored = await deps.ota.releases([release.id for release in releases])
    new = [release for release, known in zip(releases, stored, strict=True) if known is None]
    for release in new:
        await deps.ota.add_release(release)
    campaign = demo_campaign(seed)
    [known] = await deps.ota.campaigns([campaign.id])
    if known is None:
        await deps.ota.add_campaign(campaign)

    journeys = demo_updates(vehicles, seed)
    added = {update.id for update in await deps.ota.add_offers([j.states[0] for j in journeys])}
    written = 0
    for journey in journeys:
        if journey.states[0].id not in added:
            continue
        for before, after in itertools.pairwise(journey.states):
            if await deps.ota.replace_update(before, after) is None:
                raise RuntimeError(f"demo update {before.id} changed while seeding")
        final = journey.update
        if final.status is U.INSTALLED:
            await deps.vehicles.update(final.vehicle_id, {"software_version": final.version,
                                                          "updated_at": final.updated_at})
            if history is not None:
                history.append(ota.event(ota.UpdateInstalled, final,
                                         final.reported_at or final.updated_at))
        written += 1
    return len(new), written
