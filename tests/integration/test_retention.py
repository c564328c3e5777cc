"""The telemetry retention setting reaches the TTL index, and a changed setting changes it."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.settings import Settings
from store.indexes import DAY_SECONDS, TELEMETRY_TTL, ensure_indexes


async def ttl_seconds(app: Starlette) -> int:
    info = await app.state.db["telemetry"].index_information()
    seconds: int = info[TELEMETRY_TTL]["expireAfterSeconds"]
    return seconds


async def test_the_default_keeps_raw_telemetry_ninety_days(app: Starlette) -> None:
    assert await ttl_seconds(app) == 90 * DAY_SECONDS


async def test_the_setting_reaches_the_index_and_a_new_value_replaces_the_old(
        settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"evj_telemetry_retention_days": 30}))
    async with app.router.lifespan_context(app):
        assert await ttl_seconds(app) == 30 * DAY_SECONDS
        # A restart with another value: collMod on MongoDB, drop and rebuild on mongoeco.
        await ensure_indexes(app.state.db, telemetry_retention_days=45)
        assert await ttl_seconds(app) == 45 * DAY_SECONDS
        await ensure_indexes(app.state.db, telemetry_retention_days=45)  # nothing to change
        info = await app.state.db["telemetry"].index_information()
        assert [tuple(k) for k in info[TELEMETRY_TTL]["key"]] == [("receivedAt", 1)]
        if settings.mongodb_uri:
            await app.state.db.client.drop_database(settings.mongodb_db)


def test_the_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVJ_TELEMETRY_RETENTION_DAYS", "14")
    assert Settings().evj_telemetry_retention_days == 14
