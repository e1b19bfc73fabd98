"""Routing: which agency a creditor's new account goes to.

A creditor's routing rules are tried by ascending ``priority``, then by age (their ids are
time-ordered); the first whose ``country`` and ``product`` match (an empty one matches
anything) gives the agency; no match leaves the account unassigned. A rule whose agency is
of the other mode than the creditor (sandbox or live, ``hub.domain.sandbox``) never
matches: such rules are refused when made (a split rule's arms included), and skipped here
all the same. ``hub.store.routing`` states the same rule as SQL, so that a placement's
INSERT routes each row itself.

Champion/challenger: a rule may split its segment between agencies by weight (percents
summing to 100). Each customer lands in one arm by a hash of (creditor, customer, the
rule's experiment id), so the same customer's accounts, and its re-placements, go to the
same agency, and the arms hold like-for-like customers. The rule's own ``agency_id`` is
its first arm (the champion).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hub.domain.errors import DomainError


@dataclass(frozen=True, slots=True)
class Weight:
    """One arm of a split rule: ``percent`` of the segment's customers go to the agency."""

    agency_id: str
    percent: int


@dataclass(frozen=True, slots=True)
class RoutingRule:
    id: str
    agency_id: str
    country: str | None
    product: str | None
    priority: int
    #: The arms of a split rule (empty: every account to ``agency_id``).
    weights: tuple[Weight, ...] = ()
    experiment_id: str | None = None
    #: Whether the rule's agency is a sandbox organization.
    agency_sandbox: bool = False


def check_weights(weights: Sequence[Weight]) -> None:
    """A split names two or more agencies, each once, with whole percents summing to 100."""
    if len(weights) < 2:
        raise DomainError.of("INVALID_WEIGHTS", "a split needs two agencies or more", "weights")
    if len({w.agency_id for w in weights}) != len(weights):
        raise DomainError.of("INVALID_WEIGHTS", "each agency appears once", "weights")
    if any(not 1 <= w.percent <= 99 for w in weights) or sum(w.percent for w in weights) != 100:
        raise DomainError.of(
            "INVALID_WEIGHTS", "percents are whole numbers from 1 to 99 summing to 100", "weights"
        )


def arm_for(
    creditor_id: str, customer_id: str, experiment_id: str, weights: Sequence[Weight]
) -> str:
    """The agency of the customer's arm: its bucket (0-99, from a hash of the creditor,
    the customer and the experiment) falls in that arm's share, arms in their order."""
    key = f"{creditor_id}\x1f{customer_id}\x1f{experiment_id}".encode()
    bucket = int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % 100
    for weight in weights:
        if bucket < weight.percent:
            return weight.agency_id
        bucket -= weight.percent
    raise ValueError("weights do not sum to 100")


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
