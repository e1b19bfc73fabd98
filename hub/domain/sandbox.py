"""Sandbox: test organizations, and the rules that keep them apart from live ones.

A sandbox organization (``Organization.sandbox``) is for trying the hub out: its data is
real data of the hub (the same code writes it, the same feed and webhooks carry it), but
it never meets live data:

- its API clients are ``cli_test_…`` with ``sk_test_…`` secrets, so nobody mistakes them
  for live credentials (``client_id_prefix``, ``secret_prefix``);
- every event it sees says ``livemode: false`` (live organizations': ``true``), on the
  ``events`` feed, in subscriptions and in webhook bodies: an event's ``livemode`` is its
  organization's, read with the event (``hub.store.event_log``, ``hub.store.claims``);
- a sandbox creditor routes only to sandbox agencies and a live creditor only to live
  ones: a routing rule across the two is refused (``check_same_mode``, code
  ``SANDBOX_MISMATCH``), and routing itself skips an agency of the other mode
  (``hub.domain.routing``, ``hub.store.routing``), so no account, event or KPI row of one
  mode ever becomes visible to an organization of the other;
- what only makes sense on test data is refused on live organizations
  (``require_sandbox``, code ``SANDBOX_ONLY``);
- a sandbox placement may name its test run (``sandboxTag``, ``tag_problems``): a live
  creditor's tagged placement is refused (``SANDBOX_ONLY``), and ``deleteSandboxData(tag)``
  removes that run's accounts with everything written about them
  (``hub.store.sandbox_cleanup``). Events are immutable everywhere else; this is the one
  time the hub deletes any, and only a sandbox creditor's own.
"""

from __future__ import annotations

import re

from hub.domain.errors import DomainError, Problem

#: Refused: a rule or request that would join a sandbox and a live organization.
SANDBOX_MISMATCH = "SANDBOX_MISMATCH"
#: Refused: a sandbox feature asked for on (or by) a live organization.
SANDBOX_ONLY = "SANDBOX_ONLY"


def client_id_prefix(sandbox: bool) -> str:
    """The ``new_id`` prefix of an organization's API client ids."""
    return "cli_test" if sandbox else "cli"


def secret_prefix(sandbox: bool) -> str:
    """What an organization's client secrets start with."""
    return "sk_test_" if sandbox else "sk_"


def check_same_mode(creditor_sandbox: bool, agency_sandbox: bool) -> None:
    """A creditor and an agency may only be linked if both are sandbox or both are live."""
    if creditor_sandbox != agency_sandbox:
        raise DomainError.of(
            SANDBOX_MISMATCH,
            "a sandbox organization and a live organization never share accounts",
            "agency",
        )


def require_sandbox(sandbox: bool, what: str, *path: str) -> None:
    """Refuse ``what`` unless the organization is a sandbox organization."""
    if not sandbox:
        raise DomainError.of(SANDBOX_ONLY, f"{what} is only for sandbox organizations", *path)


#: At most this long; letters, digits and ``._:-`` (a CI job's run id, a branch name).
MAX_TAG_LENGTH = 64
_TAG = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_TAG_LENGTH}}}")
#: Refused: a tag that is empty, too long or has other characters.
INVALID_SANDBOX_TAG = "INVALID_SANDBOX_TAG"


def tag_problem(tag: str) -> Problem | None:
    """Why ``tag`` cannot name a test run, or None."""
    if _TAG.fullmatch(tag) is None:
        return Problem(
            INVALID_SANDBOX_TAG,
            f"a sandbox tag is 1 to {MAX_TAG_LENGTH} letters, digits or ._:-",
            ("sandboxTag",),
        )
    return None


def tag_problems(tag: str | None, sandbox: bool) -> list[Problem]:
    """The problems of a placement's ``sandboxTag`` for a creditor of this mode: none
    without a tag; ``SANDBOX_ONLY`` for a live creditor; else the tag's form."""
    if tag is None:
        return []
    if not sandbox:
        return [
            Problem(SANDBOX_ONLY, "sandboxTag is only for sandbox organizations", ("sandboxTag",))
        ]
    problem = tag_problem(tag)
    return [] if problem is None else [problem]
