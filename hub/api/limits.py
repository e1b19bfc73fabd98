"""What one GraphQL document may ask for, measured before graphql-core validates it.

``check_document`` measures every operation and fragment of a parsed document in one pass,
each fragment once (its measure is remembered and added wherever it is spread), so a chain
of fragments that doubles at each level costs as much to measure as it is long, not as big
as it would be expanded. Standard validation, some of whose rules do expand fragments, runs
only on documents within the limits:

- depth: the deepest field, fragments expanded;
- aliases: every alias, meta fields (``__typename``, ``__type``) included;
- fields: every field of the document's operations, fragments expanded (and of each fragment
  alone), and at most one ``__schema``; one response key at most 30 times at one level
  (graphql-core's overlapping-fields check compares those pairwise);
- literals: no NUL character in strings, lists within the list limit, no integer of
  more than 100 digits;
- cost: one per field; a field taking ``first`` (or ``ids``) multiplies the cost of what it
  selects by that page size: its literal value, or the largest allowed when it is a variable.
  Introspection (``__schema``, ``__type``) costs nothing and has no depth here, so GraphiQL
  and schema tools work under the same limits; graphql-core's MaxIntrospectionDepthRule
  (part of standard validation) stops introspection that fans out.

The query text itself is bounded before parsing (``max_query_bytes``) and while parsing
(``max_query_tokens``); variables, by the request (see ``hub.api.request``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    Node,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
)

from hub.settings import Settings

MAX_PAGE_SIZE = 100
_DEFAULT_PAGE = 20
_PAGED_BY_DEFAULT = frozenset({"accounts", "events", "deliveries"})
#: Fields whose subtree is introspection: no cost and no depth of their own.
_INTROSPECTION = frozenset({"__schema", "__type"})
#: Measures stop growing here: anything this large is over every limit already.
_CAP = 10**12
#: Longer integer literals are refused before anything converts them (Int is 32-bit).
#: Longer integer literals are refused before they are converted (Python refuses past 4,300
#: digits); shorter ones that are too large for their type get that type's own error (an
#: Int's, or INVALID_METADATA in metadata).
_MAX_INT_DIGITS = 100
_NUL = "text values must not contain the NUL character (U+0000)"
#: How often one response key may appear at one level of a selection (fragments expanded).
_MAX_REPEATS = 30


@dataclass(frozen=True)
class Limits:
    """The bounds on one request; the defaults are those of ``hub.settings.Settings``."""

    max_depth: int = 10
    max_cost: int = 50_000
    max_aliases: int = 30
    max_fields: int = 1_000
    max_query_bytes: int = 100_000
    max_query_tokens: int = 2_000
    #: Items in one list, in variables or in the query text.
    max_list_items: int = 1_000
    #: Levels of lists and objects in the variables: room for metadata nested as deep as a
    #: placement's metadata may not be (so it is refused with INVALID_METADATA, per item),
    #: far below what would strain a parser or an encoder.
    max_input_depth: int = 300

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_depth=settings.max_query_depth,
            max_cost=settings.max_query_cost,
            max_aliases=settings.max_aliases,
            max_fields=settings.max_query_fields,
            max_query_bytes=settings.max_query_bytes,
            max_query_tokens=settings.max_query_tokens,
        )


@dataclass(frozen=True, slots=True)
class _Measure:
    """A selection set expanded: its cost, depth (levels of fields), aliases, fields, schemas,
    and how often each response key appears at its own level (fragments included)."""

    cost: int = 0
    depth: int = 0
    aliases: int = 0
    fields: int = 0
    schemas: int = 0
    keys: Mapping[str, int] = field(default_factory=dict)

    def below(self, levels: int) -> _Measure:
        """The same selections ``levels`` deeper (a fragment spread below the root)."""
        if not self.depth or not levels:
            return self
        return _Measure(
            self.cost, self.depth + levels, self.aliases, self.fields, self.schemas, self.keys
        )


def _multiplier(field: FieldNode) -> int:
    for arg in field.arguments or ():
        name = arg.name.value
        if name == "first":
            if isinstance(arg.value, IntValueNode):
                # Never convert a long digit string (Python refuses past 4,300 digits);
                # coercion refuses whatever is outside 32 bits anyway.
                literal = arg.value.value
                if literal.startswith("-"):
                    return 1
                return (
                    MAX_PAGE_SIZE if len(literal) > 3 else max(1, min(int(literal), MAX_PAGE_SIZE))
                )
            return MAX_PAGE_SIZE
        if name == "ids":
            if isinstance(arg.value, ListValueNode):
                return max(1, len(arg.value.values))
            return MAX_PAGE_SIZE
    return _DEFAULT_PAGE if field.name.value in _PAGED_BY_DEFAULT else 1


class _Cycle(Exception):
    """A fragment spreads itself, directly or through others."""

    def __init__(self, name: str, node: Node) -> None:
        super().__init__(name)
        self.name = name
        self.node = node


class _Measurer:
    """Measures selection sets; each fragment once, after the fragments it spreads."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode], limits: Limits) -> None:
        self.fragments = fragments
        self.limits = limits
        #: Literals out of bounds and fields repeated too often, found on the way.
        self.problems: list[GraphQLError] = []
        self.repeats_reported = False
        self.measured: dict[str, _Measure] = {}

    def fragment(self, name: str) -> _Measure:
        """The measure of fragment ``name`` as if spread at the root."""
        found = self.measured.get(name)
        if found is not None:
            return found
        # Depth first without recursion: a chain of fragments may be as long as the
        # document allows. Each entry is a fragment and the spreads it has yet to see.
        stack = [(name, _spreads(self.fragments[name].selection_set))]
        on_stack = {name}
        while stack:
            current, spreads = stack[-1]
            spread = next(spreads, None)
            if spread is None:
                stack.pop()
                on_stack.discard(current)
                self.measured[current] = self.selection_set(self.fragments[current].selection_set)
            elif spread in on_stack:
                raise _Cycle(spread, self.fragments[spread])
            elif spread in self.fragments and spread not in self.measured:
                stack.append((spread, _spreads(self.fragments[spread].selection_set)))
                on_stack.add(spread)
        return self.measured[name]

    def selection_set(self, selection_set: SelectionSetNode, level: int = 1) -> _Measure:
        """The measure of a selection set whose fields are ``level`` deep (1: the root)."""
        # Plain counters rather than measure objects: this runs once per field.
        cost = depth = aliases = fields = schemas = 0
        keys: dict[str, int] = {}
        for selection in selection_set.selections:
            if selection.directives:
                self.check_values(a.value for d in selection.directives for a in d.arguments or ())
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if selection.arguments:
                    self.check_values(a.value for a in selection.arguments)
                fields += 1
                aliases += selection.alias is not None
                schemas += name == "__schema"
                key = selection.alias.value if selection.alias else name
                keys[key] = min(keys.get(key, 0) + 1, _CAP)
                if not name.startswith("__"):
                    cost += 1
                    depth = max(depth, level)
                if selection.selection_set is None:
                    continue
                inner = self.selection_set(selection.selection_set, level + 1)
            elif isinstance(selection, InlineFragmentNode):
                inner = self.selection_set(selection.selection_set, level)
            elif (
                isinstance(selection, FragmentSpreadNode) and selection.name.value in self.fragments
            ):
                # (an unknown fragment is left to standard validation to report)
                inner = self.fragment(selection.name.value).below(level - 1)
            else:
                continue
            fields += inner.fields
            aliases += inner.aliases
            schemas += inner.schemas
            if not isinstance(selection, FieldNode):  # the same level: its keys are ours
                for key, count in inner.keys.items():
                    keys[key] = min(keys.get(key, 0) + count, _CAP)
            if isinstance(selection, FieldNode):
                if selection.name.value in _INTROSPECTION:
                    continue
                cost += min(_multiplier(selection) * inner.cost, _CAP)
            else:
                cost += inner.cost
            depth = max(depth, inner.depth)
        repeated = max(keys.values(), default=0)
        if repeated > _MAX_REPEATS and not self.repeats_reported:
            # graphql-core compares repeated fields pairwise: refuse before it does.
            self.repeats_reported = True
            key = max(keys, key=keys.__getitem__)
            message = (
                f"{key} is selected {repeated} times at one level (fragments expanded);"
                f" the limit is {_MAX_REPEATS}"
            )
            self.problems.append(_error(message, "QUERY_TOO_COMPLEX", selection_set))
        return _Measure(
            min(cost, _CAP), depth, min(aliases, _CAP), min(fields, _CAP), schemas, keys
        )

    def check_values(self, values: Iterable[ValueNode]) -> None:
        """Note literals out of bounds: NUL in a string, long lists, long integers.

        PostgreSQL text and JSONB cannot store U+0000 (GraphQL's ``\\u0000`` escape makes
        it only once parsed); Python refuses to convert integers of thousands of digits.
        """
        stack = list(values)
        while stack:
            node = stack.pop()
            if isinstance(node, StringValueNode):
                if "\x00" in node.value:
                    self.problems.append(_error(_NUL, "BAD_USER_INPUT", node))
            elif isinstance(node, IntValueNode):
                if len(node.value) > _MAX_INT_DIGITS:
                    message = f"an Int of {len(node.value)} digits"
                    self.problems.append(_error(message, "BAD_USER_INPUT", node))
            elif isinstance(node, ListValueNode):
                if len(node.values) > self.limits.max_list_items:
                    message = (
                        f"a list of {len(node.values)} items;"
                        f" the limit is {self.limits.max_list_items}"
                    )
                    self.problems.append(_error(message, "LIST_TOO_LONG", node))
                else:
                    stack.extend(node.values)
            elif isinstance(node, ObjectValueNode):
                stack.extend(f.value for f in node.fields)


def _spreads(selection_set: SelectionSetNode) -> Iterator[str]:
    """The names of the fragments a selection set spreads, at any level below it."""
    stack: list[SelectionSetNode] = [selection_set]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                yield selection.name.value
            elif isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
                stack.append(selection.selection_set)


def check_document(document: DocumentNode, limits: Limits) -> list[GraphQLError]:
    """The limits ``document`` breaks (empty when it is within them), each with its code."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    measurer = _Measurer(fragments, limits)
    errors: list[GraphQLError] = []
    try:
        for fragment in fragments.values():
            fields = measurer.fragment(fragment.name.value).fields
            if fields > limits.max_fields and not errors:
                name = f"fragment {fragment.name.value}"
                errors.append(_too_many_fields(name, fields, fragment, limits))
        total_fields = 0
        for operation in operations:
            measure = measurer.selection_set(operation.selection_set)
            total_fields += measure.fields
            errors.extend(_operation_errors(operation, measure, limits))
    except _Cycle as cycle:
        message = f"Cannot spread fragment '{cycle.name}' within itself."
        return [_error(message, "GRAPHQL_VALIDATION_FAILED", cycle.node)]
    if not errors and len(operations) > 1 and total_fields > limits.max_fields:
        errors.append(_too_many_fields("the document", total_fields, document, limits))
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
            values = [a.value for d in definition.directives or () for a in d.arguments or ()]
            for variable in definition.variable_definitions or ():
                if variable.default_value is not None:
                    values.append(variable.default_value)
            measurer.check_values(values)
    return measurer.problems + errors


def _operation_errors(
    node: OperationDefinitionNode, measure: _Measure, limits: Limits
) -> Sequence[GraphQLError]:
    name = f"operation {node.name.value if node.name else 'anonymous'}"
    errors = []
    if measure.depth > limits.max_depth:
        errors.append(
            _error(
                f"{name} is {measure.depth} levels deep; the limit is {limits.max_depth}",
                "QUERY_TOO_DEEP",
                node,
            )
        )
    if measure.aliases > limits.max_aliases:
        errors.append(
            _error(
                f"{name} uses {measure.aliases} aliases; the limit is {limits.max_aliases}",
                "TOO_MANY_ALIASES",
                node,
            )
        )
    if measure.fields > limits.max_fields:
        errors.append(_too_many_fields(name, measure.fields, node, limits))
    elif measure.schemas > 1:
        errors.append(
            _error(
                f"{name} selects __schema {measure.schemas} times; one a request",
                "TOO_MANY_FIELDS",
                node,
            )
        )
    if measure.cost > limits.max_cost and measure.depth <= limits.max_depth:
        # (a query too deep is refused for that; its cost would only say so again)
        errors.append(
            _error(
                f"{name} may cost {measure.cost} points; the limit is {limits.max_cost}",
                "QUERY_TOO_COMPLEX",
                node,
                cost=measure.cost,
            )
        )
    return errors


def _too_many_fields(name: str, fields: int, node: Node, limits: Limits) -> GraphQLError:
    return _error(
        f"{name} selects {fields} fields (fragments expanded); the limit is {limits.max_fields}",
        "TOO_MANY_FIELDS",
        node,
    )


def _error(message: str, code: str, node: Node, **extra: Any) -> GraphQLError:
    return GraphQLError(message, node, extensions={"code": code, **extra})
