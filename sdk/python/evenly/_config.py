"""The CLI's saved credentials: one JSON file in the user config dir, readable by its owner only."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click


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


def credentials() -> tuple[str, str, str | None]:
    """Client id, secret and hub URL: the ``EVENLY_*`` variables first, then ``evenly login``'s."""
    saved = load()
    client_id = os.environ.get("EVENLY_CLIENT_ID") or saved.get("client_id")
    secret = os.environ.get("EVENLY_CLIENT_SECRET") or saved.get("client_secret")
    base_url = os.environ.get("EVENLY_BASE_URL") or saved.get("base_url")
    if not client_id or not secret:
        raise click.ClickException(
            "no credentials: run `evenly login`, or set EVENLY_CLIENT_ID and EVENLY_CLIENT_SECRET"
        )
    return client_id, secret, base_url
