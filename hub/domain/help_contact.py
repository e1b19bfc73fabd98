"""How debtors reach an organization for help: its email, phone and opening hours.

An organization (the agency collecting, or the creditor while no agency has an account)
sets them with ``setHelpContact``; the portal shows them in the same place on every page
(WCAG 2.2 "consistent help"). They are the organization's business details, not personal
data. Each is optional; the portal says so when none is set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hub.domain.errors import DomainError

_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{3,38}")
MAX_HOURS = 200


@dataclass(frozen=True, slots=True)
class HelpContact:
    email: str | None = None
    phone: str | None = None
    #: When someone answers, as the organization words it ("Mon–Fri 9:00–17:00").
    hours: str | None = None

    @property
    def empty(self) -> bool:
        return self.email is None and self.phone is None and self.hours is None


def _text(value: str | None) -> str | None:
    value = value.strip() if value is not None else None
    return value or None


def check_help_contact(contact: HelpContact) -> HelpContact:
    """The contact with blanks as None, or ``INVALID_HELP_CONTACT`` on the field at fault."""
    email, phone, hours = _text(contact.email), _text(contact.phone), _text(contact.hours)
    if email is not None and (len(email) > 254 or _EMAIL.fullmatch(email) is None):
        raise DomainError.of("INVALID_HELP_CONTACT", "give an email address", "email")
    if phone is not None and _PHONE.fullmatch(phone) is None:
        raise DomainError.of(
            "INVALID_HELP_CONTACT", "give a phone number such as +46 8 123 456 78", "phone"
        )
    if hours is not None and (len(hours) > MAX_HOURS or any(c in hours for c in "\r\n\t")):
        raise DomainError.of(
            "INVALID_HELP_CONTACT", f"at most {MAX_HOURS} characters on one line", "hours"
        )
    return HelpContact(email, phone, hours)
