"""``POST /oauth/token``: OAuth 2.0 client credentials grant (RFC 6749 §4.4).

Clients authenticate with HTTP Basic (preferred) or ``client_id``/``client_secret`` in the
form body. ``scope`` may narrow the token to a subset of the client's scopes. Errors follow
RFC 6749 §5.2: ``invalid_request``, ``invalid_client`` (401), ``unsupported_grant_type``,
``invalid_scope``; and, with ``Retry-After``, 429 ``slow_down`` (too many failed attempts
for the client id or the source address) and 503 ``temporarily_unavailable`` (the database
is unavailable), which also carry the hub's ``code`` (``RATE_LIMITED``,
``SERVICE_UNAVAILABLE``).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
from urllib.parse import parse_qsl, unquote

import orjson
from starlette.requests import Request
from starlette.responses import Response

from hub.auth.ratelimit import RateLimiter
from hub.auth.scopes import InvalidScope, format_scopes, parse_scopes
from hub.auth.secrets import SecretChecker
from hub.auth.tokens import Principal, TokenIssuer
from hub.domain.errors import RETRY_AFTER_SECONDS, DatabaseUnavailable
from hub.services import organizations as organization_service
from hub.services.context import ServiceContext
from hub.settings import Settings

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
#: Client ids are ``cli_`` and a ULID; a longer one cannot exist (and is not worth a bucket).
_MAX_CLIENT_ID = 64
#: Failure buckets kept per process (client ids and addresses together): made-up client ids
#: cannot grow the table past this.
_MAX_THROTTLED_KEYS = 20_000


def _oauth_error(
    error: str,
    description: str,
    status: int = 400,
    headers: dict[str, str] | None = None,
    code: str | None = None,
) -> Response:
    content: dict[str, str] = {"error": error, "error_description": description}
    if code is not None:
        content["code"] = code
    return Response(
        orjson.dumps(content),
        status_code=status,
        media_type="application/json",
        headers={**_NO_STORE, **(headers or {})},
    )


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None
    # RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
    return unquote(client_id), unquote(secret)


def source_key(host: str | None) -> str:
    """The throttling key of a source address: the address, or its /64 for IPv6 (one
    host usually holds a whole /64). Behind a proxy the address is the one uvicorn takes
    from ``X-Forwarded-For`` of a trusted proxy (``FORWARDED_ALLOW_IPS``)."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return "address:unknown"
    if address.version == 6:
        return f"address:{ipaddress.ip_network((address, 64), strict=False)}"
    return f"address:{address}"


class TokenEndpoint:
    def __init__(self, services: ServiceContext, issuer: TokenIssuer, settings: Settings) -> None:
        self.services = services
        self.issuer = issuer
        #: Failed attempts per client id and per source address.
        self.failures = RateLimiter(
            settings.auth_failure_per_second,
            settings.auth_failure_burst,
            max_keys=_MAX_THROTTLED_KEYS,
        )
        self.checker = SecretChecker(settings.auth_hash_concurrency)

    async def handle(self, request: Request) -> Response:
        try:
            return await self._handle(request)
        except DatabaseUnavailable:
            return _oauth_error(
                "temporarily_unavailable",
                "the service is unavailable for a moment; retry after the delay in Retry-After",
                503,
                {"Retry-After": str(RETRY_AFTER_SECONDS)},
                code="SERVICE_UNAVAILABLE",
            )

    async def _handle(self, request: Request) -> Response:
        try:
            form = await _form(request)
            client_id, secret, used_basic = self._credentials(request, form)
            requested = _requested_scopes(form)
            principal = await self._authenticate(request, client_id, secret, used_basic)
        except _Refused as refused:
            return refused.response
        if requested is not None:
            if not requested <= principal.scopes:
                return _oauth_error(
                    "invalid_scope",
                    f"this client may ask for: {format_scopes(set(principal.scopes))}",
                )
            principal = Principal(
                principal.client_id, principal.organization_id, principal.kind, requested
            )
        token = self.issuer.issue(principal)
        body = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.issuer.ttl_seconds,
            "scope": format_scopes(set(principal.scopes)),
        }
        return Response(orjson.dumps(body), media_type="application/json", headers=_NO_STORE)

    def _credentials(self, request: Request, form: dict[str, str]) -> tuple[str, str, bool]:
        """The client id and secret, from HTTP Basic or the form; and whether Basic was used."""
        authorization = request.headers.get("authorization")
        if authorization is not None:
            credentials = _basic_credentials(authorization)
            if credentials is None:
                raise _Refused(self._invalid_client(True, "malformed Basic credentials"))
            if "client_secret" in form:
                raise _Refused(
                    _oauth_error("invalid_request", "use one client authentication method")
                )
            return (*credentials, True)
        if "client_id" in form and "client_secret" in form:
            return form["client_id"], form["client_secret"], False
        raise _Refused(self._invalid_client(False, "client authentication is required"))

    async def _authenticate(
        self, request: Request, client_id: str, secret: str, used_basic: bool
    ) -> Principal:
        """The client's principal, within its budget of failed attempts."""
        unknown = "unknown client, wrong secret or revoked client"
        if len(client_id) > _MAX_CLIENT_ID:
            raise _Refused(self._invalid_client(used_basic, unknown))
        # Every attempt takes one try from the client id's and the address's budget of
        # failures before its secret is checked; a success gives it back.
        keys = (f"client:{client_id}", source_key(request.client.host if request.client else None))
        wait = self.failures.take_all(keys)
        if wait > 0:
            raise _Refused(
                _oauth_error(
                    "slow_down",
                    "too many failed attempts for this client or from this address; "
                    "retry after the delay in Retry-After",
                    429,
                    {"Retry-After": str(max(1, math.ceil(wait)))},
                    code="RATE_LIMITED",
                )
            )
        try:
            principal = await organization_service.authenticate_client(
                self.services, client_id, secret, self.checker
            )
        except DatabaseUnavailable:
            self.failures.give_back(keys)  # not the client's failure
            raise
        if principal is None:
            raise _Refused(self._invalid_client(used_basic, unknown))
        self.failures.give_back(keys)
        return principal

    @staticmethod
    def _invalid_client(used_basic: bool, description: str) -> Response:
        headers = {"WWW-Authenticate": 'Basic realm="evenly"'} if used_basic else None
        return _oauth_error("invalid_client", description, status=401, headers=headers)


class _Refused(Exception):
    """A token request refused, with the response that says why."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


async def _form(request: Request) -> dict[str, str]:
    """The form of a client credentials grant, each parameter once."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise _Refused(
            _oauth_error("invalid_request", "send the request as application/x-www-form-urlencoded")
        )
    try:
        pairs = parse_qsl(
            (await request.body()).decode(), keep_blank_values=True, strict_parsing=False
        )
    except UnicodeDecodeError:
        raise _Refused(
            _oauth_error("invalid_request", "the form body is not valid UTF-8")
        ) from None
    form: dict[str, str] = {}
    for key, value in pairs:
        if key in form:
            raise _Refused(_oauth_error("invalid_request", f"parameter {key} is repeated"))
        form[key] = value
    grant_type = form.get("grant_type")
    if grant_type is None:
        raise _Refused(_oauth_error("invalid_request", "grant_type is required"))
    if grant_type != "client_credentials":
        raise _Refused(
            _oauth_error("unsupported_grant_type", "only client_credentials is supported")
        )
    return form


def _requested_scopes(form: dict[str, str]) -> frozenset[str] | None:
    """The scopes asked for, if the form narrows them (RFC 6749 section 3.3)."""
    if "scope" not in form:
        return None
    try:
        requested = parse_scopes(form["scope"])
    except InvalidScope as error:
        raise _Refused(_oauth_error("invalid_scope", str(error))) from None
    if not requested:
        raise _Refused(_oauth_error("invalid_scope", "scope must name at least one scope"))
    return requested
