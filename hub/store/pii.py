"""Encryption at rest of customer PII (name, email, phone) with AES-256-GCM.

Each value is bound to its record and column through the associated data (customers use
their creditor and reference, see ``hub.services.customers.customer_key``), so a
ciphertext copied into another customer's row or another column fails to decrypt.
Layout: version byte (1) | 12-byte nonce | ciphertext with tag.
"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hub.keyfiles import load_or_create
from hub.settings import Settings

_VERSION = b"\x01"


class FieldCipher:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the PII encryption key must be 32 bytes (base64 in the config)")
        self._key = key
        self._aead = AESGCM(key)

    def derive_key(self, purpose: bytes) -> bytes:
        """A 32-byte key for another use (HKDF-SHA256 with ``purpose`` as its info): as
        secret as the PII key, without being it."""
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(self._key)

    @classmethod
    def from_settings(cls, settings: Settings) -> FieldCipher:
        if settings.encryption_key:
            return cls(base64.b64decode(settings.encryption_key))
        raw = load_or_create(
            settings.data_dir / "encryption.key", lambda: base64.b64encode(os.urandom(32))
        )
        return cls(base64.b64decode(raw))

    def encrypt(self, value: str, record: str, column: str) -> bytes:
        nonce = os.urandom(12)
        aad = f"{record}:{column}".encode()
        return _VERSION + nonce + self._aead.encrypt(nonce, value.encode(), aad)

    def encrypt_optional(self, value: str | None, record: str, column: str) -> bytes | None:
        return None if value is None else self.encrypt(value, record, column)

    def decrypt(self, blob: bytes | None, record: str, column: str) -> str | None:
        if blob is None:
            return None
        blob = bytes(blob)
        if blob[:1] != _VERSION:
            raise ValueError("unknown PII ciphertext version")
        aad = f"{record}:{column}".encode()
        return self._aead.decrypt(blob[1:13], blob[13:], aad).decode()
