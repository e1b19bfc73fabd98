"""What a debtor may type in the portal's pay form, and the sandbox provider's test cards."""

from __future__ import annotations

import pytest

from hub.domain.errors import DomainError
from hub.domain.money import Money
from hub.domain.portal_payment import (
    PaymentRequest,
    ProviderEventKind,
    SandboxProvider,
    amount_input,
    card_digits,
    parse_amount,
)

SEK = Money(100000, "SEK")
JPY = Money(5000, "JPY")
KWD = Money(12345, "KWD")


@pytest.mark.parametrize(
    ("typed", "balance", "minor"),
    [
        ("250", SEK, 25000),
        ("250.5", SEK, 25050),
        ("250,50", SEK, 25050),
        ("1 000", SEK, 100000),
        (" 0.01 ", SEK, 1),
        ("5000", JPY, 5000),
        ("12.345", KWD, 12345),
    ],
)
def test_an_amount_is_read_in_the_currencys_minor_units(
    typed: str, balance: Money, minor: int
) -> None:
    assert parse_amount(typed, balance) == Money(minor, balance.currency)


@pytest.mark.parametrize(
    ("typed", "balance", "code"),
    [
        ("1000.01", SEK, "AMOUNT_OVER_BALANCE"),
        ("0", SEK, "INVALID_AMOUNT"),
        ("0.00", SEK, "INVALID_AMOUNT"),
        ("1.001", SEK, "INVALID_AMOUNT"),
        ("10.5", JPY, "INVALID_AMOUNT"),
        ("-5", SEK, "INVALID_AMOUNT"),
        ("1e3", SEK, "INVALID_AMOUNT"),
        ("", SEK, "INVALID_AMOUNT"),
        ("9" * 30, SEK, "INVALID_AMOUNT"),
    ],
)
def test_an_amount_that_is_not_payable_is_refused_on_its_field(
    typed: str, balance: Money, code: str
) -> None:
    with pytest.raises(DomainError) as refused:
        parse_amount(typed, balance)
    assert refused.value.code == code and refused.value.problems[0].field == ("amount",)


@pytest.mark.parametrize("balance", [SEK, JPY, KWD, Money(7, "SEK")])
def test_the_forms_default_amount_reads_back_as_the_balance(balance: Money) -> None:
    assert parse_amount(amount_input(balance), balance) == balance


def test_a_card_number_needs_its_digits_and_the_luhn_check() -> None:
    assert card_digits("4242 4242-4242 4242") == "4242424242424242"
    for wrong in ["4242 4242 4242 4241", "4242", "4242 abcd 4242 4242", "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢"]:
        with pytest.raises(DomainError) as refused:
            card_digits(wrong)
        assert refused.value.code == "INVALID_CARD"


def _request(card: str) -> PaymentRequest:
    return PaymentRequest("pay_1", "acc_1", "org_1", SEK, card, "https://hub.test/p/x")


async def test_the_sandbox_decides_by_test_card() -> None:
    sandbox = SandboxProvider()
    succeeded = await sandbox.start(_request(sandbox.check_card("4242 4242 4242 4242")))
    declined = await sandbox.start(_request(sandbox.check_card("4000 0000 0000 0002")))
    pending = await sandbox.start(_request(sandbox.check_card("4000 0000 0000 0077")))
    assert succeeded.event is not None and succeeded.event.kind is ProviderEventKind.CONFIRMED
    assert declined.event is not None and declined.event.kind is ProviderEventKind.DECLINED
    assert pending.event is None and pending.redirect_url is None
    confirmed = sandbox.confirm("pay_1", "acc_1", "org_1")
    assert confirmed == succeeded.event  # one event id per payment and outcome


def test_the_sandbox_serves_sandbox_organizations_and_test_cards_only() -> None:
    sandbox = SandboxProvider()
    assert sandbox.serves(True) and not sandbox.serves(False)
    with pytest.raises(DomainError) as refused:
        sandbox.check_card("5555 5555 5555 4444")
    assert refused.value.code == "NOT_A_TEST_CARD"
