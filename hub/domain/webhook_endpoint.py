"""What a webhook endpoint may be: its limits, and the checks that refuse with stable codes.

An organization has at most ``MAX_ENDPOINTS`` endpoints. Rotating a secret keeps the old
ones signing beside the new one for an overlap of at most ``MAX_OVERLAP_SECONDS``; at most
``MAX_LIVE_SECRETS`` sign at once (rotating again ends the oldest overlap), so the signature
header stays small whatever the number of rotations. A replay covers at most ``MAX_REPLAY``
events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from hub.domain.errors import DomainError
from hub.domain.events import EVENT_TYPES

MAX_ENDPOINTS = 20
MAX_DESCRIPTION = 500
MAX_OVERLAP_SECONDS = 7 * 86_400
#: Secrets signing at once: the newest and the two before it, while their overlaps last.
MAX_LIVE_SECRETS = 3
MAX_REPLAY = 10_000


def check_event_types(event_types: Sequence[str]) -> list[str]:
    """The event types, sorted and once each; ``INVALID_EVENT_TYPE`` for unknown ones."""
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise DomainError.of(
            "INVALID_EVENT_TYPE",
            f"unknown event types: {', '.join(unknown)}; known: {', '.join(sorted(EVENT_TYPES))}",
            "eventTypes",
        )
    return sorted(set(event_types))


def check_description(description: str) -> str:
    """The description, or ``INVALID_DESCRIPTION`` if too long or not printable."""
    if len(description) > MAX_DESCRIPTION or not description.isprintable():
        raise DomainError.of(
            "INVALID_DESCRIPTION",
            f"a description is at most {MAX_DESCRIPTION} printable characters",
            "description",
        )
    return description


def check_room(endpoints: int) -> None:
    """``WEBHOOK_ENDPOINT_LIMIT`` when an organization with ``endpoints`` may add no more."""
    if endpoints >= MAX_ENDPOINTS:
        raise DomainError.of(
            "WEBHOOK_ENDPOINT_LIMIT", f"an organization has at most {MAX_ENDPOINTS} endpoints"
        )


def check_overlap(seconds: int) -> dt.timedelta:
    """How long current secrets keep signing after a rotation; ``INVALID_OVERLAP`` if out of
    bounds."""
    if not 0 <= seconds <= MAX_OVERLAP_SECONDS:
        raise DomainError.of(
            "INVALID_OVERLAP",
            f"the overlap is 0 to {MAX_OVERLAP_SECONDS} seconds",
            "overlapSeconds",
        )
    return dt.timedelta(seconds=seconds)


def check_replay(
    since: dt.datetime | None, until: dt.datetime | None, event_ids: Sequence[str] | None
) -> None:
    """A replay is a time range (``since``, optionally ``until``) or explicit event ids."""
    if (event_ids is None) == (since is None):
        raise DomainError.of(
            "INVALID_REPLAY", "give either since (and optionally until) or eventIds", "since"
        )
    if until is not None and since is not None and until <= since:
        raise DomainError.of("INVALID_REPLAY", "until must be after since", "until")


def check_replay_size(count: int) -> None:
    """``REPLAY_TOO_LARGE`` past ``MAX_REPLAY`` events."""
    if count > MAX_REPLAY:
        raise DomainError.of(
            "REPLAY_TOO_LARGE", f"a replay covers at most {MAX_REPLAY} events; narrow it"
        )


def endpoint_not_found() -> DomainError:
    """An endpoint that does not exist or is another organization's: never "forbidden"."""
    return DomainError.of("NOT_FOUND", "no such webhook endpoint", "id")
