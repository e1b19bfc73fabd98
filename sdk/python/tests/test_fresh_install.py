"""A fresh virtual environment with only webhooks/ and sdk/python runs the README quickstart."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, SDK_ROOT, Parties


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
