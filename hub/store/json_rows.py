"""PostgreSQL: many rows of a table bound as one JSON parameter.

A placement batch writes a thousand events and five hundred rows of KPI facts in one
statement. Bound as one array per column (``unnest``), every element passed through
asyncpg's array encoder, which asks of each one whether it is itself an array (an
``isinstance`` against the iterable ABCs, about 0.4 µs an element): 40 µs an account of the
hub's time, a tenth of a placement's. Bound as one JSON text (orjson, in C) and read back by
``json_populate_recordset`` on the table's own row type, the same rows cost the hub a few
µs an account, and PostgreSQL converts each value with its column's input function.

A placement batch's accounts and customers go the same way (``hub.store.placements``):
bound row by row, their 17,500 parameters each went through SQLAlchemy's and asyncpg's
per-value processing.

The rows' keys are the table's column names; a column a row lacks is NULL, and so is a
JSON column's ``null`` unless the column is named in ``json_null`` (where the table's JSON
type stores Python's None as the JSON ``null``, as ``hub.store.columns.JSONType`` does).
Datetimes are written with their offset (orjson's RFC 3339), so they must be aware, as
every instant of the hub is (``hub.store.columns.UTCDateTime`` refuses naive ones where it
binds them); bytes as PostgreSQL's hex form of ``bytea``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


def rows_of(
    table: sa.Table, columns: Sequence[str], name: str, json_null: Sequence[str] = ()
) -> sa.Select[Any]:
    """``SELECT columns FROM json_populate_recordset(NULL::table, :name)``: the rows bound
    by ``parameter`` under ``name``, typed as the table's columns."""
    records = sa.func.json_populate_recordset(
        sa.literal_column(f"NULL::{table.name}"),
        sa.cast(sa.bindparam(name, type_=sa.Text()), postgresql.JSON),
    ).table_valued(*columns, name=f"{name}_rows")
    return sa.select(
        *(
            sa.func.coalesce(records.c[column], sa.literal_column("'null'::jsonb")).label(column)
            if column in json_null
            else records.c[column]
            for column in columns
        )
    )


def parameter(rows: Sequence[Mapping[str, Any]]) -> str:
    """The rows as the JSON text ``rows_of`` reads (keys beyond its columns are ignored)."""
    return orjson.dumps(rows, default=_bytea).decode()


def _bytea(value: Any) -> str:
    if isinstance(value, bytes):
        return "\\x" + value.hex()
    raise TypeError(f"{type(value).__name__} is not a JSON row value")
