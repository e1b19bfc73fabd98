"""The strawberry schema, built once per app with its limits, and how operations run.

Every operation, over HTTP or websocket, is prepared by ``HubSchema.prepare``: its text
bounded (size, then tokens while parsing), its document measured against the limits
(``hub.api.limits``) before graphql-core validates it with the hub's rules
(``hub.api.validation``). Documents of ordinary size are remembered by their text (an LRU
cache bounded by the total size of the texts), so a client repeating a query parses and
validates it once, and the cache's memory stays bounded whatever clients send. Operations then run on graphql-core's ``execute`` and
``subscribe``, skipping strawberry's per-request extension machinery, which costs more
than the execution of a small mutation; resolvers are strawberry's.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSyntaxError,
    OperationType,
    Source,
    Token,
    execute,
    get_operation_ast,
    subscribe,
    validate,
)
from graphql.language import Lexer
from graphql.language.parser import Parser
from graphql.validation.validate import ValidationAbortedError
from strawberry.schema.config import StrawberryConfig

from hub.api.execution import executor_for
from hub.api.limits import Limits, check_document
from hub.api.mutations import Mutation
from hub.api.queries import Query
from hub.api.scalars import SCALAR_MAP
from hub.api.subscriptions import Subscription
from hub.api.types import Account, Customer, Event, Organization
from hub.api.validation import validation_rules
from hub.api.webhooks import WebhookEndpoint
from hub.settings import Settings

#: Prepared documents take some 200 times the size of their text in memory, so the cache
#: is bounded by the total size of the texts it holds (~50 MB at most), and by entries.
_CACHE_ENTRIES = 512
_CACHE_CHARS = 256 * 1024
_CACHED_QUERY_CHARS = 8 * 1024
#: graphql-core stops validating after this many errors.
_MAX_VALIDATION_ERRORS = 100


@dataclass(frozen=True)
class Prepared:
    """A query text parsed and validated: the document, or the errors that stop it."""

    document: DocumentNode | None
    errors: Sequence[GraphQLError]


class _PreparedCache:
    """Least recently used prepared documents, bounded in entries and in text size."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, Prepared] = OrderedDict()
        self._chars = 0

    def get(self, query: str) -> Prepared | None:
        found = self._entries.get(query)
        if found is not None:
            self._entries.move_to_end(query)
        return found

    def put(self, query: str, prepared: Prepared) -> None:
        # Refusals are not kept: their errors hold the whole document, and a client that
        # repeats a refused query is the exception.
        if prepared.document is None or len(query) > _CACHED_QUERY_CHARS:
            return
        if query in self._entries:
            return
        self._entries[query] = prepared
        self._chars += len(query)
        while len(self._entries) > _CACHE_ENTRIES or self._chars > _CACHE_CHARS:
            evicted, _ = self._entries.popitem(last=False)
            self._chars -= len(evicted)


class HubSchema(strawberry.Schema):
    def __init__(self, *args: Any, limits: Limits, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._rules = validation_rules()
        self._prepared = _PreparedCache()
        self._executor = executor_for(self._schema)
        self._root_fields = {
            OperationType.QUERY: frozenset(self._schema.query_type.fields)
            if self._schema.query_type
            else frozenset(),
            OperationType.MUTATION: frozenset(self._schema.mutation_type.fields)
            if self._schema.mutation_type
            else frozenset(),
            OperationType.SUBSCRIPTION: frozenset(self._schema.subscription_type.fields)
            if self._schema.subscription_type
            else frozenset(),
        }

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Errors are logged where they are formatted (hub.api.errors), once, without noise."""

    def prepare(self, query: str) -> Prepared:
        """``query`` parsed and validated, or the errors that refuse it (each with a code)."""
        prepared = self._prepared.get(query)
        if prepared is None:
            prepared = self._prepare(query)
            self._prepared.put(query, prepared)
        return prepared

    def _prepare(self, query: str) -> Prepared:
        limits = self.limits
        size = len(query) if query.isascii() else len(query.encode())
        if size > limits.max_query_bytes:
            message = f"the query is {size} bytes; the limit is {limits.max_query_bytes}"
            return _refused(message, "QUERY_TOO_LARGE")
        try:
            document = _parse(query, limits.max_query_tokens)
        except GraphQLSyntaxError as error:
            error.__traceback__ = None  # (its frames hold the parser)
            if "tokens" in error.message and "Parsing aborted" in error.message:
                message = f"the query has more than {limits.max_query_tokens} tokens"
                return _refused(message, "QUERY_TOO_LARGE")
            if "nested too deeply" in error.message:
                return _refused("the query is nested too deeply", "QUERY_TOO_DEEP")
            return Prepared(None, (error,))
        except RecursionError:  # the parser's own bound on nesting (values, selections)
            return _refused("the query is nested too deeply", "QUERY_TOO_DEEP")
        problems = check_document(document, limits)
        if problems:
            return Prepared(None, tuple(problems))
        errors = validate(self._schema, document, self._rules, max_errors=_MAX_VALIDATION_ERRORS)
        if not errors:
            return Prepared(document, ())
        return Prepared(None, tuple(_validation_error(e, len(errors)) for e in errors))

    def operation_label(self, document: DocumentNode | None, operation_name: str | None) -> str:
        """``mutation placeAccount``: a metrics label from the operation's root fields.

        Only fields of the schema appear (at most three, sorted), so what a client makes up
        never becomes a label value: the labels are bounded by the schema.
        """
        operation = get_operation_ast(document, operation_name) if document else None
        if operation is None:
            return "invalid"
        known = self._root_fields.get(operation.operation, frozenset())
        fields = sorted(
            {
                s.name.value
                for s in operation.selection_set.selections
                if hasattr(s, "name") and s.name.value in known
            }
        )
        return f"{operation.operation.value} {','.join(fields[:3]) or '-'}"

    async def run(
        self,
        document: DocumentNode,
        *,
        variables: dict[str, Any] | None,
        context: Any,
        operation_name: str | None,
    ) -> ExecutionResult:
        """Execute a prepared query or mutation."""
        result = execute(
            self._schema,
            document,
            variable_values=variables,
            context_value=context,
            operation_name=operation_name,
            executor_class=self._executor,
        )
        if isawaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)
        return result

    async def subscribe(  # type: ignore[override]
        self,
        document: DocumentNode,
        *,
        variables: dict[str, Any] | None,
        context: Any,
        operation_name: str | None,
    ) -> AsyncIterator[ExecutionResult] | ExecutionResult:
        """Start a prepared subscription: its results, or the errors that stop it."""
        result = subscribe(
            self._schema,
            document,
            variable_values=variables,
            context_value=context,
            operation_name=operation_name,
        )
        if isawaitable(result):
            result = await result
        return result


def _parse(query: str, max_tokens: int) -> DocumentNode:
    """``parse``, breaking the lexer's list of tokens afterwards, whether it succeeded or not.

    Each token links its neighbours, and nothing needs those links once the document is
    built: left alone, every document (and every refused one) is a reference cycle that only
    the garbage collector frees, and collections of that much pause the event loop.
    """
    lexer = Lexer(Source(query))
    try:
        return Parser(lexer.source, max_tokens=max_tokens, lexer=lexer).parse_document()
    finally:
        token: Token | None = lexer.token
        ahead = token.next if token is not None else None
        while token is not None:
            token.next, token.prev, token = None, None, token.prev
        while ahead is not None:
            ahead.next, ahead.prev, ahead = None, None, ahead.next


def _refused(message: str, code: str) -> Prepared:
    return Prepared(None, (GraphQLError(message, extensions={"code": code}),))


def _validation_error(error: GraphQLError, count: int) -> GraphQLError:
    if isinstance(error, ValidationAbortedError) and count <= _MAX_VALIDATION_ERRORS:
        # Not the error limit: the overlapping-fields rule ran out of budget, or fragments
        # nest too deeply to validate.
        return GraphQLError(
            "the query is too complex to validate", extensions={"code": "QUERY_TOO_COMPLEX"}
        )
    return error


def operation_type(document: DocumentNode, operation_name: str | None) -> OperationType | None:
    """The type of the operation to run, or None if ``operation_name`` picks none."""
    operation = get_operation_ast(document, operation_name)
    return operation.operation if operation is not None else None


def build_schema(settings: Settings | None = None) -> HubSchema:
    settings = settings or Settings()
    return HubSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Account, Customer, Event, Organization, WebhookEndpoint],
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        limits=Limits.from_settings(settings),
    )


def export_sdl() -> str:
    """The schema in SDL, as committed in schema/schema.graphql."""
    return build_schema().as_str() + "\n"
