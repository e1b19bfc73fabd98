"""The committed schema file matches the code, and the schema documents itself."""

from __future__ import annotations

from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
)

from hub.api.schema import build_schema, export_sdl

SCHEMA_FILE = Path(__file__).parents[2] / "schema" / "schema.graphql"
BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}


def test_committed_schema_matches_the_code() -> None:
    assert SCHEMA_FILE.read_text() == export_sdl(), (
        "schema/schema.graphql is stale: run `evenly-hub schema export > schema/schema.graphql`"
    )


def test_every_type_field_argument_and_enum_value_has_a_description() -> None:
    schema = build_schema()._schema
    missing: list[str] = []
    for name, type_ in schema.type_map.items():
        if name.startswith("__") or name in BUILT_IN:
            continue
        if not type_.description:
            missing.append(name)
        if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType)):
            for field_name, field in type_.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                missing += [
                    f"{name}.{field_name}({arg})"
                    for arg, a in field.args.items()
                    if not a.description
                ]
        elif isinstance(type_, GraphQLInputObjectType):
            missing += [f"{name}.{f}" for f, v in type_.fields.items() if not v.description]
        elif isinstance(type_, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, d in type_.values.items() if not d.description]
        elif isinstance(type_, GraphQLScalarType):
            pass
    assert missing == []
