"""What a command checks before it uses the database, and what it says when it cannot.

Every command but ``migrate`` (and ``serve``, which migrates) needs a database that exists
and is migrated, and creates nothing on disk (no data directory, no key): run in the wrong
directory, it names the data directory or URL it looked at and the fix (``evenly-hub
migrate``, ``EVENLY_DATA_DIR``, ``EVENLY_DATABASE_URL``) instead of a traceback. A database
out of reach, or one that does not exist on its server, gets the same kind of message.
"""

from __future__ import annotations

import click

from hub.settings import Settings
from hub.store.availability import is_missing_database, is_unavailable, root_cause
from hub.store.migrate import displayed_url, schema_state, sqlite_file

_FIX = (
    "run `evenly-hub migrate` with the same settings to create it, or set EVENLY_DATA_DIR "
    "or EVENLY_DATABASE_URL to the hub's data"
)


def database_named(settings: Settings) -> str:
    """The database a command uses, as the user configured it (no password)."""
    if settings.database_url:
        return f"EVENLY_DATABASE_URL={displayed_url(settings.database_url)}"
    return f"the data directory {settings.data_dir.resolve()} (EVENLY_DATA_DIR, default ./.evenly)"


async def require_database(settings: Settings, *, creates: bool) -> None:
    """Refuse, with what was looked at and the fix, a database that is out of reach; unless
    the command ``creates`` it, also one that is missing or not migrated, and a PII key that
    would have to be generated."""
    where = database_named(settings)
    url = settings.resolved_database_url
    file = sqlite_file(url)
    if creates:
        if file is None:  # a server database: reachable before anything is written here
            await schema_state(url)
        return
    if file is not None and not file.is_file():
        raise click.ClickException(f"no hub database {file.resolve()} in {where}; {_FIX}")
    state = await schema_state(url)
    if not state.is_current:
        done = f"at revision {state.current}" if state.current else "empty"
        raise click.ClickException(
            f"the database in {where} is not migrated ({done}; this hub needs "
            f"{state.head}); run `evenly-hub migrate`, or set EVENLY_DATA_DIR or "
            "EVENLY_DATABASE_URL to the hub's data"
        )
    key = settings.data_dir / "encryption.key"
    if not (settings.encryption_key or settings.encryption_key_file or key.is_file()):
        raise click.ClickException(
            f"no PII key: EVENLY_ENCRYPTION_KEY and EVENLY_ENCRYPTION_KEY_FILE are unset and "
            f"{key.resolve()} does not exist; set one of them, or EVENLY_DATA_DIR to the "
            "hub's data directory"
        )


def database_failure(error: BaseException) -> str | None:
    """What to tell the user when ``error`` means the database is out of reach or missing
    (``None``: another failure, left to show itself)."""
    where = database_named(Settings.from_env())
    if is_missing_database(error):
        return (
            f"the database does not exist ({where}); create it (`createdb`) and run "
            "`evenly-hub migrate`, or set EVENLY_DATABASE_URL to the hub's database"
        )
    if not is_unavailable(error):
        return None
    lines = str(root_cause(error)).strip().splitlines()
    reason = lines[0][:200] if lines else "unavailable"
    return (
        f"cannot reach the database in {where}: {reason}; start it, or set "
        "EVENLY_DATABASE_URL to the hub's database"
    )
