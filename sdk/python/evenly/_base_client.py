"""What ``Evenly`` and ``AsyncEvenly`` share: configuration, tokens, retries, error mapping.

A request is a generator (``_flow``) that yields the steps it needs (send this HTTP request,
sleep this long, make sure there is a token) and returns the parsed result. The sync and
async clients only run those steps, so their behaviour cannot drift apart.
"""

from __future__ import annotations

import os
import random
import secrets
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx

from evenly._exceptions import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    EvenlyError,
    InvalidRequestError,
    NotFoundError,
    PermissionError,
    RateLimitError,
    ServerError,
    UserError,
)
from evenly._models import UserErrorDetail
from evenly._version import __version__

T = TypeVar("T")

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_MAX_RETRIES = 3
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
# A token is renewed this long before it expires (at most a tenth of its lifetime).
TOKEN_REFRESH_MARGIN = 60.0

_TOKEN_CODES = frozenset({"INVALID_TOKEN", "TOKEN_EXPIRED"})
# Failures before anything reached the hub: safe to retry whatever the operation.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class Call(Generic[T]):
    """One GraphQL operation: the document, its variables, how to read its ``data``.

    ``retry_safe`` says whether repeating it cannot do anything twice: true for queries and
    for mutations that carry an idempotency key.
    """

    document: str
    variables: Mapping[str, Any]
    parse: Callable[[dict[str, Any], str | None], T]
    retry_safe: bool = True


@dataclass(frozen=True)
class _Send:
    request: httpx.Request


@dataclass(frozen=True)
class _Sleep:
    seconds: float


@dataclass(frozen=True)
class _Authenticate:
    """Make sure a valid token is held; ``stale`` is a token known to be refused."""

    stale: str | None = None


_Step = _Send | _Sleep | _Authenticate
Flow = Generator[_Step, Any, T]


@dataclass
class _Token:
    value: str
    expires_at: float
    scopes: list[str] = field(default_factory=list)


def new_idempotency_key() -> str:
    return "evenly-" + secrets.token_hex(16)


class BaseClient:
    """Configuration and the request flow shared by ``Evenly`` and ``AsyncEvenly``."""

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
    ) -> None:
        client_id = client_id or os.environ.get("EVENLY_CLIENT_ID")
        client_secret = client_secret or os.environ.get("EVENLY_CLIENT_SECRET")
        if not client_id or not client_secret:
            raise EvenlyError(
                "no credentials: pass client_id and client_secret, or set "
                "EVENLY_CLIENT_ID and EVENLY_CLIENT_SECRET"
            )
        self.client_id = client_id
        self._client_secret = client_secret
        self.base_url = (base_url or os.environ.get("EVENLY_BASE_URL") or DEFAULT_BASE_URL).rstrip(
            "/"
        )
        self.timeout = (
            DEFAULT_TIMEOUT
            if timeout is None
            else timeout
            if isinstance(timeout, httpx.Timeout)
            else httpx.Timeout(timeout)
        )
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        self.max_retries = max_retries
        self._token: _Token | None = None
        # Whether the hub serves the organizationEvents subscription (None: not tried yet).
        self._subscriptions_available: bool | None = None

    @property
    def _headers(self) -> dict[str, str]:
        return {"User-Agent": f"evenly-python/{__version__}", "Accept": "application/json"}

    # --- tokens ---------------------------------------------------------------------------

    def _token_valid(self, stale: str | None) -> bool:
        token = self._token
        if token is None or token.value == stale:
            return False
        return time.monotonic() < token.expires_at

    def _token_flow(self) -> Flow[_Token]:
        """POST /oauth/token (client credentials), retried like a query."""
        attempt = 0
        while True:
            request = httpx.Request(
                "POST",
                f"{self.base_url}/oauth/token",
                data={"grant_type": "client_credentials"},
                headers={**self._headers, "X-Request-Id": _request_id()},
                extensions={"timeout": self.timeout.as_dict()},
            )
            basic = httpx.BasicAuth(self.client_id, self._client_secret)
            request = next(basic.auth_flow(request))
            outcome = yield _Send(request)
            try:
                return self._read_token(outcome, request)
            except EvenlyError as error:
                delay = self._retry_delay(error, attempt, retry_safe=True)
                if delay is None:
                    raise
            attempt += 1
            yield _Sleep(delay)

    def _read_token(self, outcome: httpx.Response | Exception, request: httpx.Request) -> _Token:
        response = _response_or_raise(outcome, request)
        request_id = response.headers.get("x-request-id")
        if response.status_code != 200:
            error = _http_error(response, request_id)
            if response.status_code in (400, 401):
                body = _json_or_none(response) or {}
                raise AuthenticationError(
                    f"the hub refused the credentials: {body.get('error_description', response.text)}",
                    code=body.get("error"),
                    request_id=request_id,
                    status_code=response.status_code,
                )
            raise error
        body = response.json()
        lifetime = float(body.get("expires_in", 900))
        margin = min(TOKEN_REFRESH_MARGIN, lifetime / 10)
        return _Token(
            value=body["access_token"],
            expires_at=time.monotonic() + lifetime - margin,
            scopes=str(body.get("scope", "")).split(),
        )

    # --- GraphQL --------------------------------------------------------------------------

    def _graphql_request(self, call: Call[Any], token: str) -> httpx.Request:
        return httpx.Request(
            "POST",
            f"{self.base_url}/graphql",
            json={"query": call.document, "variables": dict(call.variables)},
            headers={
                **self._headers,
                "Authorization": f"Bearer {token}",
                "X-Request-Id": _request_id(),
            },
            extensions={"timeout": self.timeout.as_dict()},
        )

    def _flow(self, call: Call[T]) -> Flow[T]:
        """Send ``call`` with a token, retrying what is safe to retry; return its result."""
        attempt = 0
        reauthenticated = False
        stale: str | None = None
        while True:
            yield _Authenticate(stale)
            assert self._token is not None
            token = self._token.value
            request = self._graphql_request(call, token)
            outcome = yield _Send(request)
            try:
                response = _response_or_raise(outcome, request)
                data, request_id = _graphql_data(response)
                return call.parse(data, request_id)
            except AuthenticationError as error:
                # A token the hub no longer takes (expired early, key rotated): one new try.
                if error.code not in _TOKEN_CODES or reauthenticated:
                    raise
                reauthenticated, stale = True, token
                continue
            except EvenlyError as error:
                sent = not isinstance(error.__cause__, _NOT_SENT)
                delay = self._retry_delay(error, attempt, retry_safe=call.retry_safe or not sent)
                if delay is None:
                    raise
            attempt += 1
            yield _Sleep(delay)

    def _retry_delay(self, error: EvenlyError, attempt: int, *, retry_safe: bool) -> float | None:
        """Seconds to wait before retrying after ``error``, or None to give up."""
        if attempt >= self.max_retries:
            return None
        if isinstance(error, RateLimitError):
            # Refused before anything ran: always safe to repeat.
            if error.retry_after is not None:
                return min(error.retry_after, MAX_RETRY_AFTER) + random.uniform(0, 0.1)
            return backoff(attempt)
        if isinstance(error, ServerError | APIConnectionError) and retry_safe:
            return backoff(attempt)
        return None


def backoff(attempt: int) -> float:
    """Exponential backoff with jitter: about 0.5 s, 1 s, 2 s, … up to 8 s, minus up to 25 %."""
    delay: float = min(MAX_RETRY_DELAY, INITIAL_RETRY_DELAY * 2.0**attempt)
    return delay * (1 - random.random() * 0.25)


def _request_id() -> str:
    return "req_" + secrets.token_hex(8)


def _response_or_raise(
    outcome: httpx.Response | Exception, request: httpx.Request
) -> httpx.Response:
    if isinstance(outcome, httpx.Response):
        return outcome
    request_id = request.headers.get("x-request-id")
    if isinstance(outcome, httpx.TimeoutException):
        raise APITimeoutError(
            f"the hub did not answer in time: {outcome!r}", request_id=request_id
        ) from outcome
    raise APIConnectionError(
        f"could not reach the hub at {request.url.host}:{request.url.port}: {outcome!r}",
        request_id=request_id,
    ) from outcome


def _json_or_none(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _http_error(response: httpx.Response, request_id: str | None) -> EvenlyError:
    """The error for a non-200 answer of the hub."""
    body = _json_or_none(response) or {}
    errors = body.get("errors") or [{}]
    first = errors[0] if isinstance(errors[0], dict) else {}
    code = (first.get("extensions") or {}).get("code") or body.get("error")
    message = first.get("message") or body.get("error_description") or response.text[:500]
    status = response.status_code
    kwargs: dict[str, Any] = {"code": code, "request_id": request_id, "status_code": status}
    if status == 401:
        return AuthenticationError(message, **kwargs)
    if status == 403:
        return PermissionError(message, **kwargs)
    if status == 404:
        return NotFoundError(message, **kwargs)
    if status == 429:
        return RateLimitError(message, retry_after=_retry_after(response), **kwargs)
    if status >= 500:
        return ServerError(message or f"HTTP {status}", **kwargs)
    return InvalidRequestError(message, **kwargs)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _graphql_data(response: httpx.Response) -> tuple[dict[str, Any], str | None]:
    """``data`` of a GraphQL answer and its request id; GraphQL errors raise."""
    request_id = response.headers.get("x-request-id")
    if response.status_code != 200:
        raise _http_error(response, request_id)
    body = _json_or_none(response)
    if body is None:
        raise ServerError(
            "the hub answered with something that is not JSON",
            request_id=request_id,
            status_code=200,
        )
    errors = body.get("errors")
    if errors:
        raise _graphql_error(errors[0], request_id)
    data = body.get("data")
    if not isinstance(data, dict):
        raise ServerError("the hub answered without data", request_id=request_id, status_code=200)
    return data, request_id


def _graphql_error(error: dict[str, Any], request_id: str | None) -> EvenlyError:
    extensions = error.get("extensions") or {}
    code = extensions.get("code")
    message = error.get("message", "GraphQL error")
    request_id = extensions.get("requestId") or request_id
    kwargs: dict[str, Any] = {"code": code, "request_id": request_id, "status_code": 200}
    if code == "FORBIDDEN":
        return PermissionError(message, required_scope=extensions.get("requiredScope"), **kwargs)
    if code == "NOT_FOUND":
        return NotFoundError(message, **kwargs)
    if code == "UNAUTHENTICATED":
        return AuthenticationError(message, **kwargs)
    if code == "INTERNAL_SERVER_ERROR":
        return ServerError(message, **kwargs)
    return InvalidRequestError(message, **kwargs)


def raise_user_errors(payload: Mapping[str, Any], request_id: str | None) -> None:
    """Raise ``UserError`` (or ``NotFoundError`` for ``NOT_FOUND``) if the payload has any."""
    errors = [UserErrorDetail.model_validate(e) for e in payload.get("userErrors") or ()]
    if not errors:
        return
    if all(e.code == "NOT_FOUND" for e in errors):
        raise NotFoundError(errors[0].message, code="NOT_FOUND", request_id=request_id)
    raise UserError(errors, request_id=request_id)
