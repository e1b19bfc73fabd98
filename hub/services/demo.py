"""Demo data for ``evenly-hub serve --demo``: a creditor, an agency, a routing rule, accounts;
and a second creditor routed to a simulated agency, which the hub plays itself.

The demo organizations are sandbox organizations (``hub.domain.sandbox``): ``cli_test_``
clients, events with ``livemode: false``. A database whose demo organizations predate
sandboxes gets new, sandbox ones beside them (found by name among sandbox organizations).

Running it again reuses the same organizations and prints the same credentials, which are
kept in ``<data_dir>/demo-credentials.json`` (the database only holds secret hashes), and as
shell ``export`` lines in ``<data_dir>/demo.env``, which the README's snippets source.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
from pathlib import Path
from typing import Any

from hub.auth.scopes import OrganizationKind
from hub.auth.tokens import Principal
from hub.domain.account import Product
from hub.domain.money import Money
from hub.domain.placement import CustomerDetails, Placement
from hub.services import organizations as organization_service
from hub.services import placement as placement_service
from hub.services.context import ServiceContext

CREDITOR_NAME = "Demo Creditor"
AGENCY_NAME = "Demo Agency"
SANDBOX_CREDITOR_NAME = "Demo Sandbox Creditor"
SIMULATED_AGENCY_NAME = "Demo Simulated Agency"

_CUSTOMERS = [
    (
        "Astrid Lindqvist",
        "astrid@example.com",
        "+46701234567",
        "SE",
        "sv-SE",
        "Europe/Stockholm",
        "SEK",
        125000,
    ),
    (
        "Oliver Bennett",
        "oliver@example.co.uk",
        "+447700900123",
        "GB",
        "en-GB",
        "Europe/London",
        "GBP",
        8999,
    ),
    (
        "Lena Hoffmann",
        "lena@example.de",
        "+4915112345678",
        "DE",
        "de-DE",
        "Europe/Berlin",
        "EUR",
        24950,
    ),
    ("Mateo García", None, "+34612345678", "ES", "es-ES", "Europe/Madrid", "EUR", 5600),
    (
        "Maya Johnson",
        "maya@example.com",
        "+14155550123",
        "US",
        "en-US",
        "America/Los_Angeles",
        "USD",
        41200,
    ),
]


#: The demo organizations by role in ``demo-credentials.json``: kind, name, simulated. The
#: creditor and the agency are played by hand (the README's journeys); the sandbox creditor,
#: whose credentials are the ``EVENLY_*`` ones the SDK and ``evenly`` read, routes to the
#: simulated agency, which the hub plays (``hub.services.sandbox_agency``).
ROLES: tuple[tuple[str, OrganizationKind, str, bool], ...] = (
    ("creditor", OrganizationKind.CREDITOR, CREDITOR_NAME, False),
    ("agency", OrganizationKind.AGENCY, AGENCY_NAME, False),
    ("sandbox_creditor", OrganizationKind.CREDITOR, SANDBOX_CREDITOR_NAME, False),
    ("simulated_agency", OrganizationKind.AGENCY, SIMULATED_AGENCY_NAME, True),
)


async def ensure_demo(ctx: ServiceContext) -> dict[str, Any]:
    """Create (or find) the demo organizations and return their credentials."""
    path = ctx.settings.data_dir / "demo-credentials.json"
    saved: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    result: dict[str, Any] = {}
    for role, kind, name, simulated in ROLES:
        result[role] = await _organization(ctx, saved.get(role), kind, name, simulated)
    ids = {role: creds["organization_id"] for role, creds in result.items()}
    if not await organization_service.routes_to(ctx, ids["creditor"], ids["agency"]):
        await organization_service.create_routing_rule(
            ctx, creditor_id=ids["creditor"], agency_id=ids["agency"], priority=100
        )
        await _place_demo_accounts(ctx, ids["creditor"])
    if not await organization_service.routes_to(
        ctx, ids["sandbox_creditor"], ids["simulated_agency"]
    ):
        await organization_service.create_routing_rule(
            ctx,
            creditor_id=ids["sandbox_creditor"],
            agency_id=ids["simulated_agency"],
            priority=100,
        )
    _write_private(path, json.dumps(result, indent=2))
    return result


async def _organization(
    ctx: ServiceContext,
    previous: dict[str, Any] | None,
    kind: OrganizationKind,
    name: str,
    simulated: bool,
) -> dict[str, Any]:
    """The credentials of the sandbox organization ``name``: those kept from a previous
    run, else a new client of the organization, else a new organization."""
    org = await organization_service.find_organization_by_name(ctx, kind, name, sandbox=True)
    if org is not None and previous and previous["organization_id"] == org.id:
        return previous
    if org is None:
        creds = await organization_service.create_organization(
            ctx, kind=kind, name=name, country="SE", sandbox=True, simulated=simulated
        )
    else:
        creds = await organization_service.create_client(ctx, org.id, name="demo", scopes=None)
    return {
        "organization_id": creds.organization_id,
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
    }


def shell_exports(creds: dict[str, Any], base_url: str) -> list[str]:
    """``export`` lines for the demo organizations, ready to paste into a shell.

    ``CREDITOR_*`` and ``AGENCY_*`` are what the README's curl snippets use (the agency
    played by hand); ``EVENLY_*`` (the sandbox creditor's, whose accounts the simulated
    agency plays) are what the SDK and the ``evenly`` command read.
    """
    c, a = creds["creditor"], creds["agency"]
    sdk = creds.get("sandbox_creditor", c)
    q = shlex.quote
    return [
        f"export EVENLY_BASE_URL={q(base_url)}",
        f"export CREDITOR_CLIENT_ID={q(c['client_id'])} CREDITOR_CLIENT_SECRET={q(c['client_secret'])}",
        f"export AGENCY_CLIENT_ID={q(a['client_id'])} AGENCY_CLIENT_SECRET={q(a['client_secret'])}",
        f"export EVENLY_CLIENT_ID={q(sdk['client_id'])} EVENLY_CLIENT_SECRET={q(sdk['client_secret'])}",
    ]


def write_shell_env(data_dir: Path, creds: dict[str, Any], base_url: str) -> Path:
    """Write :func:`shell_exports` to ``<data_dir>/demo.env`` (mode 0600): ``. .evenly/demo.env``."""
    path = data_dir / "demo.env"
    header = (
        "# The demo organizations of `evenly-hub serve --demo`; load with `. .evenly/demo.env`\n"
    )
    _write_private(path, header + "\n".join(shell_exports(creds, base_url)) + "\n")
    return path


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


async def _place_demo_accounts(ctx: ServiceContext, creditor_id: str) -> None:
    principal = Principal("demo", creditor_id, OrganizationKind.CREDITOR, frozenset())
    today = ctx.clock().date()
    placements = [
        Placement(
            reference=f"DEMO-{n:04d}",
            customer=CustomerDetails(
                reference=f"CUST-{n:04d}",
                name=name,
                country=country,
                email=email,
                phone=phone,
                language=language,
                timezone=tz,
            ),
            original_amount=Money(amount, currency),
            balance=Money(amount, currency),
            due_date=today - dt.timedelta(days=30 + 7 * n),
            product=Product.BNPL_INVOICE,
            metadata={"order": f"ORDER-{1000 + n}"},
        )
        for n, (name, email, phone, country, language, tz, currency, amount) in enumerate(
            _CUSTOMERS, start=1
        )
    ]
    await placement_service.place_accounts(ctx, principal, placements)
