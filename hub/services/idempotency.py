"""Idempotency keys: the same key with the same input returns the first result.

A key is scoped to the organization. The stored result is the id of what the first request
created or changed; a replay returns that object as it is now. The same key with a different
input, or for another operation, is refused with ``IDEMPOTENCY_KEY_REUSED``.

A request is its use case's command (a frozen dataclass): its fingerprint is computed from
the command's fields by one function, ``fingerprint``, for every use case. What is stored of
it is a keyed hash: HMAC-SHA256, under a key derived from the PII encryption key, of the
SHA-256 of the request. The request holds customer PII; a plain hash of it would let anyone
who reads the table confirm guesses of a phone number. Hashes written by earlier versions
(the bare SHA-256, 64 hex digits) are keyed in place by ``rekey_stored_hashes``
(``evenly-hub migrate``, and ``serve`` before it starts), and a replay compares them in
keyed form meanwhile, so a request stored before still replays.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import hmac
from typing import Any

import orjson

from hub.domain.errors import Problem
from hub.domain.money import Money
from hub.store.idempotency import NewKey, StoredKey
from hub.store.pii import FieldCipher

REUSED = "IDEMPOTENCY_KEY_REUSED"
#: Marks the keyed form; it and 61 hex digits (244 bits) fit the 64 characters of the column.
KEYED_PREFIX = "k1:"
_KEY_PURPOSE = b"evenly idempotency request hash v1"


class RequestHasher:
    """Hashes requests for idempotency under a server-side key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def from_cipher(cls, cipher: FieldCipher) -> RequestHasher:
        """Keyed by a key derived from the PII key: nothing new to configure or share."""
        return cls(cipher.derive_key(_KEY_PURPOSE))

    def __call__(self, operation: str, payload: Any) -> str:
        """The stored form of a request: ``k1:`` and the keyed hash of its canonical JSON."""
        body = orjson.dumps([operation, payload], option=orjson.OPT_SORT_KEYS, default=str)
        return self._keyed(hashlib.sha256(body).digest())

    def matches(self, stored: str, request_hash: str) -> bool:
        """Whether a stored hash, of either form, is that of the request hashed here."""
        return hmac.compare_digest(self.keyed(stored), request_hash)

    def keyed(self, stored: str) -> str:
        """A stored hash in keyed form; one of an earlier version (bare SHA-256) is keyed."""
        if stored.startswith(KEYED_PREFIX):
            return stored
        try:
            digest = bytes.fromhex(stored)
        except ValueError:  # nothing a hub wrote: keep it matching no request
            return KEYED_PREFIX + "unusable"
        return self._keyed(digest)

    def _keyed(self, digest: bytes) -> str:
        mac = hmac.new(self._key, digest, hashlib.sha256).hexdigest()
        return KEYED_PREFIX + mac[: 64 - len(KEYED_PREFIX)]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _wire(value: Any) -> Any:
    """A command field as the request states it."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    if isinstance(value, Money):
        return dataclasses.asdict(value)
    if isinstance(value, tuple | list):
        return [_wire(item) for item in value]
    return value


def payload_of(command: Any) -> dict[str, Any]:
    """The request a command stands for: its fields by their API names."""
    return {_camel(f.name): _wire(getattr(command, f.name)) for f in dataclasses.fields(command)}


def operation_of(command: Any) -> str:
    """The operation a command stands for, by its API name (``RecordPayment``:
    ``recordPayment``)."""
    name = type(command).__name__
    return name[0].lower() + name[1:]


def fingerprint(hasher: RequestHasher, operation: str, command: Any) -> str:
    """The stored form of a request (its keyed hash)."""
    return hasher(operation, payload_of(command))


def same_request(
    hasher: RequestHasher, stored: StoredKey, operation: str, fingerprint_: str
) -> bool:
    """Whether a stored key was made by this same request."""
    return stored.operation == operation and hasher.matches(stored.request_hash, fingerprint_)


def new_key(
    organization_id: str, key: str, operation: str, fingerprint_: str, now: dt.datetime
) -> NewKey:
    return NewKey(organization_id, key, operation, fingerprint_, now)


def reused_problem(*path: str) -> Problem:
    return Problem(
        REUSED,
        "this idempotency key was used with a different request",
        (*path, "idempotencyKey"),
    )
