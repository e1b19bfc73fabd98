"""Lifecycles as tables: which action moves a thing from which states to which.

The account's own state machine (``hub.domain.account``) has side states to resume; the
things an account holds (payments, plans, disputes, holds) have simple lifecycles, each a
``Lifecycle`` table: an action is legal from the states listed and leads to one state,
and an illegal one is refused with that lifecycle's stable code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from hub.domain.errors import DomainError

StatusT = TypeVar("StatusT", bound=StrEnum)
ActionT = TypeVar("ActionT", bound=StrEnum)


@dataclass(frozen=True)
class Lifecycle(Generic[StatusT, ActionT]):
    """``moves[action] = (from states, to state)``; ``refuse(action, status)`` builds the
    refusal of an action the table does not allow from ``status``."""

    moves: Mapping[ActionT, tuple[frozenset[StatusT], StatusT]]
    refuse: Callable[[ActionT, StatusT], DomainError]

    def apply(self, status: StatusT, action: ActionT) -> StatusT:
        """The state ``action`` leads to from ``status``, or the lifecycle's refusal."""
        sources, target = self.moves[action]
        if status not in sources:
            raise self.refuse(action, status)
        return target

    def allowed(self, status: StatusT) -> frozenset[ActionT]:
        """Every action legal from ``status``."""
        return frozenset(a for a, (sources, _) in self.moves.items() if status in sources)
