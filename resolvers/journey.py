"""The journey: touchpoints, the timeline, app-side reports and survey answers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, Self

import strawberry
from strawberry import relay
from strawberry.types import Info

from domain import feedback, journey
from domain.access import can_read_owner, ensure
from domain.pagination import page_request
from resolvers.context import Context
from resolvers.relay import connection, local_id
from resolvers.user_errors import UserError, attempt
from services import feedback as feedback_service
from services import journey as journey_service

strawberry.enum(journey.OwnershipStage, description=(
    "ONBOARDING: first 90 days after delivery. EARLY_OWNERSHIP: to 12 months. ESTABLISHED: "
    "after 12 months. RENEWAL: near the end of the term (4 years) or at high mileage "
    "(150,000 km). LAPSED: no app use and no service for 180 days. Thresholds are settings."))
strawberry.enum(journey.TouchpointKind, description="What kind of interaction it was.")
strawberry.enum(journey.Channel, name="TouchpointChannel", description="Where it happened.")
strawberry.enum(journey.Sentiment, description="How it felt, when the app can tell.")
strawberry.enum(feedback.FeedbackTouchpoint, description="What a survey answer is about.")


class VehicleRoot(Protocol):
    id: str


@strawberry.type(description="One interaction on the owner's journey.")
class Touchpoint(relay.Node):
    id: relay.NodeID[str]
    kind: journey.TouchpointKind = strawberry.field(description="What happened.")
    channel: journey.Channel = strawberry.field(description="Where.")
    at: datetime = strawberry.field(description="When.")
    sentiment: journey.Sentiment | None = strawberry.field(description="How it felt.")
    vehicle_id: strawberry.ID | None = strawberry.field(description="The vehicle's local id.")
    related_id: str | None = strawberry.field(
        description="What it is about (session, appointment, update, notification...).")

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # async form of the overloads
        cls, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        found = await info.context.deps.journey.get_many(list(node_ids))
        for item in found:
            if item is not None:
                ensure(can_read_owner(info.context.actor, item.owner_id), "see this touchpoint")
        return [cls.from_domain(item) if item else None for item in found]

    @classmethod
    def from_domain(cls, t: journey.Touchpoint) -> Self:
        return cls(id=t.id, kind=t.kind, channel=t.channel, at=t.at, sentiment=t.sentiment,
                   vehicle_id=strawberry.ID(t.vehicle_id) if t.vehicle_id else None,
                   related_id=t.related_id)


@strawberry.type(description="A survey answer.")
class Feedback:
    id: strawberry.ID
    touchpoint: feedback.FeedbackTouchpoint
    nps_score: int | None = strawberry.field(description="0-10, if asked.")
    csat_score: int | None = strawberry.field(description="1-5, if asked.")
    related_id: str | None
    at: datetime
    author_id: strawberry.Private[str]
    text: strawberry.Private[str | None]

    @classmethod
    def from_domain(cls, f: feedback.Feedback) -> Self:
        return cls(id=strawberry.ID(f.id), touchpoint=f.touchpoint, nps_score=f.nps_score,
                   csat_score=f.csat_score, related_id=f.related_id, at=f.at,
                   author_id=f.owner_id, text=f.comment)

    @strawberry.field(description="Free text: shown only to ADMIN and to its author.")
    def comment(self, info: Info[Context, None]) -> str | None:
        actor = info.context.actor
        return self.text if actor.is_admin or actor.owner_id == self.author_id else None


@strawberry.input(description="An app-side event (APP_OPEN, APP_SESSION, SUPPORT_CONTACT).")
class TouchpointInput:
    event_id: str = strawberry.field(description="The app's id for it: retries are stored once.")
    kind: journey.TouchpointKind
    channel: journey.Channel = journey.Channel.APP
    at: datetime
    vehicle_id: strawberry.ID | None = None
    sentiment: journey.Sentiment | None = None


@strawberry.type(description="The result of recordTouchpoint.")
class RecordTouchpointPayload:
    touchpoint: Touchpoint | None
    duplicate: bool = strawberry.field(description="The eventId was recorded before.")
    errors: list[UserError]


@strawberry.input(description="An answer to a survey: npsScore 0-10 or csatScore 1-5 (or both).")
class FeedbackInput:
    touchpoint: feedback.FeedbackTouchpoint
    nps_score: int | None = None
    csat_score: int | None = None
    comment: str | None = None
    related_id: str | None = strawberry.field(
        default=None, description="What it is about, e.g. the appointment id.")
    vehicle_id: strawberry.ID | None = None


@strawberry.type(description="The result of submitFeedback.")
class SubmitFeedbackPayload:
    feedback: Feedback | None
    errors: list[UserError]


async def owner_journey(info: Info[Context, None], owner_id: str, first: int | None,
                        after: str | None, kinds: list[journey.TouchpointKind] | None
                        ) -> relay.Connection[Touchpoint]:
    c = info.context
    page = await journey_service.journey(c.deps, c.actor, owner_id, page_request(first, after),
                                         kinds or [])
    return connection(page, Touchpoint.from_domain, key=lambda t: t.id)


async def vehicle_stage(root: strawberry.Parent[VehicleRoot],
                        info: Info[Context, None]) -> journey.OwnershipStage:
    loaders = info.context.loaders
    found = await loaders.vehicle.load(root.id)
    if found is None:
        raise LookupError(root.id)
    owner = await loaders.owner.load(found.owner_id)
    services = await loaders.last_services.load(found.id)
    return journey_service.stage_of(info.context.deps, found, owner, services,
                                    info.context.deps.clock())


@strawberry.type
class JourneyMutation:
    @strawberry.mutation(description="Records an app-side touchpoint of the signed-in owner; "
                                     "idempotent by eventId.")
    async def record_touchpoint(self, info: Info[Context, None],
                                input: TouchpointInput) -> RecordTouchpointPayload:
        c = info.context
        report = journey.TouchpointReport(
            event_id=input.event_id, kind=input.kind, channel=input.channel, at=input.at,
            vehicle_id=local_id(input.vehicle_id, "Vehicle", "vehicleId")
            if input.vehicle_id else None, sentiment=input.sentiment)
        result, errors = await attempt(
            lambda: journey_service.record_touchpoint(c.deps, c.actor, report))
        return RecordTouchpointPayload(
            touchpoint=Touchpoint.from_domain(result[0]) if result else None,
            duplicate=bool(result and not result[1]), errors=errors)

    @strawberry.mutation(description="The signed-in owner's survey answer.")
    async def submit_feedback(self, info: Info[Context, None],
                              input: FeedbackInput) -> SubmitFeedbackPayload:
        c = info.context
        answer = feedback.FeedbackAnswer(
            touchpoint=input.touchpoint, nps_score=input.nps_score, csat_score=input.csat_score,
            comment=input.comment, related_id=input.related_id,
            vehicle_id=local_id(input.vehicle_id, "Vehicle", "vehicleId")
            if input.vehicle_id else None)
        given, errors = await attempt(
            lambda: feedback_service.submit_feedback(c.deps, c.actor, answer))
        return SubmitFeedbackPayload(feedback=Feedback.from_domain(given) if given else None,
                                     errors=errors)
