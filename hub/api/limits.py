"""Query limits checked at validation time (so the validation cache covers them too).

One pass over each operation measures its depth, its aliases and its cost. Cost counts one
per field, and a field taking ``first`` (or ``ids``) multiplies the cost of what it selects
by that page size: by its literal value, or by the largest allowed when it is a variable.
Introspection fields (``__schema``, ``__type``) are not counted, so GraphiQL and schema
tools work under the same limits; graphql-core's own MaxIntrospectionDepthRule (part of
standard validation) stops introspection that fans out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValidationContext,
    ValidationRule,
)

MAX_PAGE_SIZE = 100
_DEFAULT_PAGE = 20


@dataclass(frozen=True)
class Limits:
    max_depth: int
    max_cost: int
    max_aliases: int


@dataclass
class _Measure:
    depth: int = 0
    cost: int = 0
    aliases: int = 0


def _multiplier(field: FieldNode) -> int:
    for arg in field.arguments or ():
        name = arg.name.value
        if name == "first":
            if isinstance(arg.value, IntValueNode):
                return max(1, min(int(arg.value.value), MAX_PAGE_SIZE))
            return MAX_PAGE_SIZE
        if name == "ids":
            if isinstance(arg.value, ListValueNode):
                return max(1, len(arg.value.values))
            return MAX_PAGE_SIZE
    return _DEFAULT_PAGE if field.name.value in {"accounts", "events", "deliveries"} else 1


def build_rule(limits: Limits) -> type[ValidationRule]:
    """A validation rule enforcing ``limits``; build it once per schema, not per request."""

    class QueryLimitsRule(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            measure = _Measure()
            cost = self._walk(node.selection_set, 1, measure, frozenset())
            name = node.name.value if node.name else "anonymous"
            if measure.depth > limits.max_depth:
                self._fail(
                    f"operation {name} is {measure.depth} levels deep; the limit is {limits.max_depth}",
                    "QUERY_TOO_DEEP",
                    node,
                )
            if measure.aliases > limits.max_aliases:
                self._fail(
                    f"operation {name} uses {measure.aliases} aliases; the limit is {limits.max_aliases}",
                    "TOO_MANY_ALIASES",
                    node,
                )
            if cost > limits.max_cost:
                self._fail(
                    f"operation {name} may cost {cost} points; the limit is {limits.max_cost}",
                    "QUERY_TOO_COMPLEX",
                    node,
                    cost=cost,
                )

        def _fail(self, message: str, code: str, node: Any, **extra: Any) -> None:
            self.report_error(GraphQLError(message, node, extensions={"code": code, **extra}))

        def _walk(
            self,
            selection_set: SelectionSetNode | None,
            depth: int,
            measure: _Measure,
            seen_fragments: frozenset[str],
        ) -> int:
            if selection_set is None:
                return 0
            ctx: ValidationContext = self.context
            total = 0
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    if selection.name.value.startswith("__"):
                        continue
                    if selection.alias is not None:
                        measure.aliases += 1
                    measure.depth = max(measure.depth, depth)
                    if depth > limits.max_depth + 1:
                        continue  # already over the limit; stop descending
                    inner = self._walk(selection.selection_set, depth + 1, measure, seen_fragments)
                    total += 1 + _multiplier(selection) * inner
                elif isinstance(selection, InlineFragmentNode):
                    total += self._walk(selection.selection_set, depth, measure, seen_fragments)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = ctx.get_fragment(name)
                    if fragment is None or name in seen_fragments:
                        continue  # unknown or cyclic: other rules report it
                    total += self._walk(
                        fragment.selection_set, depth, measure, seen_fragments | {name}
                    )
                if total > limits.max_cost * 10:
                    break
            return total

    return QueryLimitsRule


class NulFreeStringsRule(ValidationRule):
    """String literals may not contain U+0000: PostgreSQL text and JSONB cannot store it.

    Variables are checked by the HTTP endpoint; this covers literals in the document,
    where GraphQL's ``\\u0000`` escape produces the character only after parsing.
    """

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if "\x00" in node.value:
            self.report_error(
                GraphQLError(
                    "text values must not contain the NUL character (U+0000)",
                    node,
                    extensions={"code": "BAD_USER_INPUT"},
                )
            )
