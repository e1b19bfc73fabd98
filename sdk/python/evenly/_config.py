"""The CLI's saved credentials: one JSON file in the user config dir, readable by its owner only."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/evenly`` (``~/.config/evenly``), or the platform's equivalent."""
    if sys.platform == "win32":  # pragma: no cover - not exercised on the CI machines
        return Path(os.environ.get("APPDATA", Path.home())) / "evenly"
    if sys.platform == "darwin" and "XDG_CONFIG_HOME" not in os.environ:  # pragma: no cover
        return Path.home() / "Library" / "Application Support" / "evenly"
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "evenly"


def config_path() -> Path:
    return config_dir() / "credentials.json"


def load() -> dict[str, Any]:
    """The saved settings, or ``{}``."""
    try:
        data = json.loads(config_path().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save(values: dict[str, Any]) -> Path:
    """Merge ``values`` into the saved settings; the file is created 0600 (owner only)."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = {**load(), **values}
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(data, out, indent=2)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def remove() -> bool:
    try:
        config_path().unlink()
    except FileNotFoundError:
        return False
    return True
