"""Settings from environment variables. Unset MONGODB_URI means the embedded store."""

from __future__ import annotations

import logging

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger("evjourney")

# Only ever used when there is no real database: data there is demo data anyway.
DEV_JWT_SECRET = "evjourney-embedded-dev-secret-do-not-use-in-production"


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
    evj_seed_owners: int = Field(50, ge=0, description="Embedded: demo owners seeded if empty.")
    evj_seed: int = Field(7, description="Seed of the demo data.")
    evj_graphiql: bool = Field(True, description="Serve GraphiQL at GET /graphql.")
    evj_ac_efficiency: float = Field(0.90, gt=0.5, le=1.0,
                                     description="Meter-to-battery efficiency on AC.")
    evj_dc_efficiency: float = Field(0.95, gt=0.5, le=1.0,
                                     description="Meter-to-battery efficiency on DC.")
    evj_log_level: str = Field("INFO", description="Log level.")

    @property
    def embedded(self) -> bool:
        return not self.mongodb_uri

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
