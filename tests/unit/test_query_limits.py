"""Query limits (depth, aliases, fields, cost) measured before validation, on the real schema."""

from __future__ import annotations

from functools import cache

import pytest
from graphql import GraphQLSchema, parse, validate

from hub.api.limits import Limits, check_document
from hub.api.schema import build_schema


@cache
def schema() -> GraphQLSchema:
    return build_schema()._schema


def limit_errors(query: str, limits: Limits) -> list[str]:
    """The codes of the errors the limits rule reports for ``query`` (a valid query)."""
    document = parse(query)
    assert validate(schema(), document) == [], "the test query itself must be valid GraphQL"
    errors = check_document(document, limits)
    return [str((error.extensions or {}).get("code")) for error in errors]


def limits(depth: int = 100, cost: int = 10**9, aliases: int = 1000) -> Limits:
    return Limits(max_depth=depth, max_cost=cost, max_aliases=aliases)


# Depth counts the levels of fields: account(1) events(2) nodes(3) account(4) id(5).
DEPTH_5 = '{ account(id: "1") { events { nodes { account { id } } } } }'
# account(1) events(2) edges(3) node(4) account(5) id(6)
DEPTH_6 = '{ account(id: "1") { events { edges { node { account { id } } } } } }'


def deep_query(rounds: int) -> str:
    """A query 2 + 3 * rounds levels deep, going round Account.events.nodes.account."""
    return (
        '{ account(id: "1") { '
        + "events { nodes { account { " * rounds
        + "id"
        + " } } }" * rounds
        + " } }"
    )


# --- depth ---------------------------------------------------------------------------------


def test_query_at_the_depth_limit_passes() -> None:
    assert limit_errors(DEPTH_5, limits(depth=5)) == []


def test_query_one_level_deeper_than_the_limit_is_too_deep() -> None:
    assert limit_errors(DEPTH_6, limits(depth=5)) == ["QUERY_TOO_DEEP"]


def test_very_deep_query_is_too_deep() -> None:
    assert limit_errors(deep_query(30), limits(depth=10)) == ["QUERY_TOO_DEEP"]


def test_depth_limit_applies_to_the_deepest_branch_only() -> None:
    query = '{ a: account(id: "1") { id } b: account(id: "2") { events { edges { node { account { id } } } } } }'
    assert limit_errors(query, limits(depth=5)) == ["QUERY_TOO_DEEP"]
    assert limit_errors(query, limits(depth=6)) == []


def test_depth_hidden_in_fragments_is_still_counted() -> None:
    query = """
        { account(id: "1") { ...AccountEvents } }
        fragment AccountEvents on Account { events { edges { node { ...EventAccount } } } }
        fragment EventAccount on Event { account { events { nodes { id } } } }
    """
    # account(1) events(2) edges(3) node(4) account(5) events(6) nodes(7) id(8)
    assert limit_errors(query, limits(depth=7)) == ["QUERY_TOO_DEEP"]
    assert limit_errors(query, limits(depth=8)) == []


def test_depth_hidden_in_inline_fragments_is_still_counted() -> None:
    query = '{ node(id: "1") { ... on Account { events { nodes { account { events { nodes { id } } } } } } } }'
    # node(1) events(2) nodes(3) account(4) events(5) nodes(6) id(7)
    assert limit_errors(query, limits(depth=6)) == ["QUERY_TOO_DEEP"]
    assert limit_errors(query, limits(depth=7)) == []


# --- aliases -------------------------------------------------------------------------------


def aliased(count: int) -> str:
    fields = " ".join(f"a{i}: id" for i in range(count))
    return f'{{ account(id: "1") {{ {fields} }} }}'


def test_query_with_aliases_up_to_the_limit_passes() -> None:
    assert limit_errors(aliased(3), limits(aliases=3)) == []


def test_query_with_more_aliases_than_the_limit_is_refused() -> None:
    assert limit_errors(aliased(4), limits(aliases=3)) == ["TOO_MANY_ALIASES"]


def test_aliases_inside_fragments_are_counted() -> None:
    query = """
        { account(id: "1") { ...Ids } }
        fragment Ids on Account { a: id b: id c: id d: id }
    """
    assert limit_errors(query, limits(aliases=3)) == ["TOO_MANY_ALIASES"]


# --- cost ----------------------------------------------------------------------------------

NESTED_CONNECTIONS = """
    { accounts(first: 100) { edges { node { events(first: 100) { edges { node { id } } } } } } }
"""


def test_nested_connections_of_full_pages_are_too_complex() -> None:
    assert limit_errors(NESTED_CONNECTIONS, limits(cost=5_000)) == ["QUERY_TOO_COMPLEX"]


def test_too_complex_error_reports_the_cost() -> None:
    document = parse(NESTED_CONNECTIONS)
    (error,) = check_document(document, limits(cost=5_000))
    assert error.extensions is not None
    # 100 accounts × 100 events each: the cost is at least the 10,000 events it may return.
    assert int(error.extensions["cost"]) >= 100 * 100


def test_the_same_nesting_with_small_pages_is_cheap() -> None:
    small = NESTED_CONNECTIONS.replace("first: 100", "first: 5")
    assert limit_errors(small, limits(cost=5_000)) == []


def test_page_size_given_by_a_variable_counts_as_the_largest_page() -> None:
    query = """
        query ($n: Int!) {
          accounts(first: $n) { edges { node { events(first: $n) { edges { node { id } } } } } }
        }
    """
    assert limit_errors(query, limits(cost=5_000)) == ["QUERY_TOO_COMPLEX"]


def test_cost_hidden_in_fragments_is_still_counted() -> None:
    query = """
        { accounts(first: 100) { edges { node { ...Events } } } }
        fragment Events on Account { events(first: 100) { edges { node { id } } } }
    """
    assert limit_errors(query, limits(cost=5_000)) == ["QUERY_TOO_COMPLEX"]


# --- what is not limited -------------------------------------------------------------------

INTROSPECTION = (
    "{ __schema { types { name fields { name type { name ofType { name ofType { name } } } } } } }"
)


def test_introspection_is_not_counted() -> None:
    assert limit_errors(INTROSPECTION, limits(depth=2, cost=1, aliases=0)) == []


NORMAL_QUERY = """
    query Dashboard {
      viewer { clientId organization { name kind } }
      accounts(first: 20) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges {
          cursor
          node {
            id reference status
            balance { amountMinor currency }
            customer { name country }
            events(first: 5) { nodes { type occurredAt } }
          }
        }
      }
    }
"""


def test_normal_query_passes_the_production_limits() -> None:
    # The defaults of hub.settings.Settings.
    assert limit_errors(NORMAL_QUERY, Limits(max_depth=10, max_cost=50_000, max_aliases=30)) == []


@pytest.mark.parametrize(
    ("query", "tight", "code"),
    [
        (DEPTH_6, limits(depth=5, cost=5_000, aliases=3), "QUERY_TOO_DEEP"),
        (aliased(4), limits(depth=5, cost=5_000, aliases=3), "TOO_MANY_ALIASES"),
        # accounts edges node events edges node id: seven levels
        (NESTED_CONNECTIONS, limits(depth=7, cost=5_000, aliases=3), "QUERY_TOO_COMPLEX"),
    ],
    ids=["depth", "aliases", "cost"],
)
def test_each_limit_reports_only_its_own_code(query: str, tight: Limits, code: str) -> None:
    assert limit_errors(query, tight) == [code]


def test_standard_introspection_query_passes_the_default_limits() -> None:
    from graphql import get_introspection_query

    assert limit_errors(get_introspection_query(descriptions=True), limits(10, 50_000, 30)) == []


def test_fanning_out_introspection_is_refused_by_standard_validation() -> None:
    inner = "name"
    for _ in range(5):
        inner = f"possibleTypes {{ interfaces {{ {inner} }} }}"
    query = f"{{ __schema {{ types {{ {inner} }} }} }}"
    # Standard validation (which the hub runs before its own limits) refuses it.
    assert [e.message for e in validate(schema(), parse(query))] == [
        "Maximum introspection depth exceeded"
    ]


# --- fragments count as expanded, and are measured once ------------------------------------


def doubling_fragments(levels: int) -> str:
    """2**levels spreads of __typename in a document of a few hundred bytes per 10 levels."""
    fragments = ["fragment F0 on Query { __typename }"]
    fragments += [
        f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)
    ]
    return f"{{ ...F{levels} }} " + " ".join(fragments)


def prepare_codes(query: str) -> list[str]:
    """The codes with which the hub's schema refuses ``query``."""
    prepared = build_schema().prepare(query)
    return [str((e.extensions or {}).get("code")) for e in prepared.errors]


def test_doubling_fragments_are_refused_at_once_without_being_expanded() -> None:
    # 2**60 spreads: anything that expanded them (graphql-core's own validation takes seconds
    # at 2**22, doubling with each level) would never return; counting each fragment once
    # answers at once.
    codes = prepare_codes(doubling_fragments(60))
    # Too many fields, and __typename too often at one level.
    assert codes and set(codes) == {"TOO_MANY_FIELDS", "QUERY_TOO_COMPLEX"}


def test_a_few_doubling_fragments_within_the_limits_pass() -> None:
    assert prepare_codes(doubling_fragments(4)) == []  # 16 fields


def test_fragments_spread_twice_count_their_aliases_twice() -> None:
    query = """
        { account(id: "1") { ...Ids ...Ids } }
        fragment Ids on Account { a: id b: id }
    """
    assert limit_errors(query, limits(aliases=3)) == ["TOO_MANY_ALIASES"]
    assert limit_errors(query, limits(aliases=4)) == []


def test_fragment_cycles_are_refused_before_anything_expands_them() -> None:
    codes = prepare_codes("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }")
    assert codes == ["GRAPHQL_VALIDATION_FAILED"]


# --- meta fields, introspection and field counts -------------------------------------------


def test_aliases_of_meta_fields_are_counted() -> None:
    typenames = "{ " + " ".join(f"t{i}: __typename" for i in range(31)) + " }"
    assert limit_errors(typenames, limits(aliases=30)) == ["TOO_MANY_ALIASES"]
    types = "{ " + " ".join(f't{i}: __type(name: "Query") {{ name }}' for i in range(31)) + " }"
    assert limit_errors(types, limits(aliases=30)) == ["TOO_MANY_ALIASES"]


def test_one_schema_introspection_a_request() -> None:
    query = "{ __schema { queryType { name } } again: __schema { types { name } } }"
    assert limit_errors(query, limits()) == ["TOO_MANY_FIELDS"]


def test_fields_beyond_the_limit_are_refused() -> None:
    query = "{ " + " ".join(f"v{i}: viewer {{ clientId }}" for i in range(501)) + " }"
    assert limit_errors(query, limits(aliases=10_000)) == ["TOO_MANY_FIELDS"]  # 1,002 fields
    assert limit_errors(query, Limits(max_aliases=10_000, max_fields=1_002)) == []


def test_a_field_repeated_many_times_is_refused_quickly() -> None:
    # Within the field limit, but graphql-core's overlap check is quadratic in repetitions.
    # Refused by the hub's own count (one response key at most 30 times at one level) before
    # graphql-core's quadratic check runs.
    assert prepare_codes("{ " + "viewer { clientId } " * 400 + "}") == ["QUERY_TOO_COMPLEX"]
    assert prepare_codes("{ " + "viewer { clientId } " * 30 + "}") == []


# --- the query text ------------------------------------------------------------------------


def test_query_text_over_the_size_limit_is_refused_unparsed() -> None:
    assert prepare_codes("{ viewer { clientId } }" + " " * 100_000) == ["QUERY_TOO_LARGE"]
    # Unparsed: a syntax error past the limit is never reached.
    assert prepare_codes("{ viewer { clientId } }" + " " * 100_000 + "{{{") == ["QUERY_TOO_LARGE"]


def test_query_text_over_the_token_limit_is_refused() -> None:
    assert prepare_codes("{ " + "__typename " * 2_001 + "}") == ["QUERY_TOO_LARGE"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ accounts(first: " + "9" * 5_000 + ") { totalCount } }", "BAD_USER_INPUT"),
        ("{ nodes(ids: [" + '"x", ' * 1_001 + "]) { id } }", "LIST_TOO_LONG"),
        (
            "{ accounts(filter: {status: [" + "PLACED " * 1_001 + "]}) { totalCount } }",
            "LIST_TOO_LONG",
        ),
        ('{ account(reference: "a\\u0000b") { id } }', "BAD_USER_INPUT"),
        ('query($r: String = "a\\u0000b") { account(reference: $r) { id } }', "BAD_USER_INPUT"),
    ],
    ids=["long int", "long list", "long nested list", "NUL", "NUL in a default"],
)
def test_literals_out_of_bounds_have_a_code(query: str, code: str) -> None:
    assert prepare_codes(query) == [code]


# --- validation errors about variables -----------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "query($x: Int) { viewer { clientId } }",
        "query { accounts(first: $n) { totalCount } }",
        "query($n: String) { accounts(first: $n) { totalCount } }",
        "query($n: Account) { viewer { clientId } }",
    ],
    ids=["unused", "undefined", "wrong position", "not an input type"],
)
def test_variable_mistakes_are_bad_user_input(query: str) -> None:
    codes = prepare_codes(query)
    assert codes and set(codes) == {"BAD_USER_INPUT"}


def test_fragments_that_overlap_too_much_to_check_quickly_are_too_complex() -> None:
    def query(count: int) -> str:
        fragments = " ".join(
            f"fragment F{i} on Viewer {{ clientId scopes organization {{ id name }} }}"
            for i in range(count)
        )
        return "{ viewer { " + " ".join(f"...F{i}" for i in range(count)) + f" }} }} {fragments}"

    # Each field 25 times at one level, within that limit, but 25 fragments compared pairwise:
    # more than the hub's overlap budget (graphql-core's own budget lets it through).
    assert prepare_codes(query(25)) == ["QUERY_TOO_COMPLEX"]
    assert prepare_codes(query(5)) == []
