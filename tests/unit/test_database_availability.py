"""Which failures mean "the database is unavailable" (503), and which are bugs (500)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest
import sqlalchemy as sa

from hub.domain.errors import DatabaseUnavailable, DomainError
from hub.store.availability import is_unavailable, unavailable_as_error


def _sqlite_error(statement: str, path: str = ":memory:") -> sqlite3.Error:
    try:
        sqlite3.connect(path).execute(statement)
    except sqlite3.Error as error:
        return error
    raise AssertionError("the statement worked")


def _caused_by(cause: BaseException) -> BaseException:
    try:
        try:
            raise cause
        except BaseException as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        return outer


@pytest.mark.parametrize(
    "make_error",
    [
        pytest.param(lambda _: ConnectionRefusedError(111, "Connect call failed"), id="refused"),
        pytest.param(lambda _: ConnectionResetError(104, "reset by peer"), id="reset"),
        pytest.param(lambda _: TimeoutError(), id="connect-timeout"),
        pytest.param(
            lambda _: OSError("Multiple exceptions: [Errno 111] Connect"), id="refused-all"
        ),
        pytest.param(lambda _: sa.exc.TimeoutError("QueuePool limit reached"), id="pool-timeout"),
        pytest.param(lambda _: asyncpg.exceptions.CannotConnectNowError("starting up"), id="57P03"),
        pytest.param(lambda _: asyncpg.exceptions.AdminShutdownError("terminating"), id="57P01"),
        pytest.param(
            lambda _: asyncpg.exceptions.ConnectionDoesNotExistError("closed"), id="08003"
        ),
        pytest.param(lambda _: asyncpg.exceptions.TooManyConnectionsError("too many"), id="53300"),
        pytest.param(
            lambda tmp: _sqlite_error("SELECT 1", str(tmp / "no" / "such" / "dir.db")),
            id="sqlite-cannot-open",
        ),
        pytest.param(lambda _: _caused_by(ConnectionResetError()), id="caused-by-reset"),
    ],
)
def test_these_failures_mean_the_database_is_unavailable(
    make_error: Callable[[Path], BaseException], tmp_path: Path
) -> None:
    assert is_unavailable(make_error(tmp_path))


@pytest.mark.parametrize(
    "make_error",
    [
        pytest.param(lambda: ValueError("bug"), id="bug"),
        pytest.param(lambda: DomainError.of("NOT_FOUND", "no such account"), id="refusal"),
        pytest.param(lambda: FileNotFoundError(2, "No such file"), id="file-not-found"),
        pytest.param(lambda: asyncpg.exceptions.UndefinedTableError("no table"), id="42P01"),
        pytest.param(lambda: asyncpg.exceptions.UniqueViolationError("taken"), id="23505"),
        pytest.param(lambda: _sqlite_error("SELECT * FROM nowhere"), id="sqlite-no-table"),
        pytest.param(lambda: _sqlite_error("SELEKT 1"), id="sqlite-syntax"),
    ],
)
def test_bugs_and_refusals_are_not_outages(make_error: Callable[[], BaseException]) -> None:
    assert not is_unavailable(make_error())


def test_an_outage_inside_the_block_becomes_database_unavailable_from_it() -> None:
    refused = ConnectionRefusedError(111, "Connect call failed")
    with pytest.raises(DatabaseUnavailable) as raised, unavailable_as_error():
        raise refused
    assert raised.value.__cause__ is refused


def test_other_exceptions_leave_the_block_unchanged() -> None:
    with pytest.raises(ValueError, match="bug"), unavailable_as_error():
        raise ValueError("bug")
