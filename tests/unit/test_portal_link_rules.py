"""Portal link rules: lifetimes, the sliding window and its cap, tokens and issuers."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from hub.domain import portal
from hub.domain.account import Account, AccountStatus, Product
from hub.domain.errors import DomainError

T0 = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def link(
    lifetime: dt.timedelta = portal.DEFAULT_LIFETIME,
    last_used: dt.datetime | None = None,
    revoked: dt.datetime | None = None,
) -> portal.PortalLink:
    return portal.PortalLink(
        id="plk_1",
        issuer_id="org_a",
        creditor_id="org_c",
        agency_id="org_a",
        customer_id="cus_1",
        account_id="acc_1",
        locale=None,
        created_at=T0,
        expires_at=T0 + lifetime,
        last_used_at=last_used,
        revoked_at=revoked,
    )


def account(status: AccountStatus, agency_id: str | None) -> Account:
    return Account(
        id="acc_1",
        creditor_id="org_c",
        reference="INV-1",
        customer_id="cus_1",
        product=Product.BNPL_INVOICE,
        currency="SEK",
        original_amount_minor=100,
        balance_minor=100,
        due_date=T0.date(),
        status=status,
        resume_status=None,
        agency_id=agency_id,
        country="SE",
        metadata=None,
        placed_at=T0,
        updated_at=T0,
        version=1,
    )


def test_a_link_lives_seven_days_unless_told_otherwise() -> None:
    assert portal.check_lifetime(None) == dt.timedelta(days=7)
    assert link().usable_at(T0 + 7 * DAY - dt.timedelta(seconds=1))
    assert not link().usable_at(T0 + 7 * DAY)


@pytest.mark.parametrize("lifetime", [dt.timedelta(minutes=14), 91 * DAY, dt.timedelta(0), -DAY])
def test_lifetimes_outside_fifteen_minutes_to_ninety_days_are_refused(
    lifetime: dt.timedelta,
) -> None:
    with pytest.raises(DomainError) as refused:
        portal.check_lifetime(lifetime)
    assert refused.value.code == "INVALID_EXPIRY"
    assert refused.value.problems[0].field == ("expiresIn",)


def test_a_use_keeps_the_link_alive_for_a_day_past_its_lifetime() -> None:
    used = link(last_used=T0 + 7 * DAY - dt.timedelta(hours=1))
    assert used.valid_until() == T0 + 8 * DAY - dt.timedelta(hours=1)
    assert used.usable_at(T0 + 7 * DAY + dt.timedelta(hours=12))


def test_an_early_use_does_not_shorten_the_chosen_lifetime() -> None:
    assert link(last_used=T0 + DAY).valid_until() == T0 + 7 * DAY


def test_no_use_keeps_a_link_alive_past_ninety_days() -> None:
    used = link(lifetime=90 * DAY, last_used=T0 + 89 * DAY + dt.timedelta(hours=23))
    assert used.valid_until() == T0 + 90 * DAY
    assert not used.usable_at(T0 + 90 * DAY)


def test_a_revoked_link_is_never_usable() -> None:
    assert not link(revoked=T0 + DAY).usable_at(T0 + dt.timedelta(hours=1))


def test_tokens_carry_at_least_128_random_bits_and_differ() -> None:
    tokens = {portal.new_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert portal.is_token_shaped(token)
        assert len(token) * math.log2(64) >= 128
        assert portal.link_path(token) == f"/p/{token}"


@pytest.mark.parametrize("token", ["", "abc", "x" * 42, "x" * 44, "+" * 43, "é" * 43])
def test_tokens_of_another_shape_are_rejected_before_any_lookup(token: str) -> None:
    assert not portal.is_token_shaped(token)


@pytest.mark.parametrize("locale", ["sv", "sv-SE", "fil", None])
def test_language_tags_are_accepted(locale: str | None) -> None:
    assert portal.check_locale(locale) == locale


@pytest.mark.parametrize("locale", ["", "SV", "sv_SE", "sv-se", "swedish", "sv-SE-x"])
def test_other_locales_are_refused(locale: str) -> None:
    with pytest.raises(DomainError) as refused:
        portal.check_locale(locale)
    assert refused.value.code == "INVALID_LOCALE"


def test_the_agency_collecting_an_account_issues_its_links() -> None:
    portal.check_issuer(account(AccountStatus.IN_COLLECTION, "org_a"), "org_a")
    with pytest.raises(DomainError) as refused:
        portal.check_issuer(account(AccountStatus.IN_COLLECTION, "org_a"), "org_c")
    assert refused.value.code == "PORTAL_NOT_COLLECTOR"


def test_the_creditor_issues_links_while_no_agency_has_the_account() -> None:
    portal.check_issuer(account(AccountStatus.PLACED, None), "org_c")


@pytest.mark.parametrize(
    "status", [AccountStatus.PAID, AccountStatus.RECALLED, AccountStatus.SETTLED]
)
def test_closed_accounts_get_no_links(status: AccountStatus) -> None:
    with pytest.raises(DomainError) as refused:
        portal.check_issuer(account(status, "org_a"), "org_a")
    assert refused.value.code == "ACCOUNT_CLOSED"
