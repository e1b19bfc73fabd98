"""``POST /oauth/token``: OAuth 2.0 client credentials grant (RFC 6749 §4.4).

Clients authenticate with HTTP Basic (preferred) or ``client_id``/``client_secret`` in the
form body. ``scope`` may narrow the token to a subset of the client's scopes. Errors follow
RFC 6749 §5.2: ``invalid_request``, ``invalid_client`` (401), ``unsupported_grant_type``,
``invalid_scope``.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qsl, unquote

import orjson
from starlette.requests import Request
from starlette.responses import Response

from hub.auth.scopes import format_scopes, parse_scopes
from hub.auth.tokens import Principal, TokenIssuer
from hub.services import organizations as organization_service
from hub.services.context import ServiceContext

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _oauth_error(
    error: str, description: str, status: int = 400, headers: dict[str, str] | None = None
) -> Response:
    body = orjson.dumps({"error": error, "error_description": description})
    return Response(
        body,
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


class TokenEndpoint:
    def __init__(self, services: ServiceContext, issuer: TokenIssuer) -> None:
        self.services = services
        self.issuer = issuer

    async def handle(self, request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return _oauth_error(
                "invalid_request", "send the request as application/x-www-form-urlencoded"
            )
        try:
            pairs = parse_qsl(
                (await request.body()).decode(), keep_blank_values=True, strict_parsing=False
            )
        except UnicodeDecodeError:
            return _oauth_error("invalid_request", "the form body is not valid UTF-8")
        form: dict[str, str] = {}
        for key, value in pairs:
            if key in form:
                return _oauth_error("invalid_request", f"parameter {key} is repeated")
            form[key] = value

        grant_type = form.get("grant_type")
        if grant_type is None:
            return _oauth_error("invalid_request", "grant_type is required")
        if grant_type != "client_credentials":
            return _oauth_error("unsupported_grant_type", "only client_credentials is supported")

        authorization = request.headers.get("authorization")
        used_basic = authorization is not None
        if authorization is not None:
            credentials = _basic_credentials(authorization)
            if credentials is None:
                return self._invalid_client(used_basic, "malformed Basic credentials")
            if "client_secret" in form:
                return _oauth_error("invalid_request", "use one client authentication method")
        elif "client_id" in form and "client_secret" in form:
            credentials = (form["client_id"], form["client_secret"])
        else:
            return self._invalid_client(False, "client authentication is required")

        principal = await organization_service.authenticate_client(self.services, *credentials)
        if principal is None:
            return self._invalid_client(
                used_basic, "unknown client, wrong secret or revoked client"
            )

        if "scope" in form:
            requested = parse_scopes(form["scope"])
            if not requested or not requested <= principal.scopes:
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

    @staticmethod
    def _invalid_client(used_basic: bool, description: str) -> Response:
        headers = {"WWW-Authenticate": 'Basic realm="evenly"'} if used_basic else None
        return _oauth_error("invalid_client", description, status=401, headers=headers)
