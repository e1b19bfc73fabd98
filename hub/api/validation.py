"""The validation rules every operation passes, over HTTP and websocket alike.

graphql-core's standard rules, with two changes: errors about variables (unused, undefined,
in the wrong position, of an output type) are ``BAD_USER_INPUT``, and the overlapping-fields
rule, whose work grows with the square of repeated fields, has a smaller budget than
graphql-core's (its abort is reported as ``QUERY_TOO_COMPLEX``). The hub's own limits,
literals included, are checked before (``hub.api.limits``).
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ASTValidationRule,
    GraphQLError,
    NoUndefinedVariablesRule,
    NoUnusedVariablesRule,
    OverlappingFieldsCanBeMergedRule,
    ValidationContext,
    VariablesAreInputTypesRule,
    VariablesInAllowedPositionRule,
    specified_rules,
)
from graphql.validation.rules.overlapping_fields_can_be_merged import RuleContext
from graphql.validation.validate import ValidationAbortedError
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

#: Units of work graphql-core's OverlappingFieldsCanBeMergedRule may spend on a document
#: (its own default is 500,000: about a second). Real queries, GraphiQL's introspection and
#: fragment-heavy clients included, spend a few thousand; this is a few milliseconds.
OVERLAP_BUDGET = 5_000

_VARIABLE_RULES = frozenset(
    {
        NoUndefinedVariablesRule,
        NoUnusedVariablesRule,
        VariablesAreInputTypesRule,
        VariablesInAllowedPositionRule,
    }
)


class _BoundedOverlapRule(OverlappingFieldsCanBeMergedRule):
    """graphql-core's rule with a smaller budget, which empties its caches when it is done.

    Its caches reference one another: left alone, all they hold (the document included)
    waits for a garbage collection, and collections of that much pause the event loop.
    """

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.rule_context.remaining_complexity_budget = OVERLAP_BUDGET

    def enter_selection_set(self, *args: Any) -> None:
        try:
            super().enter_selection_set(*args)
        except ValidationAbortedError:
            self._forget()
            raise

    def leave_document(self, *_: Any) -> None:
        self._forget()

    def _forget(self) -> None:
        for name in RuleContext.__slots__:
            cache = getattr(self.rule_context, name)
            if hasattr(cache, "clear"):
                cache.clear()


def _coded(rule: type[ASTValidationRule], code: str) -> type[ASTValidationRule]:
    """``rule`` whose errors carry ``extensions.code``."""

    class Coded(rule):  # type: ignore[valid-type,misc]
        def report_error(self, error: GraphQLError) -> None:
            error.extensions = {**(error.extensions or {}), "code": code}
            super().report_error(error)

    Coded.__name__ = Coded.__qualname__ = rule.__name__
    return Coded


def validation_rules() -> tuple[type[ASTValidationRule], ...]:
    """The rules, built once per schema (the same classes every request)."""
    standard: list[type[ASTValidationRule]] = []
    for rule in specified_rules:
        if rule is OverlappingFieldsCanBeMergedRule:
            standard.append(_BoundedOverlapRule)
        elif rule in _VARIABLE_RULES:
            standard.append(_coded(rule, "BAD_USER_INPUT"))
        else:
            standard.append(rule)
    return (
        *standard,
        MaybeNullValidationRule,
        OneOfInputValidationRule,
    )
