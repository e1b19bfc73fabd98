"""``evenly-hub`` commands run where there is no hub database, or one not migrated, or one out
of reach: a message naming what was looked at and the fix, exit status 1, no traceback, and
nothing created on disk."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import _create_postgres_database, _drop_postgres_database, postgres_url
from tests.e2e.conftest import HUB, free_port

ADMIN_COMMANDS = [
    ["admin", "create-organization", "--kind", "creditor", "--name", "Acme", "--country", "SE"],
    ["admin", "create-client", "--organization", "org_x"],
    ["admin", "revoke-client", "cli_x"],
    ["admin", "create-routing-rule", "--creditor", "org_a", "--agency", "org_b"],
    ["admin", "webhooks", "status"],
    ["admin", "webhooks", "retry", "we_x"],
]


def _run(cwd: Path, args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EVENLY_")}
    return subprocess.run(
        [HUB, *args], cwd=cwd, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


def _assert_refused(result: subprocess.CompletedProcess[str], *names: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output and "sqlalchemy" not in output.lower(), output
    for name in names:
        assert name in result.stderr, result.stderr


@pytest.mark.parametrize("args", ADMIN_COMMANDS, ids=lambda args: " ".join(args[:3]))
def test_an_admin_command_outside_the_hub_names_the_data_directory_and_creates_nothing(
    tmp_path: Path, args: list[str]
) -> None:
    result = _run(tmp_path, args)
    _assert_refused(result, str(tmp_path / ".evenly"), "evenly-hub migrate", "EVENLY_DATA_DIR")
    assert list(tmp_path.iterdir()) == []


def test_a_data_directory_without_a_database_stays_as_it_was(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    result = _run(tmp_path, ADMIN_COMMANDS[0], EVENLY_DATA_DIR=str(data))
    _assert_refused(result, str(data), "evenly-hub migrate")
    assert list(data.iterdir()) == []


@pytest.mark.parametrize("args", [ADMIN_COMMANDS[0], ADMIN_COMMANDS[4], ["worker"]])
def test_an_unmigrated_database_is_refused_with_the_fix(tmp_path: Path, args: list[str]) -> None:
    data = tmp_path / ".evenly"
    data.mkdir()
    (data / "evenly.db").touch()
    result = _run(tmp_path, args)
    _assert_refused(result, str(data), "not migrated", "evenly-hub migrate")
    assert sorted(p.name for p in data.iterdir()) == ["evenly.db"]


def test_serve_without_migrating_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    (tmp_path / "evenly.db").touch()
    result = _run(
        tmp_path, ["serve", "--no-migrate", "--port", str(free_port())], EVENLY_DATA_DIR="."
    )
    _assert_refused(result, "not migrated", "evenly-hub migrate")


def test_after_migrate_the_same_command_works(tmp_path: Path) -> None:
    assert _run(tmp_path, ["migrate"]).returncode == 0
    result = _run(tmp_path, ADMIN_COMMANDS[0])
    assert result.returncode == 0, result.stderr
    assert "client_secret: sk_" in result.stdout


@pytest.mark.parametrize("args", [ADMIN_COMMANDS[0], ["migrate"], ["worker"]])
def test_an_unreachable_postgresql_url_is_named_without_its_password(
    tmp_path: Path, args: list[str]
) -> None:
    url = f"postgresql+asyncpg://evenly:hunter2@127.0.0.1:{free_port()}/evenly"
    result = _run(tmp_path, args, EVENLY_DATABASE_URL=url)
    _assert_refused(result, "cannot reach the database", "127.0.0.1", "EVENLY_DATABASE_URL")
    assert "hunter2" not in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
async def empty_postgres_database() -> AsyncIterator[str]:
    name = await _create_postgres_database()
    try:
        yield postgres_url(name)
    finally:
        await _drop_postgres_database(name)


async def test_an_unmigrated_postgresql_database_is_refused(
    tmp_path: Path, empty_postgres_database: str
) -> None:
    result = _run(tmp_path, ADMIN_COMMANDS[0], EVENLY_DATABASE_URL=empty_postgres_database)
    _assert_refused(result, "not migrated", "evenly-hub migrate", "EVENLY_DATABASE_URL=")
    assert not any(tmp_path.iterdir())  # noqa: ASYNC240 (a test's own temporary directory)


def test_a_missing_postgresql_database_is_named(tmp_path: Path) -> None:
    url = postgres_url("evenly_no_such_database")
    result = _run(tmp_path, ADMIN_COMMANDS[0], EVENLY_DATABASE_URL=url)
    if "cannot reach" in result.stderr:
        pytest.skip("no PostgreSQL server")
    _assert_refused(result, "does not exist", "evenly_no_such_database", "createdb")
    assert list(tmp_path.iterdir()) == []
