"""``client.portal_links`` against a real hub on SQLite and PostgreSQL: the agency collecting
an account issues a link for its customer and revokes it."""

from __future__ import annotations

from typing import Any

import evenly
import pytest
from conftest import new_account, resolve


async def test_the_agency_issues_and_revokes_a_link_for_the_customer(
    pair: tuple[Any, Any],
) -> None:
    creditor, agency = pair
    account = (await resolve(creditor.accounts.place(**new_account()))).account
    issued = await resolve(agency.portal_links.create(account.id, expires_in=3600, locale="sv"))
    assert isinstance(issued, evenly.IssuedPortalLink)
    assert issued.url.startswith("/p/") and len(issued.url) == len("/p/") + 43
    link = issued.portal_link
    assert link.account_id == account.id and link.customer_id == account.customer.id
    assert link.locale == "sv" and link.revoked_at is None
    assert (link.valid_until - link.created_at).total_seconds() == 3600
    revoked = await resolve(agency.portal_links.revoke(link.id))
    assert isinstance(revoked, evenly.PortalLink) and revoked.revoked_at is not None


async def test_a_link_asks_the_date_of_birth_or_postcode_placed_for_the_customer(
    pair: tuple[Any, Any],
) -> None:
    creditor, agency = pair
    placed = new_account()
    placed["customer"] = {**placed["customer"], "date_of_birth": "1980-03-27"}
    account = (await resolve(creditor.accounts.place(**placed))).account
    issued = await resolve(agency.portal_links.create(account.id, second_factor="DATE_OF_BIRTH"))
    assert issued.url.endswith("?f=dob") and issued.portal_link.second_factor == "DATE_OF_BIRTH"
    with pytest.raises(evenly.UserError) as refused:
        await resolve(agency.portal_links.create(account.id, second_factor="POSTCODE"))
    assert refused.value.code == "SECOND_FACTOR_UNAVAILABLE"


async def test_a_link_refused_to_the_creditor_of_an_assigned_account_is_a_user_error(
    pair: tuple[Any, Any],
) -> None:
    creditor, _ = pair
    account = (await resolve(creditor.accounts.place(**new_account()))).account
    with pytest.raises(evenly.UserError) as refused:
        await resolve(creditor.portal_links.create(account.id))
    assert refused.value.code == "PORTAL_NOT_COLLECTOR"


async def test_the_agency_sets_and_reads_its_portal_plan_offers(
    pair: tuple[Any, Any], parties: Any
) -> None:
    _, agency = pair
    creditor_id = parties.creditor.organization_id
    wide = await resolve(
        agency.portal_links.set_plan_offers(
            ["MONTHLY", "WEEKLY"],
            minimum_installment=evenly.Money(amount_minor=200_00, currency="SEK"),
            max_installments=12,
            max_days=365,
        )
    )
    assert isinstance(wide, evenly.PortalPlanOffers)
    assert wide.creditor_id is None and wide.cadences == ["WEEKLY", "MONTHLY"]
    assert wide.minimum_installment == evenly.Money(amount_minor=200_00, currency="SEK")
    own = await resolve(agency.portal_links.set_plan_offers(["DAILY"], creditor_id=creditor_id))
    assert own.creditor_id == creditor_id and own.max_installments is None
    assert await resolve(agency.portal_links.plan_offers()) == [wide, own]
    with pytest.raises(evenly.UserError) as refused:
        await resolve(agency.portal_links.set_plan_offers([]))
    assert refused.value.code == "INVALID_PLAN_OFFERS"


async def test_the_agency_sets_and_reads_its_help_contact(pair: tuple[Any, Any]) -> None:
    _, agency = pair
    stored = await resolve(
        agency.portal_links.set_help_contact(
            email="help@agency.example", phone="+46 8 123 456", hours="Mon-Fri 9-17"
        )
    )
    assert isinstance(stored, evenly.HelpContact)
    assert stored.email == "help@agency.example" and stored.hours == "Mon-Fri 9-17"
    assert await resolve(agency.portal_links.help_contact()) == stored
    with pytest.raises(evenly.UserError) as refused:
        await resolve(agency.portal_links.set_help_contact(phone="call me"))
    assert refused.value.code == "INVALID_HELP_CONTACT"


async def test_the_creditor_sets_and_reads_its_portal_branding(pair: tuple[Any, Any]) -> None:
    creditor, agency = pair
    stored = await resolve(
        creditor.portal_links.set_branding(
            display_name="Nordic Power", primary_color="#1A4D2E", accent_color="#0b5cad"
        )
    )
    assert isinstance(stored, evenly.PortalBranding)
    assert stored.primary_color == "#1a4d2e" and stored.display_name == "Nordic Power"
    assert await resolve(creditor.portal_links.branding()) == stored
    for colors, code in [
        ({"primary_color": "#ffdd00"}, "COLOR_CONTRAST_TOO_LOW"),
        ({"accent_color": "green"}, "INVALID_COLOR"),
    ]:
        with pytest.raises(evenly.UserError) as refused:
            await resolve(creditor.portal_links.set_branding(**colors))
        assert refused.value.code == code
    with pytest.raises(evenly.PermissionError):  # an agency's key has no accounts:write
        await resolve(agency.portal_links.set_branding(display_name="Not ours"))
