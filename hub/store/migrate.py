"""Schema migrations with alembic: ``evenly-hub migrate`` and the test fixtures call this;
and whether a database is there and migrated, which every other command checks first."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from hub.store.availability import unavailable_as_error

_INI = Path(__file__).with_name("alembic.ini")


def alembic_config(url: str) -> Config:
    config = Config(str(_INI))
    config.set_main_option("script_location", str(_INI.with_name("migrations")))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the database behind ``engine`` to the newest revision."""

    def _upgrade(connection: object) -> None:
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)


def displayed_url(url: str) -> str:
    """``url`` with its password hidden, to name it in a message."""
    return make_url(url).render_as_string(hide_password=True)


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (``None`` for other backends and in-memory databases)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


@dataclass(frozen=True)
class SchemaState:
    """Where a database's schema stands: its alembic revision (``None``: never migrated)."""

    current: str | None
    head: str

    @property
    def is_current(self) -> bool:
        return self.current == self.head


async def schema_state(url: str) -> SchemaState:
    """The revision of the database at ``url`` against the newest one, read on a connection
    of its own. Raises ``DatabaseUnavailable`` when the database cannot be reached."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head() or ""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        with unavailable_as_error():
            async with engine.connect() as conn:
                current = await conn.run_sync(
                    lambda sync: MigrationContext.configure(sync).get_current_revision()
                )
    finally:
        await engine.dispose()
    return SchemaState(current, head)
