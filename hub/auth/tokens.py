"""Access tokens: short-lived JWTs signed with the hub's Ed25519 key (joserfc)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from hub.auth.scopes import OrganizationKind, format_scopes, parse_scopes
from hub.keyfiles import load_or_create
from hub.settings import Settings

_ALG = "Ed25519"
_MAX_CACHED_TOKENS = 50_000
#: A token is still accepted this many seconds past its ``exp`` (clocks of hub nodes and
#: clients drift); the README's quickstart says so.
TOKEN_LEEWAY_SECONDS = 30


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the API client, its organization and what the token allows."""

    client_id: str
    organization_id: str
    kind: OrganizationKind
    scopes: frozenset[str]

    @property
    def is_creditor(self) -> bool:
        return self.kind is OrganizationKind.CREDITOR


class InvalidToken(Exception):
    """The bearer token is missing, malformed, forged or expired (``code`` says which)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class TokenIssuer:
    def __init__(self, key: OKPKey, *, issuer: str, ttl_seconds: int) -> None:
        self._key = key
        self._kid = key.thumbprint()
        self._issuer = issuer
        self.ttl_seconds = ttl_seconds
        self._claims = jwt.JWTClaimsRegistry(
            leeway=TOKEN_LEEWAY_SECONDS,
            iss={"essential": True, "value": issuer},
            exp={"essential": True},
            sub={"essential": True},
        )
        self._verified: dict[str, tuple[Principal, float]] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenIssuer:
        if settings.jwt_private_key:
            pem = settings.jwt_private_key.encode()
        else:
            pem = load_or_create(
                settings.data_dir / "jwt-signing-key.pem",
                lambda: OKPKey.generate_key("Ed25519").as_pem(private=True),
            )
        return cls(
            OKPKey.import_key(pem),
            issuer=settings.issuer,
            ttl_seconds=settings.token_ttl_seconds,
        )

    def issue(self, principal: Principal) -> str:
        now = int(time.time())
        claims = {
            "iss": self._issuer,
            "sub": principal.client_id,
            "org": principal.organization_id,
            "kind": principal.kind.value,
            "scope": format_scopes(principal.scopes),
            "iat": now,
            "exp": now + self.ttl_seconds,
            "jti": secrets.token_urlsafe(12),
        }
        return jwt.encode({"alg": _ALG, "kid": self._kid}, claims, self._key, algorithms=[_ALG])

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; raises ``InvalidToken`` (forged, expired, …).

        Verified tokens are remembered until they expire, so a client reusing its token pays
        for the signature check once, not on every request.
        """
        now = time.time()
        cached = self._verified.get(token)
        if cached is not None and cached[1] > now:
            return cached[0]
        principal, expires = self._verify(token)
        if len(self._verified) >= _MAX_CACHED_TOKENS:
            self._verified.clear()
        self._verified[token] = (principal, expires)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            decoded = jwt.decode(token, self._key, algorithms=[_ALG])
        except (JoseError, ValueError) as exc:
            raise InvalidToken("INVALID_TOKEN", "the access token is malformed or forged") from exc
        claims = decoded.claims
        try:
            self._claims.validate(claims)
        except JoseError as exc:
            if exc.error == "expired_token":
                raise InvalidToken("TOKEN_EXPIRED", "the access token has expired") from exc
            raise InvalidToken(
                "INVALID_TOKEN", f"the access token is invalid: {exc.error}"
            ) from exc
        try:
            principal = Principal(
                client_id=str(claims["sub"]),
                organization_id=str(claims["org"]),
                kind=OrganizationKind(claims["kind"]),
                scopes=parse_scopes(str(claims.get("scope", ""))),
            )
            return principal, float(claims["exp"])
        except (KeyError, ValueError, TypeError) as exc:
            raise InvalidToken("INVALID_TOKEN", "the access token lacks required claims") from exc
