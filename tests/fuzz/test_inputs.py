"""Every constructor and validator behind a GraphQL input, fed hostile values: each returns a
valid model or raises a DomainError (InvalidInput and its kin), never anything else."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from domain import (
    appointments,
    availability,
    charging,
    charging_stats,
    feedback,
    journey,
    metrics,
    ota,
    owners,
    pagination,
    stations,
    tariffs,
    telemetry,
    trips,
    validation,
    vehicles,
)
from domain.catalogue import VehicleModel, find_model
from domain.errors import DomainError
from domain.geo import GeoPoint, point
from domain.ids import looks_like_id
from domain.notifications import devices, preferences
from domain.notifications.model import Category, Channel, PushPlatform
from domain.range import Conditions
from domain.service_centers import OpeningHours, ServiceCenter, ServiceType
from tests.fuzz.strategies import (
    NOW,
    clock_texts,
    datetimes,
    floats,
    fuzz_settings,
    ints,
    maybe,
    near_valid,
    ocpi_locations,
    records,
    texts,
)


def _model(model_id: str) -> VehicleModel:
    model = find_model(model_id)
    assert model is not None
    return model


MODEL = _model("volta-one")
MODEL_IDS = st.sampled_from(["volta-one", "volta-city", "volta-tourer"]) | texts(20)
VINS = near_valid(st.text("ABCDEFGHJKLMNPRSTUVWXYZ0123456789", min_size=17, max_size=17), 30)
LOCALES = near_valid(st.sampled_from(["en", "de", "de-DE", "fr-FR", "pt-BR"]), 12)
ZONES = near_valid(st.sampled_from(["UTC", "Europe/Berlin", "America/New_York",
                                    "Pacific/Kiritimati", "Etc/GMT+12", "Europe", "../etc/passwd",
                                    "posixrules", "Factory"]), 70)
CURRENCIES = near_valid(st.sampled_from(["EUR", "usd", "GBP"]), 8)
VERSIONS = near_valid(st.sampled_from(["1", "2026.10.2", "2026.9", "007.1.2.3", "999999.0"]), 30)
IDS = st.just("0190a3c4d5e6f7a8b9c0d1e2") | texts(30)


def outcome[T](build: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """What the constructor returns, None when it refused with a DomainError; any other
    exception fails the test, with Hypothesis showing the smallest input that raised it."""
    name = getattr(build, "__name__", "build")
    try:
        return _accepted(name, build(*args, **kwargs))
    except DomainError as refused:
        error = refused
    assert error.message, "a refusal says what is wrong"
    assert error.code
    event(f"{name}: refused ({error.field})")
    return None


def _accepted[T](name: str, built: T) -> T:
    event(f"{name}: accepted")
    return built


def _finite(*values: float | None) -> bool:
    return all(value is None or math.isfinite(value) for value in values)


# --- shared field rules -----------------------------------------------------------------------


@fuzz_settings()
@given(texts(300), st.integers(min_value=0, max_value=200))
def test_bounded_strings(value: str, max_len: int) -> None:
    text = outcome(validation.bounded, value, "name", max_len=max_len)
    assert text is None or 1 <= len(text) <= max_len
    outcome(validation.optional_bounded, value, "name", max_len=max_len)


@fuzz_settings()
@given(near_valid(st.emails(), 300))
def test_email_addresses(value: str) -> None:
    email = outcome(validation.email_address, value)
    assert email is None or ("@" in email and email == email.lower())


@fuzz_settings()
@given(LOCALES, ZONES, CURRENCIES)
def test_locales_timezones_and_currencies(locale: str, zone: str, currency: str) -> None:
    outcome(validation.locale_tag, locale)
    outcome(validation.timezone_name, zone)
    code = outcome(validation.currency_code, currency)
    assert code is None or (len(code) == 3 and code.isascii() and code.isupper())


@fuzz_settings()
@given(floats(), floats(), datetimes())
def test_numbers_points_and_times(a: float, b: float, when: datetime) -> None:
    value = outcome(validation.non_negative, a, "odometerKm", maximum=1000)
    assert value is None or 0 <= value <= 1000
    where = outcome(point, a, b)
    assert where is None or (-90 <= where.lat <= 90 and -180 <= where.lng <= 180)
    at = outcome(validation.utc, when)
    assert at is None or at.utcoffset() == timedelta(0)


# --- owners and vehicles ----------------------------------------------------------------------


OWNER_FIELDS = {"name": st.sampled_from(["Ana Costa", "Zoë Ñandú", "李雷"]),
                "email": st.emails(), "locale": st.sampled_from(["en", "de-DE"]),
                "timezone": st.sampled_from(["UTC", "Europe/Berlin"]),
                "region": maybe(st.sampled_from(["DE", "fr"]))}


@fuzz_settings()
@given(records(OWNER_FIELDS, {"name": texts(200), "email": near_valid(st.emails(), 300),
                              "locale": LOCALES, "timezone": ZONES,
                              "region": maybe(near_valid(st.just("DE"), 6))}),
       maybe(texts(200)))
def test_owner_registration(fields: dict[str, Any], search: str | None) -> None:
    owner = outcome(owners.register, owners.OwnerRegistration(**fields), NOW)
    assert owner is None or (looks_like_id(owner.id) and 1 <= len(owner.name) <= owners.MAX_NAME)
    outcome(owners.search_term, search)

VIN_TEXT = st.text("ABCDEFGHJKLMNPRSTUVWXYZ0123456789", min_size=17, max_size=17)
VEHICLE_FIELDS = {"owner_id": IDS, "vin": VIN_TEXT, "model_id": st.just("volta-one"),
                  "delivered_at": st.timedeltas(timedelta(0), timedelta(days=3000)).map(
                      lambda age: NOW - age),
                  "nickname": maybe(st.just("Blue")), "odometer_km": st.floats(0, 300_000)}


@fuzz_settings()
@given(records(VEHICLE_FIELDS, {"vin": VINS, "model_id": MODEL_IDS, "delivered_at": datetimes(),
                                "nickname": maybe(texts(80)), "odometer_km": floats()}),
       st.builds(vehicles.VehicleChanges, nickname=maybe(texts(80)), odometer_km=maybe(floats())))

def test_vehicle_registration_and_changes(fields: dict[str, Any],
                                          changes: vehicles.VehicleChanges) -> None:
    vehicle = outcome(vehicles.register, vehicles.VehicleRegistration(**fields), NOW)
    if vehicle is None:
        return
    assert len(vehicle.vin) == 17
    assert vehicle.delivered_at <= NOW
    assert 0 <= vehicle.odometer_km <= vehicles.MAX_ODOMETER_KM
    changed = outcome(vehicles.changed_fields, vehicle, changes)
    odometer = (changed or {}).get("odometer_km", vehicle.odometer_km)
    assert isinstance(odometer, float)
    assert odometer >= vehicle.odometer_km


# --- charging and tariffs ---------------------------------------------------------------------

WINDOWS = st.lists(st.builds(tariffs.tariff_window, start=st.sampled_from(["22:00", "00:00"]),
                             end=st.sampled_from(["06:00", "07:30"]),
                             price_per_kwh=st.floats(0, 10)), max_size=1)
TARIFFS = maybe(st.builds(tariffs.tariff, currency=st.just("EUR"), price_per_kwh=st.floats(0, 10),
                          windows=WINDOWS))


@fuzz_settings()
@given(st.lists(st.tuples(clock_texts(), clock_texts(), floats()), max_size=14), floats(),
       CURRENCIES)
def test_home_tariffs(raw_windows: list[tuple[str, str, float]], price: float,
                      currency: str) -> None:
    windows = [w for raw in raw_windows if (w := outcome(tariffs.tariff_window, *raw))]
    tariff = outcome(tariffs.tariff, currency, price, windows)
    assert tariff is None or (0 <= tariff.price_per_kwh <= tariffs.MAX_PRICE_PER_KWH
                              and len(tariff.windows) <= tariffs.MAX_WINDOWS)


SESSION_FIELDS = {
    "external_id": st.just("ext-1"), "location_type": st.sampled_from(charging.LocationType),
    "started_at": st.integers(5, 60 * 24 * 30).map(lambda m: NOW - timedelta(minutes=m)),
    "minutes": st.integers(240, 600), "energy_delivered_kwh": st.floats(0, 20),
    "soc_start_percent": st.floats(5, 40), "soc_end_percent": st.floats(60, 100),
    "energy_added_kwh": maybe(st.floats(0, 18)), "peak_power_kw": maybe(st.floats(0, 11)),
    "cost": maybe(st.floats(0, 50)), "currency": st.just("EUR"),
    "station_id": maybe(st.just("DE-ION-1")), "operator": maybe(st.just("Ionity")),
    "location": maybe(st.builds(GeoPoint, lat=st.floats(-90, 90), lng=st.floats(-180, 180))),
    "battery_temp_c": maybe(st.floats(-20, 45))}
SESSION_HOSTILE = {
    "external_id": texts(120), "started_at": datetimes(), "minutes": st.integers(-60, 11_000),
    "ended_at": datetimes(), "energy_delivered_kwh": floats(), "soc_start_percent": floats(),
    "soc_end_percent": floats(), "energy_added_kwh": maybe(floats()),
    "peak_power_kw": maybe(floats()), "cost": maybe(floats()), "currency": maybe(CURRENCIES),
    "station_id": maybe(texts(120)), "operator": maybe(texts(120)),
    "battery_temp_c": maybe(floats())}


def _session_report(fields: dict[str, Any]) -> charging.SessionReport:
    minutes = fields.pop("minutes")
    fields.setdefault("ended_at", _plus(fields["started_at"], minutes))
    return charging.SessionReport(**fields)

def _plus(at: datetime, minutes: int) -> datetime:
    try:
        return at + timedelta(minutes=minutes)
    except OverflowError:
        return at


@fuzz_settings(400)
@given(records(SESSION_FIELDS, SESSION_HOSTILE).map(_session_report), TARIFFS,
       st.sampled_from(["Europe/Berlin", "Pacific/Kiritimati", "America/Los_Angeles"]))
def test_charging_sessions(report: charging.SessionReport, tariff: tariffs.HomeTariff | None,
                           zone: str) -> None:
    session = outcome(charging.accept, report, "v1", MODEL, charging.Pricing(tariff, zone), NOW)
    if session is None:
        return
    assert session.started_at < session.ended_at <= NOW + charging.CLOCK_SKEW
    assert 0 <= session.soc_start_percent <= session.soc_end_percent <= 100
    assert session.cost is None or session.cost >= 0


@fuzz_settings()
@given(maybe(datetimes()), maybe(datetimes()))
def test_charging_stats_windows(start: datetime | None, end: datetime | None) -> None:
    window = outcome(charging_stats.window, start, end)
    assert window is None or not (window.start and window.end) or window.start < window.end


# --- service appointments ---------------------------------------------------------------------

def _center(zone: str, mobile: bool) -> ServiceCenter:
    hours = tuple(OpeningHours(weekday=day, opens=time(8), closes=time(18)) for day in range(6))
    return ServiceCenter(id="c1", name="Center", region="DE", location=GeoPoint(lat=52, lng=13),
                         address="Street 1", timezone=zone, opening_hours=hours, bays=2,
                         ev_certified_technicians=1, offers_mobile_service=mobile,
                         loaner_vehicles=1)


CENTERS = st.builds(_center, st.sampled_from(["Europe/Berlin", "America/Los_Angeles",
                                              "Pacific/Kiritimati", "Australia/Lord_Howe"]),
                    st.booleans())
SERVICE_TYPES = st.frozensets(st.sampled_from(ServiceType), max_size=8)


def _slot_starts() -> st.SearchStrategy[datetime]:
    """Hostile times, and whole and half hours in the next weeks (some of them offered)."""
    slots = st.builds(lambda days, half_hours: (NOW + timedelta(days=days)).replace(
        hour=0, minute=0) + timedelta(minutes=30 * half_hours),
        st.integers(-2, 40), st.integers(0, 47))
    return st.one_of(datetimes(), slots)


@fuzz_settings(300)
@given(records({"vehicle_id": IDS, "center_id": IDS, "start": _slot_starts(),
                "service_types": SERVICE_TYPES.filter(bool), "concern": maybe(st.just("Noise")),
                "loaner_requested": st.booleans(), "mobile_service": st.booleans(),
                "address": maybe(st.just("Street 1")), "idempotency_key": maybe(st.just("k1"))},
               {"start": datetimes(), "service_types": SERVICE_TYPES,
                "concern": maybe(texts(600)), "address": maybe(texts(250)),
                "idempotency_key": maybe(texts(120))}).map(
                    lambda fields: appointments.BookingRequest(**fields)),
       CENTERS, texts(2100))
def test_appointment_booking(request: appointments.BookingRequest, center: ServiceCenter,
                             work: str) -> None:
    booked = outcome(appointments.book, request, center, "o1", "o1", NOW)
    assert booked is None or (NOW < booked.start < booked.end)
    outcome(appointments.work_summary, work)


@fuzz_settings(150)
@given(CENTERS, _slot_starts(), st.integers(0, 31 * 24 * 60), SERVICE_TYPES, st.booleans())
def test_available_slots(center: ServiceCenter, start: datetime, minutes: int,
                         types: frozenset[ServiceType], loaner: bool) -> None:
    """What `availableServiceSlots` computes once the service checked the span (<= 31 days)."""
    try:
        begin = validation.utc(start)
        end = begin + timedelta(minutes=max(minutes, 1))
    except (DomainError, OverflowError):  # refused, or no `to` exists past year 9999
        return
    if not types:
        return
    outcome(availability.available_slots, center, availability.Usage(), begin, end, types,
            loaner, NOW)


# --- over-the-air updates ---------------------------------------------------------------------

NOTES = st.dictionaries(LOCALES, texts(200), max_size=4) | st.just({"en": "Fixes."})


@fuzz_settings()
@given(records({"version": st.sampled_from(["2026.10.2", "3"]), "notes": st.just({"en": "Fixes."}),
                "target_models": st.just(["volta-one"]),
                "criticality": st.sampled_from(ota.Criticality), "size_mb": st.floats(0.1, 900),
                "estimated_install_minutes": st.integers(1, 600),
                "min_from_version": maybe(st.just("1.0")),
                "unavailable_functions": st.just(["Charging"])},
               {"version": VERSIONS, "notes": NOTES,
                "target_models": st.lists(MODEL_IDS, max_size=3), "size_mb": floats(),
                "estimated_install_minutes": ints(), "min_from_version": maybe(VERSIONS),
                "unavailable_functions": st.lists(texts(120), max_size=22)}).map(
                    lambda fields: ota.ReleaseDraft(**fields)))
def test_release_drafts(draft: ota.ReleaseDraft) -> None:
    release = outcome(ota.new_release, draft, NOW)
    if release is not None:
        assert 0 < release.size_mb <= ota.MAX_SIZE_MB
        assert release.notes
        assert ota.release_notes(release, "de-DE")


@fuzz_settings()
@given(records({"release_id": st.just("r1"), "stages": st.just([1.0, 10.0, 100.0]),
                "halt_failure_rate_percent": st.floats(0, 99), "min_attempts_before_halt":
                st.integers(1, 100), "auto_advance": st.booleans(),
                "advance_success_rate_percent": st.floats(1, 100),
                "advance_min_attempts": st.integers(1, 100)},
               {"release_id": IDS, "stages": st.lists(floats(), max_size=12),
                "halt_failure_rate_percent": floats(), "min_attempts_before_halt": ints(),
                "advance_success_rate_percent": floats(), "advance_min_attempts": ints()}).map(
                    lambda fields: ota.CampaignDraft(**fields)),
       st.builds(ota.Counts, *[st.integers(0, 10**6)] * 7))
def test_campaign_drafts(draft: ota.CampaignDraft, counts: ota.Counts) -> None:
    campaign = outcome(ota.new_campaign, draft, NOW)
    if campaign is None:
        return
    assert campaign.stages[-1] == 100
    running = ota.start(campaign, NOW)
    ota.should_halt(running, counts)
    ota.should_auto_advance(running, counts)


def _update(status: ota.UpdateStatus) -> ota.VehicleUpdate:
    at = NOW - timedelta(days=1)
    return ota.VehicleUpdate(
        id="u1", vehicle_id="v1", owner_id="o1", campaign_id="c1", release_id="r1",
        version="2026.10.2", status=status, reported_at=at,
        history=(ota.UpdateHistoryEntry(status=status, at=at, event_id="e0"),),
        updated_at=at, created_at=at)


@fuzz_settings(300)
@given(st.sampled_from(ota.UpdateStatus),
       records({"vin": VIN_TEXT, "version": st.just("2026.10.2"),
                "status": st.sampled_from(ota.UpdateStatus), "failure_reason": maybe(texts(600)),
                "reported_at": st.timedeltas(timedelta(0), timedelta(hours=20)).map(
                    lambda back: NOW - back), "event_id": st.just("e1")},
               {"vin": VINS, "version": VERSIONS, "reported_at": datetimes(),
                "event_id": texts(120)}).map(lambda fields: ota.StatusReport(**fields)),
       datetimes(), clock_texts(), ZONES)
def test_vehicle_update_reports_and_schedules(status: ota.UpdateStatus, report: ota.StatusReport,
                                              at: datetime, clock: str, zone: str) -> None:
    update = _update(status)
    after = outcome(ota.apply_report, update, report, NOW)
    assert after is None or after.reported_at is not None
    scheduled = outcome(ota.schedule, update, at, NOW)
    assert scheduled is None or scheduled.scheduled_for is not None
    tonight = outcome(ota.local_time_tonight, clock, zone, NOW)
    assert tonight is None or tonight > NOW


# --- charging stations (OCPI import) ----------------------------------------------------------

@fuzz_settings(400)
@given(ocpi_locations())
def test_ocpi_locations(doc: Any) -> None:
    station = outcome(stations.from_ocpi_location, doc)
    if station is not None:
        assert all(c.max_power_kw > 0 for c in station.connectors)
        assert all(math.isfinite(c.max_power_kw) for c in station.connectors), station.connectors
        assert station.updated_at.tzinfo is not None


# --- trips ------------------------------------------------------------------------------------

GEO = st.builds(GeoPoint, lat=st.floats(-90, 90), lng=st.floats(-180, 180))
NEAR_BERLIN = st.builds(GeoPoint, lat=st.floats(50, 54), lng=st.floats(9, 15))
TRIP_STATIONS = [trips.Station(id=f"s{i}", name=f"S{i}", operator="Ionity",
                               location=GeoPoint(lat=52.5 - i * 0.3, lng=13.4 - i * 0.1),
                               max_power_kw=kw, price_per_kwh=0.59, currency="EUR")
                 for i, kw in enumerate([350.0, 150.0, 22.0, 50.0, 11.0])]


def _trip_request(**fields: Any) -> trips.TripRequest:
    conditions = fields.pop("conditions")
    return trips.TripRequest(conditions=Conditions(**conditions), **fields)


@fuzz_settings(150)
@given(records(
    {"origin": NEAR_BERLIN, "destination": NEAR_BERLIN,
     "waypoints": st.lists(NEAR_BERLIN, max_size=2).map(tuple),
     "departure_soc": st.floats(0, 100), "arrival_reserve_soc": st.floats(0, 30),
     "charge_stop_reserve_soc": st.floats(0, 30), "max_charge_to": st.floats(50, 100),
     "conditions": st.fixed_dictionaries({"speed_kmh": st.floats(5, 250),
                                          "temperature_c": st.floats(-40, 55),
                                          "payload_kg": st.floats(0, 1500)}),
     "preferred_operators": st.lists(st.sampled_from(["Ionity", "Tesla"]), max_size=2).map(tuple),
     "depart_at": maybe(st.just(NOW)), "consumption_scale": st.floats(0.3, 3)},
    {"origin": GEO, "destination": GEO,
     "waypoints": st.lists(GEO, max_size=3).map(tuple)
     | st.just(tuple([GeoPoint(lat=52, lng=13)] * 26)),
     "departure_soc": floats(), "arrival_reserve_soc": floats(),
     "charge_stop_reserve_soc": floats(), "max_charge_to": floats(),
     "conditions": st.fixed_dictionaries({"speed_kmh": floats(), "temperature_c": floats(),
                                          "payload_kg": floats()}),
     "preferred_operators": st.lists(texts(20), max_size=3).map(tuple),
     "depart_at": maybe(datetimes()), "consumption_scale": floats()}))
def test_trip_requests(fields: dict[str, Any]) -> None:
    request = outcome(_trip_request, **fields)
    if request is None:
        return
    plan = outcome(trips.plan_trip, MODEL, MODEL.battery_capacity_kwh, request, TRIP_STATIONS)
    if plan is not None and plan.feasible:
        assert plan.arrival_soc >= request.arrival_reserve_soc - 1e-6


# --- telemetry, feedback, touchpoints ---------------------------------------------------------


@fuzz_settings(300)
@given(records({"vin": VIN_TEXT, "event_id": st.just("e1"),
                "at": st.timedeltas(timedelta(minutes=-4), timedelta(days=900)).map(
                    lambda back: NOW - back),
                "soc_percent": maybe(st.floats(0, 100)), "odometer_km": maybe(st.floats(0, 1e6)),
                "range_km": maybe(st.floats(0, 600)), "battery_temp_c": maybe(st.floats(-50, 90)),
                "location": maybe(st.builds(GeoPoint, lat=st.floats(-90, 90),
                                            lng=st.floats(-180, 180))),
                "charging": maybe(st.booleans()), "charger_power_kw": maybe(st.floats(0, 350)),
                "fault_codes": maybe(st.lists(st.sampled_from(["P0A80", "u1234"]), max_size=3)
                                     .map(tuple))},
               {"event_id": texts(120), "at": datetimes(), "soc_percent": maybe(floats()),
                "odometer_km": maybe(floats()), "range_km": maybe(floats()),
                "battery_temp_c": maybe(floats()),
                "location": maybe(st.builds(GeoPoint, lat=floats(), lng=floats())),
                "charger_power_kw": maybe(floats()),
                "fault_codes": maybe(st.lists(near_valid(st.just("P0A80"), 40), max_size=55)
                                     .map(tuple))}).map(
                    lambda fields: telemetry.TelemetryReport(**fields)))
def test_telemetry_events(report: telemetry.TelemetryReport) -> None:
    event = outcome(telemetry.accept, report, "v1", "VIN", NOW)
    if event is None:
        return
    assert telemetry.EARLIEST <= event.at <= NOW + telemetry.CLOCK_SKEW
    assert _finite(event.soc_percent, event.odometer_km, event.range_km, event.battery_temp_c,
                   event.charger_power_kw), event
    telemetry.advance(None, "v1", [event], MODEL.battery_capacity_kwh)


@fuzz_settings()
@given(records({"touchpoint": st.sampled_from(feedback.FeedbackTouchpoint),
                "nps_score": maybe(st.integers(0, 10)), "csat_score": st.integers(1, 5),
                "comment": maybe(st.just("Great")), "related_id": maybe(st.just("x1")),
                "vehicle_id": maybe(IDS)},
               {"nps_score": maybe(ints()), "csat_score": maybe(ints()),
                "comment": maybe(texts(2100)), "related_id": maybe(texts(120))}).map(
                    lambda fields: feedback.FeedbackAnswer(**fields)))
def test_feedback_answers(answer: feedback.FeedbackAnswer) -> None:
    context = feedback.Context(owner_id="o1", region="DE", model_id="volta-one", stage=None)
    given_answer = outcome(feedback.answer, answer, context, NOW)
    assert given_answer is None or (given_answer.nps_score is not None
                                    or given_answer.csat_score is not None)


@fuzz_settings()
@given(records({"event_id": st.just("e1"), "kind": st.sampled_from(sorted(journey.APP_REPORTED)),
                "channel": st.sampled_from(journey.Channel),
                "at": st.timedeltas(timedelta(minutes=-4), timedelta(days=29)).map(
                    lambda back: NOW - back),
                "vehicle_id": maybe(IDS), "sentiment": maybe(st.sampled_from(journey.Sentiment))},
               {"event_id": texts(120), "kind": st.sampled_from(journey.TouchpointKind),
                "at": datetimes()}).map(lambda fields: journey.TouchpointReport(**fields)))
def test_app_touchpoints(report: journey.TouchpointReport) -> None:
    touchpoint = outcome(journey.app_touchpoint, report, "o1", NOW)
    assert touchpoint is None or looks_like_id(touchpoint.id)


# --- notifications ----------------------------------------------------------------------------

OWNER = owners.Owner(id="o1", name="Ana", email="ana@example.com", created_at=NOW, updated_at=NOW)


@fuzz_settings()
@given(st.builds(preferences.PreferenceChanges,
                 channels=maybe(st.lists(st.sampled_from(Channel), max_size=5).map(tuple)),
                 quiet_hours=maybe(st.tuples(st.times(), st.times())),
                 timezone=maybe(ZONES), locale=maybe(LOCALES),
                 muted_categories=maybe(st.lists(st.sampled_from(Category), max_size=12)
                                        .map(tuple)),
                 max_per_day=maybe(ints()), allow_usage_based_tips=maybe(st.booleans())),
       near_valid(st.just("fcm-token-0123456789"), 5000), texts(12) | st.sampled_from(PushPlatform))
def test_notification_preferences_and_devices(changes: preferences.PreferenceChanges,
                                              token: str, platform: str) -> None:
    settings = outcome(preferences.apply, OWNER, changes)
    assert settings is None or Channel.IN_APP in settings.preferences.channels
    device = outcome(devices.push_device, "o1", token, platform, NOW)
    assert device is None or device.token.isprintable()


# --- analytics and pagination -----------------------------------------------------------------


@fuzz_settings()
@given(maybe(datetimes()), maybe(datetimes()), st.lists(texts(10), max_size=52).map(tuple),
       st.sampled_from(metrics.Interval))
def test_analytics_filters(start: datetime | None, end: datetime | None, models: tuple[str, ...],
                           interval: metrics.Interval) -> None:
    f = outcome(metrics.analytics_filter, start, end, NOW, models)
    if f is None:
        return
    assert f.start < f.end
    assert f.end - f.start <= metrics.MAX_SPAN
    assert len(metrics.periods(f, interval)) <= 200


@fuzz_settings()
@given(maybe(ints()), maybe(texts(100) | st.sampled_from(
    [pagination.encode_cursor("0190a3c4d5e6f7a8b9c0d1e2"), pagination.encode_cursor("x" * 24),
     "YzE6", "====", "c1:0190a3c4d5e6f7a8b9c0d1e2"])))
def test_page_requests(first: int | None, after: str | None) -> None:
    request = outcome(pagination.page_request, first, after)
    assert request is None or (0 <= request.first <= pagination.MAX_PAGE_SIZE and (
        request.after is None or looks_like_id(request.after)))


@fuzz_settings()
@given(st.text(alphabet="0123456789abcdef", min_size=24, max_size=24))
def test_cursors_round_trip(key: str) -> None:
    assert pagination.decode_cursor(pagination.encode_cursor(key)) == key


def test_now_is_a_plain_utc_instant() -> None:
    """The fixed `now` the fuzzers judge times against; keeps the file reproducible."""
    assert NOW.tzinfo is UTC
    assert datetime(2025, 1, 1, tzinfo=UTC) < NOW


# --- bugs the fuzzers found, fixed: each input is refused cleanly ----------------------------

LATE = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(-timedelta(minutes=1)))
EARLY = datetime(1, 1, 1, tzinfo=timezone(timedelta(minutes=1)))


def _session_at(start: datetime, end: datetime) -> charging.SessionReport:
    return charging.SessionReport(
        external_id="e1", started_at=start, ended_at=end,
        location_type=charging.LocationType.HOME, energy_delivered_kwh=1,
        soc_start_percent=10, soc_end_percent=20)


CALENDAR_EDGES: dict[str, Callable[[], object]] = {
    "validation.utc": lambda: validation.utc(LATE),
    "charging.accept": lambda: charging.accept(_session_at(EARLY, datetime(1, 1, 1, 4)), "v1",
                                               MODEL, charging.Pricing(None, "UTC"), NOW),
    "charging.accept with a home tariff": lambda: charging.accept(
        _session_at(datetime(1, 1, 1), datetime(1, 1, 1, 4)), "v1", MODEL,
        charging.Pricing(tariffs.tariff("EUR", 0.3), "Europe/Berlin"), NOW),
    "charging_stats.window": lambda: charging_stats.window(None, EARLY),
    "appointments.book": lambda: appointments.book(
        appointments.BookingRequest(vehicle_id="v1", center_id="c1",
                                    start=datetime(9999, 12, 31, 23, 59, 59),
                                    service_types=frozenset({ServiceType.ANNUAL_SERVICE})),
        _center("America/Los_Angeles", False), "o1", "o1", NOW),
    "availability.available_slots": lambda: availability.available_slots(
        _center("Europe/Berlin", False), availability.Usage(), datetime(9999, 12, 30, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
        frozenset({ServiceType.TYRE_ROTATION}), False, NOW),
    "journey.app_touchpoint": lambda: journey.app_touchpoint(journey.TouchpointReport(
        event_id="e1", kind=journey.TouchpointKind.APP_OPEN, channel=journey.Channel.APP,
        at=LATE), "o1", NOW),
    "metrics.analytics_filter": lambda: metrics.analytics_filter(
        None, datetime(1, 1, 2, tzinfo=UTC), NOW),
    "stations.from_ocpi_location": lambda: stations.from_ocpi_location(
        OCPI | {"last_updated": "0001-01-01T00:00:00+01:00"}),
}
OCPI: dict[str, Any] = {
    "id": "LOC1", "country_code": "DE", "party_id": "ION", "address": "Street 1",
    "city": "Berlin", "country": "DEU", "coordinates": {"latitude": "52.5", "longitude": "13.4"},
    "last_updated": "2026-01-01T00:00:00Z"}


@pytest.mark.parametrize("name", sorted(CALENDAR_EDGES))
def test_times_at_the_edge_of_the_calendar_are_refused(name: str) -> None:
    with pytest.raises(DomainError):
        CALENDAR_EDGES[name]()


def test_an_ocpi_number_beyond_float_range_is_refused() -> None:
    with pytest.raises(DomainError):
        stations.from_ocpi_location(OCPI | {"coordinates": {"latitude": 10**400,
                                                            "longitude": "13.4"}})


def test_an_ocpi_power_that_overflows_is_refused() -> None:
    connector = {"standard": "IEC_62196_T2_COMBO", "format": "CABLE", "power_type": "DC",
                 "max_voltage": 1e200, "max_amperage": 1e200}
    with pytest.raises(DomainError):
        stations.from_ocpi_location(OCPI | {"evses": [{"status": "AVAILABLE",
                                                       "connectors": [connector]}]})


def test_text_that_is_not_unicode_is_refused() -> None:
    with pytest.raises(DomainError):
        validation.bounded("\ud800abc", "name", max_len=100)
