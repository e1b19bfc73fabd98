"""Standard Webhooks 1.0 for Evenly: sign deliveries (hub) and verify them (receivers).

>>> from evenly_webhooks import generate_secret, headers, verify
>>> secret = generate_secret()
>>> body = b'{"type":"account.placed","timestamp":"2025-01-01T00:00:00Z","data":{}}'
>>> sent = headers(body, msg_id="evt_1", timestamp=1735689600, secrets=[secret])
>>> from datetime import UTC, datetime
>>> verify(body, sent, secrets=[secret], now=datetime.fromtimestamp(1735689600, UTC))
"""

from evenly_webhooks._signing import (
    DEFAULT_TOLERANCE,
    WebhookVerificationError,
    generate_secret,
    generate_signing_key,
    headers,
    jwk,
    load_signing_key,
    public_key_of,
    sign,
    verify,
)

__all__ = [
    "DEFAULT_TOLERANCE",
    "WebhookVerificationError",
    "generate_secret",
    "generate_signing_key",
    "headers",
    "jwk",
    "load_signing_key",
    "public_key_of",
    "sign",
    "verify",
]
