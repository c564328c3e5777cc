"""Survey answers from owners about a touchpoint."""

from __future__ import annotations

from domain import feedback
from domain.access import Principal, ensure
from domain.errors import AccessDenied
from services.deps import Deps
from services.journey import stages
from services.lookup import one


async def submit_feedback(deps: Deps, actor: Principal,
                          answer: feedback.FeedbackAnswer) -> feedback.Feedback:
    """The signed-in owner's answer, stamped with their region, model and stage as of now."""
    if actor.owner_id is None:
        raise AccessDenied("only owners give feedback")
    owner = await one(deps.owners.get_many, actor.owner_id, "owner", "ownerId")
    model_id, stage = owner.primary_model_id, owner.stage
    if answer.vehicle_id is not None:
        vehicle = await one(deps.vehicles.get_many, answer.vehicle_id, "vehicle", "vehicleId")
        ensure(vehicle.owner_id == owner.id, "give feedback about this vehicle")
        model_id, [stage] = vehicle.model_id, await stages(deps, [vehicle])
    given = feedback.answer(answer, feedback.Context(owner.id, owner.region, model_id, stage),
                            deps.clock())
    await deps.feedback.add(given)
    await deps.events.publish(feedback.FeedbackSubmitted(
        at=given.at, feedback_id=given.id, owner_id=owner.id, vehicle_id=given.vehicle_id,
        touchpoint=given.touchpoint))
    return given
