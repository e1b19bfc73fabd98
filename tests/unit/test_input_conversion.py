"""The hand-written conversion of PlaceAccountInput matches strawberry's generic one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from strawberry.schema.config import StrawberryConfig
from strawberry.types.arguments import convert_argument

from hub.api.inputs import PlaceAccountInput, PlaceAccountsInput
from hub.api.schema import build_schema
from hub.domain.account import Product

FULL: dict[str, Any] = {
    "reference": "INV-1",
    "customer": {
        "reference": "C-1",
        "name": "Astrid",
        "country": "SE",
        "email": "astrid@example.com",
        "phone": "+46701234567",
        "language": "sv-SE",
        "timezone": "Europe/Stockholm",
    },
    "originalAmount": {"amountMinor": 1000, "currency": "SEK"},
    "balance": {"amountMinor": 900, "currency": "SEK"},
    "dueDate": dt.date(2026, 1, 31),
    "product": Product.LOAN,
    "metadata": {"order": "O-1", "lines": [1, 2]},
    "idempotencyKey": "k-1",
}
MINIMAL: dict[str, Any] = {
    **{k: v for k, v in FULL.items() if k not in {"metadata", "idempotencyKey"}},
    "customer": {"reference": "C-2", "name": "Bo", "country": "GB"},
}


def _convert(value: dict[str, Any]) -> Any:
    registry = build_schema().schema_converter.scalar_registry
    return convert_argument({"items": [value]}, PlaceAccountsInput, registry, StrawberryConfig())


@pytest.mark.parametrize("value", [FULL, MINIMAL], ids=["every-field", "required-only"])
def test_fast_conversion_equals_the_generic_one(
    value: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = _convert(value).items[0]
    monkeypatch.setattr(PlaceAccountInput.__strawberry_definition__, "from_input", None)  # type: ignore[attr-defined]
    generic = _convert(value).items[0]
    assert fast == generic
    assert fast.to_domain() == generic.to_domain()
