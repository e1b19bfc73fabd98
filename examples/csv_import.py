"""Import a billing system's CSV export of overdue invoices into collection.

Maps your own columns to accounts, streams them to the hub in batches with a progress bar,
and writes the refused rows, with the reason, next to the input. Run it again after fixing
them (or after an interruption): rows already placed come back as replays, never twice.

    export EVENLY_CLIENT_ID=… EVENLY_CLIENT_SECRET=… EVENLY_BASE_URL=http://127.0.0.1:8000
    python examples/csv_import.py overdue-invoices.csv

Columns: invoice_no, customer_no, full_name, email, phone, country, invoiced, outstanding,
currency, due (amounts in minor units).

The refused rows are meant to be opened in a spreadsheet, and they repeat what the input
said: a cell that would start a formula there (``=``, ``+``, ``-``, ``@``, tab, carriage
return) is written with a leading single quote, so ``=HYPERLINK(…)`` in an invoice number
stays text (OWASP's advice against CSV injection).
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import evenly


def accounts(path: Path) -> Iterator[dict[str, Any]]:
    """One account per row, read lazily: the file may be large."""
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            money = {"currency": row["currency"]}
            yield {
                "reference": row["invoice_no"],
                "customer": {
                    "reference": row["customer_no"],
                    "name": row["full_name"],
                    "email": row["email"] or None,
                    "phone": row["phone"] or None,
                    "country": row["country"],
                },
                "original_amount": {**money, "amount_minor": row["invoiced"]},
                "balance": {**money, "amount_minor": row["outstanding"]},
                "due_date": row["due"],
                "product": "BNPL_INVOICE",
                "metadata": {"source": path.name},
            }


#: What makes a spreadsheet (Excel, LibreOffice, Google Sheets) read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """``value`` as a cell a spreadsheet shows as text: a leading quote before a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def main(path: Path) -> int:
    rejected_path = path.with_suffix(".rejected.csv")
    with evenly.Evenly() as client:
        report = client.accounts.place_many(accounts(path), progress=True, keep_placed=False)
    print(
        f"{report.placed_count} placed ({report.replayed_count} were already), "
        f"{report.failed_count} refused"
    )
    if report.errors:
        with rejected_path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["row", "invoice_no", "code", "field", "message"])
            for error in report.errors:
                for detail in error.errors:
                    cells = [
                        error.index + 2,  # the header is row 1
                        error.reference,
                        detail.code,
                        ".".join(detail.field or []),
                        detail.message,
                    ]
                    writer.writerow([spreadsheet_cell(cell) for cell in cells])
        print(f"refused rows: {rejected_path}")
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
