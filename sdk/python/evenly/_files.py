"""Accounts from files, read lazily: JSON Lines (one ``NewAccount`` per line) or CSV.

CSV columns (a header row; empty cells are absent values):
``reference, customer_reference, customer_name, customer_country, customer_email,
customer_phone, customer_language, customer_timezone, original_amount_minor, balance_minor,
currency, due_date, product, metadata`` (``metadata`` is a JSON object). Columns may come in
any order; those of ``REQUIRED_CSV_COLUMNS`` must be there, and no other name may: a header
that does not fit is refused as a whole (``check_csv_header``) before anything is read.

Every account comes with the line of the file it starts on (``read_numbered_accounts``), so
a refused one is reported where an editor shows it: the first CSV row is line 2.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CSV_COLUMNS = (
    "reference",
    "customer_reference",
    "customer_name",
    "customer_country",
    "customer_email",
    "customer_phone",
    "customer_language",
    "customer_timezone",
    "original_amount_minor",
    "balance_minor",
    "currency",
    "due_date",
    "product",
    "metadata",
)


REQUIRED_CSV_COLUMNS = (
    "reference",
    "customer_reference",
    "customer_name",
    "customer_country",
    "original_amount_minor",
    "balance_minor",
    "currency",
    "due_date",
)


class FileFormatError(ValueError):
    """The file cannot be read as accounts at all (e.g. a CSV header that does not fit)."""


def read_accounts(path: Path) -> Iterator[dict[str, Any]]:
    """The accounts of a ``.jsonl``/``.ndjson`` or ``.csv`` file, one at a time."""
    return (account for _, account in read_numbered_accounts(path))


def read_numbered_accounts(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line, account)`` for each account of the file; the line it starts on, from 1."""
    if is_csv(path):
        return _csv_accounts(path)
    return _jsonl_accounts(path)


def is_csv(path: Path) -> bool:
    return path.suffix.lower() == ".csv"


def check_csv_header(path: Path) -> None:
    """Raise ``FileFormatError`` naming missing and unknown columns, if there are any."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        header = next(csv.reader(f), [])
    names = [name.strip() for name in header]
    missing = [name for name in REQUIRED_CSV_COLUMNS if name not in names]
    unknown = [name for name in names if name not in CSV_COLUMNS]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    problems = []
    if missing:
        problems.append("missing columns: " + ", ".join(missing))
    if unknown:
        problems.append("unknown columns: " + ", ".join(repr(name) for name in unknown))
    if duplicated:
        problems.append("repeated columns: " + ", ".join(duplicated))
    if problems:
        raise FileFormatError(
            f"{path.name}, line 1: "
            + "; ".join(problems)
            + ". The columns are: "
            + ", ".join(CSV_COLUMNS)
            + f" (required: {', '.join(REQUIRED_CSV_COLUMNS)})."
        )


def check_jsonl(path: Path) -> None:
    """Raise ``FileFormatError`` at the first line that is not UTF-8 JSON (blank lines are
    skipped)."""
    with path.open("rb") as f:
        for number, raw in enumerate(f, 1):
            where = f"{path.name}, line {number}"
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                raise FileFormatError(f"{where}: not UTF-8 text") from None
            if not line.strip():
                continue
            try:
                json.loads(line)
            except json.JSONDecodeError as error:
                raise FileFormatError(
                    f"{where}: not JSON ({error.msg}); each line is one account as a JSON object"
                ) from None


def count_accounts(path: Path) -> int:
    """How many accounts the file holds (lines, less the CSV header and blank lines)."""
    with path.open("rb") as f:
        lines = sum(1 for line in f if line.strip())
    return max(0, lines - 1) if path.suffix.lower() == ".csv" else lines


def _jsonl_accounts(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8-sig") as f:  # as check_jsonl reads it
        for number, line in enumerate(f, 1):
            if line.strip():
                item = json.loads(line)
                yield number, item if isinstance(item, dict) else {"invalid": item}


def _csv_accounts(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = [name.strip() for name in next(reader, [])]
        ended = reader.line_num  # a quoted cell may span lines: a row starts after the last
        for cells in reader:
            start, ended = ended + 1, reader.line_num
            if cells:
                yield start, from_csv_row(dict(zip(header, cells, strict=False)))


def from_csv_row(row: dict[str, str]) -> dict[str, Any]:
    """A ``NewAccount``-shaped dict from one row of the CSV format above."""

    def cell(name: str) -> str | None:
        value = (row.get(name) or "").strip()
        return value or None

    currency = cell("currency")
    account: dict[str, Any] = {
        "reference": cell("reference"),
        "customer": {
            "reference": cell("customer_reference"),
            "name": cell("customer_name"),
            "country": cell("customer_country"),
            "email": cell("customer_email"),
            "phone": cell("customer_phone"),
            "language": cell("customer_language"),
            "timezone": cell("customer_timezone"),
        },
        "original_amount": {"amount_minor": cell("original_amount_minor"), "currency": currency},
        "balance": {"amount_minor": cell("balance_minor"), "currency": currency},
        "due_date": cell("due_date"),
        "product": cell("product") or "BNPL_INVOICE",
    }
    metadata = cell("metadata")
    if metadata:
        try:
            account["metadata"] = json.loads(metadata)
        except ValueError:
            account["metadata"] = metadata  # refused for this row alone, as not an object
    return account
