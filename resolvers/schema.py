"""The schema: every feature's queries and mutations, and the protections around them."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry import relay
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule
from strawberry.types import ExecutionContext

from resolvers.analytics import AnalyticsQuery
from resolvers.appointments import AppointmentMutation
from resolvers.catalogue import CatalogueQuery
from resolvers.charging import ChargingMutation
from resolvers.charging_stations import ChargingStationMutation, ChargingStationQuery
from resolvers.cost import QueryCostLimiter
from resolvers.errors import ErrorPolicy, log_unexpected
from resolvers.introspection import IntrospectionGate
from resolvers.journey import JourneyMutation
from resolvers.notifications import NotificationMutation, NotificationSubscription
from resolvers.ota import OtaMutation, OtaQuery
from resolvers.owners import OwnerMutation, OwnerQuery
from resolvers.privacy import PrivacyMutation
from resolvers.push_devices import PushDeviceMutation
from resolvers.service_centers import ServiceCenterQuery
from resolvers.tariffs import TariffMutation
from resolvers.telemetry import TelemetryMutation
from resolvers.trips import TripQuery
from resolvers.user_errors import USER_ERROR_TYPES
from resolvers.vehicles import VehicleMutation, VehicleQuery

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000
# Built once: rules made per request would defeat the validation cache (see shared/STYLE.md).
VALIDATION_RULES: list[type[ASTValidationRule]] = [
    max_depth_rule(MAX_DEPTH, None), max_aliases_rule(MAX_ALIASES)]


@strawberry.type
class Query(OwnerQuery, VehicleQuery, CatalogueQuery, ServiceCenterQuery, OtaQuery,
            ChargingStationQuery, TripQuery, AnalyticsQuery):
    node: relay.Node | None = relay.node(
        description="Any object by its global ID; null when there is none.")


@strawberry.type
class Mutation(OwnerMutation, VehicleMutation, ChargingMutation, TariffMutation,
               AppointmentMutation, OtaMutation, ChargingStationMutation, TelemetryMutation,
               PushDeviceMutation, NotificationMutation, JourneyMutation, PrivacyMutation):
    pass


@strawberry.type
class Subscription(NotificationSubscription):
    pass


class AppSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError],
                       execution_context: ExecutionContext | None = None) -> None:
        # Expected errors (bad input, forbidden) are answers, not incidents: log the rest only.
        log_unexpected(errors)


def extensions() -> list[type[SchemaExtension] | Any]:
    return [
        ErrorPolicy,
        QueryCostLimiter,
        IntrospectionGate,
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: AddValidationRules(VALIDATION_RULES),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
    ]


schema = AppSchema(query=Query, mutation=Mutation, subscription=Subscription,
                   types=list(USER_ERROR_TYPES), extensions=extensions())
