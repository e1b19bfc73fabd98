"""Standard Webhooks 1.0 signatures: the whole sign and verify story.

Spec: https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md

A delivery carries ``webhook-id``, ``webhook-timestamp`` (integer seconds) and
``webhook-signature``, a space-separated list of ``v1,<base64>`` (HMAC-SHA256 with a ``whsec_``
secret) and ``v1a,<base64>`` (Ed25519 with a ``whsk_`` signing key, checked with its ``whpk_``
public key) entries. Every entry signs the bytes ``{msg_id}.{timestamp}.{payload}``. Signing with
several secrets or keys gives several entries, so secrets can be rotated without downtime.
"""

from __future__ import annotations

import base64
import hmac
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from secrets import token_bytes
from typing import Literal, TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

SECRET_PREFIX = "whsec_"
SIGNING_KEY_PREFIX = "whsk_"
PUBLIC_KEY_PREFIX = "whpk_"
DEFAULT_TOLERANCE = timedelta(minutes=5)

# Visible ASCII without "." : a "." in the id would make `{id}.{timestamp}.{payload}` ambiguous
# (the spec forbids it), and anything else visible is a safe header value.
_MSG_ID = re.compile(r"[\x21-\x2d\x2f-\x7e]+")
# Integer seconds, ASCII digits only; 12 digits reach the year 33658 and keep `int` trivial.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")

Reason = Literal[
    "missing_header",
    "invalid_timestamp",
    "timestamp_too_old",
    "timestamp_too_new",
    "no_matching_signature",
    "invalid_secret",
    "invalid_key",
]

_T = TypeVar("_T")


class WebhookVerificationError(Exception):
    """A delivery failed verification, or a secret or key could not be parsed.

    ``reason`` is a stable, machine-readable code; the message says what was wrong:

    - ``missing_header``: ``webhook-id``, ``webhook-timestamp`` or ``webhook-signature`` is
      absent or empty.
    - ``invalid_timestamp``: ``webhook-timestamp`` is not an integer number of seconds.
    - ``timestamp_too_old`` / ``timestamp_too_new``: outside the tolerance (replay protection).
    - ``no_matching_signature``: no entry of ``webhook-signature`` matches a secret or key.
    - ``invalid_secret``: a secret is not non-empty base64 (optionally ``whsec_``-prefixed).
    - ``invalid_key``: an Ed25519 key is not ``whsk_``/``whpk_`` followed by base64 of a key.
    """

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason


def generate_secret(size: int = 32) -> str:
    """Return a new random HMAC secret, ``whsec_`` + base64 of ``size`` (24 to 64) bytes."""
    if not 24 <= size <= 64:
        raise ValueError("the spec asks for a secret of 24 to 64 bytes")
    return SECRET_PREFIX + _b64(token_bytes(size))


def generate_signing_key() -> str:
    """Return a new Ed25519 signing key, ``whsk_`` + base64 of its seed and public key."""
    private = Ed25519PrivateKey.generate()
    # Seed then public key (64 bytes), the form libsodium and Svix serialize.
    return SIGNING_KEY_PREFIX + _b64(private.private_bytes_raw() + _raw(private.public_key()))


def public_key_of(signing_key: str | Ed25519PrivateKey) -> str:
    """Return the ``whpk_`` public key that verifies signatures made with ``signing_key``."""
    return PUBLIC_KEY_PREFIX + _b64(_raw(_private_key(signing_key).public_key()))


def jwk(public_key: str | Ed25519PublicKey, kid: str) -> dict[str, str]:
    """Return ``public_key`` as an OKP/Ed25519 JSON Web Key (RFC 8037), for a JWKS endpoint."""
    x = base64.urlsafe_b64encode(_raw(_public_key(public_key))).rstrip(b"=").decode()
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "use": "sig", "alg": "EdDSA"}


def sign(
    payload: bytes,
    *,
    msg_id: str,
    timestamp: int,
    secrets: Sequence[str] = (),
    signing_keys: Sequence[str | Ed25519PrivateKey] = (),
) -> str:
    """Return the ``webhook-signature`` header value for ``payload``, the exact body sent.

    One ``v1`` entry per secret, then one ``v1a`` entry per signing key: during a rotation,
    sign with both the old and the new secret or key.
    """
    hmac_keys = [_secret_bytes(secret) for secret in _listed(secrets, "secrets")]
    private_keys = [_private_key(key) for key in _listed(signing_keys, "signing_keys")]
    if not hmac_keys and not private_keys:
        raise ValueError("sign needs at least one secret or signing key")
    if not _MSG_ID.fullmatch(msg_id):
        raise ValueError("msg_id must be non-empty visible ASCII without '.'")
    if not isinstance(timestamp, int) or timestamp < 0:
        raise ValueError("timestamp must be a non-negative integer number of seconds")
    content = _signed_content(msg_id, timestamp, payload)
    entries = [f"v1,{_b64(hmac.digest(key, content, 'sha256'))}" for key in hmac_keys]
    entries += [f"v1a,{_b64(key.sign(content))}" for key in private_keys]
    return " ".join(entries)


def headers(
    payload: bytes,
    *,
    msg_id: str,
    timestamp: int,
    secrets: Sequence[str] = (),
    signing_keys: Sequence[str | Ed25519PrivateKey] = (),
) -> dict[str, str]:
    """Return the three Standard Webhooks headers to send with ``payload``."""
    signature = sign(
        payload, msg_id=msg_id, timestamp=timestamp, secrets=secrets, signing_keys=signing_keys
    )
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }


def verify(
    payload: bytes | str,
    headers: Mapping[str, str],
    *,
    secrets: Sequence[str] = (),
    public_keys: Sequence[str | Ed25519PublicKey] = (),
    tolerance: timedelta = DEFAULT_TOLERANCE,
    now: datetime | None = None,
) -> None:
    """Check a received delivery; return ``None`` or raise ``WebhookVerificationError``.

    ``payload`` must be the raw request body (a ``str`` is UTF-8 encoded): re-serialized JSON
    is different bytes. Header names are matched case-insensitively. The timestamp must be
    within ``tolerance`` of ``now`` either way (default: the current time); then any
    ``v1`` entry matching any secret, or any ``v1a`` entry matching any public key, passes.
    Entries of unknown versions or with malformed base64 are skipped.
    """
    hmac_keys = [_secret_bytes(secret) for secret in _listed(secrets, "secrets")]
    ed25519_keys = [_public_key(key) for key in _listed(public_keys, "public_keys")]
    if not hmac_keys and not ed25519_keys:
        raise ValueError("verify needs at least one secret or public key")
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware")

    received = {name.lower(): value for name, value in headers.items()}
    msg_id, timestamp_text, signature = (
        received.get(name, "") for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
    )
    if not (msg_id and timestamp_text and signature):
        raise WebhookVerificationError(
            "missing_header", "webhook-id, webhook-timestamp and webhook-signature are required"
        )
    if not _TIMESTAMP.fullmatch(timestamp_text):
        raise WebhookVerificationError(
            "invalid_timestamp", "webhook-timestamp must be an integer number of seconds"
        )
    timestamp = int(timestamp_text)
    now_seconds = (now or datetime.now(UTC)).timestamp()
    if timestamp < now_seconds - tolerance.total_seconds():
        raise WebhookVerificationError("timestamp_too_old", "webhook-timestamp is too old")
    if timestamp > now_seconds + tolerance.total_seconds():
        raise WebhookVerificationError("timestamp_too_new", "webhook-timestamp is in the future")

    if isinstance(payload, str):
        payload = payload.encode()
    content = _signed_content(msg_id, timestamp, payload)
    expected_v1 = [hmac.digest(key, content, "sha256") for key in hmac_keys]
    for entry in signature.split():
        version, _, encoded = entry.partition(",")
        candidate = _signature_bytes(encoded)
        if candidate is None:
            continue
        if version == "v1" and any(hmac.compare_digest(candidate, e) for e in expected_v1):
            return
        if version == "v1a" and any(_ed25519_ok(k, candidate, content) for k in ed25519_keys):
            return
    raise WebhookVerificationError(
        "no_matching_signature",
        "no entry of webhook-signature matches the given secrets or public keys",
    )


def _signed_content(msg_id: str, timestamp: int, payload: bytes) -> bytes:
    return f"{msg_id}.{timestamp}.".encode() + payload


def _listed(values: Sequence[_T], name: str) -> Sequence[_T]:
    # A lone string is a Sequence[str] too: iterating it would use each character as a secret.
    if isinstance(values, str):
        raise TypeError(f"{name} must be a list of strings, not a string")
    return values


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _b64decode_lenient(text: str) -> bytes:
    """Standard base64 with or without padding, as the reference libraries accept secrets."""
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _signature_bytes(text: str) -> bytes | None:
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        return None
    # Only the canonical spelling counts: otherwise a changed last character (stray unused
    # bits) or missing padding would decode to the same signature.
    return raw if _b64(raw) == text else None


def _secret_bytes(secret: str) -> bytes:
    try:
        key = _b64decode_lenient(secret.removeprefix(SECRET_PREFIX))
    except ValueError:
        key = b""
    if not key:
        raise WebhookVerificationError(
            "invalid_secret", "a secret must be non-empty base64, optionally prefixed 'whsec_'"
        )
    return key


def _key_bytes(text: str, prefix: str, sizes: tuple[int, ...]) -> bytes:
    try:
        raw = _b64decode_lenient(text.removeprefix(prefix)) if text.startswith(prefix) else b""
    except ValueError:
        raw = b""
    if len(raw) not in sizes:
        expected = " or ".join(str(size) for size in sizes)
        raise WebhookVerificationError(
            "invalid_key", f"an Ed25519 key must be {prefix!r} + base64 of {expected} bytes"
        )
    return raw


def load_signing_key(key: str) -> Ed25519PrivateKey:
    """The Ed25519 key of a ``whsk_…`` string; parse it once when signing many messages."""
    return _private_key(key)


def _private_key(key: str | Ed25519PrivateKey) -> Ed25519PrivateKey:
    if isinstance(key, Ed25519PrivateKey):
        return key
    raw = _key_bytes(key, SIGNING_KEY_PREFIX, (32, 64))
    private = Ed25519PrivateKey.from_private_bytes(raw[:32])
    # The 64-byte form repeats the public key: a mismatch means a corrupted or spliced key.
    if len(raw) == 64 and not hmac.compare_digest(raw[32:], _raw(private.public_key())):
        raise WebhookVerificationError(
            "invalid_key", "the public half of the whsk_ key does not match its seed"
        )
    return private


def _public_key(key: str | Ed25519PublicKey) -> Ed25519PublicKey:
    if isinstance(key, Ed25519PublicKey):
        return key
    return Ed25519PublicKey.from_public_bytes(_key_bytes(key, PUBLIC_KEY_PREFIX, (32,)))


def _ed25519_ok(key: Ed25519PublicKey, signature: bytes, content: bytes) -> bool:
    try:
        key.verify(signature, content)
    except InvalidSignature:
        return False
    return True
