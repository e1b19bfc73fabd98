"""Column types and helpers the tables share (``hub.store.tables``)."""

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
#: JSON whose Python None is SQL NULL (not the JSON ``null``), so COALESCE can see it.
NullableJSONType = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)
BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def timestamp(nullable: bool = False) -> Any:
    """A UTC timestamp field."""
    return Field(sa_column=sa.Column(UTCDateTime(), nullable=nullable))
