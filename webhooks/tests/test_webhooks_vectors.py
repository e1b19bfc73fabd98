"""Published test vectors of the Standard Webhooks spec and its reference libraries.

Sources (github.com/standard-webhooks/standard-webhooks at b2fa7b8, and svix/svix-webhooks):
- HMAC: libraries/python/tests/test_webhooks.py (`test_sign_function`, also in the go, javascript,
  php, java and csharp tests) and libraries/rust/src/lib.rs (`test_sign`).
- Ed25519 key pair: server/svix-server/src/core/types/mod.rs in svix/svix-webhooks
  (`test_endpoint_secret_deserialization`): the `whsk_` key and its `whpk_` public key.
- Ed25519 signature: spec/standard-webhooks.md, "Example headers": the `v1a,` entry is that key's
  signature of the python library's vector content (msg_p5jX…, 1614265330, {"test": 2432232314}).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from evenly_webhooks import WebhookVerificationError, public_key_of, sign, verify

# (secret, msg_id, timestamp, payload, header) -- signed HMAC vectors from the reference libraries.
HMAC_VECTORS = [
    pytest.param(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        id="python-go-js-php-java-csharp",
    ),
    pytest.param(
        "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
        "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
        1649367553,
        b'{"email":"test@example.com","username":"test_user"}',
        "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
        id="rust",
    ),
]

SVIX_SIGNING_KEY = (
    "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg=="
)
SVIX_PUBLIC_KEY = "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4="
SPEC_V1A = (
    "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg=="
)

MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
PAYLOAD = b'{"test": 2432232314}'
SECRET = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
AT_SIGNING = datetime.fromtimestamp(TIMESTAMP, UTC)


def vector_headers(signature: str = SIGNATURE) -> dict[str, str]:
    return {
        "webhook-id": MSG_ID,
        "webhook-timestamp": str(TIMESTAMP),
        "webhook-signature": signature,
    }


def rejection(signature: str, *, secret: str = SECRET, now: datetime = AT_SIGNING) -> str:
    with pytest.raises(WebhookVerificationError) as raised:
        verify(PAYLOAD, vector_headers(signature), secrets=[secret], now=now)
    return raised.value.reason


@pytest.mark.parametrize(("secret", "msg_id", "timestamp", "payload", "header"), HMAC_VECTORS)
def test_sign_reproduces_the_reference_hmac_vector(
    secret: str, msg_id: str, timestamp: int, payload: bytes, header: str
) -> None:
    assert sign(payload, msg_id=msg_id, timestamp=timestamp, secrets=[secret]) == header


@pytest.mark.parametrize(("secret", "msg_id", "timestamp", "payload", "header"), HMAC_VECTORS)
def test_verify_accepts_the_reference_hmac_vector(
    secret: str, msg_id: str, timestamp: int, payload: bytes, header: str
) -> None:
    received = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": header,
    }
    now = datetime.fromtimestamp(timestamp, UTC)
    verify(payload, received, secrets=[secret], now=now)


def test_secret_is_accepted_with_and_without_whsec_prefix() -> None:
    verify(PAYLOAD, vector_headers(), secrets=[SECRET], now=AT_SIGNING)
    verify(PAYLOAD, vector_headers(), secrets=["whsec_" + SECRET], now=AT_SIGNING)


@pytest.mark.parametrize(
    "unpadded",
    ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr"],
    ids=["needs-one-pad", "needs-two-pads"],
)
def test_unpadded_secret_signs_like_its_padded_form(unpadded: str) -> None:
    # python tests `test_signature_verification_with_unpadded_secret`.
    padded = unpadded + "=" * (-len(unpadded) % 4)
    signature = sign(PAYLOAD, msg_id=MSG_ID, timestamp=TIMESTAMP, secrets=[padded])
    assert sign(PAYLOAD, msg_id=MSG_ID, timestamp=TIMESTAMP, secrets=[unpadded]) == signature
    verify(PAYLOAD, vector_headers(signature), secrets=["whsec_" + unpadded], now=AT_SIGNING)


@pytest.mark.parametrize(
    "signature",
    [
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=",  # python: last character changed
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLawdd",  # csharp
        "v1,dawfeoifkpqwoekfpqoekf",  # javascript, php
        "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",  # go
        "v1,",  # go, rust: partial signature
        SIGNATURE[:8],  # javascript, rust: partial signature
        "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",  # a future version is not v1
        "v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",  # an HMAC is not an Ed25519 signature
    ],
)
def test_reference_bad_signatures_are_rejected(signature: str) -> None:
    assert rejection(signature) == "no_matching_signature"


@pytest.mark.parametrize(
    "spelling",
    [
        SIGNATURE[:-2] + "F=",  # "E" and "F" differ only in bits that padding discards
        SIGNATURE[:-1],  # padding dropped
        SIGNATURE.replace("+", "-").replace("/", "_"),  # base64url alphabet
    ],
)
def test_only_the_canonical_base64_spelling_of_a_signature_counts(spelling: str) -> None:
    # The same bytes spelled differently are a different header: one changed character must
    # never still verify. The javascript and rust libraries compare the base64 text too.
    assert rejection(spelling) == "no_matching_signature"


def test_valid_signature_among_others_is_accepted() -> None:
    # python and go `multi sig`: unknown versions and non-matching entries are skipped.
    others = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
    header = f"{others} v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= {SIGNATURE} {others}"
    verify(PAYLOAD, vector_headers(header), secrets=[SECRET], now=AT_SIGNING)


def test_only_non_matching_signatures_are_rejected() -> None:
    # rust `test_no_verify_with_multiple_signatures`.
    header = " ".join(
        [
            "v1,tFtCZ5RDCPxzWQRWXWPgrCgE2frDBe9gjpbWQxnVfsQ=",
            "v1,Mm7xgUVICxZfQ3bgf0h0Dof65L/IFx+PnZvnDWPCX6Q=",
            "v1,9DfC1c3eeOrXB6w/5dIDydLNQaEyww5KalE5jLBZucE=",
        ]
    )
    assert rejection(header) == "no_matching_signature"


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_each_missing_header_is_reported(missing: str) -> None:
    received = vector_headers()
    del received[missing]
    with pytest.raises(WebhookVerificationError) as raised:
        verify(PAYLOAD, received, secrets=[SECRET], now=AT_SIGNING)
    assert raised.value.reason == "missing_header"


@pytest.mark.parametrize(
    "timestamp",
    ["hello", "1614265330.0", "-1614265330", " 1614265330", "1.6e9", "١٦١٤٢٦٥٣٣٠", ""],
)
def test_non_integer_timestamp_is_invalid(timestamp: str) -> None:
    received = vector_headers() | {"webhook-timestamp": timestamp}
    with pytest.raises(WebhookVerificationError) as raised:
        verify(PAYLOAD, received, secrets=[SECRET], now=AT_SIGNING)
    assert raised.value.reason == ("missing_header" if not timestamp else "invalid_timestamp")


@pytest.mark.parametrize(
    ("offset", "reason"),
    [
        (timedelta(minutes=5, seconds=1), "timestamp_too_old"),
        (-timedelta(minutes=5, seconds=1), "timestamp_too_new"),
    ],
)
def test_reference_timestamp_outside_five_minutes_is_rejected(
    offset: timedelta, reason: str
) -> None:
    assert rejection(SIGNATURE, now=AT_SIGNING + offset) == reason


def test_spec_v1a_example_is_the_svix_key_signing_the_reference_content() -> None:
    assert public_key_of(SVIX_SIGNING_KEY) == SVIX_PUBLIC_KEY
    assert (
        sign(PAYLOAD, msg_id=MSG_ID, timestamp=TIMESTAMP, signing_keys=[SVIX_SIGNING_KEY])
        == SPEC_V1A
    )
    verify(PAYLOAD, vector_headers(SPEC_V1A), public_keys=[SVIX_PUBLIC_KEY], now=AT_SIGNING)


def test_spec_example_header_with_both_schemes_verifies_with_either_credential() -> None:
    header = f"{SIGNATURE} {SPEC_V1A}"
    verify(PAYLOAD, vector_headers(header), secrets=[SECRET], now=AT_SIGNING)
    verify(PAYLOAD, vector_headers(header), public_keys=[SVIX_PUBLIC_KEY], now=AT_SIGNING)


@pytest.mark.parametrize(
    "bad_key",
    [
        SVIX_PUBLIC_KEY,  # svix: a public key is not a signing key
        SVIX_SIGNING_KEY[:-3],  # svix: "Bad SK", truncated
        SVIX_SIGNING_KEY.replace("X0dRqSKJp4", "aaaaaaaaaa"),  # svix: public half spliced
        SVIX_SIGNING_KEY.removeprefix("whsk_"),  # the prefix says which scheme a key is for
    ],
)
def test_malformed_svix_signing_keys_are_refused(bad_key: str) -> None:
    with pytest.raises(WebhookVerificationError) as raised:
        sign(PAYLOAD, msg_id=MSG_ID, timestamp=TIMESTAMP, signing_keys=[bad_key])
    assert raised.value.reason == "invalid_key"


@pytest.mark.parametrize(
    "bad_secret",
    [
        "",
        "whsec_",
        "whsec_%",
        "w",
        "hwsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
        "whsec_MfKQ9r8GKYqrTwjU!!!!PD8ILPZIo2LaLaSw",  # not silently dropped: a typo is an error
    ],
)
def test_empty_or_malformed_secrets_are_refused(bad_secret: str) -> None:
    # python `test_empty_secret_raises_error`, svix `test_endpoint_secret_deserialization`.
    with pytest.raises(WebhookVerificationError) as raised:
        verify(PAYLOAD, vector_headers(), secrets=[bad_secret], now=AT_SIGNING)
    assert raised.value.reason == "invalid_secret"
