"""Accounts from files, read lazily: JSON Lines (one ``NewAccount`` per line) or CSV.

CSV columns (a header row; empty cells are absent values):
``reference, customer_reference, customer_name, customer_country, customer_email,
customer_phone, customer_language, customer_timezone, original_amount_minor, balance_minor,
currency, due_date, product, metadata`` (``metadata`` is a JSON object).
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


def read_accounts(path: Path) -> Iterator[dict[str, Any]]:
    """The accounts of a ``.jsonl``/``.ndjson`` or ``.csv`` file, one at a time."""
    if path.suffix.lower() == ".csv":
        return _csv_accounts(path)
    return _jsonl_accounts(path)


def count_accounts(path: Path) -> int:
    """How many accounts the file holds (lines, less the CSV header and blank lines)."""
    with path.open("rb") as f:
        lines = sum(1 for line in f if line.strip())
    return max(0, lines - 1) if path.suffix.lower() == ".csv" else lines


def _jsonl_accounts(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                item = json.loads(line)
                yield item if isinstance(item, dict) else {"invalid": item}


def _csv_accounts(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            yield from_csv_row(row)


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
