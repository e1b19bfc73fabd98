"""The portal's second factor: a one-time code the issuer delivers through its own channel.

Before the portal shows anything personal, the debtor types the code the issuing
organization sent them (the hub emits ``portal.code_requested`` with the code, to that
organization alone). A code has 6 digits, works for 10 minutes and for at most 5 tries; a
new request replaces it. What the debtor types may hold spaces or dashes (``123 456``,
``123-456``), as codes are pasted and autofilled from messages.

A verified debtor gets a session of 30 minutes for that link; the link must stay usable
(not revoked, not expired) for the session to work.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

CODE_DIGITS = 6
CODE_LIFETIME = dt.timedelta(minutes=10)
MAX_TRIES = 5
SESSION_LIFETIME = dt.timedelta(minutes=30)

_SEPARATORS = re.compile(r"[\s\-.]+")
_CODE = re.compile(rf"[0-9]{{{CODE_DIGITS}}}")


def new_code() -> str:
    """Six random digits."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def typed_code(text: str) -> str | None:
    """The code in what the debtor typed or pasted (separators dropped), or None if it is
    not six digits."""
    code = _SEPARATORS.sub("", text[:64])
    return code if _CODE.fullmatch(code) else None
