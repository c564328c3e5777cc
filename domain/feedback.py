"""Feedback: NPS (0-10) and CSAT (1-5) answers about one touchpoint of the journey."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain import validation
from domain.errors import InvalidInput
from domain.events import DomainEvent
from domain.ids import new_id
from domain.journey import OwnershipStage

MAX_COMMENT = 2000


class FeedbackTouchpoint(StrEnum):
    DELIVERY = "DELIVERY"
    CHARGING = "CHARGING"
    SERVICE_VISIT = "SERVICE_VISIT"
    OTA_UPDATE = "OTA_UPDATE"
    APP = "APP"
    TRIP = "TRIP"
    SUPPORT = "SUPPORT"


class Feedback(BaseModel):
    """Carries the owner's region, the vehicle's model and stage as they were when answered,
    so analytics group without joins and an answer keeps the stage it was given in."""

    model_config = ConfigDict(frozen=True)
    id: str
    owner_id: str
    vehicle_id: str | None
    touchpoint: FeedbackTouchpoint
    nps_score: int | None = None
    csat_score: int | None = None
    comment: str | None = None
    related_id: str | None = None
    model_id: str | None = None
    region: str | None = None
    stage: OwnershipStage | None = None
    at: datetime


@dataclass(frozen=True, slots=True)
class FeedbackAnswer:
    touchpoint: FeedbackTouchpoint
    nps_score: int | None = None
    csat_score: int | None = None
    comment: str | None = None
    related_id: str | None = None
    vehicle_id: str | None = None


@dataclass(frozen=True, slots=True)
class Context:
    """Who answers about what, as the service found it."""

    owner_id: str
    region: str | None
    model_id: str | None
    stage: OwnershipStage | None


def answer(data: FeedbackAnswer, context: Context, now: datetime) -> Feedback:
    if data.nps_score is None and data.csat_score is None:
        raise InvalidInput("give npsScore (0-10) or csatScore (1-5)", field="npsScore")
    if data.nps_score is not None and not 0 <= data.nps_score <= 10:
        raise InvalidInput("npsScore must be between 0 and 10", field="npsScore")
    if data.csat_score is not None and not 1 <= data.csat_score <= 5:
        raise InvalidInput("csatScore must be between 1 and 5", field="csatScore")
    return Feedback(
        id=new_id(now), owner_id=context.owner_id, vehicle_id=data.vehicle_id,
        touchpoint=data.touchpoint, nps_score=data.nps_score, csat_score=data.csat_score,
        comment=validation.optional_bounded(data.comment, "comment", max_len=MAX_COMMENT),
        related_id=validation.optional_bounded(data.related_id, "relatedId", max_len=100),
        model_id=context.model_id, region=context.region, stage=context.stage, at=now)


@dataclass(frozen=True, slots=True)
class FeedbackSubmitted(DomainEvent):
    feedback_id: str
    owner_id: str
    vehicle_id: str | None
    touchpoint: FeedbackTouchpoint
