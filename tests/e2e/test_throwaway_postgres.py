"""The PostgreSQL the suite tests on where none runs: a throwaway server from the ``pgserver``
wheel, started when nothing answers at the tests' URL (outside CI), and gone afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import asyncpg

from tests.postgres_cluster import answers, free_port, postgres_for_tests

REPO = Path(__file__).resolve().parents[2]


def _nothing_at() -> str:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    assert not answers(url)
    return url


async def test_where_nothing_answers_a_throwaway_server_serves_and_is_stopped_after() -> None:
    url, cluster = postgres_for_tests(_nothing_at(), in_ci=False)
    assert cluster is not None
    try:
        conn = await asyncpg.connect(url, timeout=5)
        try:
            await conn.execute('CREATE DATABASE "evenly_throwaway_check"')
            assert await conn.fetchval(
                "SELECT count(*) FROM pg_database WHERE datname = 'evenly_throwaway_check'"
            )
        finally:
            await conn.close()
        database = await asyncpg.connect(url.rsplit("/", 1)[0] + "/evenly_throwaway_check")
        assert await database.fetchval("SELECT 1 + 1") == 2
        await database.close()
    finally:
        cluster.destroy()
    assert not answers(url)
    assert not cluster.root.exists()


async def test_a_server_that_answers_is_used_as_it_is() -> None:
    running_url, running = postgres_for_tests(_nothing_at(), in_ci=False)
    assert running is not None
    try:
        url, cluster = postgres_for_tests(running_url, in_ci=False)
        assert (url, cluster) == (running_url, None)
    finally:
        running.destroy()


def test_under_ci_the_running_server_is_the_one_tested_even_when_it_does_not_answer() -> None:
    unreachable = _nothing_at()
    assert postgres_for_tests(unreachable, in_ci=True) == (unreachable, None)


def test_the_make_test_wrapper_names_the_throwaway_server_and_stops_it() -> None:
    unreachable = _nothing_at()
    # The command prints the URL it was given and checks a server answers there.
    probe = (
        "import os, sys; from tests.postgres_cluster import answers;"
        " url = os.environ['EVENLY_TEST_POSTGRES_URL']; print(url); sys.exit(not answers(url))"
    )
    run = subprocess.run(
        [sys.executable, "-m", "tests.postgres_cluster", sys.executable, "-c", probe],
        cwd=REPO,
        env=dict(os.environ, EVENLY_TEST_POSTGRES_URL=unreachable, CI="false"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    used = run.stdout.strip()
    assert used != unreachable
    assert not answers(used)
