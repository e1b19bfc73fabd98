"""The executor of queries and mutations: graphql-core's, with a short path for plain leaves.

Most of a large response is leaves read straight off an object: the ``id``, ``reference``
and ``status`` of each account on a page, the ``index`` and ``replayed`` of each of a
placement's 500 results. graphql-core resolves each of them like any field (a resolve
info, strawberry's resolver wrapper, two awaitable checks, a recursive completion): on a
``placeAccounts`` of 500 the response's completion was about a quarter of the API's CPU.
For a field that strawberry resolves by reading the attribute (no resolver, permissions or
extensions) and whose type is a scalar or an enum, ``HubExecutor`` reads the attribute and
serializes it itself; a list field of that kind takes the short path when it is empty (the
``userErrors`` and ``warnings`` of every result). Anything out of the ordinary (the
attribute raises, or is an exception or an awaitable; a null on a non-null field; a value
the scalar refuses; arguments; middleware) takes graphql-core's own path, which reports it
as it always does: the response is the same, only cheaper to make.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from graphql import (
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
)
from graphql.execution.incremental import IncrementalExecutor
from graphql.pyutils import Path
from strawberry.schema.schema_converter import GraphQLCoreConverter


class PlainField(NamedTuple):
    """A field strawberry resolves by reading an attribute of its source: a leaf, or a
    list (``type`` None), whose short path is only for an empty one."""

    attribute: str
    type: GraphQLLeafType | None
    nullable: bool


def plain_fields(schema: GraphQLSchema) -> dict[tuple[str, str], PlainField]:
    """The plain leaf and list fields of ``schema``, by (object type, field) name."""
    found = {}
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            leaf = get_nullable_type(field.type)
            basic = getattr(field.resolve, "_is_default", False)
            if definition is None or not basic or field.args:
                continue
            if definition.default_resolver is not getattr:
                continue
            nullable = not is_non_null_type(field.type)
            if is_leaf_type(leaf):
                found[(type_.name, name)] = PlainField(definition.python_name, leaf, nullable)
            elif is_list_type(leaf):
                found[(type_.name, name)] = PlainField(definition.python_name, None, nullable)
    return found


def executor_for(schema: GraphQLSchema) -> type[IncrementalExecutor]:
    """The executor class for ``schema``, knowing its plain fields."""
    return type("HubExecutor", (HubExecutor,), {"plain": plain_fields(schema)})


_MISSING = object()


class HubExecutor(IncrementalExecutor):
    """graphql-core's executor with the short path for plain leaves (module docstring)."""

    plain: dict[tuple[str, str], PlainField] = {}

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        node = field_details_list[0].node
        plain = self.plain.get((parent_type.name, node.name.value))
        if plain is not None and not node.arguments and not self.middleware_manager:
            value = self._plain_value(plain, source)
            if value is not _MISSING:
                return value
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def _plain_value(self, plain: PlainField, source: Any) -> Any:
        """The serialized value, or ``_MISSING`` for graphql-core's path to decide."""
        try:
            value = getattr(source, plain.attribute)
            if value is None:
                return None if plain.nullable else _MISSING
            if plain.type is None:
                return [] if type(value) in (list, tuple) and not value else _MISSING
            if isinstance(value, BaseException) or self.is_awaitable(value):
                return _MISSING
            serialized = plain.type.coerce_output_value(value)
        except Exception:
            return _MISSING
        return _MISSING if serialized is None or serialized is Undefined else serialized
