"""Every error the SDK raises.

```
EvenlyError                  anything from the SDK; .request_id, .code, .status_code
├── AuthenticationError      401, or the token endpoint refused the credentials
├── PermissionError          FORBIDDEN: the token lacks a scope (.required_scope)
├── NotFoundError            the object does not exist or is not yours
├── UserError                a mutation's userErrors (.code, .field, .user_errors)
├── InvalidRequestError      the hub refused the request itself (validation, limits)
├── RateLimitError           429 after the retries (.retry_after)
├── APIConnectionError       no response: connection refused, reset, DNS
│   └── APITimeoutError      no response within the timeout
└── ServerError              5xx, or INTERNAL_SERVER_ERROR in a GraphQL error
```

``request_id`` is the hub's ``X-Request-Id`` (or the ``requestId`` of a GraphQL error):
quote it when asking for support. ``code`` is the hub's stable code, e.g. ``INVALID_EMAIL``,
``FORBIDDEN``, ``RATE_LIMITED``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evenly._models import UserErrorDetail

__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "AuthenticationError",
    "EvenlyError",
    "InvalidRequestError",
    "NotFoundError",
    "PermissionError",
    "RateLimitError",
    "ServerError",
    "UserError",
]


class EvenlyError(Exception):
    """Base of every SDK error."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        request_id: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.request_id = request_id
        self.status_code = status_code

    def __str__(self) -> str:
        parts = [self.message]
        if self.code:
            parts.append(f"code={self.code}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        return " ".join(parts) if len(parts) == 1 else f"{parts[0]} ({', '.join(parts[1:])})"


class AuthenticationError(EvenlyError):
    """The credentials or the access token were refused."""


# Shadows the builtin on purpose: users write `evenly.PermissionError`.
class PermissionError(EvenlyError):
    """The access token does not carry the scope this operation needs."""

    def __init__(
        self,
        message: str,
        *,
        required_scope: str | None = None,
        code: str | None = None,
        request_id: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, code=code, request_id=request_id, status_code=status_code)
        self.required_scope = required_scope


class NotFoundError(EvenlyError):
    """The object does not exist, or belongs to another organization."""


class UserError(EvenlyError):
    """A mutation was refused with ``userErrors``; nothing was changed.

    ``code`` and ``field`` are those of the first error; ``user_errors`` has them all.
    """

    def __init__(
        self,
        user_errors: Sequence[UserErrorDetail],
        *,
        request_id: str | None = None,
    ) -> None:
        first = user_errors[0]
        message = "; ".join(f"{e.code}: {e.message}" for e in user_errors)
        super().__init__(message, code=first.code, request_id=request_id, status_code=200)
        self.field: list[str] | None = first.field
        self.user_errors: list[UserErrorDetail] = list(user_errors)

    def __str__(self) -> str:
        suffix = f" (request_id={self.request_id})" if self.request_id else ""
        return self.message + suffix


class InvalidRequestError(EvenlyError):
    """The hub refused the request: bad input, invalid cursor, query limits, body too large."""


class RateLimitError(EvenlyError):
    """Too many requests for this API client, still after the retries."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        code: str | None = None,
        request_id: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, code=code, request_id=request_id, status_code=status_code)
        self.retry_after = retry_after


class APIConnectionError(EvenlyError):
    """The hub could not be reached or did not answer."""


class APITimeoutError(APIConnectionError):
    """The hub did not answer within the timeout."""


class ServerError(EvenlyError):
    """The hub failed (5xx or ``INTERNAL_SERVER_ERROR``), still after the retries."""
