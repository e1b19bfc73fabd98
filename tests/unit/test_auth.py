"""Rate limiting, client secret hashing and access tokens."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OKPKey

from hub.auth.ratelimit import RateLimiter
from hub.auth.scopes import OrganizationKind
from hub.auth.secrets import hash_secret, new_secret, verify_secret
from hub.auth.tokens import InvalidToken, Principal, TokenIssuer

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
