"""The strawberry schema, built once per app with its limits, and how HTTP runs operations.

HTTP operations run through ``HubSchema.run``: graphql-core's ``execute`` on a document
parsed and validated once per distinct query text (an LRU cache), with the hub's rules.
That skips strawberry's per-request extension machinery, which costs more than the
execution of a small mutation. Resolvers are strawberry's either way; the extensions
configured below serve strawberry's own paths (subscriptions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from inspect import isawaitable
from typing import Any

import strawberry
from graphql import (
    ASTValidationRule,
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    OperationType,
    execute,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from strawberry.extensions import AddValidationRules, ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from hub.api.errors import CodedErrors
from hub.api.limits import Limits, NulFreeStringsRule, build_rule
from hub.api.mutations import Mutation
from hub.api.queries import Query
from hub.api.scalars import SCALAR_MAP
from hub.api.subscriptions import Subscription
from hub.api.types import Account, Customer, Event, Organization
from hub.api.webhooks import WebhookEndpoint
from hub.settings import Settings

_DOCUMENT_CACHE = 512


@dataclass(frozen=True)
class Prepared:
    """A query text parsed and validated: the document, or the errors that stop it."""

    document: DocumentNode | None
    errors: Sequence[GraphQLError]


class HubSchema(strawberry.Schema):
    def __init__(self, *args: Any, hub_rules: Sequence[type[ASTValidationRule]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        rules = (*specified_rules, MaybeNullValidationRule, OneOfInputValidationRule, *hub_rules)
        self.prepare = lru_cache(maxsize=_DOCUMENT_CACHE)(self._prepare)
        self._rules = rules

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Errors are logged where they are formatted (hub.api.errors), once, without noise."""

    def _prepare(self, query: str) -> Prepared:
        try:
            document = parse(query)
        except GraphQLError as error:
            return Prepared(None, (error,))
        errors = validate(self._schema, document, self._rules)
        return Prepared(None, tuple(errors)) if errors else Prepared(document, ())

    async def run(
        self,
        document: DocumentNode,
        *,
        variables: dict[str, Any] | None,
        context: Any,
        operation_name: str | None,
    ) -> ExecutionResult:
        result = execute(
            self._schema,
            document,
            variable_values=variables,
            context_value=context,
            operation_name=operation_name,
        )
        if isawaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)
        return result


def operation_type(document: DocumentNode, operation_name: str | None) -> OperationType | None:
    """The type of the operation to run, or None if ``operation_name`` picks none."""
    operation = get_operation_ast(document, operation_name)
    return operation.operation if operation is not None else None


def build_schema(settings: Settings | None = None) -> HubSchema:
    settings = settings or Settings()
    rules: list[type[ASTValidationRule]] = [
        build_rule(
            Limits(
                max_depth=settings.max_query_depth,
                max_cost=settings.max_query_cost,
                max_aliases=settings.max_aliases,
            )
        ),
        NulFreeStringsRule,
    ]
    return HubSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Account, Customer, Event, Organization, WebhookEndpoint],
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        extensions=[
            # Same rule classes every request, so the validation cache keys stay equal.
            lambda: AddValidationRules(rules),
            lambda: ParserCache(maxsize=_DOCUMENT_CACHE),
            lambda: ValidationCache(maxsize=_DOCUMENT_CACHE),
            CodedErrors,
        ],
        hub_rules=rules,
    )


def export_sdl() -> str:
    """The schema in SDL, as committed in schema/schema.graphql."""
    return build_schema().as_str() + "\n"
