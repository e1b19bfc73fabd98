"""The registry: every rule pack on disk, and the one in force for a country at a moment."""

from __future__ import annotations

import datetime as dt
import os
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hub.compliance.loader import PACKS_DIR, PackFileError, conflicts, load_pack, pack_files
from hub.domain.compliance import Channel, ContactContext, Decision, RulePack, evaluate


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """Packs loaded together; replaced whole, so readers never see half a reload."""

    signature: tuple[tuple[str, int, int], ...]
    packs: tuple[RulePack, ...]
    #: jurisdiction -> (effective instants, ascending; the packs in the same order)
    by_country: dict[str, tuple[list[dt.datetime], list[RulePack]]]


class RuleRegistry:
    """The packs of the hub (``hub/compliance/packs``) and of any extra directories.

    ``reload()`` re-reads the directories when a file was added, removed or modified (by
    mtime and size), so a new pack version is used without a restart. A reload that finds
    an invalid pack raises ``PackFileError`` and keeps the packs it had.
    """

    def __init__(self, directories: Sequence[Path] = (PACKS_DIR,)) -> None:
        self.directories = tuple(directories)
        self._snapshot = _Snapshot((), (), {})
        self.reload()

    @classmethod
    def with_extra(cls, rules_dir: str | Path | None) -> RuleRegistry:
        """The hub's packs plus those in ``rules_dir`` (``EVENLY_RULES_DIR``), if given."""
        extra = [Path(rules_dir)] if rules_dir else []
        return cls([PACKS_DIR, *extra])

    def reload(self) -> bool:
        """Load the packs again if any file changed; True when the packs were replaced."""
        files = [f for d in self.directories if d.is_dir() for f in pack_files(d)]
        signature = tuple(_stamp(f) for f in files)
        if signature == self._snapshot.signature and self._snapshot.packs:
            return False
        problems: dict[Path, list[str]] = {}
        loaded: list[tuple[Path, RulePack]] = []
        for file in files:
            try:
                loaded.append((file, load_pack(file)))
            except PackFileError as error:
                problems.update(error.problems)
        for file, problem in conflicts(loaded):
            problems.setdefault(file, []).append(problem)
        if problems:
            raise PackFileError(problems)
        packs = tuple(
            sorted((p for _, p in loaded), key=lambda p: (p.jurisdiction, p.effective_at))
        )
        by_country: dict[str, tuple[list[dt.datetime], list[RulePack]]] = {}
        for pack in packs:
            starts, versions = by_country.setdefault(pack.jurisdiction, ([], []))
            starts.append(pack.effective_at)
            versions.append(pack)
        self._snapshot = _Snapshot(signature, packs, by_country)
        return True

    def packs(self, jurisdiction: str | None = None) -> list[RulePack]:
        """Every pack (of one jurisdiction), by jurisdiction then effective date."""
        return [p for p in self._snapshot.packs if jurisdiction in (None, p.jurisdiction)]

    def pack(self, jurisdiction: str, version: str) -> RulePack | None:
        for pack in self.packs(jurisdiction):
            if pack.version == version:
                return pack
        return None

    def pack_for(self, country: str, at: dt.datetime) -> RulePack | None:
        """The pack in force for ``country`` at ``at``: the latest that took effect by then."""
        if at.tzinfo is None:
            raise ValueError("naive datetime: the compliance engine needs aware datetimes (UTC)")
        found = self._snapshot.by_country.get(country)
        if found is None:
            return None
        starts, packs = found
        if at >= starts[-1]:  # the newest pack: nearly every question
            return packs[-1]
        index = bisect_right(starts, at) - 1
        return packs[index] if index >= 0 else None

    def evaluate(
        self,
        context: ContactContext,
        channel: Channel,
        at: dt.datetime,
        *,
        offers_opt_out: bool | None = None,
    ) -> Decision:
        """``evaluate`` under the pack in force for the account's country at ``at``."""
        pack = self.pack_for(context.country, at)
        return evaluate(pack, context, channel, at, offers_opt_out=offers_opt_out)


def _stamp(path: Path) -> tuple[str, int, int]:
    info = os.stat(path)
    return (str(path), info.st_mtime_ns, info.st_size)
