"""Rule packs on disk: reading and validating pack files, and the registry of packs in force.

The packs shipped with the hub are in ``hub/compliance/packs/<jurisdiction>/<version>.toml``;
an operator may add versions in ``EVENLY_RULES_DIR`` and load them without a restart
(``RuleRegistry.reload``). Every pack is checked against ``pack.schema.json``. The rules
themselves are evaluated by ``hub.domain.compliance``.
"""

from hub.compliance.loader import (
    PACKS_DIR,
    SCHEMA_PATH,
    PackFileError,
    check_path,
    load_pack,
    pack_files,
    read_document,
)
from hub.compliance.registry import RuleRegistry

__all__ = [
    "PACKS_DIR",
    "SCHEMA_PATH",
    "PackFileError",
    "RuleRegistry",
    "check_path",
    "load_pack",
    "pack_files",
    "read_document",
]
