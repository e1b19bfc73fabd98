"""Tenant isolation: the one place that says which rows an organization may see.

A creditor sees the accounts it placed; an agency sees the accounts assigned to it. Every
query of accounts, customers and events goes through these clauses, and anything outside
them is "not found", never "forbidden".

Customer PII (name, email, phone) is narrower: the creditor always sees it; an agency only
while it collects one of the customer's accounts, i.e. while an account assigned to it is
open (not PAID, SETTLED, UNCOLLECTABLE, RETURNED or RECALLED). Once collection ends the
agency keeps the customer's id, reference and the history it reported, not the PII:
whatever it must keep for its own obligations it has recorded while collecting.
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.auth.tokens import Principal
from hub.domain.account import OPEN
from hub.store.tables import accounts, customers, events, organizations

_OPEN_STATUSES = sorted(status.value for status in OPEN)


def account_owner(is_creditor: bool) -> sa.Column[str]:
    """The column naming who sees an account: its creditor, or its assigned agency."""
    return accounts.c.creditor_id if is_creditor else accounts.c.agency_id


def account_clause(principal: Principal) -> sa.ColumnElement[bool]:
    return account_owner(principal.is_creditor) == principal.organization_id


def customer_clause(principal: Principal) -> sa.ColumnElement[bool]:
    if principal.is_creditor:
        return customers.c.creditor_id == principal.organization_id
    assigned = sa.select(accounts.c.customer_id).where(
        accounts.c.agency_id == principal.organization_id
    )
    return customers.c.id.in_(assigned)


def customer_pii_clause(principal: Principal) -> sa.ColumnElement[bool]:
    """Whether the principal may read a customer's PII (on rows ``customer_clause`` allows)."""
    if principal.is_creditor:
        return sa.true()
    collecting = sa.select(accounts.c.id).where(
        accounts.c.customer_id == customers.c.id,
        accounts.c.agency_id == principal.organization_id,
        accounts.c.status.in_(_OPEN_STATUSES),
    )
    return collecting.exists()


def event_clause(principal: Principal, table: sa.Table = events) -> sa.ColumnElement[bool]:
    """The events the principal may see: of ``events``, or of a table of events' audiences
    (``deleted_events``, the keys of a deleted sandbox run's events)."""
    if principal.is_creditor:
        return table.c.creditor_id == principal.organization_id
    return table.c.agency_id == principal.organization_id


def organization_clause(principal: Principal) -> sa.ColumnElement[bool]:
    """Its own organization, and the counterparties of the accounts it can see."""
    org = principal.organization_id
    if principal.is_creditor:
        linked = sa.select(accounts.c.agency_id).where(accounts.c.creditor_id == org)
    else:
        linked = sa.select(accounts.c.creditor_id).where(accounts.c.agency_id == org)
    return sa.or_(organizations.c.id == org, organizations.c.id.in_(linked))
