"""The hub's Ed25519 webhook signing key (``v1a`` signatures) and its public JWKS."""

from __future__ import annotations

from typing import Any

from evenly_webhooks import generate_signing_key, jwk, load_signing_key, public_key_of

from hub.keyfiles import load_or_create
from hub.settings import Settings


class WebhookSigningKey:
    """Signs every delivery next to the endpoint's HMAC secrets; published for receivers."""

    def __init__(self, signing_key: str) -> None:
        self.signing_key = signing_key
        #: Parsed once: deliveries sign with the key object, not its text.
        self.private_key = load_signing_key(signing_key)
        self.public_key = public_key_of(signing_key)
        # A short, stable, URL-safe key id: receivers pick the key by it during rotations.
        self.kid = "whk_" + jwk(self.public_key, "")["x"][:16]

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookSigningKey:
        if settings.webhook_signing_key:
            return cls(settings.webhook_signing_key)
        raw = load_or_create(
            settings.data_dir / "webhook-signing-key", lambda: generate_signing_key().encode()
        )
        return cls(raw.decode().strip())

    def jwks(self) -> dict[str, Any]:
        """``GET /.well-known/webhook-keys``: the public keys that verify ``v1a`` signatures."""
        return {"keys": [{**jwk(self.public_key, self.kid), "whpk": self.public_key}]}
