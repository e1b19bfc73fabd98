"""Confirmation tokens: a preview's promise that exactly these arguments may be committed.

A token is ``v1.<expiry>.<signature>``: an HMAC-SHA256, under a key drawn at random when the
server process starts (``secrets.token_bytes(32)``, never stored or shown), over the action's
name, its arguments as canonical JSON (sorted keys, no spaces) and the expiry (Unix seconds).
Changing any argument, the action or the expiry breaks the signature; a token of another
process (or of this one after a restart) is refused; an expired one too. Nothing is kept
per token: a commit repeated with the same token is safe because the idempotency key sent
to the hub is derived from the token (``idempotency_key``), so the hub replays the first
result instead of acting twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["ConfirmationError", "Confirmations"]

#: How long a preview stays committable.
DEFAULT_TTL_SECONDS = 300


class ConfirmationError(Exception):
    """The token does not confirm this commit; ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def canonical(action: str, arguments: Mapping[str, Any]) -> bytes:
    """The bytes a token signs for ``action`` with ``arguments``."""
    body = json.dumps(arguments, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{action}\n{body}".encode()


class Confirmations:
    """Issues and checks the tokens of one server process."""

    def __init__(
        self,
        *,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
        key: bytes | None = None,
    ) -> None:
        self._key = key or secrets.token_bytes(32)
        self._ttl = ttl_seconds
        self._clock = clock

    def issue(self, action: str, arguments: Mapping[str, Any]) -> tuple[str, int]:
        """A token for committing ``action`` with exactly ``arguments``, and its expiry."""
        expiry = int(self._clock()) + self._ttl
        return f"v1.{expiry}.{self._sign(action, arguments, expiry)}", expiry

    def check(self, token: str, action: str, arguments: Mapping[str, Any]) -> None:
        """Raise ``ConfirmationError`` unless ``token`` confirms ``action`` with ``arguments``."""
        parts = token.split(".") if isinstance(token, str) else []
        if len(parts) != 3 or parts[0] != "v1" or not parts[1].isascii() or not parts[1].isdigit():
            raise ConfirmationError("CONFIRMATION_INVALID", "not a confirmation token")
        expiry = int(parts[1])
        expected = self._sign(action, arguments, expiry)
        if not hmac.compare_digest(expected, parts[2]):
            raise ConfirmationError(
                "CONFIRMATION_INVALID",
                "the token does not confirm this action with these arguments: preview again",
            )
        if self._clock() > expiry:
            raise ConfirmationError("CONFIRMATION_EXPIRED", "the preview expired: preview again")

    def expired(self, token: str) -> bool:
        """Whether a token this process issued is past its expiry."""
        return self._clock() > int(token.split(".")[1])

    @staticmethod
    def idempotency_key(token: str) -> str:
        """The hub idempotency key of the commit this token confirms: the same every retry."""
        return "mcp:" + hashlib.sha256(token.encode()).hexdigest()[:40]

    def _sign(self, action: str, arguments: Mapping[str, Any], expiry: int) -> str:
        message = canonical(action, arguments) + f"\n{expiry}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()
