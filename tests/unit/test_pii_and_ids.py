"""Encryption of customer PII at rest, and time-ordered identifiers."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import time
from pathlib import Path

import orjson
import pytest
from cryptography.exceptions import InvalidTag

from hub.domain.ids import new_id, ulid
from hub.services.idempotency import RequestHasher
from hub.settings import Settings
from hub.store.pii import FieldCipher

# --- PII encryption ------------------------------------------------------------------------

ROW = "cus_01HZX0000000000000000000"
EMAIL = "ada.lovelace@example.com"


@pytest.fixture
def cipher() -> FieldCipher:
    return FieldCipher(os.urandom(32))


@pytest.mark.parametrize("value", [EMAIL, "Åsa Öberg", "+46701234567", "", "名前"])
def test_encrypted_value_decrypts_to_itself(cipher: FieldCipher, value: str) -> None:
    blob = cipher.encrypt(value, ROW, "email")
    assert cipher.decrypt(blob, ROW, "email") == value


def test_ciphertext_does_not_contain_the_plaintext(cipher: FieldCipher) -> None:
    blob = cipher.encrypt(EMAIL, ROW, "email")
    assert EMAIL.encode() not in blob
    assert b"lovelace" not in blob


def test_ciphertext_moved_to_another_row_fails_to_decrypt(cipher: FieldCipher) -> None:
    blob = cipher.encrypt(EMAIL, ROW, "email")
    with pytest.raises(InvalidTag):
        cipher.decrypt(blob, "cus_01HZX0000000000000000001", "email")


def test_ciphertext_moved_to_another_column_fails_to_decrypt(cipher: FieldCipher) -> None:
    blob = cipher.encrypt(EMAIL, ROW, "email")
    with pytest.raises(InvalidTag):
        cipher.decrypt(blob, ROW, "name")


def test_ciphertext_under_another_key_fails_to_decrypt(cipher: FieldCipher) -> None:
    blob = cipher.encrypt(EMAIL, ROW, "email")
    with pytest.raises(InvalidTag):
        FieldCipher(os.urandom(32)).decrypt(blob, ROW, "email")


def test_tampered_ciphertext_fails_to_decrypt(cipher: FieldCipher) -> None:
    blob = bytearray(cipher.encrypt(EMAIL, ROW, "email"))
    blob[-1] ^= 0x01
    with pytest.raises(InvalidTag):
        cipher.decrypt(bytes(blob), ROW, "email")


def test_two_encryptions_of_the_same_value_differ(cipher: FieldCipher) -> None:
    assert cipher.encrypt(EMAIL, ROW, "email") != cipher.encrypt(EMAIL, ROW, "email")


def test_missing_value_stays_missing(cipher: FieldCipher) -> None:
    assert cipher.encrypt_optional(None, ROW, "phone") is None
    assert cipher.decrypt(None, ROW, "phone") is None


@pytest.mark.parametrize("size", [0, 16, 31, 33, 64])
def test_key_must_be_32_bytes(size: int) -> None:
    with pytest.raises(ValueError):
        FieldCipher(os.urandom(size))


# --- identifiers ---------------------------------------------------------------------------

ULID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")  # Crockford base32, no I, L, O or U


def test_new_id_has_the_prefix_and_a_ulid() -> None:
    identifier = new_id("acc")
    prefix, _, ulid = identifier.partition("_")
    assert prefix == "acc"
    assert ULID.fullmatch(ulid), identifier


def test_a_ulid_decodes_to_its_millisecond_and_128_bits() -> None:
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    before = time.time_ns() // 1_000_000
    value = 0
    for char in ulid():
        value = value * 32 + alphabet.index(char)
    after = time.time_ns() // 1_000_000
    assert value < 2**128
    assert before <= value >> 80 <= after


def test_ids_sort_in_creation_order() -> None:
    ids = [new_id("acc") for _ in range(10_000)]
    assert ids == sorted(ids)


def test_ids_are_unique() -> None:
    ids = [new_id("evt") for _ in range(10_000)]
    assert len(set(ids)) == len(ids)


def test_ids_with_different_prefixes_still_order_by_their_ulid() -> None:
    first, second = new_id("acc"), new_id("cus")
    assert first.split("_")[1] < second.split("_")[1]


# --- request hashes for idempotency ----------------------------------------------------------

REQUEST = {"reference": "INV-1", "customer": {"name": "Ada", "phone": "+46701234567"}}


def test_keys_derived_for_two_purposes_differ_from_each_other_and_the_pii_key() -> None:
    key = os.urandom(32)
    cipher = FieldCipher(key)
    first, second = cipher.derive_key(b"one"), cipher.derive_key(b"two")
    assert len(first) == 32 and first not in (second, key)
    assert FieldCipher(key).derive_key(b"one") == first  # every node derives the same


def test_a_request_hash_depends_on_the_server_key() -> None:
    mine = RequestHasher.from_cipher(FieldCipher(os.urandom(32)))
    theirs = RequestHasher.from_cipher(FieldCipher(os.urandom(32)))
    assert mine("placeAccount", REQUEST) != theirs("placeAccount", REQUEST)
    assert mine("placeAccount", REQUEST) == mine("placeAccount", dict(REQUEST))
    assert mine("placeAccount", REQUEST) != mine("adjustBalance", REQUEST)
    assert re.fullmatch(r"k1:[0-9a-f]{61}", mine("placeAccount", REQUEST))


def test_an_unkeyed_hash_of_an_earlier_version_matches_its_request_once_keyed() -> None:
    hasher = RequestHasher.from_cipher(FieldCipher(os.urandom(32)))
    body = orjson.dumps(["placeAccount", REQUEST], option=orjson.OPT_SORT_KEYS, default=str)
    legacy = hashlib.sha256(body).hexdigest()
    keyed = hasher("placeAccount", REQUEST)
    assert hasher.keyed(legacy) == keyed and hasher.keyed(keyed) == keyed
    assert hasher.matches(legacy, keyed) and hasher.matches(keyed, keyed)
    assert not hasher.matches(legacy, hasher("placeAccount", {**REQUEST, "reference": "INV-2"}))
    assert not hasher.matches("not a hash", keyed)


# --- where the PII key comes from -------------------------------------------------------------


def _key_file(path: Path, key: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64encode(key) + b"\n")
    return path


def test_the_key_can_come_from_a_file_outside_the_data_directory(tmp_path: Path) -> None:
    key = os.urandom(32)
    key_file = _key_file(tmp_path / "secrets" / "pii.key", key)
    settings = Settings.from_env(
        {"EVENLY_DATA_DIR": str(tmp_path / "data"), "EVENLY_ENCRYPTION_KEY_FILE": str(key_file)}
    )
    assert settings.encryption_key_file == str(key_file)
    blob = FieldCipher(key).encrypt(EMAIL, ROW, "email")
    assert FieldCipher.from_settings(settings).decrypt(blob, ROW, "email") == EMAIL
    assert not (tmp_path / "data" / "encryption.key").exists()


def test_a_key_in_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    key = os.urandom(32)
    settings = Settings(
        data_dir=tmp_path,
        encryption_key=base64.b64encode(key).decode(),
        encryption_key_file=str(_key_file(tmp_path / "other.key", os.urandom(32))),
    )
    blob = FieldCipher(key).encrypt(EMAIL, ROW, "email")
    assert FieldCipher.from_settings(settings).decrypt(blob, ROW, "email") == EMAIL


def test_without_a_configured_key_one_is_generated_into_the_data_directory(
    tmp_path: Path,
) -> None:
    first = FieldCipher.from_settings(Settings(data_dir=tmp_path))
    generated = tmp_path / "encryption.key"
    assert generated.stat().st_mode & 0o777 == 0o600
    blob = first.encrypt(EMAIL, ROW, "email")
    assert FieldCipher.from_settings(Settings(data_dir=tmp_path)).decrypt(blob, ROW, "email")


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "cannot read the key (No such file or directory)"),
        (b"not base64!\n", "is not base64"),
        (base64.b64encode(os.urandom(16)), "must be 32 bytes, base64-encoded (16 given)"),
    ],
    ids=["missing", "not-base64", "16-bytes"],
)
def test_a_key_file_that_cannot_be_used_is_refused_and_no_key_is_generated(
    tmp_path: Path, content: bytes | None, says: str
) -> None:
    key_file = tmp_path / "keys" / "pii.key"
    if content is not None:
        key_file.parent.mkdir()
        key_file.write_bytes(content)
    settings = Settings(data_dir=tmp_path / "data", encryption_key_file=str(key_file))
    with pytest.raises(
        ValueError, match=re.escape(f"EVENLY_ENCRYPTION_KEY_FILE={key_file}: ")
    ) as e:
        FieldCipher.from_settings(settings)
    assert says in str(e.value)
    assert not (tmp_path / "data").exists()
