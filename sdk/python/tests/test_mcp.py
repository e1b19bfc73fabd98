"""``evenly mcp`` driven by the ``mcp`` package's own client, over stdio and streamable HTTP,
against a real hub: what is listed, what each tool answers, and every write safeguard."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from conftest import (
    REPO_ROOT,
    SDK_ROOT,
    Credentials,
    Hub,
    Parties,
    free_port,
    make_client,
    new_account,
)
from mcp import Client
from mcp.client.stdio import StdioServerParameters

EVENLY = str(Path(sys.executable).with_name("evenly"))
TRANSPORTS = ["stdio", "http"]


@asynccontextmanager
async def mcp_client(
    hub: Hub, creds: Credentials, transport: str, *flags: str
) -> AsyncIterator[Client]:
    """An ``mcp`` client of ``evenly mcp <flags>`` run with ``creds``."""
    env = hub.client_env(creds)
    if transport == "stdio":
        params = StdioServerParameters(command=EVENLY, args=["mcp", *flags], env=env)
        async with Client(params) as client:
            yield client
        return
    port = free_port()
    args = [EVENLY, "mcp", "--transport", "http", "--port", str(port), *flags]
    with tempfile.TemporaryFile() as log:
        process = await asyncio.to_thread(subprocess.Popen, args, env=env, stderr=log)
        try:
            await _wait_for(port, process, log)
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                yield client
        finally:
            process.terminate()
            await asyncio.to_thread(process.wait, 15)


async def _wait_for(port: int, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(log.read().decode(errors="replace"))
            try:
                await http.get(f"http://127.0.0.1:{port}/mcp", timeout=1)
                return
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
    raise RuntimeError("evenly mcp did not listen")


async def call(client: Client, name: str, **arguments: Any) -> dict[str, Any]:
    """A tool's JSON result; fails the test on a tool error."""
    result = await client.call_tool(name, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return dict(result.structured_content)


async def refused(client: Client, name: str, **arguments: Any) -> dict[str, Any]:
    """The ``error`` of a tool call that must fail."""
    result = await client.call_tool(name, arguments)
    assert result.is_error, result.structured_content
    text = result.content[0]
    body: dict[str, Any] = json.loads(text.text)  # type: ignore[union-attr]
    return dict(body["error"])


async def tool_names(client: Client) -> dict[str, Any]:
    return {t.name: t for t in (await client.list_tools()).tools}


READ_TOOLS = {
    "evenly_whoami",
    "evenly_search_accounts",
    "evenly_get_account",
    "evenly_account_timeline",
    "evenly_list_events",
    "evenly_list_webhook_endpoints",
    "evenly_list_deliveries",
    "evenly_rehabilitated_customers",
    "evenly_agency_performance",
    "evenly_portfolio_status",
    "evenly_contact_permission",
    "evenly_compliance_report",
    "evenly_rule_packs",
}
CREDITOR_WRITES = {
    "evenly_preview_place_account",
    "evenly_preview_recall_account",
    "evenly_preview_adjust_balance",
    "evenly_preview_report_direct_payment",
    "evenly_preview_record_customer_return",
    "evenly_preview_replay_events",
    "evenly_commit",
}


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_the_default_list_is_read_only_then_allow_write_adds_preview_and_commit(
    parties: Parties, transport: str
) -> None:
    async with mcp_client(parties.hub, parties.creditor, transport) as client:
        tools = await tool_names(client)
    assert set(tools) == READ_TOOLS
    assert len(tools) <= 20
    assert all(t.annotations.read_only_hint is True for t in tools.values())

    async with mcp_client(parties.hub, parties.creditor, transport, "--allow-write") as client:
        tools = await tool_names(client)
    assert set(tools) == READ_TOOLS | CREDITOR_WRITES
    assert len(tools) <= 40
    commit = tools["evenly_commit"].annotations
    assert (commit.read_only_hint, commit.destructive_hint, commit.idempotent_hint) == (
        False,
        True,
        True,
    )
    assert tools["evenly_preview_place_account"].annotations.read_only_hint is True

    async with mcp_client(parties.hub, parties.agency, transport, "--allow-write") as client:
        agency_tools = set(await tool_names(client))
    assert "evenly_preview_record_payment" in agency_tools
    assert "evenly_preview_place_account" not in agency_tools
    assert "evenly_rehabilitated_customers" not in agency_tools


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_every_read_tool_answers_from_the_hub(parties: Parties, transport: str) -> None:
    sdk = make_client("sync", parties.hub, parties.creditor)
    account = sdk.accounts.place(**new_account()).account
    endpoint = sdk.webhook_endpoints.create("http://127.0.0.1:9/hook").endpoint
    sdk.close()
    async with mcp_client(parties.hub, parties.creditor, transport) as client:
        assert (await call(client, "evenly_whoami"))["viewer"]["organization"]["kind"] == (
            "CREDITOR"
        )
        found = await call(client, "evenly_search_accounts", reference=account.reference)
        assert [a["id"] for a in found["accounts"]] == [account.id]
        got = await call(client, "evenly_get_account", account_id=account.id)
        assert got["account"]["reference"] == account.reference
        timeline = await call(client, "evenly_account_timeline", account_id=account.id)
        assert timeline["events"][0]["type"] == "account.placed"
        now = await call(client, "evenly_list_events", from_now=True)
        assert now["events"] == [] and now["next"]
        events = await call(client, "evenly_list_events", types=["account.placed"], limit=5)
        assert events["events"] and all(e["type"] == "account.placed" for e in events["events"])
        listed = await call(client, "evenly_list_webhook_endpoints")
        assert endpoint.id in [e["id"] for e in listed["endpoints"]]
        deliveries = await call(client, "evenly_list_deliveries", endpoint_id=endpoint.id)
        assert isinstance(deliveries["deliveries"], list)
        assert "rehabilitated" in await call(client, "evenly_rehabilitated_customers")
        performance = await call(
            client,
            "evenly_agency_performance",
            start="2020-01-01T00:00:00Z",
            end="2100-01-01T00:00:00Z",
        )
        assert performance["agencies"][0]["accounts_placed"] >= 1
        portfolio = await call(client, "evenly_portfolio_status")
        assert portfolio["portfolio"]
        permission = await call(
            client, "evenly_contact_permission", account_id=account.id, channel="LETTER"
        )
        assert permission["permission"]["rule_pack"]["jurisdiction"] == "SE"
        report = await call(client, "evenly_compliance_report", account_id=account.id)
        assert report["contacts"] == []
        packs = await call(client, "evenly_rule_packs", jurisdiction="SE")
        assert packs["rule_packs"][0]["jurisdiction"] == "SE"
        missing = await refused(client, "evenly_get_account", account_id="acc_nope")
        assert missing["code"] == "NOT_FOUND"


def placement_arguments() -> dict[str, Any]:
    account = new_account()
    customer = account["customer"]
    return {
        "reference": account["reference"],
        "customer_reference": customer["reference"],
        "customer_name": customer["name"],
        "customer_country": "SE",
        "customer_email": customer["email"],
        "customer_phone": customer["phone"],
        "original_amount_minor": 125000,
        "balance_minor": 100000,
        "currency": "SEK",
        "due_date": "2026-01-31",
    }


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_preview_then_commit_places_once_however_often_it_is_committed(
    parties: Parties, transport: str
) -> None:
    arguments = placement_arguments()
    async with mcp_client(parties.hub, parties.creditor, transport, "--allow-write") as client:
        preview = await call(client, "evenly_preview_place_account", **arguments)
        assert preview["action"] == "place_account"
        assert preview["would"]["account"]["reference"] == arguments["reference"]
        # Nothing is placed by a preview.
        before = await call(client, "evenly_search_accounts", reference=arguments["reference"])
        assert before["accounts"] == []
        commit = {
            "action": preview["action"],
            "arguments": preview["arguments"],
            "confirmation_token": preview["confirmation_token"],
        }
        first = await call(client, "evenly_commit", **commit)
        again = await call(client, "evenly_commit", **commit)
    assert first["repeated"] is False and again["repeated"] is True
    account_id = first["result"]["account"]["id"]
    assert again["result"]["account"]["id"] == account_id
    sdk = make_client("sync", parties.hub, parties.creditor)
    placed = list(sdk.accounts.list(reference=arguments["reference"]))
    sdk.close()
    assert [a.id for a in placed] == [account_id]


async def test_the_commit_sends_the_idempotency_key_of_its_token(parties: Parties) -> None:
    """A commit whose answer was lost and is sent again reaches the hub with the same key:
    the hub replays the first placement instead of placing twice."""
    arguments = placement_arguments()
    hub, creditor = parties.hub, parties.creditor
    async with mcp_client(hub, creditor, "stdio", "--allow-write") as client:
        preview = await call(client, "evenly_preview_place_account", **arguments)
        commit = {k: preview[k] for k in ("action", "arguments", "confirmation_token")}
        first = await call(client, "evenly_commit", **commit)
    token = preview["confirmation_token"]
    sdk = make_client("sync", hub, creditor)
    again = sdk.accounts.place(
        reference=arguments["reference"],
        customer={
            "reference": arguments["customer_reference"],
            "name": arguments["customer_name"],
            "country": "SE",
            "email": arguments["customer_email"],
            "phone": arguments["customer_phone"],
        },
        original_amount={"amount_minor": 125000, "currency": "SEK"},
        balance={"amount_minor": 100000, "currency": "SEK"},
        due_date="2026-01-31",
        idempotency_key="mcp:" + hashlib.sha256(token.encode()).hexdigest()[:40],
    )
    sdk.close()
    assert again.replayed is True
    assert again.account.id == first["result"]["account"]["id"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_commit_with_a_wrong_changed_or_expired_token_is_refused(
    parties: Parties, transport: str
) -> None:
    arguments = placement_arguments()
    flags = ("--allow-write", "--confirmation-ttl", "1")
    async with mcp_client(parties.hub, parties.creditor, transport, *flags) as client:
        preview = await call(client, "evenly_preview_place_account", **arguments)
        token = preview["confirmation_token"]
        forged = await refused(
            client,
            "evenly_commit",
            action="place_account",
            arguments=preview["arguments"],
            confirmation_token=token[:-4] + "0000",
        )
        assert forged["code"] == "CONFIRMATION_INVALID"
        changed = await refused(
            client,
            "evenly_commit",
            action="place_account",
            arguments={**preview["arguments"], "balance_minor": 1},
            confirmation_token=token,
        )
        assert changed["code"] == "CONFIRMATION_INVALID"
        await asyncio.sleep(2.1)
        expired = await refused(
            client,
            "evenly_commit",
            action="place_account",
            arguments=preview["arguments"],
            confirmation_token=token,
        )
        assert expired["code"] == "CONFIRMATION_EXPIRED"
        found = await call(client, "evenly_search_accounts", reference=arguments["reference"])
    assert found["accounts"] == []


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_write_tools_are_refused_without_allow_write(
    parties: Parties, transport: str
) -> None:
    async with mcp_client(parties.hub, parties.creditor, transport) as client:
        preview = await refused(client, "evenly_preview_place_account", **placement_arguments())
        commit = await refused(
            client,
            "evenly_commit",
            action="place_account",
            arguments={},
            confirmation_token="v1.1.x",
        )
    assert preview["code"] == commit["code"] == "WRITE_NOT_ALLOWED"


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_personal_data_is_masked_unless_shown(parties: Parties, transport: str) -> None:
    sdk = make_client("sync", parties.hub, parties.creditor)
    account = sdk.accounts.place(**new_account()).account
    sdk.close()
    async with mcp_client(parties.hub, parties.creditor, transport) as client:
        masked = (await call(client, "evenly_get_account", account_id=account.id))["account"]
    assert masked["customer"]["name"] == "A. L."
    assert masked["customer"]["email"] == "a***@example.com"
    assert masked["customer"]["phone"].endswith("67") and "4670" not in masked["customer"]["phone"]
    assert masked["creditor"]["name"] == account.creditor.name  # an organization's name stays
    async with mcp_client(parties.hub, parties.creditor, transport, "--show-pii") as client:
        shown = (await call(client, "evenly_get_account", account_id=account.id))["account"]
    assert shown["customer"]["name"] == "Astrid Lindqvist"
    assert shown["customer"]["email"] == "astrid@example.com"


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_read_only_api_client_cannot_write_even_with_allow_write(
    parties: Parties, transport: str
) -> None:
    created = await asyncio.to_thread(
        parties.hub.admin,
        "create-client",
        "--organization",
        parties.creditor.organization_id,
        "--scope",
        "accounts:read",
        "--scope",
        "events:read",
    )
    reader = Credentials(
        parties.creditor.organization_id, created["client_id"], created["client_secret"]
    )
    async with mcp_client(parties.hub, reader, transport, "--allow-write") as client:
        error = await refused(client, "evenly_preview_place_account", **placement_arguments())
    assert error["code"] == "FORBIDDEN"


async def test_an_agency_previews_and_commits_a_collection_move(parties: Parties) -> None:
    creditor = make_client("sync", parties.hub, parties.creditor)
    account = creditor.accounts.place(**new_account()).account
    creditor.close()
    async with mcp_client(parties.hub, parties.agency, "stdio", "--allow-write") as client:
        preview = await call(client, "evenly_preview_acknowledge_placement", account_id=account.id)
        assert preview["would"]["account_now"]["status"] == "PLACED"
        commit = {k: preview[k] for k in ("action", "arguments", "confirmation_token")}
        done = await call(client, "evenly_commit", **commit)
    assert done["result"]["status"] == "ACKNOWLEDGED"


def readme_install_line() -> str:
    readme = (SDK_ROOT / "README.md").read_text()
    section = readme.split("## MCP server", 1)[1]
    match = re.search(r"```sh\n(pip install [^\n]*\[mcp\][^\n]*)\n```", section)
    assert match, "the README's MCP section has no install line"
    return match.group(1)


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("parties", ["sqlite"], indirect=True)  # the install is the point
async def test_evenly_mcp_works_from_the_readme_in_a_fresh_virtualenv(
    parties: Parties, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "venv", str(venv)], check=True)
    words = readme_install_line().replace("'", "").split()
    assert words[:2] == ["pip", "install"]
    install = await asyncio.to_thread(
        subprocess.run,
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *words[2:]],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=800,
    )
    assert install.returncode == 0, install.stderr
    params = StdioServerParameters(
        command=str(venv / "bin" / "evenly"),
        args=["mcp"],
        env=parties.hub.client_env(parties.creditor),
    )
    async with Client(params) as client:
        assert set(await tool_names(client)) == READ_TOOLS
        viewer = await call(client, "evenly_whoami")
    assert viewer["viewer"]["client_id"] == parties.creditor.client_id
