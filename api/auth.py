"""Bearer tokens: verify a JWT into a Principal, and issue one for local use."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from api.settings import Settings
from domain.access import Principal, Role

ALGORITHMS_HS = ["HS256"]
ALGORITHMS_JWKS = ["RS256", "ES256"]


class InvalidToken(Exception):
    pass


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        self._secret = settings.signing_secret()
        self._audience = settings.jwt_audience
        self._issuer = settings.jwt_issuer
        self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url) if settings.jwt_jwks_url else None

    async def principal(self, authorization: str | None) -> Principal | None:
        """None without a header; InvalidToken for a header that does not verify."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken("Authorization must be 'Bearer <JWT>'")
        return principal_from_claims(await self._claims(token.strip()))

    async def _claims(self, token: str) -> dict[str, Any]:
        try:
            if self._jwks is not None:
                # The JWKS fetch is blocking HTTP (cached after the first call).
                key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
                return self._decode(token, key.key, ALGORITHMS_JWKS)
            return self._decode(token, self._secret, ALGORITHMS_HS)
        except jwt.PyJWTError as error:
            raise InvalidToken(f"invalid token: {error}") from None

    def _decode(self, token: str, key: Any, algorithms: list[str]) -> dict[str, Any]:
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=algorithms, audience=self._audience, issuer=self._issuer,
            options={"require": ["exp", "sub", "role"]})
        return claims


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    try:
        role = Role(claims["role"])
    except ValueError:
        raise InvalidToken(f"invalid token: unknown role {str(claims['role'])[:20]!r}") from None
    center_id = claims.get("centerId")
    if role is Role.SERVICE_STAFF and not center_id:
        raise InvalidToken("invalid token: SERVICE_STAFF needs a centerId claim")
    return Principal(role=role, subject=str(claims["sub"]), center_id=center_id)


def issue_token(settings: Settings, role: Role, subject: str, center_id: str | None = None,
                ttl_minutes: int = 60) -> str:
    secret = settings.signing_secret()
    if secret is None:
        raise InvalidToken("tokens are verified with JWKS here: the identity provider issues them")
    now = datetime.now(UTC)
    claims: dict[str, Any] = {"sub": subject, "role": role.value, "iat": now,
                              "exp": now + timedelta(minutes=ttl_minutes)}
    if center_id:
        claims["centerId"] = center_id
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    return jwt.encode(claims, secret, algorithm="HS256")
