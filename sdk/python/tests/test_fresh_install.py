"""A fresh virtual environment with only webhooks/ and sdk/python runs the README quickstart."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conftest import REPO_ROOT, SDK_ROOT, Parties, free_port


def quickstart() -> str:
    readme = (SDK_ROOT / "README.md").read_text()
    match = re.search(r"```python\n# quickstart\n(.*?)```", readme, re.S)
    assert match, "sdk/python/README.md has no quickstart block"
    return match.group(1)


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("parties", ["sqlite"], indirect=True)  # the install is the point
def test_fresh_venv_installs_the_sdk_alone_and_runs_the_quickstart(
    parties: Parties, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    install = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", str(REPO_ROOT / "webhooks"), str(SDK_ROOT)],
        capture_output=True,
        text=True,
        timeout=500,
    )
    assert install.returncode == 0, install.stderr
    listed = subprocess.run(
        [python, "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True
    ).stdout
    assert "evenly-hub" not in listed and "starlette" not in listed.lower()

    script = tmp_path / "quickstart.py"
    script.write_text(quickstart().replace("INV-2001", f"INV-{tmp_path.name}"))
    env = parties.hub.client_env(parties.creditor)
    for attempt in ("first", "second"):
        done = subprocess.run(
            [python, str(script)], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        first_line = done.stdout.splitlines()[0]
        assert first_line.startswith("acc_")
        assert first_line.endswith("False" if attempt == "first" else "True")
    cli = subprocess.run(
        [str(venv / "bin" / "evenly"), "accounts", "list", "--limit", "1"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 0, cli.stderr


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("parties", ["sqlite"], indirect=True)
def test_the_examples_extra_is_all_the_example_servers_need(
    parties: Parties, tmp_path: Path
) -> None:
    from evenly_webhooks import generate_secret
    from test_examples import serve_example

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [
            *(str(python), "-m", "pip", "install", "--quiet"),
            *(str(REPO_ROOT / "webhooks"), f"{SDK_ROOT}[examples]"),
        ],
        capture_output=True,
        text=True,
        timeout=500,
    )
    assert install.returncode == 0, install.stderr
    env = {**parties.hub.client_env(parties.creditor), "WEBHOOK_SECRET": generate_secret()}
    order = {
        "id": "ORD-1",
        "customer": {},
        "amount_minor": 1,
        "currency": "SEK",
        "due": "2026-01-31",
    }
    for name, path, body, status in (
        ("webhook_receiver.py", "/webhooks", {}, 400),  # unsigned: refused
        ("checkout_placement.py", "/orders", order, 201),
    ):
        port = free_port()
        process = serve_example(name, port, env, tmp_path, python=str(python))
        try:
            answer = httpx.post(f"http://127.0.0.1:{port}{path}", json=body)
            assert answer.status_code == status, answer.text
        finally:
            process.terminate()
            process.wait(15)
