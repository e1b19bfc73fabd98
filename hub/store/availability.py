"""When the database cannot be reached: the one place that decides which failures mean that.

Every use of the database goes through ``Database`` (``hub.store.database``), whose
connections turn such a failure into ``DatabaseUnavailable``; the edges (HTTP, websocket,
the token endpoint, health checks) answer it with ``SERVICE_UNAVAILABLE`` and a retry delay
instead of an error of their own. Anything else stays what it is: a bug is not an outage.
"""

from __future__ import annotations

import errno
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from hub.domain.errors import DatabaseUnavailable

# PostgreSQL SQLSTATEs: class 08 (connection exception), shutdowns, "cannot connect now"
# (starting up or shutting down), too many connections.
_SQLSTATE_CLASSES = ("08",)
_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})
# SQLite primary result codes of a file that cannot be used now (busy, locked, unreadable,
# read-only, full, corrupt), as opposed to a bad statement.
_SQLITE_CODES = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CORRUPT,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_PROTOCOL,
        sqlite3.SQLITE_NOTADB,
    }
)
_NETWORK_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EPIPE,
        errno.ETIMEDOUT,
        errno.EHOSTUNREACH,
        errno.EHOSTDOWN,
        errno.ENETUNREACH,
        errno.ENETDOWN,
    }
)


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) says the database cannot be reached or used."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(seen) < 16:
        seen.add(id(current))
        if _says_unavailable(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def is_missing_database(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) says the database the URL names does not exist
    on a reachable server (PostgreSQL ``3D000``): not an outage, a set-up step not done."""
    return any(getattr(e, "sqlstate", None) == "3D000" for e in _causes(error))


def root_cause(error: BaseException) -> BaseException:
    """The driver's error behind ``error`` (the last of its causes), to name in a message."""
    return _causes(error)[-1]


def _causes(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found and len(found) < 16:
        found.append(current)
        orig = getattr(current, "orig", None)
        current = current.__cause__ or (orig if isinstance(orig, BaseException) else None)
    return found


def _says_unavailable(error: BaseException) -> bool:
    if isinstance(error, DatabaseUnavailable | sa.exc.TimeoutError | sa.exc.DisconnectionError):
        return True  # the pool had no connection to give in time, or found one dead
    if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
        return True  # SQLAlchemy saw the connection drop
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str) and (
        sqlstate.startswith(_SQLSTATE_CLASSES) or sqlstate in _SQLSTATES
    ):
        return True
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        return isinstance(code, int) and code & 0xFF in _SQLITE_CODES
    if isinstance(error, ConnectionError | TimeoutError | socket.gaierror):
        return True
    if isinstance(error, OSError):
        # asyncio reports a failed connect to several addresses (localhost: ::1 and
        # 127.0.0.1) as one OSError without an errno.
        return error.errno in _NETWORK_ERRNOS or str(error).startswith("Multiple exceptions:")
    return False


@contextmanager
def unavailable_as_error() -> Iterator[None]:
    """Within the block, a failure that means the database is unavailable raises
    ``DatabaseUnavailable`` (from it); every other exception passes unchanged."""
    try:
        yield
    except DatabaseUnavailable:
        raise
    except Exception as error:
        if is_unavailable(error):
            raise DatabaseUnavailable() from error
        raise
