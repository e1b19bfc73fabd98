"""GraphQL enums: the domain's enums, exposed with a description on every value.

Every module of the API imports them from here, so each is registered with strawberry once.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

import strawberry

from hub.auth.scopes import OrganizationKind
from hub.domain.account import AccountStatus, Product

__all__ = ["AccountStatus", "OrganizationKind", "Product"]

E = TypeVar("E", bound=type[Enum])


def _describe_enum(enum_cls: E, description: str, values: Mapping[str, str]) -> E:
    wrapped = strawberry.enum(enum_cls, description=description)
    for value in wrapped.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = values[value.name]
    return wrapped


_describe_enum(
    AccountStatus,
    "Where an account stands in collection.",
    {
        "PLACED": "Sent by the creditor; not yet acknowledged by an agency.",
        "ACKNOWLEDGED": "The assigned agency has taken the account on.",
        "IN_COLLECTION": "The agency is working the account.",
        "PAYMENT_PLAN": "The customer pays on an agreed plan.",
        "DISPUTED": "The customer disputes the debt; contact is paused.",
        "ON_HOLD": "Paused for hardship or vulnerability; contact is paused.",
        "PAID": "Paid in full. Terminal.",
        "SETTLED": "Closed for an agreed settlement amount. Terminal.",
        "RECALLED": "Taken back by the creditor. Terminal.",
        "RETURNED": "Returned by the agency to the creditor. Terminal.",
        "UNCOLLECTABLE": "Written off as uncollectable. Terminal.",
    },
)
_describe_enum(
    Product,
    "The kind of credit the debt comes from.",
    {
        "BNPL_INVOICE": "Buy-now-pay-later invoice.",
        "INSTALLMENT": "Installment purchase.",
        "CARD": "Credit card.",
        "LOAN": "Personal or consumer loan.",
        "OTHER": "Any other credit product.",
    },
)
_describe_enum(
    OrganizationKind,
    "What an organization does on the hub.",
    {"CREDITOR": "Places accounts in collection.", "AGENCY": "Collects placed accounts."},
)
