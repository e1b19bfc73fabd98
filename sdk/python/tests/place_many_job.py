"""A process that places N generated accounts with place_many, printing its progress.

    python place_many_job.py PREFIX N   (credentials from EVENLY_* variables)

Prints ``progress <done>`` lines as batches finish, then the report as one JSON line.
The accounts are the same for the same PREFIX and N, so a second run resumes the first.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import evenly


def accounts(prefix: str, n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        yield {
            "reference": f"{prefix}-{i:07d}",
            "customer": {"reference": f"{prefix}-C{i:07d}", "name": "Ada Lind", "country": "SE"},
            "original_amount": {"amount_minor": 10000 + i % 1000, "currency": "SEK"},
            "balance": {"amount_minor": 9000, "currency": "SEK"},
            "due_date": "2026-01-15",
            "product": "LOAN",
        }


def main() -> None:
    prefix, n = sys.argv[1], int(sys.argv[2])

    def progress(p: evenly.PlacementProgress) -> None:
        print(f"progress {p.done}", flush=True)

    with evenly.Evenly() as client:
        report = client.accounts.place_many(
            accounts(prefix, n), progress=progress, keep_placed=False
        )
    summary = {
        "placed": report.placed_count,
        "replayed": report.replayed_count,
        "failed": report.failed_count,
        "errors": [e.code for e in report.errors[:5]],
    }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
