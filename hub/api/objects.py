"""The plain objects every part of the schema shows: money and organizations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import strawberry

from hub.api.enums import OrganizationKind
from hub.api.relay import Node
from hub.api.scalars import CountryCode, CurrencyCode, DateTime
from hub.domain import money as domain_money


@strawberry.type(description="An amount of money in the currency's minor units.")
class Money:
    amount_minor: int = strawberry.field(
        description="Amount in minor units (cents, öre; yen have none), e.g. 1999 for 19.99 EUR."
    )
    currency: CurrencyCode = strawberry.field(description="ISO 4217 currency code.")

    @classmethod
    def of(cls, amount_minor: int, currency: str) -> Money:
        return cls(amount_minor=amount_minor, currency=CurrencyCode(currency))

    @classmethod
    def from_domain(cls, value: domain_money.Money) -> Money:
        return cls.of(value.amount_minor, value.currency)


@strawberry.type(description="A creditor or a collection agency.")
class Organization(Node):
    kind: OrganizationKind = strawberry.field(description="Creditor or agency.")
    name: str = strawberry.field(description="Display name.")
    country: CountryCode = strawberry.field(description="Country of registration.")
    created_at: DateTime = strawberry.field(description="When the organization joined the hub.")
    sandbox: bool = strawberry.field(
        description=(
            "A test organization: `cli_test_` credentials, events with `livemode: false`, "
            "and it never shares accounts with live organizations."
        )
    )

    @classmethod
    def from_record(cls, record: Any) -> Organization:
        return cls(
            id=strawberry.ID(record.id),
            kind=OrganizationKind(record.kind),
            name=record.name,
            country=record.country,
            created_at=record.created_at,
            sandbox=record.sandbox,
        )


Row = Mapping[Any, Any]
