"""Interoperability with the official `standardwebhooks` package (PyPI, reference Python library).

The reference library signs and verifies `v1` only, reads the body as UTF-8 text and checks the
timestamp against the real clock, so these tests use text payloads and the current time.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from evenly_webhooks import (
    WebhookVerificationError,
    generate_secret,
    generate_signing_key,
    headers,
    verify,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from standardwebhooks import Webhook
from standardwebhooks import WebhookVerificationError as ReferenceVerificationError

fast = settings(max_examples=40, deadline=None, database=None)
msg_ids = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=".,"),
    min_size=1,
    max_size=40,
)
texts = st.text(max_size=300)


def now_seconds() -> int:
    return int(datetime.now(UTC).timestamp())


@fast
@given(payload=texts, msg_id=msg_ids)
def test_reference_library_accepts_what_we_sign(payload: str, msg_id: str) -> None:
    secret = generate_secret()
    sent = headers(payload.encode(), msg_id=msg_id, timestamp=now_seconds(), secrets=[secret])
    assert Webhook(secret).verify(payload.encode(), sent, json_parse=False) is None


def test_reference_library_accepts_our_rotation_and_ed25519_entries() -> None:
    # Our header may carry an old secret, a new one and v1a entries; the reference library must
    # skip what it does not know and find its own secret among them.
    old, new = generate_secret(), generate_secret()
    payload = b'{"type":"account.placed","timestamp":"2025-01-01T00:00:00Z","data":{"id":"acc_1"}}'
    sent = headers(
        payload,
        msg_id="evt_1",
        timestamp=now_seconds(),
        secrets=[old, new],
        signing_keys=[generate_signing_key()],
    )
    assert Webhook(new).verify(payload, sent)["data"] == {"id": "acc_1"}
    assert Webhook(old).verify(payload, sent)["type"] == "account.placed"
    with pytest.raises(ReferenceVerificationError):
        Webhook(generate_secret()).verify(payload, sent)


def test_reference_library_rejects_our_signature_over_a_changed_body() -> None:
    secret = generate_secret()
    sent = headers(b'{"amount":100}', msg_id="evt_2", timestamp=now_seconds(), secrets=[secret])
    with pytest.raises(ReferenceVerificationError):
        Webhook(secret).verify(b'{"amount":1000}', sent)


@fast
@given(payload=texts, msg_id=msg_ids)
def test_we_accept_what_the_reference_library_signs(payload: str, msg_id: str) -> None:
    secret = generate_secret()
    now = datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id=msg_id, timestamp=now, data=payload)
    received = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    verify(payload.encode(), received, secrets=[secret])
    verify(payload, received, secrets=[secret])
    with pytest.raises(WebhookVerificationError) as raised:
        verify(payload.encode() + b" ", received, secrets=[secret])
    assert raised.value.reason == "no_matching_signature"


def test_both_libraries_read_unprefixed_secrets_the_same_way() -> None:
    secret = generate_secret().removeprefix("whsec_")
    now = datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id="evt_3", timestamp=now, data="{}")
    received = {
        "webhook-id": "evt_3",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    verify(b"{}", received, secrets=["whsec_" + secret])
    verify(b"{}", received, secrets=[secret])
