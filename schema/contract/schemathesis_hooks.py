"""Schemathesis hooks for contract-testing the Evenly GraphQL API.

Use with the CLI::

    PYTHONPATH=schema/contract SCHEMATHESIS_HOOKS=schemathesis_hooks \\
      schemathesis run http://127.0.0.1:8000/graphql -H "Authorization: Bearer $TOKEN"

or import it from a pytest module before loading the schema. It registers:

- a generation strategy for every custom scalar of ``schema/schema.graphql`` (schemathesis
  refuses unknown scalars): ``DateTime``, ``Date``, ``CountryCode``, ``CurrencyCode``,
  ``Email``, ``PhoneNumber``, ``JSON``. Mostly valid values, so generated operations reach
  the resolvers, with some malformed ones the API must reject cleanly;
- the check ``graphql_errors_are_handled``: every GraphQL error must carry a stable
  ``extensions.code`` other than ``INTERNAL_SERVER_ERROR``, and no response may be a 5xx;
- a ``filter_failure`` hook that keeps schemathesis' built-in "GraphQL server/client error"
  failures only when some error lacks such a code. Expected refusals (``INVALID_CURSOR``,
  ``FORBIDDEN``, ``QUERY_TOO_COMPLEX`` …) are part of the contract, not bugs.

This file depends on schemathesis and hypothesis only, never on the hub.
"""

from __future__ import annotations

import datetime
from typing import Any

import graphql
import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes
from schemathesis.graphql.checks import GraphQLClientError, GraphQLServerError

COUNTRIES = ["SE", "GB", "DE", "ES", "FR", "NL", "US", "NO", "FI", "DK"]
CURRENCIES = ["SEK", "GBP", "EUR", "USD", "NOK", "DKK", "JPY", "KWD"]
UNHANDLED_CODES = {None, "INTERNAL_SERVER_ERROR"}


def _string(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[graphql.ValueNode]:
    return strategy.map(nodes.String)


def _sometimes_malformed(valid: st.SearchStrategy[str]) -> st.SearchStrategy[graphql.ValueNode]:
    """Mostly valid values, one in ten arbitrary text."""
    return _string(
        st.one_of(
            valid, valid, valid, valid, valid, valid, valid, valid, valid, st.text(max_size=12)
        )
    )


schemathesis.graphql.scalar(
    "DateTime",
    _string(
        st.datetimes(
            min_value=datetime.datetime(2000, 1, 1),
            max_value=datetime.datetime(2100, 1, 1),
            timezones=st.just(datetime.UTC),
        ).map(lambda d: d.isoformat().replace("+00:00", "Z"))
    ),
)
schemathesis.graphql.scalar(
    "Date",
    _string(
        st.dates(datetime.date(2000, 1, 1), datetime.date(2100, 1, 1)).map(datetime.date.isoformat)
    ),
)
schemathesis.graphql.scalar(
    "CountryCode",
    _sometimes_malformed(st.sampled_from(COUNTRIES) | st.sampled_from(COUNTRIES).map(str.lower)),
)
schemathesis.graphql.scalar("CurrencyCode", _sometimes_malformed(st.sampled_from(CURRENCIES)))
schemathesis.graphql.scalar(
    "Email", _sometimes_malformed(st.emails(domains=st.sampled_from(["example.com", "example.se"])))
)
schemathesis.graphql.scalar(
    "PhoneNumber", _sometimes_malformed(st.from_regex(r"\+[1-9][0-9]{7,13}", fullmatch=True))
)


def _json_node(value: Any) -> graphql.ValueNode:
    """A JSON value as a GraphQL literal."""
    if value is None:
        return nodes.Null
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    if isinstance(value, str):
        return nodes.String(value)
    if isinstance(value, list):
        return nodes.List([_json_node(v) for v in value])
    return nodes.Object(
        [
            graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=_json_node(v))
            for k, v in value.items()
        ]
    )


# Keys are printed as GraphQL object field names, so they must be GraphQL names.
_json_keys = st.from_regex(r"[_A-Za-z][_0-9A-Za-z]{0,8}", fullmatch=True)
_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**31), 2**31 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(_json_keys, children, max_size=3)
    ),
    max_leaves=8,
)
schemathesis.graphql.scalar("JSON", _json_values.map(_json_node))


def _code(error: Any) -> Any:
    extensions = error.get("extensions") if isinstance(error, dict) else None
    return extensions.get("code") if isinstance(extensions, dict) else None


@schemathesis.check
def graphql_errors_are_handled(ctx: Any, response: Any, case: Any) -> bool | None:
    """No 5xx, and every GraphQL error carries a stable code other than INTERNAL_SERVER_ERROR."""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code} from the GraphQL endpoint")
    if case.meta is not None and case.meta.generation.mode.is_negative:
        return True  # invalid documents: validation errors are expected
    try:
        payload = response.json()
    except ValueError:
        raise AssertionError("the GraphQL response is not JSON") from None
    errors = payload.get("errors") if isinstance(payload, dict) else None
    unhandled = [e for e in errors or [] if _code(e) in UNHANDLED_CODES]
    if unhandled:
        lines = [f"- {e.get('message')!r} path={e.get('path')} code={_code(e)}" for e in unhandled]
        raise AssertionError("unhandled GraphQL error(s):\n" + "\n".join(lines))
    return None


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Drop built-in GraphQL error failures when every error has a handled code."""
    if isinstance(failure, (GraphQLServerError, GraphQLClientError)):
        return not all(_code(e) not in UNHANDLED_CODES for e in failure.errors)
    return True
