"""Contract tests load ``schema/contract`` the way a QA team would (PYTHONPATH)."""

from __future__ import annotations

import sys
from pathlib import Path

CONTRACT_DIR = Path(__file__).parents[2] / "schema" / "contract"
sys.path.insert(0, str(CONTRACT_DIR))

from tests.e2e.conftest import hub_server  # noqa: E402,F401  (the real server fixture)
