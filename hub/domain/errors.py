"""Domain errors: expected refusals that carry a stable code.

The API turns them into ``userErrors { field code message }``; the SDK turns them into
``UserError`` exceptions. Codes are part of the public contract: never rename one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Problem:
    """One expected failure: a stable ``code``, a human ``message`` and the input path."""

    code: str
    message: str
    field: tuple[str, ...] = ()

    def under(self, *prefix: str) -> Problem:
        """The same problem with its field path nested below ``prefix``."""
        return Problem(self.code, self.message, (*prefix, *self.field))


@dataclass(slots=True)
class DomainError(Exception):
    """Raised inside the hub for an expected refusal; carries one or more problems."""

    problems: Sequence[Problem] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        Exception.__init__(self, "; ".join(f"{p.code}: {p.message}" for p in self.problems))

    @classmethod
    def of(cls, code: str, message: str, *path: str) -> DomainError:
        return cls((Problem(code, message, tuple(path)),))

    @property
    def code(self) -> str:
        return self.problems[0].code


#: What a client is told to wait before retrying (``Retry-After``): the hub serves again
#: as soon as the database answers, so a short delay is enough.
RETRY_AFTER_SECONDS = 1


class DatabaseUnavailable(Exception):
    """The database cannot be reached or used right now; retrying later may succeed.

    Raised from the driver's error (``__cause__``), which is logged, never shown.
    """

    def __init__(self) -> None:
        super().__init__("the database is unavailable")
