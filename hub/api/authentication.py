"""Bearer authentication of API requests: token signature, expiry, and client revocation."""

from __future__ import annotations

import time

from hub.auth.tokens import InvalidToken, Principal, TokenIssuer
from hub.services import organizations as organization_service
from hub.services.context import ServiceContext


class BearerAuthenticator:
    """Turns an ``Authorization`` header into a ``Principal`` or raises ``InvalidToken``.

    A revoked client's tokens stop working within ``client_cache_seconds``: its active state
    is read from the database at most that often per process.
    """

    def __init__(self, services: ServiceContext, issuer: TokenIssuer) -> None:
        self.services = services
        self.issuer = issuer
        self.cache_seconds = services.settings.client_cache_seconds
        self._active_until: dict[str, float] = {}

    async def authenticate(self, authorization: str | None) -> Principal:
        if not authorization:
            raise InvalidToken(
                "UNAUTHENTICATED", "send an access token: Authorization: Bearer <token>"
            )
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken(
                "UNAUTHENTICATED", "use the Bearer scheme: Authorization: Bearer <token>"
            )
        principal = self.issuer.verify(token.strip())
        if not await self._is_active(principal.client_id):
            raise InvalidToken("CLIENT_REVOKED", "the API client of this token has been revoked")
        return principal

    async def _is_active(self, client_id: str) -> bool:
        now = time.monotonic()
        if self._active_until.get(client_id, 0.0) > now:
            return True
        active = await organization_service.client_is_active(self.services, client_id)
        if active and self.cache_seconds > 0:
            if len(self._active_until) > 100_000:
                self._active_until.clear()
            self._active_until[client_id] = now + self.cache_seconds
        else:
            self._active_until.pop(client_id, None)
        return active

    def forget(self, client_id: str) -> None:
        self._active_until.pop(client_id, None)
