"""The ``evenly`` command, run as a process against a real hub."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import evenly
import pytest
from conftest import Parties, new_account
from evenly_webhooks import generate_secret, headers
from receiver import Receiver, start_receiver

EVENLY = str(Path(sys.executable).with_name("evenly"))


def cli_env(parties: Parties | None, config: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENLY_")}
    if parties is not None:
        env.update(parties.hub.client_env(parties.creditor))
    env.update(XDG_CONFIG_HOME=str(config), PYTHONUNBUFFERED="1", **extra)
    return env


def run(
    env: dict[str, str], *args: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EVENLY, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin.decode() if stdin is not None else None,
    )


@pytest.fixture
def sdk(parties: Parties) -> Iterator[evenly.Evenly]:
    with evenly.Evenly(
        parties.creditor.client_id, parties.creditor.client_secret, base_url=parties.hub.url
    ) as client:
        yield client


async def test_login_saves_credentials_for_later_commands(parties: Parties, tmp_path: Path) -> None:
    env = cli_env(None, tmp_path)
    creds = parties.creditor
    done = await asyncio.to_thread(
        run,
        env,
        "login",
        "--base-url",
        parties.hub.url,
        "--client-id",
        creds.client_id,
        stdin=f"{creds.client_secret}\n".encode(),
    )
    assert done.returncode == 0, done.stderr
    assert "CREDITOR" in done.stdout
    saved = tmp_path / "evenly" / "credentials.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert json.loads(saved.read_text())["client_id"] == creds.client_id

    listed = await asyncio.to_thread(run, env, "accounts", "list", "--limit", "1")
    assert listed.returncode == 0, listed.stderr

    assert (await asyncio.to_thread(run, env, "logout")).returncode == 0
    assert not saved.exists()
    refused = await asyncio.to_thread(run, env, "accounts", "list")
    assert refused.returncode == 1 and "evenly login" in refused.stderr


async def test_login_with_a_wrong_secret_saves_nothing(parties: Parties, tmp_path: Path) -> None:
    env = cli_env(None, tmp_path)
    done = await asyncio.to_thread(
        run,
        env,
        "login",
        "--base-url",
        parties.hub.url,
        "--client-id",
        parties.creditor.client_id,
        "--client-secret",
        "wrong",
    )
    assert done.returncode == 1
    assert "invalid_client" in done.stderr
    assert not (tmp_path / "evenly" / "credentials.json").exists()


def write_csv(path: Path, accounts: list[dict[str, Any]]) -> None:
    from evenly._files import CSV_COLUMNS

    rows = [",".join(CSV_COLUMNS)]
    for a in accounts:
        c = a["customer"]
        rows.append(
            ",".join(
                [
                    a["reference"],
                    c["reference"],
                    c["name"],
                    c["country"],
                    c["email"],
                    c["phone"],
                    c["language"],
                    c["timezone"],
                    str(a["original_amount"]["amount_minor"]),
                    str(a["balance"]["amount_minor"]),
                    a["balance"]["currency"],
                    a["due_date"],
                    a["product"],
                    '"{""order"": ""1""}"',
                ]
            )
        )
    path.write_text("\n".join(rows) + "\n")


async def test_accounts_place_from_csv_with_errors_then_again(
    parties: Parties, tmp_path: Path, sdk: evenly.Evenly
) -> None:
    accounts = [new_account() for _ in range(5)]
    accounts[3]["customer"]["email"] = "broken"
    path = tmp_path / "accounts.csv"
    write_csv(path, accounts)
    env = cli_env(parties, tmp_path)
    errors = tmp_path / "errors.jsonl"
    done = await asyncio.to_thread(
        run, env, "accounts", "place", "--file", str(path), "--errors", str(errors)
    )
    assert done.returncode == 1
    assert "placed 4 (of which 0 already placed), failed 1" in done.stdout
    assert f"  line 5: {accounts[3]['reference']}: INVALID_EMAIL at customer.email" in done.stderr
    refused = [json.loads(line) for line in errors.read_text().splitlines()]
    assert refused == [
        {
            "line": 5,  # the header is line 1: the fourth account is on line 5
            "reference": accounts[3]["reference"],
            "errors": [refused[0]["errors"][0]],
        }
    ]
    assert refused[0]["errors"][0]["code"] == "INVALID_EMAIL"
    placed = sdk.accounts.get(reference=accounts[0]["reference"])
    assert placed.metadata == {"order": "1"}

    again = await asyncio.to_thread(run, env, "accounts", "place", "--file", str(path))
    assert "placed 4 (of which 4 already placed), failed 1" in again.stdout


async def test_accounts_place_from_jsonl_and_list(
    parties: Parties, tmp_path: Path, sdk: evenly.Evenly
) -> None:
    accounts = [new_account() for _ in range(3)]
    path = tmp_path / "accounts.jsonl"
    path.write_text("".join(json.dumps(a) + "\n" for a in accounts))
    env = cli_env(parties, tmp_path)
    done = await asyncio.to_thread(run, env, "accounts", "place", "--file", str(path), "--progress")
    assert done.returncode == 0, done.stderr
    assert "placed 3" in done.stdout
    assert "3/3" in done.stderr  # the progress bar, asked for

    listed = await asyncio.to_thread(
        run, env, "accounts", "list", "--reference", accounts[1]["reference"], "--json"
    )
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["reference"] for r in rows] == [accounts[1]["reference"]]
    table = await asyncio.to_thread(run, env, "accounts", "list", "--limit", "2")
    assert len(table.stdout.splitlines()) == 2


async def test_a_jsonl_line_that_is_not_json_is_reported_before_anything_is_sent(
    parties: Parties, tmp_path: Path, sdk: evenly.Evenly
) -> None:
    first = new_account()
    path = tmp_path / "accounts.jsonl"
    path.write_text(json.dumps(first) + "\n\n" + '{"reference": "INV-x", oops}\n')
    env = cli_env(parties, tmp_path)
    done = await asyncio.to_thread(run, env, "accounts", "place", "--file", str(path))
    assert done.returncode == 2, done.stderr
    assert "accounts.jsonl, line 3: not JSON" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(sdk.accounts.list(reference=first["reference"])) == []
    path.write_bytes(json.dumps(first).encode() + b"\n\xff\xfe\n")
    done = await asyncio.to_thread(run, env, "accounts", "place", "--file", str(path))
    assert done.returncode == 2 and "line 2: not UTF-8 text" in done.stderr, done.stderr


def start_cli(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [EVENLY, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def read_line(process: subprocess.Popen[str], containing: str, timeout: float = 30) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if containing in line:
            return line
        if not line and process.poll() is not None:
            break
    raise AssertionError(
        f"no line with {containing!r}; stderr: {process.stderr.read() if process.stderr else ''}"
    )


async def test_events_tail_prints_new_events(
    parties: Parties, tmp_path: Path, sdk: evenly.Evenly
) -> None:
    env = cli_env(parties, tmp_path)
    process = start_cli(
        env,
        "events",
        "tail",
        "--type",
        "account.placed",
        "--exit-after",
        "1",
        "--poll-interval",
        "0.1",
    )
    try:
        assert process.stderr is not None
        await asyncio.to_thread(process.stderr.readline)  # "Waiting for events…"
        placed = sdk.accounts.place(**new_account()).account
        line = await asyncio.to_thread(read_line, process, "account.placed")
        assert placed.id in line and placed.reference in line
        assert await asyncio.to_thread(process.wait, 30) == 0
    finally:
        process.kill()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = start_receiver()
    yield receiver
    receiver.close()


async def test_listen_forwards_signed_events(
    parties: Parties, tmp_path: Path, sdk: evenly.Evenly, receiver: Receiver
) -> None:
    env = cli_env(parties, tmp_path)
    process = start_cli(
        env,
        "listen",
        "--forward-to",
        receiver.url,
        "--type",
        "account.placed",
        "--exit-after",
        "1",
        "--poll-interval",
        "0.1",
    )
    try:
        ready = await asyncio.to_thread(read_line, process, "Ready!")
        secret = ready.split("secret is ")[1].split()[0]
        placed = sdk.accounts.place(**new_account()).account
        got = await asyncio.to_thread(receiver.wait_for, lambda r: len(r) >= 1)
        event = evenly.webhooks.verify(got[0].body, got[0].headers, secret)
        assert event.type == "account.placed"
        assert event.account_id == placed.id
        line = await asyncio.to_thread(read_line, process, "-->")
        assert "[204]" in line
        assert await asyncio.to_thread(process.wait, 30) == 0
    finally:
        process.kill()
    # The secret is kept: the next listen signs with the same one.
    saved = json.loads((tmp_path / "evenly" / "credentials.json").read_text())
    assert saved["listen_secret"] == secret


def test_webhooks_verify_command(tmp_path: Path) -> None:
    secret = generate_secret()
    body = b'{"type":"webhook.test","timestamp":"2026-01-01T00:00:00Z","data":{}}'
    sent = headers(body, msg_id="evt_1", timestamp=int(time.time()), secrets=[secret])
    (tmp_path / "body.json").write_bytes(body)
    (tmp_path / "headers.json").write_text(json.dumps(sent))
    env = cli_env(None, tmp_path)
    base = ["webhooks", "verify", "--secret", secret, "--body-file", str(tmp_path / "body.json")]
    ok = run(env, *base, "--headers-file", str(tmp_path / "headers.json"))
    assert ok.returncode == 0, ok.stderr
    assert "valid: webhook.test evt_1" in ok.stdout

    as_lines = [f"--header={k}: {v}" for k, v in sent.items()]
    from_stdin = run(env, "webhooks", "verify", "--secret", secret, *as_lines, stdin=body)
    assert from_stdin.returncode == 0, from_stdin.stderr

    tampered = run(
        env, "webhooks", "verify", "--secret", secret, *as_lines, stdin=body.replace(b"{}", b"[]")
    )
    assert tampered.returncode == 1
    assert "no_matching_signature" in tampered.stderr

    reserialized = json.dumps(json.loads(body), indent=2).encode()  # what a JSON parser sends on
    again = run(env, "webhooks", "verify", "--secret", secret, *as_lines, stdin=reserialized)
    assert again.returncode == 1
    assert "invalid: no_matching_signature" in again.stderr
    assert "serialized again" in again.stderr and "raw body" in again.stderr


def _csv_line(account: dict[str, Any], metadata: str = "") -> str:
    c = account["customer"]
    cells = [
        account["reference"],
        c["reference"],
        c["name"],
        c["country"],
        c["email"],
        c["phone"],
        c["language"],
        c["timezone"],
        str(account["original_amount"]["amount_minor"]),
        str(account["balance"]["amount_minor"]),
        account["balance"]["currency"],
        account["due_date"],
        account["product"],
        metadata,
    ]
    return ",".join(cells)


async def test_accounts_place_reports_refused_rows_by_their_line_in_the_file(
    parties: Parties, tmp_path: Path
) -> None:
    from evenly._files import CSV_COLUMNS

    accounts = [new_account() for _ in range(4)]
    accounts[2]["customer"]["email"] = "broken"
    accounts[3]["balance"]["amount_minor"] = "lots"  # refused by the SDK, before sending
    text = "\n".join(
        [
            ",".join(CSV_COLUMNS),  # line 1
            _csv_line(accounts[0]),  # line 2
            "",  # line 3: blank
            _csv_line(accounts[1], '"{""note"": ""two"",\n""lines"": 2}"'),  # lines 4-5
            _csv_line(accounts[2]),  # line 6
            _csv_line(accounts[3]),  # line 7
        ]
    )
    path = tmp_path / "accounts.csv"
    path.write_text(text + "\n")
    errors = tmp_path / "errors.jsonl"
    env = cli_env(parties, tmp_path)
    done = await asyncio.to_thread(
        run, env, "accounts", "place", "--file", str(path), "--errors", str(errors)
    )
    assert done.returncode == 1, done.stderr
    assert "placed 2 (of which 0 already placed), failed 2" in done.stdout
    assert f"  line 6: {accounts[2]['reference']}: INVALID_EMAIL" in done.stderr
    assert f"  line 7: {accounts[3]['reference']}: INVALID_INPUT at balance.amount_minor" in (
        done.stderr
    )
    refused = [json.loads(line) for line in errors.read_text().splitlines()]
    assert sorted((r["line"], r["reference"]) for r in refused) == [
        (6, accounts[2]["reference"]),
        (7, accounts[3]["reference"]),
    ]
    assert "placing" not in done.stderr  # stderr is a pipe here: no progress bar


async def test_accounts_place_refuses_a_csv_header_that_does_not_fit_before_sending(
    parties: Parties, tmp_path: Path, sdk: evenly.Evenly
) -> None:
    from evenly._files import CSV_COLUMNS

    account = new_account()
    columns = [c for c in CSV_COLUMNS if c != "due_date"]
    columns[columns.index("customer_country")] = "country"
    row = _csv_line(account).split(",")
    del row[CSV_COLUMNS.index("due_date")]
    path = tmp_path / "export.csv"
    path.write_text(",".join(columns) + "\n" + ",".join(row) + "\n")
    done = await asyncio.to_thread(
        run, cli_env(parties, tmp_path), "accounts", "place", "--file", str(path)
    )
    assert done.returncode == 2
    message = " ".join(done.stderr.split())
    assert "export.csv, line 1: missing columns: customer_country, due_date" in message
    assert "unknown columns: 'country'" in message
    assert "INVALID_INPUT" not in done.stderr and "placed" not in done.stdout
    with pytest.raises(evenly.NotFoundError):
        sdk.accounts.get(reference=account["reference"])


def test_every_cli_option_says_what_it_is_for(tmp_path: Path) -> None:
    import click
    from evenly._cli import main

    def commands(group: click.Group, path: str) -> Iterator[tuple[str, click.Command]]:
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                yield from commands(command, f"{path} {name}")
            else:
                yield f"{path} {name}", command

    undocumented = [
        f"{path} {option.opts[0]}"
        for path, command in commands(main, "evenly")
        for option in command.params
        if isinstance(option, click.Option) and not option.hidden and not option.help
    ]
    assert undocumented == []
    listed = run(cli_env(None, tmp_path), "accounts", "list", "--help")
    assert "[" + "|".join(evenly.AccountStatus) + "]" in "".join(listed.stdout.split())
    refused = run(cli_env(None, tmp_path), "accounts", "list", "--status", "OPEN")
    assert refused.returncode == 2 and "'OPEN' is not one of" in refused.stderr
