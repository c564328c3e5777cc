"""Deterministic demo service network: a dozen centers where the demo owners live, and each demo
vehicle's service history (mostly completed visits, some cancelled, about one in ten no-shows, a
few return visits for the same concern) plus some bookings in the weeks after EPOCH.

Every start is one the center offers (`domain.availability.starts_on`) and the generated bookings
never overbook a center; the upcoming ones hold capacity in the store as real bookings do.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.appointments import (
    Appointment,
    AppointmentBooked,
    AppointmentCompleted,
    AppointmentEvent,
    AppointmentStatus,
    HistoryEntry,
    is_return_visit,
)
from domain.appointments import event as appointment_event
from domain.availability import Hold, Usage, capacity_month, first_full, hold_for, starts_on
from domain.errors import LoanerUnavailable, SlotUnavailable
from domain.events import DomainEvent
from domain.geo import GeoPoint, distance_km, point
from domain.ids import new_id
from domain.service_centers import (
    OpeningHours,
    ServiceCenter,
    ServiceType,
    concern_categories,
    duration_minutes,
)
from domain.vehicles import Vehicle
from services.deps import Deps

S = AppointmentStatus
T = ServiceType
# services/demo.py's EPOCH (a test keeps them equal): not imported, so that seed_demo can import
# this module without an import cycle.
EPOCH = datetime.fromisoformat("2026-11-01T00:00:00+00:00")


@dataclass(frozen=True, slots=True)
class _Site:
    city: str
    district: str
    country: str
    timezone: str
    address: str
    lat: float
    lng: float


_SITES: tuple[_Site, ...] = (
    _Site("London", "Park Royal", "GB", "Europe/London",
          "120 Abbey Road, London NW10 7TR", 51.5310, -0.2620),
    _Site("London", "Croydon", "GB", "Europe/London",
          "240 Purley Way, Croydon CR0 4XG", 51.3670, -0.1160),
    _Site("Berlin", "Tempelhof", "DE", "Europe/Berlin",
          "Ringbahnstraße 30, 12099 Berlin", 52.4660, 13.3840),
    _Site("Berlin", "Spandau", "DE", "Europe/Berlin",
          "Brunsbütteler Damm 120, 13581 Berlin", 52.5340, 13.1750),
    _Site("Paris", "Saint-Denis", "FR", "Europe/Paris",
          "98 avenue du Président Wilson, 93200 Saint-Denis", 48.9160, 2.3560),
    _Site("Amsterdam", "Sloterdijk", "NL", "Europe/Amsterdam",
          "Naritaweg 40, 1043 BZ Amsterdam", 52.3870, 4.8350),
    _Site("Stockholm", "Kungens Kurva", "SE", "Europe/Stockholm",
          "Geometrivägen 10, 141 75 Kungens Kurva", 59.2700, 17.9180),
    _Site("Madrid", "Alcobendas", "ES", "Europe/Madrid",
          "Avenida de la Industria 12, 28108 Alcobendas", 40.5330, -3.6450),
    _Site("New York", "Long Island City", "US", "America/New_York",
          "47-20 Northern Blvd, Long Island City, NY 11101", 40.7520, -73.9200),
    _Site("New York", "Jersey City", "US", "America/New_York",
          "440 Route 440, Jersey City, NJ 07305", 40.7060, -74.0870),
    _Site("Los Angeles", "Culver City", "US", "America/Los_Angeles",
          "5800 W Jefferson Blvd, Los Angeles, CA 90016", 34.0260, -118.3770),
    _Site("Los Angeles", "Pasadena", "US", "America/Los_Angeles",
          "3600 E Foothill Blvd, Pasadena, CA 91107", 34.1500, -118.0830),
)
# Where demo owners live (services/demo.py places their homes around these points).
_HOMES: dict[str, tuple[float, float, str, tuple[str, ...]]] = {
    "Europe/London": (51.51, -0.13, "London", ("Elm Grove", "Station Road", "Victoria Street")),
    "Europe/Berlin": (52.52, 13.40, "Berlin", ("Lindenstraße", "Schillerstraße", "Am Park")),
    "Europe/Paris": (48.86, 2.35, "Paris", ("rue de la Paix", "rue Victor Hugo", "rue Lafayette")),
    "Europe/Amsterdam": (52.37, 4.90, "Amsterdam", ("Kerkstraat", "Prinsengracht", "Dorpsweg")),
    "Europe/Stockholm": (59.33, 18.07, "Stockholm", ("Storgatan", "Kungsgatan", "Skolgatan")),
    "Europe/Madrid": (40.42, -3.70, "Madrid", ("Calle Mayor", "Calle de Alcalá", "Calle Real")),
    "America/New_York": (40.71, -74.01, "New York", ("Main Street", "Oak Avenue", "Park Place")),
    "America/Los_Angeles": (34.05, -118.24, "Los Angeles", ("Sunset Blvd", "Vine Street",
                                                            "Maple Drive")),
}
_REPAIRS: dict[ServiceType, tuple[str, ...]] = {
    T.BATTERY_DIAGNOSTICS: ("Range dropped noticeably over the last weeks",
                            "Battery warning light came on after a cold night"),
    T.CHARGING_SYSTEM_REPAIR: ("DC fast charging stops after a few minutes",
                               "Charge port does not unlock the cable"),
    T.SOFTWARE_DIAGNOSTICS: ("Centre screen freezes on start-up",
                             "Phone key is often not recognised"),
    T.HIGH_VOLTAGE_REPAIR: ("Isolation fault message on the dashboard",),
    T.GENERAL_REPAIR: ("Knocking noise from the front suspension", "Wipers judder and streak"),
}
_WORK: dict[ServiceType, str] = {
    T.ANNUAL_SERVICE: "Annual inspection, 12V battery test and HV system check",
    T.TYRE_ROTATION: "Tyres rotated and pressures set",
    T.TYRE_CHANGE: "Seasonal tyres fitted",
    T.BRAKE_FLUID: "Brake fluid replaced",
    T.CABIN_FILTER: "Cabin filter replaced",
    T.BATTERY_DIAGNOSTICS: "Battery diagnostics run, cell balancing performed",
    T.HIGH_VOLTAGE_REPAIR: "HV connector inspected and resealed",
    T.CHARGING_SYSTEM_REPAIR: "Charge port actuator replaced",
    T.SOFTWARE_DIAGNOSTICS: "Logs read out, software reflashed",
    T.GENERAL_REPAIR: "Fault located and repaired",
}
_MOBILE_OK = frozenset({T.TYRE_ROTATION, T.TYRE_CHANGE, T.CABIN_FILTER, T.SOFTWARE_DIAGNOSTICS})
_HISTORY_END = EPOCH - timedelta(days=14)  # past visits are settled well before EPOCH
_RETURN_DAYS = (2, 20)  # a return visit is looked for this many days after the repair
_UPCOMING_DAYS = (1, 21)
_NO_SHOW_SHARE, _CANCELLED_SHARE, _RETURN_SHARE, _UPCOMING_SHARE = 0.10, 0.08, 0.25, 0.12


def demo_centers(seed: int) -> list[ServiceCenter]:
    """The same twelve centers (ids, hours, bays, technicians, loaners) for the same seed."""
    rng = random.Random(f"{seed}:centers")
    return [_center(rng, site) for site in _SITES]


def _center(rng: random.Random, site: _Site) -> ServiceCenter:
    bays = rng.randint(4, 12)
    return ServiceCenter(
        id=new_id(EPOCH, rng), name=f"Volta Service {site.city} {site.district}",
        region=site.country,
        location=point(round(site.lat + rng.uniform(-0.004, 0.004), 5),
                       round(site.lng + rng.uniform(-0.004, 0.004), 5)),
        address=site.address, timezone=site.timezone, opening_hours=_opening_hours(rng),
        bays=bays, ev_certified_technicians=rng.randint(2, min(6, bays)),
        offers_mobile_service=rng.random() < 0.4, loaner_vehicles=rng.randint(0, 4))


def _opening_hours(rng: random.Random) -> tuple[OpeningHours, ...]:
    opens = time.fromisoformat(rng.choice(("07:00", "07:30", "08:00")))
    closes = time.fromisoformat(rng.choice(("17:30", "18:00", "18:30")))
    week = [OpeningHours(weekday=day, opens=opens, closes=closes) for day in range(5)]
    return (*week, OpeningHours(weekday=5, opens=time(9), closes=time(13)))


# --- appointments ----------------------------------------------------------------------------


class _Calendar:
    """Capacity the generated bookings take, so the demo never overbooks a center."""

    def __init__(self) -> None:
        self._used: dict[str, dict[str, dict[str, int]]] = {}

    def take_if_free(self, center: ServiceCenter, hold: Hold) -> bool:
        counters = self._used.setdefault(center.id, {})
        if first_full(center, Usage(counters), hold) is not None:
            return False
        for counter, key in hold.items():
            taken = counters.setdefault(counter, {})
            taken[key] = taken.get(key, 0) + 1
        return True


@dataclass(frozen=True, slots=True)
class _Booking:
    vehicle: Vehicle
    center: ServiceCenter
    start: datetime
    types: frozenset[ServiceType]
    concern: str | None
    created_at: datetime
    loaner: bool
    address: str | None  # set for mobile service


@dataclass(frozen=True, slots=True)
class _Booked:
    """When the booking was made: in [earliest, latest] (by default up to three weeks ahead),
    and at least two hours before the start."""

    earliest: datetime | None = None
    latest: datetime | None = None

    def at(self, rng: random.Random, start: datetime) -> datetime:
        earliest = self.earliest or start - timedelta(days=21)
        latest = min(self.latest or start, start - timedelta(hours=2))
        at = earliest + (latest - earliest) * rng.random() if latest > earliest else latest
        return _whole_second(at)


def demo_appointments(vehicles: Sequence[Vehicle], centers: Sequence[ServiceCenter], seed: int,
                      owner_timezones: Mapping[str, str]) -> list[Appointment]:
    """Each vehicle's visits at the center nearest its owner's home, in the owner's region.

    `owner_timezones` maps every vehicle's owner id to the owner's timezone (their region).
    """
    calendar = _Calendar()
    found: list[Appointment] = []
    for vehicle in vehicles:
        if not centers:
            break
        rng = random.Random(f"{seed}:{vehicle.id}:service")
        timezone = owner_timezones[vehicle.owner_id]
        center = _nearest(rng, centers, timezone)
        found.extend(_vehicle_history(rng, calendar, vehicle, center, timezone))
    return found


def _nearest(rng: random.Random, centers: Sequence[ServiceCenter],
             timezone: str) -> ServiceCenter:
    regional = sorted((c for c in centers if c.timezone == timezone), key=lambda c: c.id)
    candidates = regional or sorted(centers, key=lambda c: c.id)
    if timezone not in _HOMES:
        return rng.choice(candidates)
    lat, lng, _, _ = _HOMES[timezone]
    home = GeoPoint(lat=lat + rng.uniform(-0.3, 0.3), lng=lng + rng.uniform(-0.4, 0.4))
    return min(candidates, key=lambda c: (distance_km(home, c.location), c.id))


def _vehicle_history(rng: random.Random, calendar: _Calendar, vehicle: Vehicle,
                     center: ServiceCenter, timezone: str) -> list[Appointment]:
    history: list[Appointment] = []
    day = vehicle.delivered_at + timedelta(days=rng.randint(150, 330))
    since_annual = vehicle.delivered_at
    while day < _HISTORY_END:
        types, concern = _visit(rng, _months_since(since_annual, day))
        if T.ANNUAL_SERVICE in types:
            since_annual = day
        history.extend(_past_visit(rng, calendar, vehicle, center, timezone, day, types, concern))
        day += timedelta(days=rng.randint(150, 400))
    if rng.random() < _UPCOMING_SHARE:
        history.extend(_upcoming_visit(rng, calendar, vehicle, center, timezone, since_annual))
    return _linked(history)


def _months_since(since: datetime, day: datetime) -> float:
    return (day - since).days / 30.44


def _visit(rng: random.Random, months_since_annual: float) -> tuple[frozenset[ServiceType],
                                                                    str | None]:
    if rng.random() < 0.3:
        repair = rng.choice(sorted(_REPAIRS))
        return frozenset({repair}), rng.choice(_REPAIRS[repair])
    types = {T.TYRE_ROTATION}
    if months_since_annual >= 20:
        types |= {T.ANNUAL_SERVICE, T.BRAKE_FLUID} if rng.random() < 0.5 else {T.ANNUAL_SERVICE}
    if rng.random() < 0.5:
        types.add(T.CABIN_FILTER)
    return frozenset(types), None


def _past_visit(rng: random.Random, calendar: _Calendar, vehicle: Vehicle,
                center: ServiceCenter, timezone: str, day: datetime,
                types: frozenset[ServiceType], concern: str | None) -> list[Appointment]:
    """A settled visit, and possibly a return visit for the same concern within 30 days."""
    local_day = day.astimezone(ZoneInfo(center.timezone)).date()
    booking = _book(rng, calendar, vehicle, center, timezone, local_day, types, concern)
    if booking is None:
        return []
    visit = _settle(rng, booking, _past_status(rng))
    if visit.completed_at is None or not concern or rng.random() >= _RETURN_SHARE:
        return [visit]
    back = visit.completed_at + timedelta(days=rng.randint(*_RETURN_DAYS))
    if back >= _HISTORY_END:
        return [visit]
    again = _book(rng, calendar, vehicle, center, timezone,
                  back.astimezone(ZoneInfo(center.timezone)).date(), types,
                  f"Same problem again: {concern}", _Booked(earliest=visit.completed_at))
    return [visit] if again is None else [visit, _settle(rng, again, _past_status(rng))]


def _past_status(rng: random.Random) -> AppointmentStatus:
    draw = rng.random()
    if draw < _NO_SHOW_SHARE:
        return S.NO_SHOW
    return S.CANCELLED if draw < _NO_SHOW_SHARE + _CANCELLED_SHARE else S.COMPLETED


def _upcoming_visit(rng: random.Random, calendar: _Calendar, vehicle: Vehicle,
                    center: ServiceCenter, timezone: str,
                    since_annual: datetime) -> list[Appointment]:
    types, concern = _visit(rng, _months_since(since_annual, EPOCH))
    local_day = EPOCH.astimezone(ZoneInfo(center.timezone)).date() + timedelta(
        days=rng.randint(*_UPCOMING_DAYS))
    booking = _book(rng, calendar, vehicle, center, timezone, local_day, types, concern,
                    _Booked(EPOCH - timedelta(days=10), EPOCH))
    return [] if booking is None else [_settle(rng, booking, S.CONFIRMED)]


def _book(rng: random.Random, calendar: _Calendar, vehicle: Vehicle, center: ServiceCenter,
          timezone: str, day: date, types: frozenset[ServiceType], concern: str | None,
          booked: _Booked | None = None) -> _Booking | None:
    """The first offered start with room on `day` or one of the next six days."""
    minutes = duration_minutes(types)
    address = _address(rng, timezone) if _wants_mobile(rng, center, types) else None
    loaner = (address is None and minutes >= 90 and center.loaner_vehicles > 0
              and rng.random() < 0.4)
    for offset in range(7):
        starts = starts_on(center, day + timedelta(days=offset), minutes)
        rng.shuffle(starts)
        for start in starts:
            if calendar.take_if_free(center, hold_for(center, start, types, loaner,
                                                      mobile=address is not None)):
                created = (booked or _Booked()).at(rng, start)
                return _Booking(vehicle, center, start, types, concern, created, loaner, address)
    return None


def _wants_mobile(rng: random.Random, center: ServiceCenter,
                  types: frozenset[ServiceType]) -> bool:
    return center.offers_mobile_service and types <= _MOBILE_OK and rng.random() < 0.35


def _address(rng: random.Random, timezone: str) -> str:
    _, _, city, streets = _HOMES.get(timezone, _HOMES["Europe/Berlin"])
    return f"{rng.randint(1, 180)} {rng.choice(streets)}, {city}"


def _settle(rng: random.Random, booking: _Booking, status: AppointmentStatus) -> Appointment:
    """The appointment as it stands once it reached `status` along the lifecycle."""
    start, end = booking.start, booking.start + timedelta(minutes=duration_minutes(booking.types))
    staff = f"staff-{booking.center.id[-6:]}-{rng.randint(1, 4)}"
    entries = [HistoryEntry(status=S.CONFIRMED, at=booking.created_at,
                            by=booking.vehicle.owner_id)]
    completion: dict[str, object] = {}
    if status is S.CANCELLED:
        share = rng.uniform(0.2, 0.95)
        at = _whole_second(booking.created_at + (start - booking.created_at) * share)
        entries.append(HistoryEntry(status=status, at=at, by=booking.vehicle.owner_id))
    elif status is S.NO_SHOW:
        at = start + timedelta(minutes=rng.randint(20, 60))
        entries.append(HistoryEntry(status=status, at=at, by=staff))
    elif status is S.COMPLETED:
        working = start + timedelta(minutes=rng.randint(0, 20))
        done = max(end + timedelta(minutes=rng.randint(-10, 45)), working + timedelta(minutes=10))
        entries += [HistoryEntry(status=S.CHECKED_IN, at=start - timedelta(
                        minutes=rng.randint(0, 15)), by=staff),
                    HistoryEntry(status=S.IN_PROGRESS, at=working, by=staff),
                    HistoryEntry(status=S.COMPLETED, at=done, by=staff)]
        completion = {"completed_at": done, "odometer_km": _odometer(booking.vehicle, done),
                  "work_performed": "; ".join(_WORK[kind] for kind in sorted(booking.types)),
                  "concern_resolved": booking.concern is None or rng.random() < 0.9}
    appointment = Appointment(
        id=new_id(booking.created_at, rng), vehicle_id=booking.vehicle.id,
        owner_id=booking.vehicle.owner_id, center_id=booking.center.id,
        timezone=booking.center.timezone, start=start, end=end,
        service_types=tuple(sorted(booking.types)), status=status, loaner=booking.loaner,
        mobile_service=booking.address is not None, address=booking.address,
        concern=booking.concern, concern_categories=tuple(sorted(concern_categories(
            booking.types))), history=tuple(entries), created_at=booking.created_at)
    return appointment.model_copy(update=completion) if completion else appointment


def _whole_second(at: datetime) -> datetime:
    """Stored times keep milliseconds at most; whole seconds read back unchanged anywhere."""
    return at.replace(microsecond=0)


def _odometer(vehicle: Vehicle, at: datetime) -> float:
    """The reading then, assuming the car covered its distance evenly up to EPOCH."""
    owned = (EPOCH - vehicle.delivered_at).total_seconds()
    share = (at - vehicle.delivered_at).total_seconds() / owned if owned > 0 else 1.0
    return round(vehicle.odometer_km * min(max(share, 0.0), 1.0), 1)


def _linked(history: Sequence[Appointment]) -> list[Appointment]:
    """As booking does: a visit booked for a concern completed at most 30 days before its start
    is a return visit of the latest such repair, and that repair is reopened."""
    returns: dict[str, str] = {}
    for later in history:
        earlier = [e for e in history if e.completed_at is not None
                   and e.completed_at <= later.created_at and is_return_visit(e, later)]
        if earlier:
            returns[later.id] = max(earlier, key=_completed_at).id
    return _flagged(history, returns)


def _completed_at(appointment: Appointment) -> datetime:
    return appointment.completed_at or datetime.min.replace(tzinfo=UTC)


def _flagged(appointments: Sequence[Appointment], returns: Mapping[str, str]) -> list[Appointment]:
    reopened = set(returns.values())
    return [a.model_copy(update={"return_of": returns.get(a.id), "reopened": a.id in reopened})
            for a in appointments]


# --- seeding ---------------------------------------------------------------------------------


def journey_events(appointment: Appointment) -> list[AppointmentEvent]:
    """What booking the appointment and completing it raised, at the times they happened: its
    touchpoints (BOOKING, SERVICE_VISIT) for the timeline of a generated history."""
    booked = appointment_event(AppointmentBooked, appointment, appointment.created_at)
    if appointment.completed_at is None:
        return [booked]
    return [booked, appointment_event(AppointmentCompleted, appointment,
                                      appointment.completed_at)]


async def seed_service_network(deps: Deps, vehicles: Sequence[Vehicle],
                               owner_timezones: Mapping[str, str], seed: int,
                               history: list[DomainEvent] | None = None) -> tuple[int, int]:
    """Writes the demo centers (those not stored yet) and these vehicles' appointments; the
    upcoming ones hold capacity first, as booking does. Can be called once per batch of
    vehicles; an upcoming visit a previous batch left no room for is left out. The journey
    events of the appointments written go to `history`, if given.
    Returns (centers written, appointments written)."""
    centers = demo_centers(seed)
    stored = await deps.centers.get_many([center.id for center in centers])
    new = [center for center, known in zip(centers, stored, strict=True) if known is None]
    await deps.centers.add_many(new)
    by_id = {center.id: center for center in centers}
    appointments = demo_appointments(vehicles, centers, seed, owner_timezones)
    refused: set[str] = set()
    for appointment in appointments:
        if appointment.status is S.CONFIRMED:
            center = by_id[appointment.center_id]
            hold = hold_for(center, appointment.start, frozenset(appointment.service_types),
                            appointment.loaner, appointment.mobile_service)
            try:
                await deps.capacity.hold(center, capacity_month(center, appointment.start), hold)
            except (SlotUnavailable, LoanerUnavailable):
                refused.add(appointment.id)
    kept = [a for a in appointments if a.id not in refused]
    kept = _flagged(kept, {a.id: a.return_of for a in kept if a.return_of})
    await deps.appointments.add_many(kept)
    if history is not None:
        history.extend(event for appointment in kept for event in journey_events(appointment))
    return len(new), len(kept)

