"""How ``evenly-hub serve`` starts, as a user at a terminal sees it: the port is checked
before anything else, the logs are readable lines on a terminal (JSON on a pipe), start-up
noise is gone, and the demo banner comes last."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import HUB, free_port

REPOSITORY = Path(__file__).resolve().parents[2]


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENLY_")}
    return {**env, "EVENLY_DATA_DIR": str(data_dir), **extra}


@pytest.fixture
def occupied_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])


def test_a_port_in_use_is_refused_before_any_credentials_are_printed(
    tmp_path: Path, occupied_port: int
) -> None:
    data_dir = tmp_path / "data"
    result = subprocess.run(
        [HUB, "serve", "--demo", "--port", str(occupied_port)],
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert f"port {occupied_port} is in use" in result.stderr
    suggested = int(result.stderr.split("try PORT=")[1].split()[0])
    assert suggested != occupied_port
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", suggested))  # the suggestion is free
    assert "sk_" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr and '{"ts"' not in result.stderr
    assert not data_dir.exists()  # nothing migrated, no demo data made


def test_make_run_takes_a_port() -> None:
    dry = subprocess.run(
        ["make", "-n", "-C", str(REPOSITORY), "run", "PORT=8123"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert dry.returncode == 0, dry.stderr
    assert "serve --demo --port 8123" in dry.stdout


def _serve_until_banner(data_dir: Path, *, terminal: bool, **env: str) -> str:
    """Everything ``serve --demo`` wrote until it served and printed the banner (and a
    moment after), read through a pseudo-terminal or a pipe."""
    argv = [HUB, "serve", "--demo", "--port", str(free_port())]
    if terminal:
        reader, writer = pty.openpty()
        process = subprocess.Popen(
            argv, env=_env(data_dir, **env), stdin=writer, stdout=writer, stderr=writer
        )
        os.close(writer)
    else:
        process = subprocess.Popen(
            argv, env=_env(data_dir, **env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        assert process.stdout is not None
        reader = process.stdout.fileno()
    output = b""
    deadline = time.monotonic() + 60
    quiet_after: float | None = None
    try:
        while time.monotonic() < (quiet_after or deadline):
            ready, _, _ = select.select([reader], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(reader, 65536)
                except OSError:  # the terminal closed
                    break
                if not chunk:
                    break
                output += chunk
            if quiet_after is None and b"private addresses are not" in output:
                quiet_after = time.monotonic() + 1.5  # whatever comes right after the banner
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        if terminal:
            os.close(reader)
    return output.decode(errors="replace").replace("\r\n", "\n")


def _secret(data_dir: Path) -> str:
    creds = json.loads((data_dir / "demo-credentials.json").read_text())
    return str(creds["creditor"]["client_secret"])


def test_on_a_terminal_logs_are_readable_and_the_banner_comes_last(tmp_path: Path) -> None:
    output = _serve_until_banner(tmp_path, terminal=True)
    secret = _secret(tmp_path)
    assert secret in output, output
    before, _, after = output.partition(secret)
    lines = [line for line in before.splitlines() if line.strip()]
    log_lines = [line for line in lines if " INFO " in line or " WARNING " in line]
    assert log_lines, output
    assert not any(line.lstrip().startswith('{"ts"') for line in lines), output
    assert "alembic" not in output and "Warning" not in output, output
    assert "serving on http://127.0.0.1:" in before  # the server serves before the banner
    after_banner = [line for line in after.splitlines() if " INFO " in line]
    assert after_banner == [], output


def test_on_a_pipe_logs_stay_json_lines(tmp_path: Path) -> None:
    output = _serve_until_banner(tmp_path, terminal=False)
    before = output.partition(_secret(tmp_path))[0]
    records = [json.loads(line) for line in before.splitlines() if line.startswith('{"ts"')]
    assert any(r["message"].startswith("serving on http://") for r in records), output
    assert not any(r["logger"].startswith("alembic") for r in records), output


def test_the_log_format_setting_wins_over_the_terminal(tmp_path: Path) -> None:
    output = _serve_until_banner(tmp_path, terminal=True, EVENLY_LOG_FORMAT="json")
    before = output.partition(_secret(tmp_path))[0]
    assert '{"ts"' in before and " INFO " not in before, output


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_make_run_on_a_fresh_machine_prints_no_install_warnings_and_the_banner(
    tmp_path: Path,
) -> None:
    """``make run PORT=…`` with a new virtualenv: the install is quiet (no setuptools
    warnings), and what it prints before the credentials is the hub's own log."""
    venv, data_dir = tmp_path / "venv", tmp_path / "data"
    argv = ["make", "-s", "-C", str(REPOSITORY), f"VENV={venv}", f"PORT={free_port()}", "run"]
    process = subprocess.Popen(  # its own process group: make, pip, then the hub
        argv,
        env=_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert process.stdout is not None
    output = b""
    deadline = time.monotonic() + 800
    try:
        while b"private addresses are not" not in output and time.monotonic() < deadline:
            ready, _, _ = select.select([process.stdout], [], [], 1)
            chunk = os.read(process.stdout.fileno(), 65536) if ready else b""
            if ready and not chunk:
                break
            output += chunk
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=60)
    text = output.decode(errors="replace")
    assert _secret(data_dir) in text, text
    assert "warning" not in text.lower() and "setuptools" not in text, text
    assert "alembic" not in text, text
