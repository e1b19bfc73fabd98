"""Where the debtor's clock is: the customer record, else the phone number, else the country."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import phonenumbers
from phonenumbers import timezone as phone_timezone

from hub.domain.contact import is_timezone

_UNKNOWN = "Etc/Unknown"


def debtor_timezones(
    customer_timezone: str | None, phone: str | None, country_timezones: Sequence[str]
) -> tuple[str, ...]:
    """The debtor's candidate IANA zones, most certain source first.

    1. the zone on the customer record, when it is a valid IANA name;
    2. else the zones of the phone number's region (``phonenumbers``): one for most numbers,
       several for a number whose area spans zones (all of them are kept);
    3. else ``country_timezones`` (the rule pack's zones for its country).

    Rules that read the local clock are checked in every candidate and the stricter
    answer wins, as Regulation F's commentary asks when a collector's information about the
    consumer's location conflicts.
    """
    if customer_timezone and is_timezone(customer_timezone):
        return (customer_timezone,)
    if phone:
        zones = phone_zones(phone)
        if zones:
            return zones
    return tuple(country_timezones)


@lru_cache(maxsize=4096)
def phone_zones(phone: str) -> tuple[str, ...]:
    """The zones ``phonenumbers`` gives for an E.164 number; () if unknown or unparsable."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return ()
    zones = phone_timezone.time_zones_for_number(number)
    return tuple(z for z in zones if z != _UNKNOWN and is_timezone(z))
