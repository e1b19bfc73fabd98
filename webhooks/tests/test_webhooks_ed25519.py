"""`v1a` entries are plain Ed25519 signatures that any Ed25519 implementation can check."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from evenly_webhooks import (
    WebhookVerificationError,
    generate_signing_key,
    jwk,
    public_key_of,
    sign,
    verify,
)

PAYLOAD = b'{"type":"payment.received","timestamp":"2025-01-01T00:00:00Z","data":{"amount":100}}'
MSG_ID = "evt_01HZX"
TIMESTAMP = 1_735_689_600
CONTENT = f"{MSG_ID}.{TIMESTAMP}.".encode() + PAYLOAD


def public_key_object(whpk: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(whpk.removeprefix("whpk_")))


def v1a_signature(header: str) -> bytes:
    version, signature = header.split(",")
    assert version == "v1a"
    return base64.b64decode(signature)


def test_cryptography_verifies_a_v1a_signature_with_the_public_key() -> None:
    signing_key = generate_signing_key()
    header = sign(PAYLOAD, msg_id=MSG_ID, timestamp=TIMESTAMP, signing_keys=[signing_key])
    public_key_object(public_key_of(signing_key)).verify(v1a_signature(header), CONTENT)


def test_cryptography_rejects_a_v1a_signature_with_another_public_key() -> None:
    header = sign(
        PAYLOAD, msg_id=MSG_ID, timestamp=TIMESTAMP, signing_keys=[generate_signing_key()]
    )
    with pytest.raises(InvalidSignature):
        public_key_object(public_key_of(generate_signing_key())).verify(
            v1a_signature(header), CONTENT
        )


def test_verify_rejects_a_v1a_signature_with_another_public_key() -> None:
    header = sign(
        PAYLOAD, msg_id=MSG_ID, timestamp=TIMESTAMP, signing_keys=[generate_signing_key()]
    )
    received = {
        "webhook-id": MSG_ID,
        "webhook-timestamp": str(TIMESTAMP),
        "webhook-signature": header,
    }
    with pytest.raises(WebhookVerificationError) as raised:
        verify(
            PAYLOAD,
            received,
            public_keys=[public_key_of(generate_signing_key())],
            now=datetime.fromtimestamp(TIMESTAMP, UTC),
        )
    assert raised.value.reason == "no_matching_signature"


def test_cryptography_key_objects_are_accepted_on_both_sides() -> None:
    private = Ed25519PrivateKey.generate()
    header = sign(PAYLOAD, msg_id=MSG_ID, timestamp=TIMESTAMP, signing_keys=[private])
    received = {
        "webhook-id": MSG_ID,
        "webhook-timestamp": str(TIMESTAMP),
        "webhook-signature": header,
    }
    now = datetime.fromtimestamp(TIMESTAMP, UTC)
    verify(PAYLOAD, received, public_keys=[private.public_key()], now=now)
    verify(PAYLOAD, received, public_keys=[public_key_of(private)], now=now)


def test_signing_key_string_holds_seed_then_public_key() -> None:
    signing_key = generate_signing_key()
    raw = base64.b64decode(signing_key.removeprefix("whsk_"))
    assert signing_key.startswith("whsk_") and len(raw) == 64
    public = Ed25519PrivateKey.from_private_bytes(raw[:32]).public_key()
    assert raw[32:] == public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    # The bare 32-byte seed is the same key.
    seed_only = "whsk_" + base64.b64encode(raw[:32]).decode()
    assert public_key_of(seed_only) == public_key_of(signing_key)


def test_jwk_is_an_okp_ed25519_key_that_verifies_the_signature() -> None:
    signing_key = generate_signing_key()
    key = jwk(public_key_of(signing_key), "key-2025-01")
    assert {name: value for name, value in key.items() if name != "x"} == {
        "kty": "OKP",
        "crv": "Ed25519",
        "kid": "key-2025-01",
        "use": "sig",
        "alg": "EdDSA",
    }
    assert "=" not in key["x"]  # base64url without padding (RFC 7515, 8037)
    raw = base64.urlsafe_b64decode(key["x"] + "=")
    header = sign(PAYLOAD, msg_id=MSG_ID, timestamp=TIMESTAMP, signing_keys=[signing_key])
    Ed25519PublicKey.from_public_bytes(raw).verify(v1a_signature(header), CONTENT)


@pytest.mark.parametrize(
    "bad_public_key",
    [
        "whsk_" + "A" * 43 + "=",  # the wrong prefix
        "whpk_" + base64.b64encode(b"\x01" * 31).decode(),  # 31 bytes
        "whpk_not base64",
        base64.b64encode(b"\x01" * 32).decode(),  # no prefix
    ],
)
def test_malformed_public_keys_are_refused(bad_public_key: str) -> None:
    with pytest.raises(WebhookVerificationError) as raised:
        verify(PAYLOAD, {}, public_keys=[bad_public_key])
    assert raised.value.reason == "invalid_key"
