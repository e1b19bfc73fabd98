"""The strawberry schema, built once per app with its limits and caches."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import AddValidationRules, ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig

from hub.api.limits import Limits, NulFreeStringsRule, build_rule
from hub.api.mutations import Mutation
from hub.api.queries import Query
from hub.api.scalars import SCALAR_MAP
from hub.api.types import Account, Customer, Event, Organization
from hub.settings import Settings


class HubSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Errors are logged where they are formatted (hub.api.errors), once, without noise."""


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
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
        types=[Account, Customer, Event, Organization],
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        extensions=[
            # Same rule classes every request, so the validation cache keys stay equal.
            lambda: AddValidationRules(rules),
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
        ],
    )


def export_sdl() -> str:
    """The schema in SDL, as committed in schema/schema.graphql."""
    return build_schema().as_str() + "\n"
