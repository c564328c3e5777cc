"""One small rule per notification kind, grouped by the feature whose events they read.

A rule is pure: (event, facts) -> candidates (and withdrawals). `policy.schedule` decides the rest.
"""

from __future__ import annotations

from domain.events import DomainEvent
from domain.notifications.rules import battery, charging, engagement, ota, service, telemetry, trips
from domain.notifications.rules.facts import Facts, Proposal, Rule, Rules

__all__ = ["RULES", "Facts", "Proposal", "Rule", "propose", "rules_for"]


def _merge(*groups: Rules) -> Rules:
    merged: Rules = {}
    for group in groups:
        for event_type, rules in group.items():
            merged.setdefault(event_type, []).extend(rules)
    return merged


RULES: Rules = _merge(battery.RULES, ota.RULES, service.RULES, trips.RULES, charging.RULES,
                      telemetry.RULES, engagement.RULES)


def rules_for(event: DomainEvent) -> list[Rule]:
    """Rules registered for the event's class or a base class (OTA events share one)."""
    return [rule for event_type in type(event).__mro__ for rule in RULES.get(event_type, [])]


def propose(event: DomainEvent, facts: Facts) -> list[Proposal]:
    return [proposal for rule in rules_for(event) for proposal in rule(event, facts)]
