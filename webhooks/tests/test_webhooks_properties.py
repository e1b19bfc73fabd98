"""Properties of sign and verify over arbitrary payloads, ids, timestamps and secrets."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from evenly_webhooks import (
    WebhookVerificationError,
    generate_secret,
    generate_signing_key,
    headers,
    public_key_of,
    sign,
    verify,
)
from hypothesis import given, settings
from hypothesis import strategies as st

# Local settings, not a profile, so the hub's own hypothesis tests are unaffected.
fast = settings(max_examples=60, deadline=None, database=None)

payloads = st.binary(max_size=512)
msg_ids = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="."),
    min_size=1,
    max_size=40,
)
timestamps = st.integers(min_value=0, max_value=2**34)
raw_secrets = st.binary(min_size=1, max_size=64).map(lambda raw: base64.b64encode(raw).decode())
secret_strings = st.one_of(raw_secrets, raw_secrets.map("whsec_".__add__))
# A few fixed keys suffice: the properties are about the messages, not the keys.
SIGNING_KEYS = [generate_signing_key() for _ in range(3)]
PUBLIC_KEYS = [public_key_of(key) for key in SIGNING_KEYS]
FIVE_MINUTES = 300


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def reason_for(
    payload: bytes | str,
    received: dict[str, str],
    *,
    secrets: list[str] | None = None,
    public_keys: list[str] | None = None,
    now: int = 1_700_000_000,
) -> str | None:
    """Verify at ``now``; return the rejection reason, or None when the delivery is accepted."""
    try:
        verify(payload, received, secrets=secrets or [], public_keys=public_keys or [], now=at(now))
    except WebhookVerificationError as error:
        return error.reason
    return None


def same_hmac_key(a: str, b: str) -> bool:
    # HMAC zero-pads keys up to its 64-byte block, so b"k" and b"k\0" are the same key.
    return base64.b64decode(a.removeprefix("whsec_")).rstrip(b"\0") == base64.b64decode(
        b.removeprefix("whsec_")
    ).rstrip(b"\0")


def tamper(text: str, index: int, replacement: str) -> str:
    return text[:index] + replacement + text[index + 1 :]


@fast
@given(payload=payloads, msg_id=msg_ids, timestamp=timestamps, secret=secret_strings)
def test_signed_delivery_verifies(payload: bytes, msg_id: str, timestamp: int, secret: str) -> None:
    sent = headers(payload, msg_id=msg_id, timestamp=timestamp, secrets=[secret])
    verify(payload, sent, secrets=[secret], now=at(timestamp))


@fast
@given(payload=payloads, msg_id=msg_ids, timestamp=timestamps, key=st.sampled_from(range(3)))
def test_ed25519_signed_delivery_verifies(
    payload: bytes, msg_id: str, timestamp: int, key: int
) -> None:
    sent = headers(payload, msg_id=msg_id, timestamp=timestamp, signing_keys=[SIGNING_KEYS[key]])
    verify(payload, sent, public_keys=[PUBLIC_KEYS[key]], now=at(timestamp))


@fast
@given(payload=payloads.filter(bool), msg_id=msg_ids, secret=secret_strings, data=st.data())
def test_any_changed_payload_byte_is_rejected(
    payload: bytes, msg_id: str, secret: str, data: st.DataObject
) -> None:
    sent = headers(payload, msg_id=msg_id, timestamp=1_700_000_000, secrets=[secret])
    index = data.draw(st.integers(0, len(payload) - 1))
    flip = data.draw(st.integers(1, 255))
    changed = payload[:index] + bytes([payload[index] ^ flip]) + payload[index + 1 :]
    assert reason_for(changed, sent, secrets=[secret]) == "no_matching_signature"


@fast
@given(payload=payloads, msg_id=msg_ids, secret=secret_strings, data=st.data())
def test_any_changed_id_byte_is_rejected(
    payload: bytes, msg_id: str, secret: str, data: st.DataObject
) -> None:
    sent = headers(payload, msg_id=msg_id, timestamp=1_700_000_000, secrets=[secret])
    index = data.draw(st.integers(0, len(msg_id) - 1))
    byte = data.draw(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E).filter(lambda c: c != msg_id[index])
    )
    changed = sent | {"webhook-id": tamper(msg_id, index, byte)}
    assert reason_for(payload, changed, secrets=[secret]) == "no_matching_signature"


@fast
@given(payload=payloads, timestamp=timestamps, secret=secret_strings, data=st.data())
def test_any_changed_timestamp_byte_is_rejected_for_the_right_reason(
    payload: bytes, timestamp: int, secret: str, data: st.DataObject
) -> None:
    sent = headers(payload, msg_id="evt_1", timestamp=timestamp, secrets=[secret])
    text = sent["webhook-timestamp"]
    index = data.draw(st.integers(0, len(text) - 1))
    byte = data.draw(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E).filter(lambda c: c != text[index])
    )
    changed = tamper(text, index, byte)
    if not changed.isdigit():
        expected = "invalid_timestamp"
    elif int(changed) < timestamp - FIVE_MINUTES:
        expected = "timestamp_too_old"
    elif int(changed) > timestamp + FIVE_MINUTES:
        expected = "timestamp_too_new"
    else:
        expected = "no_matching_signature"
    with pytest.raises(WebhookVerificationError) as raised:
        verify(payload, sent | {"webhook-timestamp": changed}, secrets=[secret], now=at(timestamp))
    assert raised.value.reason == expected


@fast
@given(
    payload=payloads,
    msg_id=msg_ids,
    secret=secret_strings,
    asymmetric=st.booleans(),
    data=st.data(),
)
def test_any_changed_signature_byte_is_rejected(
    payload: bytes, msg_id: str, secret: str, asymmetric: bool, data: st.DataObject
) -> None:
    sent = headers(
        payload,
        msg_id=msg_id,
        timestamp=1_700_000_000,
        secrets=[] if asymmetric else [secret],
        signing_keys=SIGNING_KEYS[:1] if asymmetric else [],
    )
    text = sent["webhook-signature"]
    index = data.draw(st.integers(0, len(text) - 1))
    byte = data.draw(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E).filter(lambda c: c != text[index])
    )
    changed = sent | {"webhook-signature": tamper(text, index, byte)}
    if asymmetric:
        assert reason_for(payload, changed, public_keys=PUBLIC_KEYS[:1]) == "no_matching_signature"
    else:
        assert reason_for(payload, changed, secrets=[secret]) == "no_matching_signature"


@fast
@given(
    payload=payloads,
    msg_id=msg_ids,
    timestamp=timestamps,
    old=secret_strings,
    new=secret_strings,
    other=secret_strings,
)
def test_rotation_verifies_with_either_secret_and_not_with_a_stranger(
    payload: bytes, msg_id: str, timestamp: int, old: str, new: str, other: str
) -> None:
    signature = sign(payload, msg_id=msg_id, timestamp=timestamp, secrets=[old, new])
    assert len(signature.split(" ")) == 2
    sent = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }
    assert reason_for(payload, sent, secrets=[new], now=timestamp) is None
    assert reason_for(payload, sent, secrets=[old], now=timestamp) is None
    # A receiver that already holds both keeps working when the sender drops the old one.
    new_only = sent | {
        "webhook-signature": sign(payload, msg_id=msg_id, timestamp=timestamp, secrets=[new])
    }
    assert reason_for(payload, new_only, secrets=[old, new], now=timestamp) is None
    if not same_hmac_key(other, old) and not same_hmac_key(other, new):
        assert reason_for(payload, sent, secrets=[other], now=timestamp) == "no_matching_signature"


def test_rotation_of_ed25519_keys_and_mixed_schemes() -> None:
    payload = b'{"type":"payment.received"}'
    secret = generate_secret()
    sent = headers(
        payload,
        msg_id="evt_2",
        timestamp=1_700_000_000,
        secrets=[secret],
        signing_keys=SIGNING_KEYS[:2],
    )
    versions = [entry.split(",")[0] for entry in sent["webhook-signature"].split(" ")]
    assert versions == ["v1", "v1a", "v1a"]
    assert reason_for(payload, sent, secrets=[secret]) is None
    assert reason_for(payload, sent, public_keys=PUBLIC_KEYS[:1]) is None
    assert reason_for(payload, sent, public_keys=PUBLIC_KEYS[1:2]) is None
    assert reason_for(payload, sent, public_keys=PUBLIC_KEYS[2:]) == "no_matching_signature"
    assert reason_for(payload, sent, secrets=[generate_secret()]) == "no_matching_signature"


@fast
@given(
    timestamp=timestamps,
    tolerance=st.integers(min_value=0, max_value=86_400).map(lambda s: timedelta(seconds=s)),
)
def test_tolerance_edges_are_inclusive_and_one_second_beyond_is_rejected(
    timestamp: int, tolerance: timedelta
) -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    sent = headers(b"{}", msg_id="evt_3", timestamp=timestamp, secrets=[secret])
    sent_at = at(timestamp)
    for now in (sent_at - tolerance, sent_at + tolerance):
        verify(b"{}", sent, secrets=[secret], tolerance=tolerance, now=now)
    for now, reason in (
        (sent_at + tolerance + timedelta(seconds=1), "timestamp_too_old"),
        (sent_at - tolerance - timedelta(seconds=1), "timestamp_too_new"),
    ):
        with pytest.raises(WebhookVerificationError) as raised:
            verify(b"{}", sent, secrets=[secret], tolerance=tolerance, now=now)
        assert raised.value.reason == reason


def test_default_tolerance_is_five_minutes_against_the_clock() -> None:
    secret = generate_secret()
    now = int(datetime.now(UTC).timestamp())
    verify(
        b"{}",
        headers(b"{}", msg_id="evt_4", timestamp=now - 240, secrets=[secret]),
        secrets=[secret],
    )
    for timestamp, reason in ((now - 400, "timestamp_too_old"), (now + 400, "timestamp_too_new")):
        with pytest.raises(WebhookVerificationError) as raised:
            verify(
                b"{}",
                headers(b"{}", msg_id="evt_4", timestamp=timestamp, secrets=[secret]),
                secrets=[secret],
            )
        assert raised.value.reason == reason


@fast
@given(payload=st.text(max_size=200), secret=secret_strings)
def test_header_names_are_case_insensitive_and_str_payloads_are_utf8(
    payload: str, secret: str
) -> None:
    sent = headers(payload.encode(), msg_id="evt_5", timestamp=1_700_000_000, secrets=[secret])
    shouting = {name.upper(): value for name, value in sent.items()}
    verify(payload, shouting, secrets=[secret], now=at(1_700_000_000))


def test_generated_secrets_are_fresh_prefixed_and_sized() -> None:
    produced = {generate_secret() for _ in range(20)}
    assert len(produced) == 20
    assert all(s.startswith("whsec_") and len(base64.b64decode(s[6:])) == 32 for s in produced)
    assert len(base64.b64decode(generate_secret(24)[6:])) == 24
    assert len(base64.b64decode(generate_secret(64)[6:])) == 64
    for size in (23, 65):
        with pytest.raises(ValueError):
            generate_secret(size)


@pytest.mark.parametrize(
    ("msg_id", "timestamp"),
    [("", 1), ("evt.1", 1), ("evt 1", 1), ("evt\n1", 1), ("évt", 1), ("evt_1", -1)],
)
def test_sign_refuses_ids_and_timestamps_a_receiver_could_misread(
    msg_id: str, timestamp: int
) -> None:
    with pytest.raises(ValueError):
        sign(b"{}", msg_id=msg_id, timestamp=timestamp, secrets=[generate_secret()])


def test_a_bare_string_is_not_mistaken_for_a_list_of_secrets() -> None:
    secret = generate_secret()
    with pytest.raises(TypeError):
        sign(b"{}", msg_id="evt_6", timestamp=1, secrets=secret)
    with pytest.raises(TypeError):
        verify(b"{}", headers(b"{}", msg_id="evt_6", timestamp=1, secrets=[secret]), secrets=secret)


def test_nothing_to_sign_or_verify_with_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        sign(b"{}", msg_id="evt_7", timestamp=1)
    with pytest.raises(ValueError):
        verify(b"{}", {"webhook-id": "evt_7", "webhook-timestamp": "1", "webhook-signature": "v1,"})


def test_a_naive_now_is_refused_rather_than_read_as_local_time() -> None:
    secret = generate_secret()
    sent = headers(b"{}", msg_id="evt_8", timestamp=1_700_000_000, secrets=[secret])
    with pytest.raises(ValueError):
        verify(b"{}", sent, secrets=[secret], now=datetime(2023, 11, 14, 22, 13, 20))
