"""Debtors' personal data in tool results: masked unless the server runs with ``--show-pii``.

What an assistant reads may end up in a chat log, a prompt cache or a vendor's training
set; the operator decides whether names, emails and phone numbers go there. Masking keeps
enough to tell records apart (an initial, the mail domain, the last two digits).
"""

from __future__ import annotations

from typing import Any

__all__ = ["mask_personal_data"]

#: Objects whose ``name`` is a person's (an organization's name is not personal data).
_PEOPLE = {"customer"}


def _mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def _mask_phone(value: str) -> str:
    return "*" * max(len(value) - 2, 3) + value[-2:]


def _mask_name(value: str) -> str:
    return " ".join(f"{part[:1]}." for part in value.split()) or "***"


def _masked(key: str, value: Any, in_person: bool) -> Any:
    if not isinstance(value, str):
        return mask_personal_data(value, in_person=key in _PEOPLE)
    if key == "email":
        return _mask_email(value)
    if key == "phone":
        return _mask_phone(value)
    if key == "name" and in_person:
        return _mask_name(value)
    return value


def mask_personal_data(value: Any, *, in_person: bool = False) -> Any:
    """``value`` (JSON-like) with every email and phone, and each customer's name, masked."""
    if isinstance(value, dict):
        return {k: _masked(k, v, in_person) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_personal_data(v, in_person=in_person) for v in value]
    return value
