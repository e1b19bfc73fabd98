"""GraphQL input types and their conversion to domain values."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.scalars import JSON

from hub.api.enums import AccountStatus, ContactChannel, Product
from hub.api.scalars import CountryCode, CurrencyCode, DateTime, Email, PhoneNumber
from hub.domain.money import Money
from hub.domain.placement import CustomerDetails, Placement

IDEMPOTENCY = (
    "Makes the mutation safe to retry: the same key with the same input returns the first "
    "result; with a different input it fails with `IDEMPOTENCY_KEY_REUSED`."
)


def _channels(values: list[Any] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    return tuple(dict.fromkeys(ContactChannel(v).value for v in values))


@strawberry.input(description="An amount of money in the currency's minor units.")
class MoneyInput:
    amount_minor: int = strawberry.field(
        description="Amount in minor units, e.g. 1999 for 19.99 EUR."
    )
    currency: CurrencyCode = strawberry.field(description="ISO 4217 currency code.")

    def to_domain(self) -> Money:
        return Money(self.amount_minor, self.currency)


@strawberry.input(description="The customer who owes the debt.")
class CustomerInput:
    reference: str = strawberry.field(
        description=(
            "The creditor's own identifier of the customer: printable ASCII after NFKC "
            "normalization; surrounding spaces are dropped (`CUST-77 ` is `CUST-77`)."
        )
    )
    name: str = strawberry.field(description="Full name.")
    country: CountryCode = strawberry.field(
        description="Country of residence (ISO 3166-1 alpha-2)."
    )
    email: Email | None = strawberry.field(default=None, description="Email address.")
    phone: PhoneNumber | None = strawberry.field(default=None, description="Phone number, E.164.")
    language: str | None = strawberry.field(
        default=None, description="Preferred language, BCP 47 (e.g. `sv-SE`)."
    )
    timezone: str | None = strawberry.field(
        default=None, description="IANA time zone (e.g. `Europe/Stockholm`)."
    )
    opted_out_channels: list[ContactChannel] | None = strawberry.field(
        default=None,
        description="Channels the customer refused (opt-outs); outbound contact on them is refused. Omitted: unchanged for a known customer.",
    )
    date_of_birth: dt.date | None = strawberry.field(
        default=None,
        description="Date of birth, for the portal's knowledge check (`createPortalLink(secondFactor: DATE_OF_BIRTH)`); only a keyed hash is kept (else `INVALID_DATE_OF_BIRTH`). Omitted: unchanged for a known customer.",
    )
    postcode: str | None = strawberry.field(
        default=None,
        description="Postcode, for the portal's knowledge check (`secondFactor: POSTCODE`): 2-10 letters and digits once spaces and dashes are dropped, any case (else `INVALID_POSTCODE`); only a keyed hash is kept. Omitted: unchanged for a known customer.",
    )


@strawberry.input(description="One delinquent account to place in collection.")
class PlaceAccountInput:
    reference: str = strawberry.field(
        description=(
            "Your reference for the account; unique among your accounts. Printable ASCII "
            "after NFKC normalization; surrounding spaces are dropped (`ＩＮＶ－１ ` is `INV-1`)."
        )
    )
    customer: CustomerInput = strawberry.field(description="Who owes the debt.")
    original_amount: MoneyInput = strawberry.field(description="Amount originally owed.")
    balance: MoneyInput = strawberry.field(
        description="Amount owed now: positive, at most the original amount."
    )
    due_date: dt.date = strawberry.field(description="When the debt fell due; not in the future.")
    product: Product = strawberry.field(description="Kind of credit.")
    metadata: JSON | None = strawberry.field(
        default=None,
        description=(
            "Free-form JSON object: at most 8 KiB, nested at most 32 levels, numbers finite "
            "and within 64 bits (else `INVALID_METADATA`)."
        ),
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)
    sandbox_tag: str | None = strawberry.field(
        default=None,
        description=(
            "Sandbox creditors only: the test run this account belongs to (1-64 letters, "
            "digits or `._:-`), so `deleteSandboxData(tag)` removes the run; a live creditor "
            "is refused with `SANDBOX_ONLY`, a malformed tag with `INVALID_SANDBOX_TAG`."
        ),
    )
    test_clock_id: strawberry.ID | None = strawberry.field(
        default=None,
        description=(
            "Sandbox creditors only: the test clock (`createTestClock`) the account lives "
            "on: placed at the clock's time, everything time-driven about it then follows "
            "the clock. Another organization's or a deleted clock is `NOT_FOUND`; a live "
            "creditor is refused with `SANDBOX_ONLY`."
        ),
    )

    def to_domain(self) -> Placement:
        c = self.customer
        return Placement(
            reference=self.reference,
            customer=CustomerDetails(
                reference=c.reference,
                name=c.name,
                country=c.country,
                email=c.email,
                phone=c.phone,
                language=c.language,
                timezone=c.timezone,
                opted_out_channels=_channels(c.opted_out_channels),
                date_of_birth=c.date_of_birth,
                postcode=c.postcode,
            ),
            original_amount=self.original_amount.to_domain(),
            balance=self.balance.to_domain(),
            due_date=self.due_date,
            product=self.product,
            metadata=self.metadata,
            idempotency_key=self.idempotency_key,
            sandbox_tag=self.sandbox_tag,
            test_clock_id=None if self.test_clock_id is None else str(self.test_clock_id),
        )


def _place_account_from_input(cls: type, value: Any, _context: Any) -> PlaceAccountInput:
    """Build a PlaceAccountInput from graphql-core's coerced value, directly.

    strawberry's generic conversion resolves every field's type for every item (about
    70 µs an item): a batch of 500 placements would spend 35 ms on that alone. The value
    is already validated and coerced by graphql-core, so plain constructors suffice.
    """
    c = value["customer"]
    original, balance = value["originalAmount"], value["balance"]
    built: PlaceAccountInput = cls(
        reference=value["reference"],
        customer=CustomerInput(
            reference=c["reference"],
            name=c["name"],
            country=c["country"],
            email=c.get("email"),
            phone=c.get("phone"),
            language=c.get("language"),
            timezone=c.get("timezone"),
            opted_out_channels=c.get("optedOutChannels"),
            date_of_birth=c.get("dateOfBirth"),
            postcode=c.get("postcode"),
        ),
        original_amount=MoneyInput(
            amount_minor=original["amountMinor"], currency=original["currency"]
        ),
        balance=MoneyInput(amount_minor=balance["amountMinor"], currency=balance["currency"]),
        due_date=value["dueDate"],
        product=Product(value["product"]),
        metadata=value.get("metadata"),
        idempotency_key=value.get("idempotencyKey"),
        sandbox_tag=value.get("sandboxTag"),
        test_clock_id=value.get("testClockId"),
    )
    return built


PlaceAccountInput.__strawberry_definition__.from_input = _place_account_from_input  # type: ignore[attr-defined]


@strawberry.input(
    description="A batch of accounts to place; each item succeeds or fails on its own."
)
class PlaceAccountsInput:
    items: list[PlaceAccountInput] = strawberry.field(description="1 to 500 accounts.")


@strawberry.input(description="Take an account back from collection.")
class RecallAccountInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global ID.")
    reason: str | None = strawberry.field(default=None, description="Why it is recalled.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)


@strawberry.input(description="Correct an account's balance.")
class AdjustBalanceInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global ID.")
    amount: MoneyInput = strawberry.field(
        description="Signed change in minor units: negative lowers the balance. The result stays above zero and at most the original amount."
    )
    reason: str = strawberry.field(
        description="Why the balance changes (required, kept on the event)."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)


@strawberry.input(description="Which accounts to list; all conditions must hold.")
class AccountFilter:
    status: list[AccountStatus] | None = strawberry.field(
        default=None, description="Any of these states."
    )
    agency_id: strawberry.ID | None = strawberry.field(
        default=None, description="Assigned to this agency."
    )
    country: CountryCode | None = strawberry.field(
        default=None, description="The customer's country (as placed)."
    )
    placed_after: DateTime | None = strawberry.field(
        default=None,
        description=(
            "Placed at or after this time. The other filters are read from indexes in "
            "newest-first order, a page at a time; a placed-at range is checked on the "
            "accounts those indexes give, so a range far in the past reads the newer ones too."
        ),
    )
    placed_before: DateTime | None = strawberry.field(
        default=None, description="Placed before this time."
    )
    reference: str | None = strawberry.field(
        default=None,
        description="This creditor reference, compared after NFKC normalization and trimming.",
    )
