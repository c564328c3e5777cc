"""Every rule: when it fires, when it does not, and what it proposes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain.appointments import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentCompleted,
    AppointmentRescheduled,
    AppointmentStatus,
)
from domain.battery import (
    BatteryFadingFasterThanExpected,
    BatteryHealth,
    BatteryHealthBelowThreshold,
    HealthStatus,
)
from domain.charging import ChargingSessionRecorded, LocationType
from domain.events import VehicleRegistered
from domain.geo import GeoPoint
from domain.notifications.model import Candidate, Kind, Priority, Withdrawal
from domain.notifications.rules import Facts, propose
from domain.notifications.rules.engagement import OwnerLapsed
from domain.ota import (
    Criticality,
    SoftwareRelease,
    UpdateFailed,
    UpdateInstalled,
    UpdateOffered,
    UpdateScheduled,
    UpdateStatus,
)
from domain.owners import Owner
from domain.service_centers import ServiceCenter, ServiceType
from domain.service_schedule import ServiceDue
from domain.telemetry import FaultCodesReported, VehicleStatusReported
from domain.trips import TripPlanned
from domain.vehicles import Vehicle

NOW = datetime(2026, 6, 10, 12, tzinfo=UTC)
OWNER = Owner(id="o1", name="Ana Costa", email="ana@example.com", timezone="Europe/Berlin",
              created_at=NOW, updated_at=NOW)
CAR = Vehicle(id="v1", vin="WVWZZZ1JZXW000001", owner_id="o1", model_id="volta-one",
              nickname="Blitz", delivered_at=NOW - timedelta(days=400), odometer_km=29_500,
              created_at=NOW, updated_at=NOW)
RELEASE = SoftwareRelease(id="r1", version="2.4.0", notes={"en": "Faster charging.",
                                                           "de": "Schneller laden."},
                          target_models=("volta-one",), criticality=Criticality.FEATURE,
                          size_mb=800, estimated_install_minutes=25, published_at=NOW)
CENTER = ServiceCenter(id="c1", name="Volta Service Lisboa", region="PT",
                       location=GeoPoint(lat=38.7, lng=-9.1), address="Rua 1",
                       timezone="Europe/Lisbon", opening_hours=(), bays=2,
                       ev_certified_technicians=2)


def facts(**fields: Any) -> Facts:
    return Facts(**{"owner": OWNER, "vehicle": CAR, "now": NOW, **fields})


def candidates(event: Any, f: Facts | None = None) -> list[Candidate]:
    return [p for p in propose(event, f or facts()) if isinstance(p, Candidate)]


def withdrawals(event: Any, f: Facts | None = None) -> list[Withdrawal]:
    return [p for p in propose(event, f or facts()) if isinstance(p, Withdrawal)]


def update_event(kind: type, status: UpdateStatus = UpdateStatus.OFFERED,
                 scheduled_for: datetime | None = None, reason: str | None = None) -> Any:
    return kind(at=NOW, update_id="u1", vehicle_id="v1", owner_id="o1", campaign_id="k1",
                release_id="r1", version="2.4.0", status=status, scheduled_for=scheduled_for,
                failure_reason=reason)


def appointment_event(kind: type, start: datetime) -> Any:
    return kind(at=NOW, appointment_id="a1", vehicle_id="v1", owner_id="o1", center_id="c1",
                start=start, status=AppointmentStatus.CONFIRMED)


def health(**fields: Any) -> BatteryHealth:
    base: dict[str, Any] = {
        "status": HealthStatus.NORMAL, "state_of_health_percent": 95.0,
        "estimated_capacity_kwh": 55.0, "nominal_capacity_kwh": 58.0, "confidence_low": 94.0,
        "confidence_high": 96.0, "sample_size": 20, "last_estimated_at": NOW, "trend": [],
        "fade_percent_per_year": 1.5, "reaches_80_percent_on": None,
        "reaches_70_percent_on": None, "dc_fast_energy_share": 0.2, "high_soc_sessions": 0,
        "deep_discharge_sessions": 0, "equivalent_full_cycles": 40.0}
    return BatteryHealth(**{**base, **fields})


# --- battery -----------------------------------------------------------------------------------

def test_battery_below_threshold_is_high_priority_once_per_threshold() -> None:
    event = BatteryHealthBelowThreshold(at=NOW, vehicle_id="v1", threshold=80.0,
                                        state_of_health_percent=79.4)
    [c] = candidates(event)
    assert (c.kind, c.priority) == (Kind.BATTERY_HEALTH_LOW, Priority.HIGH)
    assert c.dedup_key == "v1:soh-below:80"
    assert c.dedup_window >= timedelta(days=365)
    assert c.params["soh"] == 79.4


def test_fading_faster_than_expected_fires() -> None:
    event = BatteryFadingFasterThanExpected(at=NOW, vehicle_id="v1", fade_percent_per_year=4.2,
                                            state_of_health_percent=88.0)
    [c] = candidates(event)
    assert c.kind is Kind.BATTERY_FADING_FAST
    assert c.params["fade"] == 4.2


# --- OTA ---------------------------------------------------------------------------------------

def test_update_offered_is_normal_for_a_feature_release() -> None:
    [c] = candidates(update_event(UpdateOffered), facts(release=RELEASE))
    assert (c.kind, c.priority) == (Kind.UPDATE_OFFERED, Priority.NORMAL)
    assert c.params["minutes"] == 25


def test_a_security_update_offer_is_critical() -> None:
    security = RELEASE.model_copy(update={"criticality": Criticality.SECURITY})
    [c] = candidates(update_event(UpdateOffered), facts(release=security))
    assert c.priority is Priority.CRITICAL


def test_release_notes_are_in_the_owner_language() -> None:
    german = facts(owner=OWNER.model_copy(update={"locale": "de-DE"}), release=RELEASE)
    [c] = candidates(update_event(UpdateOffered), german)
    assert c.params["notes"] == "Schneller laden."


def test_scheduled_update_gets_a_reminder_an_hour_before() -> None:
    when = NOW + timedelta(days=1)
    event = update_event(UpdateScheduled, UpdateStatus.SCHEDULED, when)
    [c] = candidates(event, facts(release=RELEASE))
    assert c.kind is Kind.UPDATE_REMINDER
    assert c.deliver_at == when - timedelta(hours=1)
    assert c.expires_at == when
    assert withdrawals(event, facts(release=RELEASE)) == [Withdrawal("o1", "u1:reminder")]


def test_a_schedule_in_the_past_gets_no_reminder() -> None:
    event = update_event(UpdateScheduled, UpdateStatus.SCHEDULED, NOW - timedelta(minutes=5))
    assert candidates(event, facts(release=RELEASE)) == []


def test_installed_tells_the_release_notes_and_withdraws_the_reminder() -> None:
    event = update_event(UpdateInstalled, UpdateStatus.INSTALLED)
    [c] = candidates(event, facts(release=RELEASE))
    assert c.kind is Kind.UPDATE_INSTALLED
    assert c.params["notes"] == "Faster charging."
    assert withdrawals(event, facts(release=RELEASE))


def test_failed_update_suggests_a_booking_with_the_concern_filled_in() -> None:
    event = update_event(UpdateFailed, UpdateStatus.FAILED, reason="checksum mismatch")
    [c] = candidates(event, facts(release=RELEASE))
    assert c.kind is Kind.UPDATE_FAILED
    assert c.deep_link is not None
    assert c.deep_link.startswith("evjourney://service/book?")
    assert "checksum+mismatch" in c.deep_link
    assert c.data["concern"] == "Software update 2.4.0 failed: checksum mismatch"


# --- service -----------------------------------------------------------------------------------

def test_booking_confirms_and_schedules_a_reminder_24_hours_before() -> None:
    start = NOW + timedelta(days=3)
    found = candidates(appointment_event(AppointmentBooked, start), facts(center=CENTER))
    assert [c.kind for c in found] == [Kind.APPOINTMENT_CONFIRMED, Kind.APPOINTMENT_REMINDER]
    reminder = found[1]
    assert reminder.deliver_at == start - timedelta(hours=24)
    assert reminder.expires_at == start
    assert reminder.params["center"] == "Volta Service Lisboa"


def test_a_booking_for_within_a_day_gets_no_separate_reminder() -> None:
    found = candidates(appointment_event(AppointmentBooked, NOW + timedelta(hours=5)))
    assert [c.kind for c in found] == [Kind.APPOINTMENT_CONFIRMED]


def test_reschedule_replaces_the_reminder() -> None:
    event = appointment_event(AppointmentRescheduled, NOW + timedelta(days=5))
    assert withdrawals(event) == [Withdrawal("o1", "a1:reminder")]
    assert Kind.APPOINTMENT_REMINDER in [c.kind for c in candidates(event)]


def test_cancel_only_withdraws() -> None:
    event = appointment_event(AppointmentCancelled, NOW + timedelta(days=5))
    assert candidates(event) == []
    assert withdrawals(event) == [Withdrawal("o1", "a1:reminder")]


def test_completed_links_the_feedback_survey() -> None:
    [c] = candidates(appointment_event(AppointmentCompleted, NOW - timedelta(hours=2)))
    assert c.kind is Kind.APPOINTMENT_COMPLETED
    assert c.deep_link == "evjourney://feedback?touchpoint=SERVICE_VISIT&relatedId=a1"


def status(**fields: Any) -> VehicleStatusReported:
    base: dict[str, Any] = {"at": NOW, "vehicle_id": "v1", "owner_id": "o1", "soc_percent": 60.0,
                            "charging": False, "odometer_km": 29_500.0, "range_km": 250.0}
    return VehicleStatusReported(**{**base, **fields})


def due(soon: bool, overdue: bool = False, reason: str = "DISTANCE") -> ServiceDue:
    return ServiceDue(ServiceType.ANNUAL_SERVICE, date(2026, 7, 1), 30_000.0, reason, overdue,
                      soon)


def test_service_due_soon_by_odometer_fires_with_the_distance_text() -> None:
    [c] = candidates(status(), facts(service_due=[due(soon=True)]))
    assert c.kind is Kind.SERVICE_DUE
    assert c.variant == "DISTANCE"
    assert c.params["due_km"] == 30_000.0


def test_service_not_due_does_not_fire() -> None:
    assert candidates(status(), facts(service_due=[due(soon=False)])) == []


def test_overdue_by_time_fires() -> None:
    [c] = candidates(status(), facts(service_due=[due(False, overdue=True, reason="TIME")]))
    assert c.variant == "TIME"


# --- trips -------------------------------------------------------------------------------------

def trip(depart_at: datetime | None) -> TripPlanned:
    return TripPlanned(at=NOW, vehicle_id="v1", owner_id="o1", charging_stops=2,
                       departure_soc=95.0, depart_at=depart_at)


def test_trip_reminder_comes_the_evening_before_in_local_time() -> None:
    depart = datetime(2026, 6, 12, 6, tzinfo=UTC)  # 08:00 in Berlin
    [c] = candidates(trip(depart))
    assert c.kind is Kind.TRIP_CHARGE_REMINDER
    assert c.deliver_at == datetime(2026, 6, 11, 17, tzinfo=UTC)  # 19:00 Berlin (CEST)
    assert c.params["soc"] == 95.0
    assert c.expires_at == depart


def test_trip_without_departure_time_or_too_soon_gets_no_reminder() -> None:
    assert candidates(trip(None)) == []
    assert candidates(trip(NOW + timedelta(hours=2))) == []


# --- charging habits and onboarding -----------------------------------------------------------

def session(location: LocationType = LocationType.HOME) -> ChargingSessionRecorded:
    return ChargingSessionRecorded(at=NOW, session_id="s1", vehicle_id="v1",
                                   location_type=location, energy_delivered_kwh=30,
                                   soc_end_percent=80)


def test_high_dc_share_and_high_soc_habits_propose_tips() -> None:
    habits = health(dc_fast_energy_share=0.7, high_soc_sessions=12)
    kinds = {c.kind for c in candidates(session(), facts(health=habits))}
    assert kinds == {Kind.TIP_DC_FAST_SHARE, Kind.TIP_HIGH_SOC}


def test_healthy_habits_or_little_history_propose_nothing() -> None:
    assert candidates(session(), facts(health=health())) == []
    young = health(dc_fast_energy_share=0.9, equivalent_full_cycles=2.0)
    assert candidates(session(), facts(health=young)) == []


def test_new_vehicle_gets_the_public_charging_guide_three_days_after_delivery() -> None:
    new_car = CAR.model_copy(update={"delivered_at": NOW - timedelta(days=1)})
    event = VehicleRegistered(at=NOW, vehicle_id="v1", owner_id="o1", model_id="volta-one")
    [c] = candidates(event, facts(vehicle=new_car))
    assert c.kind is Kind.ONBOARDING_PUBLIC_CHARGING
    assert c.deliver_at == new_car.delivered_at + timedelta(days=3)
    assert candidates(event) == []  # CAR was delivered 400 days ago: not onboarding


def test_first_public_charge_withdraws_the_guide() -> None:
    new_car = CAR.model_copy(update={"delivered_at": NOW - timedelta(days=10)})
    assert withdrawals(session(LocationType.PUBLIC_DC), facts(vehicle=new_car))
    assert withdrawals(session(LocationType.HOME), facts(vehicle=new_car)) == []


# --- telemetry ---------------------------------------------------------------------------------

def test_known_safety_fault_is_critical_and_suggests_a_booking() -> None:
    event = FaultCodesReported(at=NOW, vehicle_id="v1", owner_id="o1", codes=("P0AA6",))
    [c] = candidates(event)
    assert (c.kind, c.priority, c.variant) == (Kind.FAULT_DETECTED, Priority.CRITICAL,
                                               "CRITICAL")
    assert c.data["concern"] == "Fault code P0AA6: High-voltage isolation fault"


def test_unknown_fault_is_high_and_named_by_code() -> None:
    event = FaultCodesReported(at=NOW, vehicle_id="v1", owner_id="o1", codes=("X9999",))
    [c] = candidates(event)
    assert c.priority is Priority.HIGH
    assert c.params["fault"] == "Vehicle fault X9999"


EVENING = datetime(2026, 6, 10, 19, 30, tzinfo=UTC)  # 21:30 in Berlin


@pytest.mark.parametrize(("fields", "fires"), [
    ({}, True),
    ({"soc_percent": 35.0}, False),
    ({"charging": True}, False),
    ({"at": datetime(2026, 6, 10, 10, tzinfo=UTC)}, False),  # noon: not night
])
def test_low_charge_at_night(fields: dict[str, Any], fires: bool) -> None:
    event = status(**{"at": EVENING, "soc_percent": 12.0, **fields})
    found = candidates(event, facts(now=fields.get("at", EVENING)))
    assert [c.kind for c in found] == ([Kind.LOW_CHARGE_AT_NIGHT] if fires else [])


def test_stale_telemetry_does_not_nag() -> None:
    event = status(at=EVENING, soc_percent=12.0)
    assert candidates(event, facts(now=EVENING + timedelta(hours=2))) == []


# --- engagement --------------------------------------------------------------------------------

def test_lapsed_owner_gets_a_re_engagement_nudge_by_first_name() -> None:
    event = OwnerLapsed(at=NOW, owner_id="o1", vehicle_id="v1", inactive_days=75)
    [c] = candidates(event)
    assert c.kind is Kind.RE_ENGAGEMENT
    assert c.params["name"] == "Ana"
    assert c.dedup_key == "o1:re-engagement"
