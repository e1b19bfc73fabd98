"""Rate limiting, client secret hashing and access tokens."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OKPKey

from hub.api.oauth import source_key
from hub.auth.ratelimit import RateLimiter
from hub.auth.scopes import InvalidScope, OrganizationKind, parse_scopes
from hub.auth.secrets import SecretChecker, hash_secret, new_secret, verify_secret
from hub.auth.tokens import TOKEN_LEEWAY_SECONDS, InvalidToken, Principal, TokenIssuer

# --- rate limiting -------------------------------------------------------------------------

RATE = 4.0  # tokens per second; a power of two keeps the clock arithmetic exact
BURST = 3


def test_burst_is_allowed_then_the_next_request_is_refused_with_a_positive_wait() -> None:
    limiter = RateLimiter(rate=RATE, burst=BURST)

    assert [limiter.take("cli_a", now=100.0) for _ in range(BURST)] == [0.0] * BURST
    wait = limiter.take("cli_a", now=100.0)

    assert wait > 0
    assert wait == pytest.approx(1 / RATE)  # one token refills in 1/rate seconds


def test_tokens_refill_over_time() -> None:
    limiter = RateLimiter(rate=RATE, burst=BURST)
    for _ in range(BURST):
        limiter.take("cli_a", now=100.0)
    wait = limiter.take("cli_a", now=100.0)

    assert limiter.take("cli_a", now=100.0 + wait / 2) > 0, "half the wait is not enough"
    assert limiter.take("cli_a", now=100.0 + wait) == 0.0


def test_refill_never_exceeds_the_burst() -> None:
    limiter = RateLimiter(rate=RATE, burst=BURST)
    limiter.take("cli_a", now=0.0)

    later = 10_000.0
    assert [limiter.take("cli_a", now=later) for _ in range(BURST)] == [0.0] * BURST
    assert limiter.take("cli_a", now=later) > 0


def test_waiting_time_shrinks_as_time_passes() -> None:
    limiter = RateLimiter(rate=RATE, burst=1)
    limiter.take("cli_a", now=0.0)

    first = limiter.take("cli_a", now=0.0)
    second = limiter.take("cli_a", now=0.125)

    assert 0 < second < first


def test_each_client_has_its_own_bucket() -> None:
    limiter = RateLimiter(rate=RATE, burst=1)

    assert limiter.take("cli_a", now=0.0) == 0.0
    assert limiter.take("cli_a", now=0.0) > 0
    assert limiter.take("cli_b", now=0.0) == 0.0


# --- client secrets ------------------------------------------------------------------------


@cache
def stored_hash() -> str:
    return hash_secret("sk_right-secret")


def test_right_secret_verifies() -> None:
    assert verify_secret("sk_right-secret", stored_hash())


@pytest.mark.parametrize("attempt", ["sk_wrong-secret", "", "sk_right-secreT", "sk_right-secret "])
def test_wrong_secret_does_not_verify(attempt: str) -> None:
    assert not verify_secret(attempt, stored_hash())


def test_two_hashes_of_the_same_secret_differ() -> None:
    assert hash_secret("sk_same") != hash_secret("sk_same")


def test_stored_hash_does_not_contain_the_secret() -> None:
    secret = new_secret()
    assert secret not in hash_secret(secret)


def _corrupt_digest(stored: str) -> str:
    *head, digest = stored.split("$")
    flipped = bytearray(base64.urlsafe_b64decode(digest))
    flipped[0] ^= 0xFF
    return "$".join([*head, base64.urlsafe_b64encode(bytes(flipped)).decode()])


@pytest.mark.parametrize(
    "make_stored",
    [
        pytest.param(lambda: "", id="empty"),
        pytest.param(lambda: "not-a-hash", id="no-fields"),
        pytest.param(lambda: "scrypt$16384$8$1", id="too-few-fields"),
        pytest.param(lambda: stored_hash().replace("scrypt", "bcrypt", 1), id="other-algorithm"),
        pytest.param(lambda: _corrupt_digest(stored_hash()), id="corrupt-digest"),
        pytest.param(
            lambda: "scrypt$lots$8$1$c2FsdA==$ZGlnZXN0",
            id="non-numeric-cost",
        ),
        pytest.param(
            lambda: "scrypt$1000$8$1$c2FsdA==$ZGlnZXN0",
            id="cost-not-a-power-of-two",
        ),
        pytest.param(
            lambda: stored_hash()[:-3],
            id="truncated",
        ),
    ],
)
def test_malformed_stored_hash_verifies_nothing(make_stored: Callable[[], str]) -> None:
    assert verify_secret("sk_right-secret", make_stored()) is False


# --- access tokens -------------------------------------------------------------------------

ISSUER = "evenly-hub"
PRINCIPAL = Principal(
    client_id="cli_01HZX",
    organization_id="org_01HZX",
    kind=OrganizationKind.AGENCY,
    scopes=frozenset({"accounts:read", "events:read", "agency:write"}),
)


@cache
def signing_key() -> OKPKey:
    return OKPKey.generate_key("Ed25519")


def issuer(key: OKPKey | None = None, *, name: str = ISSUER, ttl_seconds: int = 60) -> TokenIssuer:
    return TokenIssuer(key or signing_key(), issuer=name, ttl_seconds=ttl_seconds)


def refused_code(token: str, verifier: TokenIssuer | None = None) -> str:
    with pytest.raises(InvalidToken) as refused:
        (verifier or issuer()).verify(token)
    return refused.value.code


@pytest.mark.parametrize("kind", list(OrganizationKind))
def test_issued_token_verifies_to_the_same_principal(kind: OrganizationKind) -> None:
    principal = Principal(
        client_id="cli_1", organization_id="org_1", kind=kind, scopes=frozenset({"events:read"})
    )
    assert issuer().verify(issuer().issue(principal)) == principal


def test_principal_without_scopes_survives_the_round_trip() -> None:
    principal = Principal("cli_1", "org_1", OrganizationKind.CREDITOR, frozenset())
    assert issuer().verify(issuer().issue(principal)) == principal


def test_token_signed_by_another_key_is_invalid() -> None:
    forged = issuer(OKPKey.generate_key("Ed25519")).issue(PRINCIPAL)
    assert refused_code(forged) == "INVALID_TOKEN"


@pytest.mark.parametrize(
    "garbage", ["", "garbage", "a.b.c", "Bearer x", "eyJhbGciOiJub25lIn0.e30."]
)
def test_garbage_token_is_invalid(garbage: str) -> None:
    assert refused_code(garbage) == "INVALID_TOKEN"


def test_token_with_a_tampered_payload_is_invalid() -> None:
    header, payload, signature = issuer().issue(PRINCIPAL).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["org"] = "org_someone_else"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()

    assert refused_code(".".join((header, forged_payload, signature))) == "INVALID_TOKEN"


def test_expired_token_is_refused_as_expired() -> None:
    stale = issuer(ttl_seconds=-120).issue(PRINCIPAL)
    assert refused_code(stale) == "TOKEN_EXPIRED"


def test_token_from_another_issuer_is_invalid() -> None:
    foreign = issuer(name="someone-else").issue(PRINCIPAL)
    assert refused_code(foreign) == "INVALID_TOKEN"


def _signed(claims: dict[str, Any]) -> str:
    return jwt.encode({"alg": "Ed25519"}, claims, signing_key(), algorithms=["Ed25519"])


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "cli_1",
        "org": "org_1",
        "kind": "CREDITOR",
        "scope": "accounts:read",
        "iat": now,
        "exp": now + 60,
    }
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


def test_hand_made_token_with_all_claims_verifies() -> None:
    principal = issuer().verify(_signed(_claims()))
    assert principal == Principal(
        "cli_1", "org_1", OrganizationKind.CREDITOR, frozenset({"accounts:read"})
    )


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"exp": None}, id="no-expiry"),
        pytest.param({"iss": None}, id="no-issuer"),
        pytest.param({"sub": None}, id="no-subject"),
        pytest.param({"org": None}, id="no-organization"),
        pytest.param({"kind": "BANK"}, id="unknown-kind"),
    ],
)
def test_token_lacking_required_claims_is_invalid(changes: dict[str, Any]) -> None:
    assert refused_code(_signed(_claims(**changes))) == "INVALID_TOKEN"


# --- several keys at once, bounded tables --------------------------------------------------


def test_take_all_takes_from_every_key_or_from_none() -> None:
    limiter = RateLimiter(rate=RATE, burst=1)
    assert limiter.take("address:a", now=0.0) == 0.0

    wait = limiter.take_all(("client:x", "address:a"), now=0.0)

    assert wait == pytest.approx(1 / RATE)
    assert limiter.take("client:x", now=0.0) == 0.0, "client:x was not charged"


def test_give_back_returns_a_taken_token() -> None:
    limiter = RateLimiter(rate=RATE, burst=1)
    keys = ("client:x", "address:a")
    assert limiter.take_all(keys, now=0.0) == 0.0
    limiter.give_back(keys, now=0.0)

    assert limiter.take_all(keys, now=0.0) == 0.0


def test_made_up_keys_cannot_grow_the_table_past_its_bound() -> None:
    limiter = RateLimiter(rate=RATE, burst=BURST, max_keys=1_000)
    for n in range(50_000):
        limiter.take_all((f"client:cli_madeup{n}", f"address:10.0.{n // 256 % 256}.{n % 256}"))

    assert limiter.tracked_keys <= 1_000


def test_a_refused_attempt_keeps_no_bucket_for_its_other_keys() -> None:
    limiter = RateLimiter(rate=RATE, burst=1)
    limiter.take("address:a", now=0.0)
    for n in range(100):
        assert limiter.take_all((f"client:cli_madeup{n}", "address:a"), now=0.0) > 0

    assert limiter.tracked_keys == 1


def test_ipv6_sources_are_throttled_by_their_64_bit_prefix() -> None:
    assert source_key("2001:db8::1") == source_key("2001:db8::ffff:1")
    assert source_key("2001:db8::1") != source_key("2001:db8:0:1::1")
    assert source_key("192.0.2.1") != source_key("192.0.2.2")
    assert source_key(None) == source_key("not an address") == "address:unknown"


# --- secret checks off the event loop ------------------------------------------------------


async def test_secret_checks_leave_the_event_loop_free() -> None:
    checker = SecretChecker(concurrency=2)
    ticks = 0
    done = asyncio.Event()

    async def tick() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    results = await asyncio.gather(*(checker.verify("sk_wrong", stored_hash()) for _ in range(6)))
    done.set()
    await ticker

    assert results == [False] * 6
    # Six scrypt checks take 100+ ms; on the loop they would leave it a handful of turns.
    assert ticks > 200


# --- scopes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "scopes"),
    [
        ("", set()),
        ("accounts:read", {"accounts:read"}),
        ("accounts:read events:read", {"accounts:read", "events:read"}),
        ("!#[]~", {"!#[]~"}),
    ],
)
def test_scope_strings_of_rfc_6749_parse(text: str, scopes: set[str]) -> None:
    assert parse_scopes(text) == scopes


@pytest.mark.parametrize(
    "text",
    ["a\tb", "a\u3000b", "a\u2003b", "a  b", " a", "a ", 'a"b', "a\\b", "é", "a\x7fb", "a\x00"],
)
def test_other_scope_strings_are_invalid(text: str) -> None:
    with pytest.raises(InvalidScope):
        parse_scopes(text)


# --- leeway --------------------------------------------------------------------------------


def test_a_token_is_taken_within_the_leeway_past_its_expiry() -> None:
    just_expired = issuer(ttl_seconds=-(TOKEN_LEEWAY_SECONDS - 10)).issue(PRINCIPAL)
    assert issuer().verify(just_expired) == PRINCIPAL

    stale = issuer(ttl_seconds=-(TOKEN_LEEWAY_SECONDS + 10)).issue(PRINCIPAL)
    assert refused_code(stale) == "TOKEN_EXPIRED"


def test_the_readme_states_the_token_leeway() -> None:
    readme = " ".join((Path(__file__).parents[2] / "README.md").read_text().split())
    assert f"up to {TOKEN_LEEWAY_SECONDS} s past its expiry" in readme
