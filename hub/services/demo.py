"""Demo data for ``evenly-hub serve --demo``: a creditor, an agency, a routing rule, accounts.

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


async def ensure_demo(ctx: ServiceContext) -> dict[str, Any]:
    """Create (or find) the demo organizations and return their credentials."""
    path = ctx.settings.data_dir / "demo-credentials.json"
    saved: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    creditor = await organization_service.find_organization_by_name(
        ctx, OrganizationKind.CREDITOR, CREDITOR_NAME, sandbox=True
    )
    agency = await organization_service.find_organization_by_name(
        ctx, OrganizationKind.AGENCY, AGENCY_NAME, sandbox=True
    )
    result: dict[str, Any] = {}
    for role, kind, name, org in (
        ("creditor", OrganizationKind.CREDITOR, CREDITOR_NAME, creditor),
        ("agency", OrganizationKind.AGENCY, AGENCY_NAME, agency),
    ):
        previous = saved.get(role)
        if org is not None and previous and previous["organization_id"] == org.id:
            result[role] = previous
            continue
        if org is None:
            creds = await organization_service.create_organization(
                ctx, kind=kind, name=name, country="SE", sandbox=True
            )
        else:
            creds = await organization_service.create_client(ctx, org.id, name="demo", scopes=None)
        result[role] = {
            "organization_id": creds.organization_id,
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
        }
    creditor_id = result["creditor"]["organization_id"]
    agency_id = result["agency"]["organization_id"]
    if not await organization_service.routes_to(ctx, creditor_id, agency_id):
        await organization_service.create_routing_rule(
            ctx, creditor_id=creditor_id, agency_id=agency_id, priority=100
        )
        await _place_demo_accounts(ctx, creditor_id)
    _write_private(path, json.dumps(result, indent=2))
    return result


def shell_exports(creds: dict[str, Any], base_url: str) -> list[str]:
    """``export`` lines for both demo organizations, ready to paste into a shell.

    ``CREDITOR_*`` and ``AGENCY_*`` are what the README's curl snippets use; ``EVENLY_*``
    (the creditor's) are what the SDK and the ``evenly`` command read.
    """
    c, a = creds["creditor"], creds["agency"]
    q = shlex.quote
    return [
        f"export EVENLY_BASE_URL={q(base_url)}",
        f"export CREDITOR_CLIENT_ID={q(c['client_id'])} CREDITOR_CLIENT_SECRET={q(c['client_secret'])}",
        f"export AGENCY_CLIENT_ID={q(a['client_id'])} AGENCY_CLIENT_SECRET={q(a['client_secret'])}",
        f"export EVENLY_CLIENT_ID={q(c['client_id'])} EVENLY_CLIENT_SECRET={q(c['client_secret'])}",
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
