"""Push delivery against a real local HTTP receiver: signatures, retries with backoff, dead
letters, redelivery after a crash with the same idempotency key, and device registration."""

from __future__ import annotations

import dataclasses
import hmac
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from api.push_gateway import WebhookGateway, sign
from domain.access import Role
from domain.notifications.devices import push_device
from domain.notifications.model import (
    Category,
    Channel,
    Kind,
    Notification,
    OutboxItem,
    OutboxStatus,
    Priority,
    PushPlatform,
    outbox_items,
)
from domain.notifications.outbox import OutboxPolicy
from services.deps import Deps
from services.push_delivery import DrainCounts, drain_outbox
from tests.conftest import GraphQLClient, error_codes
from tests.factories import add_owner
from tests.webhook_receiver import WebhookReceiver

SECRET = "webhook-secret-for-the-tests"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LEASE = OutboxPolicy().lease
REGISTER = """
mutation($token: String!, $platform: PushPlatform!) {
  registerPushDevice(token: $token, platform: $platform) {
    device { token platform registeredAt }
    errors { __typename message field code }
  }
}"""


def no_jitter() -> float:
    return 0.0


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
async def gateway(receiver: WebhookReceiver) -> AsyncIterator[WebhookGateway]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield WebhookGateway(client, receiver.url, SECRET)


@pytest.fixture
def three_tries(deps: Deps) -> Deps:
    return dataclasses.replace(deps, outbox_policy=OutboxPolicy(max_attempts=3))


async def queue_push(deps: Deps, *, token: str | None = "device-token-1",
                     channels: tuple[Channel, ...] = (Channel.IN_APP, Channel.PUSH),
                     ) -> list[OutboxItem]:
    """An owner (with a device unless token is None) and a delivered notification's items."""
    owner = await add_owner(deps)
    if token is not None:
        await deps.push_devices.register(push_device(owner.id, token, "IOS", T0), keep=10)
    notification = Notification(
        id=f"n-{owner.id}", owner_id=owner.id, vehicle_id="v1", kind=Kind.SERVICE_DUE,
        category=Category.SERVICE, priority=Priority.NORMAL, title="Service due",
        body="Book your yearly check", locale="en-GB", deep_link="evj://service",
        data={"dueOn": "2025-04-01"}, channels=channels, dedup_key="k", created_at=T0,
        deliver_after=T0)
    items = outbox_items(notification, T0)
    await deps.outbox.enqueue(items)
    return items


async def drain(deps: Deps, gateway: WebhookGateway, at: datetime) -> DrainCounts:
    return await drain_outbox(deps, gateway, at, batch=10, rng=no_jitter)


async def status_of(deps: Deps, item: OutboxItem) -> OutboxItem:
    [stored] = await deps.outbox.get_many([item.id])
    assert stored is not None
    return stored


async def test_a_push_is_delivered_signed_with_its_idempotency_key(
    deps: Deps, gateway: WebhookGateway, receiver: WebhookReceiver
) -> None:
    [item] = await queue_push(deps)
    assert await drain(deps, gateway, T0) == DrainCounts(claimed=1, sent=1)
    [request] = receiver.requests
    assert request.key == item.id
    timestamp = request.headers["x-evjourney-timestamp"]
    expected = sign(SECRET, timestamp, request.body)
    assert hmac.compare_digest(request.headers["x-evjourney-signature"], expected)
    assert request.headers["content-type"] == "application/json"
    body = request.json()
    assert (body["id"], body["channel"], body["attempt"]) == (item.id, "PUSH", 1)
    assert body["notification"]["title"] == "Service due"
    assert body["notification"]["data"] == {"dueOn": "2025-04-01"}
    assert body["devices"] == [{"token": "device-token-1", "platform": "IOS"}]
    sent = await status_of(deps, item)
    assert (sent.status, sent.sent_at, sent.locked_until) == (OutboxStatus.SENT, T0, None)


async def test_a_signature_over_another_body_or_key_does_not_verify(
    deps: Deps, gateway: WebhookGateway, receiver: WebhookReceiver
) -> None:
    await queue_push(deps)
    await drain(deps, gateway, T0)
    [request] = receiver.requests
    signature, timestamp = (request.headers["x-evjourney-signature"],
                            request.headers["x-evjourney-timestamp"])
    assert signature != sign(SECRET, timestamp, request.body + b" ")
    assert signature != sign("another-secret-entirely", timestamp, request.body)
    assert signature != sign(SECRET, str(int(timestamp) + 1), request.body)


async def test_server_errors_are_retried_with_backoff_and_delivered_once(
    three_tries: Deps, gateway: WebhookGateway, receiver: WebhookReceiver
) -> None:
    deps = three_tries
    [item] = await queue_push(deps)
    receiver.respond(503, 503)
    assert await drain(deps, gateway, T0) == DrainCounts(claimed=1, retried=1)
    assert (await status_of(deps, item)).due_at == T0 + timedelta(seconds=30)
    assert await drain(deps, gateway, T0 + timedelta(seconds=29)) == DrainCounts()
    assert (await drain(deps, gateway, T0 + timedelta(seconds=30))).retried == 1
    retry_at = T0 + timedelta(seconds=30 + 60)  # the second wait is twice the first
    assert await drain(deps, gateway, retry_at - timedelta(seconds=1)) == DrainCounts()
    assert (await drain(deps, gateway, retry_at)).sent == 1
    assert [r.status for r in receiver.requests] == [503, 503, 200]
    assert {r.key for r in receiver.requests} == {item.id}
    assert [r.json()["attempt"] for r in receiver.requests] == [1, 2, 3]
    assert await drain(deps, gateway, retry_at + timedelta(days=1)) == DrainCounts()
    assert len(receiver.requests) == 3
    assert (await status_of(deps, item)).status is OutboxStatus.SENT


async def test_an_item_that_keeps_failing_is_dead_after_the_last_try(
    three_tries: Deps, gateway: WebhookGateway, receiver: WebhookReceiver
) -> None:
    deps = three_tries
    [item] = await queue_push(deps)
    receiver.respond(then=500)
    at = T0
    for _ in range(3):
        await drain(deps, gateway, at)
        at += timedelta(hours=1)
    dead = await status_of(deps, item)
    assert (dead.status, dead.attempts) == (OutboxStatus.DEAD, 3)
    assert (dead.last_error or "").startswith("HTTP 500")
    assert await drain(deps, gateway, at + timedelta(days=30)) == DrainCounts()
    assert len(receiver.requests) == 3


async def test_a_client_error_is_dead_at_once(
    deps: Deps, gateway: WebhookGateway, receiver: WebhookReceiver
) -> None:
    [item] = await queue_push(deps)
    receiver.respond(400)
    assert await drain(deps, gateway, T0) == DrainCounts(claimed=1, dead=1)
    assert await drain(deps, gateway, T0 + timedelta(days=1)) == DrainCounts()
    assert len(receiver.requests) == 1
    assert (await status_of(deps, item)).status is OutboxStatus.DEAD


async def test_throttling_is_retried_when_the_gateway_says(
    deps: Deps, gateway: WebhookGateway, receiver: WebhookReceiver
) -> None:
    [item] = await queue_push(deps)
    receiver.respond(429)
    assert (await drain(deps, gateway, T0)).retried == 1
    assert (await status_of(deps, item)).due_at == T0 + timedelta(seconds=30)


async def test_a_crash_after_sending_sends_again_with_the_same_key(
    deps: Deps, gateway: WebhookGateway, receiver: WebhookReceiver
) -> None:
    [item] = await queue_push(deps)
    [claimed] = await deps.outbox.claim_due(T0, LEASE, 10)
    await gateway.send(claimed, await deps.push_devices.for_owner(claimed.owner_id))
    # The worker died here: the gateway got the push, the outbox never heard back.
    assert await drain(deps, gateway, T0 + LEASE - timedelta(seconds=1)) == DrainCounts()
    assert (await drain(deps, gateway, T0 + LEASE)).sent == 1
    assert [r.key for r in receiver.requests] == [item.id, item.id]
    assert receiver.delivered_keys == {item.id}  # the gateway forwards it once
    assert (await status_of(deps, item)).status is OutboxStatus.SENT


async def test_a_crash_before_sending_loses_nothing(
    deps: Deps, gateway: WebhookGateway, receiver: WebhookReceiver
) -> None:
    [item] = await queue_push(deps)
    await deps.outbox.claim_due(T0, LEASE, 10)  # claimed, then the worker died
    assert (await drain(deps, gateway, T0 + LEASE)).sent == 1
    assert [r.key for r in receiver.requests] == [item.id]
    assert receiver.requests[0].json()["attempt"] == 2


async def test_a_push_without_a_device_is_skipped_without_a_request(
    deps: Deps, gateway: WebhookGateway, receiver: WebhookReceiver
) -> None:
    [item] = await queue_push(deps, token=None)
    assert await drain(deps, gateway, T0) == DrainCounts(claimed=1, skipped=1)
    assert receiver.requests == []
    skipped = await status_of(deps, item)
    assert (skipped.status, skipped.last_error) == (OutboxStatus.SKIPPED,
                                                    "no registered push device")


async def test_email_goes_to_the_webhook_even_without_a_device(
    deps: Deps, gateway: WebhookGateway, receiver: WebhookReceiver
) -> None:
    await queue_push(deps, token=None, channels=(Channel.PUSH, Channel.EMAIL))
    assert await drain(deps, gateway, T0) == DrainCounts(claimed=2, sent=1, skipped=1)
    [request] = receiver.requests
    assert (request.json()["channel"], request.json()["devices"]) == ("EMAIL", [])


async def test_an_unreachable_gateway_is_retried(deps: Deps, receiver: WebhookReceiver) -> None:
    [item] = await queue_push(deps)
    async with httpx.AsyncClient(timeout=2) as client:
        closed_port = WebhookGateway(client, "http://127.0.0.1:9/push", SECRET)
        assert (await drain(deps, closed_port, T0)).retried == 1
    failed = await status_of(deps, item)
    assert (failed.status, failed.attempts) == (OutboxStatus.PENDING, 1)
    assert "could not reach" in (failed.last_error or "")


async def test_owner_registers_a_device(gql: GraphQLClient, deps: Deps) -> None:
    owner = await add_owner(deps)
    data = await gql.ok(REGISTER, {"token": " fcm:APA91b-token ", "platform": "ANDROID"},
                        gql.bearer(Role.OWNER, owner.id))
    payload = data["registerPushDevice"]
    assert payload["errors"] == []
    assert payload["device"]["token"] == "fcm:APA91b-token"
    assert payload["device"]["platform"] == "ANDROID"
    [stored] = await deps.push_devices.for_owner(owner.id)
    assert (stored.token, stored.platform) == ("fcm:APA91b-token", PushPlatform.ANDROID)


async def test_a_token_registered_by_another_owner_moves(gql: GraphQLClient, deps: Deps) -> None:
    first, second = await add_owner(deps), await add_owner(deps)
    variables = {"token": "shared-phone-token", "platform": "IOS"}
    await gql.ok(REGISTER, variables, gql.bearer(Role.OWNER, first.id))
    await gql.ok(REGISTER, variables, gql.bearer(Role.OWNER, second.id))
    mine, theirs = await deps.push_devices.for_owners([first.id, second.id])
    assert (mine, [d.token for d in theirs]) == ([], ["shared-phone-token"])


@pytest.mark.parametrize("role", [role for role in Role if role is not Role.OWNER])
async def test_only_owners_register_devices(gql: GraphQLClient, role: Role) -> None:
    center = "center-1" if role is Role.SERVICE_STAFF else None
    body = await gql.post(REGISTER, {"token": "some-device-token", "platform": "WEB"},
                          gql.bearer(role, "someone", center))
    assert error_codes(body) == ["FORBIDDEN"]


async def test_registering_needs_a_signed_in_user(gql: GraphQLClient) -> None:
    body = await gql.post(REGISTER, {"token": "some-device-token", "platform": "WEB"})
    assert error_codes(body) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("token", ["short", "x" * 4097, "tab\tinside-token"])
async def test_a_bad_token_is_a_typed_error(gql: GraphQLClient, deps: Deps, token: str) -> None:
    owner = await add_owner(deps)
    data = await gql.ok(REGISTER, {"token": token, "platform": "IOS"},
                        gql.bearer(Role.OWNER, owner.id))
    payload = data["registerPushDevice"]
    assert payload["device"] is None
    [error] = payload["errors"]
    assert (error["__typename"], error["field"]) == ("InvalidInput", "token")
    assert await deps.push_devices.for_owner(owner.id) == []


async def test_an_unknown_platform_is_refused_by_name(gql: GraphQLClient, deps: Deps) -> None:
    owner = await add_owner(deps)
    body = await gql.post(REGISTER, {"token": "some-device-token", "platform": "PALM"},
                          gql.bearer(Role.OWNER, owner.id))
    # Refused while coercing variables, before the resolver runs: the message names the enum.
    assert body["data"] is None
    [error] = body["errors"]
    assert "'PALM' does not exist in 'PushPlatform'" in error["message"]
    assert await deps.push_devices.for_owner(owner.id) == []


async def test_an_owner_that_does_not_exist_cannot_register(gql: GraphQLClient) -> None:
    data = await gql.ok(REGISTER, {"token": "some-device-token", "platform": "IOS"},
                        gql.bearer(Role.OWNER, "f" * 24))
    assert [e["__typename"] for e in data["registerPushDevice"]["errors"]] == ["NotFound"]
