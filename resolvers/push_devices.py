"""Push devices: registerPushDevice, so the owner's phone or browser receives push notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

import strawberry
from strawberry.types import Info

from domain.notifications import model
from domain.notifications.model import PushPlatform
from resolvers.context import Context
from resolvers.user_errors import UserError, attempt
from services import push_delivery

strawberry.enum(PushPlatform, description="Which push service a device token belongs to.")
Token = Annotated[str, strawberry.argument(description="The push token (8 to 4096 characters).")]
Platform = Annotated[PushPlatform, strawberry.argument(description="The token's push service.")]


@strawberry.type(description="A device registered for push notifications.")
class PushDevice:
    token: str = strawberry.field(description="The device's push token, as registered.")
    platform: PushPlatform = strawberry.field(description="IOS, ANDROID or WEB.")
    registered_at: datetime = strawberry.field(description="When it was (last) registered.")

    @classmethod
    def from_domain(cls, device: model.PushDevice) -> Self:
        return cls(token=device.token, platform=device.platform,
                   registered_at=device.registered_at)


@strawberry.type(description="The result of registerPushDevice.")
class RegisterPushDevicePayload:
    device: PushDevice | None = strawberry.field(description="The registered device.")
    errors: list[UserError] = strawberry.field(description="Why nothing was registered.")


@strawberry.type
class PushDeviceMutation:
    @strawberry.mutation(description=(
        "Registers this device for push notifications of the signed-in OWNER. Registering "
        "again refreshes it; a token registered by another account moves to this one. An "
        "owner keeps their 10 most recently registered devices."))
    async def register_push_device(
        self, info: Info[Context, None], token: Token, platform: Platform
    ) -> RegisterPushDevicePayload:
        context = info.context

        async def register() -> PushDevice:
            device = await push_delivery.register_push_device(context.deps, context.actor,
                                                              token, platform)
            return PushDevice.from_domain(device)

        device, errors = await attempt(register)
        return RegisterPushDevicePayload(device=device, errors=errors)
