"""Routing: which agency a creditor's new account goes to.

A creditor's routing rules are tried by ascending ``priority``, then by age (their ids are
time-ordered); the first whose ``country`` and ``product`` match (an empty one matches
anything) gives the agency; no match leaves the account unassigned. A rule whose agency is
of the other mode than the creditor (sandbox or live, ``hub.domain.sandbox``) never
matches: such rules are refused when made, and skipped here all the same.
``hub.store.routing`` states the same rule as SQL, so that a placement's INSERT routes each
row itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RoutingRule:
    id: str
    agency_id: str
    country: str | None
    product: str | None
    priority: int
    #: Whether the rule's agency is a sandbox organization.
    agency_sandbox: bool = False


def choose_agency(
    rules: Iterable[RoutingRule], country: str, product: str, *, sandbox: bool = False
) -> str | None:
    """The agency of the first rule (by priority, then age) that matches the account of a
    creditor that is a sandbox organization or not (``sandbox``)."""
    for rule in sorted(rules, key=lambda r: (r.priority, r.id)):
        same_mode = rule.agency_sandbox == sandbox
        if same_mode and rule.country in (None, country) and rule.product in (None, product):
            return rule.agency_id
    return None
