"""What a notification says, in the owner's language (English and German), with their numbers.

Texts are templates filled from a rule's params; numbers and times are formatted per locale here,
so rules hand over raw values.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from domain.notifications.model import Kind

DEFAULT_LOCALE = "en"
type Template = tuple[str, str]  # title, body

EN: dict[str, Template] = {
    "BATTERY_HEALTH_LOW": (
        "{vehicle}: battery health at {soh}%",
        "Your battery's estimated capacity has fallen below {threshold}% of new. Book a free "
        "battery check to see what it means for range and warranty."),
    "BATTERY_FADING_FAST": (
        "{vehicle}: battery ageing faster than usual",
        "Capacity is falling by about {fade}% a year, more than we expect for your car. "
        "Frequent fast charging and long stays at a high charge speed this up."),
    "UPDATE_OFFERED": (
        "Update {version} for {vehicle}",
        "{notes} Installing takes about {minutes} minutes and the car cannot be driven "
        "meanwhile. Choose a time that suits you."),
    "UPDATE_REMINDER": (
        "{vehicle} updates at {time}",
        "Update {version} installs at {time} and takes about {minutes} minutes. Park where the "
        "car can stay put, with at least 20% charge."),
    "UPDATE_INSTALLED": ("{vehicle} is up to date: {version}", "What's new: {notes}"),
    "UPDATE_FAILED": (
        "Update {version} did not install on {vehicle}",
        "Your car is still on its previous software and safe to drive. A service booking is "
        "ready for you with the details filled in."),
    "SERVICE_DUE:TIME": (
        "{vehicle}: {service} due soon",
        "Your {service} is due by {due_on}. Book a slot at a service center near you."),
    "SERVICE_DUE:DISTANCE": (
        "{vehicle}: {service} due soon",
        "Your {service} is due at {due_km} km ({odometer_km} km now). Book a slot at a service "
        "center near you."),
    "APPOINTMENT_CONFIRMED": ("Service booked: {start}", "{center} expects {vehicle} on {start}."),
    "APPOINTMENT_REMINDER": (
        "Tomorrow: service for {vehicle}",
        "{center} at {start}. Need another time? You can reschedule in the app."),
    "APPOINTMENT_COMPLETED": (
        "{vehicle} is ready",
        "Your visit to {center} is complete. How did it go? Two questions, one minute."),
    "TRIP_CHARGE_REMINDER": (
        "Charge to {soc}% tonight",
        "Your trip on {depart} plans {stops} charging stops from a {soc}% start. Plug in "
        "{vehicle} tonight."),
    "TIP_DC_FAST_SHARE": (
        "Tip: go easy on fast charging",
        "{share}% of {vehicle}'s energy came from DC fast chargers. Charging on AC when you "
        "can keeps the battery healthy for longer."),
    "TIP_HIGH_SOC": (
        "Tip: 80-90% is enough for every day",
        "{vehicle} was charged above 90% in {count} sessions. A daily limit of 80-90% slows "
        "battery ageing; charge to 100% just before long trips."),
    "FAULT_DETECTED": (
        "{vehicle} reported fault {code}",
        "{fault}. Book a check: the booking is ready with the details filled in."),
    "FAULT_DETECTED:CRITICAL": (
        "{vehicle}: safety fault {code}",
        "{fault}. Stop safely as soon as you can and call roadside assistance."),
    "LOW_CHARGE_AT_NIGHT": (
        "{vehicle} is at {soc}% and not charging",
        "Plug in tonight to start tomorrow with a full range ({range_km} km left now)."),
    "ONBOARDING_PUBLIC_CHARGING": (
        "Your first public charge, step by step",
        "Find a charger in the app, plug in and start with the app or your charging card: a "
        "two-minute guide for {vehicle}."),
    "RE_ENGAGEMENT": (
        "{vehicle} has news for you, {name}",
        "See battery health, charging costs and the latest updates in the app."),
}

DE: dict[str, Template] = {
    "BATTERY_HEALTH_LOW": (
        "{vehicle}: Batteriezustand bei {soh} %",
        "Die geschätzte Kapazität Ihrer Batterie liegt unter {threshold} % des Neuwerts. Buchen "
        "Sie einen kostenlosen Batteriecheck: was das für Reichweite und Garantie bedeutet."),
    "BATTERY_FADING_FAST": (
        "{vehicle}: Batterie altert schneller als üblich",
        "Die Kapazität sinkt um etwa {fade} % pro Jahr, mehr als für Ihr Fahrzeug zu erwarten. "
        "Häufiges Schnellladen und lange Zeiten mit hohem Ladestand beschleunigen das."),
    "UPDATE_OFFERED": (
        "Update {version} für {vehicle}",
        "{notes} Die Installation dauert etwa {minutes} Minuten; so lange kann das Fahrzeug "
        "nicht fahren. Wählen Sie einen passenden Zeitpunkt."),
    "UPDATE_REMINDER": (
        "{vehicle} wird um {time} aktualisiert",
        "Update {version} wird um {time} installiert und dauert etwa {minutes} Minuten. Parken "
        "Sie so, dass das Fahrzeug stehen bleiben kann, mit mindestens 20 % Ladung."),
    "UPDATE_INSTALLED": ("{vehicle} ist aktuell: {version}", "Neu: {notes}"),
    "UPDATE_FAILED": (
        "Update {version} wurde auf {vehicle} nicht installiert",
        "Ihr Fahrzeug läuft mit der bisherigen Software weiter und ist fahrbereit. Eine "
        "Servicebuchung mit allen Angaben liegt für Sie bereit."),
    "SERVICE_DUE:TIME": (
        "{vehicle}: {service} bald fällig",
        "Fällig bis {due_on}: {service}. Buchen Sie einen Termin in Ihrer Nähe."),
    "SERVICE_DUE:DISTANCE": (
        "{vehicle}: {service} bald fällig",
        "Fällig bei {due_km} km (jetzt {odometer_km} km): {service}. Buchen Sie einen Termin "
        "in Ihrer Nähe."),
    "APPOINTMENT_CONFIRMED": (
        "Termin bestätigt: {start}", "{center} erwartet {vehicle} am {start}."),
    "APPOINTMENT_REMINDER": (
        "Morgen: Service für {vehicle}",
        "{center} um {start}. Passt es nicht? Sie können den Termin in der App verschieben."),
    "APPOINTMENT_COMPLETED": (
        "{vehicle} ist fertig",
        "Ihr Besuch bei {center} ist abgeschlossen. Wie war es? Zwei Fragen, eine Minute."),
    "TRIP_CHARGE_REMINDER": (
        "Heute Nacht auf {soc} % laden",
        "Ihre Reise am {depart} plant {stops} Ladestopps ab {soc} % Start. Schließen Sie "
        "{vehicle} heute Nacht an."),
    "TIP_DC_FAST_SHARE": (
        "Tipp: Schnellladen mit Maß",
        "{share} % der Energie von {vehicle} kam aus DC-Schnellladern. Laden mit Wechselstrom, "
        "wo es geht, hält die Batterie länger gesund."),
    "TIP_HIGH_SOC": (
        "Tipp: 80-90 % reichen für jeden Tag",
        "{vehicle} wurde in {count} Ladevorgängen über 90 % geladen. Ein Alltagslimit von "
        "80-90 % bremst die Alterung; 100 % erst kurz vor langen Fahrten."),
    "FAULT_DETECTED": (
        "{vehicle} meldet Fehler {code}",
        "{fault}. Buchen Sie eine Prüfung: die Buchung ist mit allen Angaben vorbereitet."),
    "FAULT_DETECTED:CRITICAL": (
        "{vehicle}: Sicherheitsfehler {code}",
        "{fault}. Halten Sie sobald möglich sicher an und rufen Sie die Pannenhilfe."),
    "LOW_CHARGE_AT_NIGHT": (
        "{vehicle} hat {soc} % und lädt nicht",
        "Schließen Sie heute Nacht an, damit Sie morgen mit voller Reichweite starten (noch "
        "{range_km} km)."),
    "ONBOARDING_PUBLIC_CHARGING": (
        "Ihr erstes öffentliches Laden, Schritt für Schritt",
        "Ladesäule in der App finden, einstecken, mit der App oder Ladekarte starten: eine "
        "Zwei-Minuten-Anleitung für {vehicle}."),
    "RE_ENGAGEMENT": (
        "{vehicle} hat Neuigkeiten für Sie, {name}",
        "Batteriezustand, Ladekosten und die neuesten Updates: alles in der App."),
}

LANGUAGES: dict[str, dict[str, Template]] = {"en": EN, "de": DE}
SERVICE_NAMES: dict[str, dict[str, str]] = {
    "en": {"ANNUAL_SERVICE": "annual service", "TYRE_ROTATION": "tyre rotation",
           "TYRE_CHANGE": "tyre change", "BRAKE_FLUID": "brake fluid change",
           "CABIN_FILTER": "cabin filter change"},
    "de": {"ANNUAL_SERVICE": "Jahresinspektion", "TYRE_ROTATION": "Reifenrotation",
           "TYRE_CHANGE": "Reifenwechsel", "BRAKE_FLUID": "Bremsflüssigkeitswechsel",
           "CABIN_FILTER": "Innenraumfilterwechsel"},
}


def language(locale: str) -> str:
    """The supported language for a locale tag ("de-AT" -> "de"); English otherwise."""
    lang = locale.split("-")[0].split("_")[0].lower()
    return lang if lang in LANGUAGES else DEFAULT_LOCALE


def render(kind: Kind, variant: str | None, locale: str,
           params: Mapping[str, Any]) -> tuple[str, str, str]:
    """(title, body, language) in the owner's language."""
    lang = language(locale)
    key = f"{kind.value}:{variant}" if variant else kind.value
    title, body = LANGUAGES[lang][key]
    values = {name: _format(value, lang) for name, value in params.items()}
    if "service" in values:
        values["service"] = SERVICE_NAMES[lang].get(str(params["service"]), values["service"])
    return title.format_map(values), body.format_map(values), lang


def _format(value: Any, lang: str) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}".removesuffix(".0")
        return _german_digits(text) if lang == "de" else text
    if isinstance(value, int):
        text = f"{value:,}"
        return _german_digits(text) if lang == "de" else text
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M" if lang == "de" else "%d %b %Y, %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y" if lang == "de" else "%d %b %Y")
    return str(value)


def _german_digits(text: str) -> str:
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
