"""Client secrets: generated with ``secrets``, stored only as scrypt hashes."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import os
import secrets

# scrypt cost: about 20-40 ms of CPU a check; paid once per token request, not per API call.
_N, _R, _P = 2**14, 8, 1


def new_secret(prefix: str = "sk_") -> str:
    """A new client secret: ``prefix`` (``sk_``, or ``sk_test_`` for sandbox clients), then
    32 random bytes."""
    return prefix + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.urlsafe_b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_secret(secret: str, stored: str) -> bool:
    """True if ``secret`` matches ``stored``; a malformed stored hash matches nothing."""
    try:
        algo, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if algo != "scrypt":
            return False
        salt = base64.urlsafe_b64decode(salt_b64)
        expected = base64.urlsafe_b64decode(digest_b64)
        digest = hashlib.scrypt(
            secret.encode(), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, binascii.Error, MemoryError):
        return False
    return hmac.compare_digest(digest, expected)


# Checked against this when a client id is unknown, so the timing does not reveal it.
DUMMY_HASH = hash_secret("unknown-client")


class SecretChecker:
    """Checks secrets in worker threads (scrypt releases the GIL), at most ``concurrency``
    at once: a flood of token requests costs that many cores, never the event loop that
    serves everyone else's requests. Further checks wait for a free slot."""

    def __init__(self, concurrency: int) -> None:
        self._slots = asyncio.Semaphore(max(1, concurrency))

    async def verify(self, secret: str, stored: str) -> bool:
        """``verify_secret`` off the event loop."""
        async with self._slots:
            return await asyncio.to_thread(verify_secret, secret, stored)
