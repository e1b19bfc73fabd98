"""Headless Chromium for the browser tests: Debian's ``chromium``, driven by Playwright.

Playwright launches the system browser (``executable_path``), so it downloads none. When no
Chromium is on ``PATH``, ``scripts/install-chromium`` installs Debian's package (as root, or
through sudo); if that fails the test fails and says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

INSTALL_CHROMIUM = Path(__file__).resolve().parents[2] / "scripts" / "install-chromium"


def chromium_path() -> str:
    """The path of a Chromium to launch, installing Debian's package when there is none."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    installed = subprocess.run(
        [str(INSTALL_CHROMIUM)], capture_output=True, text=True, timeout=900, check=False
    )
    if installed.returncode != 0:
        pytest.fail(
            f"the browser tests need Chromium and {INSTALL_CHROMIUM.name} could not install it:"
            f"\n{installed.stderr[-2000:]}"
        )
    return installed.stdout.strip().splitlines()[-1]


def chromium_args() -> list[str]:
    # Chromium's sandbox refuses to run as root (containers, CI); elsewhere it stays on.
    return ["--no-sandbox"] if os.geteuid() == 0 else []


INSTALL_AXE_CORE = Path(__file__).resolve().parents[2] / "scripts" / "install-axe-core"


def axe_source() -> str:
    """axe-core's script (npm, the version ``scripts/install-axe-core`` pins), installed
    into ``build/axe-core`` when it is not there yet; the test fails if it cannot be."""
    installed = subprocess.run(
        [str(INSTALL_AXE_CORE)], capture_output=True, text=True, timeout=900, check=False
    )
    if installed.returncode != 0:
        pytest.fail(
            f"the accessibility tests need axe-core and {INSTALL_AXE_CORE.name} could not "
            f"install it:\n{installed.stderr[-2000:]}"
        )
    return Path(installed.stdout.strip().splitlines()[-1]).read_text(encoding="utf-8")
