"""Settings from environment variables. Unset MONGODB_URI means the embedded store."""

from __future__ import annotations

import logging

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from store.client import EMBEDDED_AGGREGATION_LIMIT

log = logging.getLogger("evjourney")

# Only ever used when there is no real database: data there is demo data anyway.
DEV_JWT_SECRET = "evjourney-embedded-dev-secret-do-not-use-in-production"
MIN_WEBHOOK_SECRET = 16


class ConfigurationError(RuntimeError):
    pass


class Settings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    mongodb_uri: str | None = Field(None, description="MongoDB URI; unset: embedded mongoeco.")
    mongodb_db: str = Field("evjourney", description="Database name.")
    jwt_secret: SecretStr | None = Field(None, description="HS256 signing secret.")
    jwt_jwks_url: str | None = Field(None, description="JWKS URL for RS256/ES256 tokens.")
    jwt_audience: str | None = Field(None, description="Required `aud` claim, if set.")
    jwt_issuer: str | None = Field(None, description="Required `iss` claim, if set.")
    evj_data_path: str | None = Field(None, description="Embedded: SQLite file to keep data.")
    evj_aggregation_limit: int = Field(
        EMBEDDED_AGGREGATION_LIMIT, ge=1,
        description="Embedded: documents one blocking aggregation stage may hold ($group over "
                    "the owners of the analytics); beyond it the query fails with "
                    "DATABASE_ERROR.")
    evj_analytics_max_seconds: float = Field(
        60.0, gt=0, le=3600, description="The database stops an analytics pipeline after this "
                                         "long (maxTimeMS); the client gets DATABASE_TIMEOUT.")
    evj_seed_owners: int = Field(50, ge=0, description="Embedded: demo owners seeded if empty.")
    evj_seed: int = Field(7, description="Seed of the demo data.")
    evj_seed_journey_owners: int = Field(
        600, ge=0, description="Embedded: lighter demo owners for journey analytics (a year of "
                               "app use, surveys, service and stages), seeded with the others.")
    evj_graphiql: bool = Field(True, description="Serve GraphiQL at GET /graphql.")
    evj_introspection: bool = Field(True, description="Answer introspection queries; turn off "
                                                      "in production.")
    evj_rate_limit_per_minute: int = Field(
        600, ge=0, description="Requests per caller (token subject, else address) and minute "
                               "on /graphql, across instances; 0 switches the limit off.")
    evj_max_body_bytes: int = Field(4 * 1024 * 1024, ge=1024,
                                    description="Largest request body accepted on /graphql.")
    evj_ac_efficiency: float = Field(0.90, gt=0.5, le=1.0,
                                     description="Meter-to-battery efficiency on AC.")
    evj_dc_efficiency: float = Field(0.95, gt=0.5, le=1.0,
                                     description="Meter-to-battery efficiency on DC.")
    evj_log_level: str = Field("INFO", description="Log level.")
    evj_log_json: bool | None = Field(
        None, description="JSON log lines; unset: JSON with MONGODB_URI, text when embedded.")
    evj_telemetry_retention_days: int = Field(
        90, ge=1, le=3650, description="Days raw telemetry events are kept (a TTL index on "
                                       "receivedAt; a change applies at the next start).")
    evj_worker_enabled: bool = Field(True, description="Run the background worker in the app.")
    evj_worker_interval_seconds: float = Field(1.0, gt=0, le=3600,
                                               description="Pause between worker rounds.")
    evj_push_webhook_url: str | None = Field(
        None, description="Where push/e-mail items are POSTed; unset: the outbox is not drained.")
    evj_push_webhook_secret: SecretStr | None = Field(
        None, description="HMAC-SHA256 key of the webhook signature; required with the URL.")
    evj_push_max_attempts: int = Field(8, ge=1, le=50,
                                       description="Tries per item before it is dead-lettered.")
    evj_push_lease_seconds: float = Field(
        120.0, gt=0, le=3600, description="How long a claimed push is a worker's alone; longer "
                                           "than the timeout. A crashed worker's items return "
                                           "after it.")
    evj_push_timeout_seconds: float = Field(5.0, gt=0, le=60,
                                            description="Timeout of one webhook request.")
    evj_push_batch_size: int = Field(50, ge=1, le=500,
                                     description="Items claimed (and sent concurrently) at once.")

    @field_validator("evj_push_webhook_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        # Checked at start-up: a bad URL would otherwise fail every push until it is dead.
        if url and not url.startswith(("http://", "https://")):
            raise ValueError("EVJ_PUSH_WEBHOOK_URL must be an http:// or https:// URL")
        return url or None

    def push_webhook_secret(self) -> str | None:
        """The webhook's signing key; None when no webhook is configured. A webhook without a
        key would let anyone who finds the gateway's URL push to every owner's phone."""
        if not self.evj_push_webhook_url:
            return None
        secret = self.evj_push_webhook_secret
        if secret is None or len(secret.get_secret_value()) < MIN_WEBHOOK_SECRET:
            raise ConfigurationError(
                f"EVJ_PUSH_WEBHOOK_URL is set: EVJ_PUSH_WEBHOOK_SECRET must be at least "
                f"{MIN_WEBHOOK_SECRET} characters")
        return secret.get_secret_value()

    @property
    def embedded(self) -> bool:
        return not self.mongodb_uri

    @property
    def json_logs(self) -> bool:
        return not self.embedded if self.evj_log_json is None else self.evj_log_json

    def signing_secret(self) -> str | None:
        """The HS256 secret: configured, or the dev one in embedded mode (with a warning)."""
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        if self.jwt_jwks_url:
            return None
        if not self.embedded:
            raise ConfigurationError(
                "MONGODB_URI is set but neither JWT_SECRET nor JWT_JWKS_URL is: refusing to "
                "start with a guessable token secret")
        log.warning("JWT_SECRET is not set: using the embedded development secret")
        return DEV_JWT_SECRET
