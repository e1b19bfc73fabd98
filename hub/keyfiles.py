"""Keys generated on first start and kept in the data directory (mode 0600).

Used when no key is configured through the environment: fine for development and a single
node; a deployment with several nodes configures ``EVENLY_ENCRYPTION_KEY`` (or
``EVENLY_ENCRYPTION_KEY_FILE``) and ``EVENLY_JWT_PRIVATE_KEY`` so that every node shares
them. With SQLite the data directory also holds the database, so a generated PII key lies
beside the data it protects: fine for development only.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def load_or_create(path: Path, generate: Callable[[], bytes]) -> bytes:
    """The contents of ``path``, creating it with ``generate()`` first if it does not exist."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    data = generate()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race; use its key
        return path.read_bytes()
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return data
