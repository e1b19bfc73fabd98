"""The README's two-way-sync journey passes at any hour: its contact step is one the rules
of the customer's country allow at every moment of the year.

The hub judges a contact at its ``occurredAt``, which the journey takes from the shell's
clock (``date``), so the moment is an input and the real rule packs are asked directly:
every 20 minutes of a year, holidays and clock changes included. The customer, channel and
direction are read from the journey as the README states it.
"""

from __future__ import annotations

import datetime as dt
import re

from hub.compliance import RuleRegistry
from hub.domain.compliance import Channel, ContactContext, ContactHistory, debtor_timezones
from tests.readme_snippets import READMES, steps

STOCKHOLM = dt.timezone(dt.timedelta(hours=1))  # CET: December has no summer time


def journey() -> str:
    [block] = [b.text for b in steps(READMES[0], ("sh",)) if "logContactAttempt" in b.text]
    return block


def contacts(text: str) -> list[tuple[Channel, str]]:
    found = re.findall(
        r"logContactAttempt\(input: \{[^}]*?channel: (\w+),\s*direction: (\w+)", text
    )
    assert found, "the journey logs no contact"
    return [(Channel(channel), direction) for channel, direction in found]


def customer(text: str) -> tuple[str, str | None, str | None]:
    placed = re.search(r"customer: \{([^}]*)\}", text)
    assert placed, "the journey places no customer"
    fields = dict(re.findall(r'(\w+): "([^"]*)"', placed.group(1)))
    return fields["country"], fields.get("timezone"), fields.get("phone")


def refusals(channel: Channel, country: str, tz: str | None, phone: str | None) -> list[str]:
    """Every moment, in 20-minute steps through 2026, at which the contact is refused."""
    registry = RuleRegistry.with_extra(None)
    refused = []
    moment = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    while moment.year == 2026:
        pack = registry.pack_for(country, moment)
        context = ContactContext(
            country=country,
            placed_at=moment - dt.timedelta(minutes=1),
            history=ContactHistory(),
            timezones=debtor_timezones(tz, phone, pack.timezones),
        )
        if not registry.evaluate(context, channel, moment).allowed:
            refused.append(moment.isoformat())
        moment += dt.timedelta(minutes=20)
    return refused


def test_the_journeys_outbound_contacts_are_allowed_at_every_moment_of_the_year() -> None:
    text = journey()
    country, tz, phone = customer(text)
    for channel, direction in contacts(text):
        if direction == "INBOUND":
            continue  # never refused: the hub records what the customer started
        refused = refusals(channel, country, tz, phone)
        assert refused == [], (
            f"{channel} to {country} refused at {len(refused)} moments: {refused[:3]}"
        )


def test_a_text_message_at_2140_would_be_refused_with_the_message_the_readme_quotes() -> None:
    text = journey()
    country, tz, phone = customer(text)
    registry = RuleRegistry.with_extra(None)
    at = dt.datetime(2026, 12, 2, 21, 40, tzinfo=STOCKHOLM)  # a Wednesday
    pack = registry.pack_for(country, at)
    context = ContactContext(
        country=country,
        placed_at=at - dt.timedelta(minutes=1),
        history=ContactHistory(),
        timezones=debtor_timezones(tz, phone, pack.timezones),
    )
    decision = registry.evaluate(context, Channel.SMS, at)
    assert not decision.allowed
    [reason] = decision.reasons
    readme = " ".join(READMES[0].read_text().split())
    assert f"`{reason.rule_id}: {reason.message}" in readme
