"""The portal's other second factor: a knowledge check on what the creditor placed.

The issuer of a link chooses its second factor (``createPortalLink(secondFactor)``): a
one-time code (``hub.domain.portal_code``, the default), the customer's date of birth or
their postcode, as given at placement (``customer.dateOfBirth``, ``customer.postcode``).
The hub keeps only keyed hashes of those facts (``hub.store.customer_knowledge``), never the
facts. A link can only be issued with a fact its customer has (else
``SECOND_FACTOR_UNAVAILABLE``).

The factor is in the link's URL (``/p/<token>?f=dob``), so the portal's first page asks the
same question whether the token is real or not. Answers are counted with the code's tries
(``MAX_TRIES`` per link, then the issuer makes a new link) and rate limited like codes; a
wrong answer reads exactly like a wrong code.

Postcodes compare in normal form: uppercase, without spaces or dashes (``sw1a 1aa`` is
``SW1A1AA``), 2 to 10 letters and digits.
"""

from __future__ import annotations

import datetime as dt
import re

CODE = "CODE"
DATE_OF_BIRTH = "DATE_OF_BIRTH"
POSTCODE = "POSTCODE"
FACTORS = (CODE, DATE_OF_BIRTH, POSTCODE)
KNOWLEDGE = (DATE_OF_BIRTH, POSTCODE)

#: The factor's short name in the link's URL (``?f=dob``) and back.
URL_NAMES = {DATE_OF_BIRTH: "dob", POSTCODE: "postcode"}
FROM_URL = {name: factor for factor, name in URL_NAMES.items()}

_SEPARATORS = re.compile(r"[\s\-]+")
_POSTCODE = re.compile(r"[A-Z0-9]{2,10}")
EARLIEST_BIRTH = dt.date(1900, 1, 1)


def normalize_postcode(text: str) -> str | None:
    """The postcode in normal form, or None if it is not one."""
    code = _SEPARATORS.sub("", text[:40]).upper()
    return code if _POSTCODE.fullmatch(code) else None


def birth_date_ok(day: dt.date, today: dt.date) -> bool:
    return EARLIEST_BIRTH <= day <= today


def typed_birth_date(day: str, month: str, year: str) -> dt.date | None:
    """The date the debtor typed in three fields (or None)."""
    parts = [p.strip() for p in (day, month, year)]
    if not all(p.isdigit() and len(p) <= 4 for p in parts):
        return None
    try:
        return dt.date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        return None


def fact_message(factor: str, value: dt.date | str) -> str:
    """What is hashed for a fact: its kind and its normal form."""
    text = value.isoformat() if isinstance(value, dt.date) else value
    return f"{factor}:{text}"


def url_suffix(factor: str) -> str:
    """What ``createPortalLink``'s URL carries after the path for ``factor``."""
    name = URL_NAMES.get(factor)
    return f"?f={name}" if name else ""
