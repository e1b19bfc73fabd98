"""Encryption at rest of customer PII (name, email, phone) with AES-256-GCM.

Each value is bound to its record and column through the associated data (customers use
their creditor and reference, see ``hub.store.customers.customer_key``), so a
ciphertext copied into another customer's row or another column fails to decrypt.
Layout: version byte (1) | 12-byte nonce | ciphertext with tag.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

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
        """The key of ``EVENLY_ENCRYPTION_KEY``, else of the file ``EVENLY_ENCRYPTION_KEY_FILE``
        (which must exist: a new key would leave the stored PII unreadable), else one
        generated into the data directory on first start."""
        if settings.encryption_key:
            return cls(_decoded(settings.encryption_key, "EVENLY_ENCRYPTION_KEY"))
        if settings.encryption_key_file:
            path = Path(settings.encryption_key_file)
            source = f"EVENLY_ENCRYPTION_KEY_FILE={path}"
            try:
                raw = path.read_bytes()
            except OSError as error:
                raise ValueError(f"{source}: cannot read the key ({error.strerror})") from error
            return cls(_decoded(raw, source))
        path = settings.data_dir / "encryption.key"
        raw = load_or_create(path, lambda: base64.b64encode(os.urandom(32)))
        return cls(_decoded(raw, str(path)))

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


def _decoded(value: str | bytes, source: str) -> bytes:
    """A configured key: base64 of 32 bytes (surrounding whitespace, e.g. a newline, is fine)."""
    try:
        key = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"{source}: the PII encryption key is not base64") from error
    if len(key) != 32:
        raise ValueError(
            f"{source}: the PII encryption key must be 32 bytes, base64-encoded ({len(key)} given)"
        )
    return key
