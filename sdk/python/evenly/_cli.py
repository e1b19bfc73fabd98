"""``evenly``: the command line of the SDK.

Credentials come from ``EVENLY_CLIENT_ID``/``EVENLY_CLIENT_SECRET``/``EVENLY_BASE_URL``, else
from ``evenly login`` (saved 0600 in the user config dir).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import click
import httpx
from evenly_webhooks import generate_secret, headers

from evenly import _config
from evenly._client import Evenly
from evenly._exceptions import EvenlyError
from evenly._files import (
    FileFormatError,
    check_csv_header,
    check_jsonl,
    count_accounts,
    is_csv,
    read_numbered_accounts,
)
from evenly._mcp_command import mcp_command
from evenly._models import AccountStatus, Event
from evenly._placement import PlacementError, PlacementResult
from evenly._sandbox_command import sandbox_group
from evenly.webhooks import WebhookVerificationError, verify


def client_from_settings() -> Evenly:
    client_id, secret, base_url = _config.credentials()
    return Evenly(client_id, secret, base_url=base_url)


def _fail(error: EvenlyError) -> click.ClickException:
    return click.ClickException(str(error))


@click.group()
@click.version_option(package_name="evenly")
def main() -> None:
    """Evenly hub from the command line: place accounts, follow events, receive webhooks."""


@main.command()
@click.option("--client-id", prompt=True, help="Your API client id.")
@click.option("--client-secret", prompt=True, hide_input=True, help="Its secret.")
@click.option(
    "--base-url",
    default=lambda: os.environ.get("EVENLY_BASE_URL", "http://127.0.0.1:8000"),
    show_default="EVENLY_BASE_URL or http://127.0.0.1:8000",
    help="The hub.",
)
def login(client_id: str, client_secret: str, base_url: str) -> None:
    """Check credentials with the hub and save them (owner-only file)."""
    try:
        with Evenly(client_id, client_secret, base_url=base_url) as client:
            viewer = client.viewer()
    except EvenlyError as error:
        raise _fail(error) from error
    path = _config.save(
        {"client_id": client_id, "client_secret": client_secret, "base_url": base_url}
    )
    org = viewer.organization
    click.echo(f"Logged in to {base_url} as {org.name} ({org.kind}), client {viewer.client_id}.")
    click.echo(f"Scopes: {' '.join(viewer.scopes)}. Saved to {path}.")


@main.command()
def logout() -> None:
    """Forget the saved credentials."""
    removed = _config.remove()
    click.echo("Logged out." if removed else "No saved credentials.")


# --- accounts -------------------------------------------------------------------------------


@main.group()
def accounts() -> None:
    """Place and list accounts."""


@accounts.command("place")
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="A .csv or .jsonl file of accounts.",
)
@click.option(
    "--batch-size",
    default=500,
    show_default=True,
    type=click.IntRange(1, 500),
    help="Accounts per placeAccounts call.",
)
@click.option(
    "--concurrency",
    default=4,
    show_default=True,
    type=click.IntRange(1, 32),
    help="Batches in flight at once.",
)
@click.option(
    "--errors",
    "errors_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every refused item to this JSONL file (its line in --file, reference, errors).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Draw a progress bar on stderr. [default: when stderr is a terminal]",
)
def place_accounts(
    path: Path, batch_size: int, concurrency: int, errors_path: Path | None, progress: bool | None
) -> None:
    """Place every account of a file; safe to run again after an interruption.

    CSV columns: reference, customer_reference, customer_name, customer_country,
    customer_email, customer_phone, customer_language, customer_timezone,
    original_amount_minor, balance_minor, currency, due_date, product, metadata, in any
    order. Contact details, product and metadata may be left out; the others are required.
    JSONL: one object per line with the fields of evenly.NewAccount. Refused items are
    reported by their line in the file.
    """
    try:
        check_csv_header(path) if is_csv(path) else check_jsonl(path)
    except FileFormatError as error:
        raise click.BadParameter(str(error), param_hint="'--file'") from error
    if progress is None:
        progress = sys.stderr.isatty()
    lines = _Lines()
    errors_out: TextIO | None = errors_path.open("w") if errors_path else None

    def on_result(result: PlacementResult | PlacementError) -> None:
        line = lines.settle(result)
        if errors_out is not None and isinstance(result, PlacementError):
            errors_out.write(json.dumps(_error_record(line, result)) + "\n")

    try:
        with client_from_settings() as client:
            report = client.accounts.place_many(
                lines.track(read_numbered_accounts(path)),
                batch_size=batch_size,
                concurrency=concurrency,
                progress=progress,
                on_result=on_result,
                keep_placed=False,
                total=count_accounts(path),
            )
    except EvenlyError as error:
        raise _fail(error) from error
    finally:
        if errors_out is not None:
            errors_out.close()
    click.echo(
        f"placed {report.placed_count:,} (of which {report.replayed_count:,} already placed), "
        f"failed {report.failed_count:,}, in {report.elapsed:.1f}s"
    )
    for refused in report.errors[:20]:
        line = lines.refused.get(refused.index, "?")
        click.echo(f"  line {line}: {_describe(refused)}", err=True)
    if len(report.errors) > 20:
        click.echo(f"  … and {len(report.errors) - 20:,} more", err=True)
    if report.stopped_by is not None:
        raise _fail(report.stopped_by)
    if report.failed_count:
        sys.exit(1)


class _Lines:
    """The file line of each item in flight, and of each refused one."""

    def __init__(self) -> None:
        self.pending: dict[int, int] = {}
        self.refused: dict[int, int] = {}

    def track(self, numbered: Iterator[tuple[int, dict[str, Any]]]) -> Iterator[dict[str, Any]]:
        for index, (line, account) in enumerate(numbered):
            self.pending[index] = line
            yield account

    def settle(self, result: PlacementResult | PlacementError) -> int:
        line = self.pending.pop(result.index)
        if isinstance(result, PlacementError):
            self.refused[result.index] = line
        return line


def _error_record(line: int, error: PlacementError) -> dict[str, Any]:
    return {
        "line": line,
        "reference": error.reference,
        "errors": [e.model_dump(mode="json") for e in error.errors],
    }


def _describe(error: PlacementError) -> str:
    parts = [
        f"{e.code} at {'.'.join(e.field)}: {e.message}" if e.field else f"{e.code}: {e.message}"
        for e in error.errors
    ]
    return f"{error.reference or '?'}: " + "; ".join(parts)


@accounts.command("list")
@click.option(
    "--status",
    multiple=True,
    type=click.Choice([s.value for s in AccountStatus]),
    help="Only accounts in this status (repeat for several).",
)
@click.option("--country", help="Only customers of this country.")
@click.option("--reference", help="Exactly this reference.")
@click.option(
    "--limit", default=20, show_default=True, type=click.IntRange(1), help="At most this many."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_accounts(
    status: Sequence[str], country: str | None, reference: str | None, limit: int, as_json: bool
) -> None:
    """Your accounts, newest first."""
    try:
        with client_from_settings() as client:
            for account in client.accounts.list(
                status=list(status) or None, country=country, reference=reference, limit=limit
            ):
                if as_json:
                    click.echo(account.model_dump_json(by_alias=True))
                else:
                    balance = account.balance
                    click.echo(
                        f"{account.id}  {account.reference:<24} {account.status:<14} "
                        f"{balance.amount_minor:>12} {balance.currency}  "
                        f"{account.agency.name if account.agency else '-'}"
                    )
    except EvenlyError as error:
        raise _fail(error) from error


# --- events ---------------------------------------------------------------------------------


@main.group()
def events() -> None:
    """Follow your organization's events."""


def _event_options(command: Any) -> Any:
    command = click.option("--type", "types", multiple=True, help="Only this type (repeat).")(
        command
    )
    command = click.option("--after", help="Start after this event id or cursor.")(command)
    command = click.option(
        "--from-start", is_flag=True, help="Replay the whole feed first (default: only new)."
    )(command)
    command = click.option("--poll-interval", default=1.0, show_default=True, hidden=True)(command)
    return click.option(
        "--exit-after", type=int, default=None, hidden=True, help="Stop after N events."
    )(command)


def _start(
    client: Evenly, after: str | None, types: list[str] | None, from_start: bool
) -> tuple[str | None, bool]:
    """Where to follow from: ``after``, the feed's beginning, or (default) its end now.

    An empty feed is followed from its beginning: whatever comes is new.
    """
    if after is not None or from_start:
        return after, from_start
    cursor = client.events.latest_cursor(types=types)
    return cursor, cursor is None


def _follow(
    client: Evenly,
    start: tuple[str | None, bool],
    types: list[str] | None,
    poll_interval: float,
    exit_after: int | None,
) -> Iterator[Event]:
    after, from_start = start
    stream = client.events.stream(
        after=after,
        types=types,
        from_start=from_start,
        poll_interval=poll_interval,
        on_disconnect=_say_disconnected,
        on_reconnect=_say_reconnected,
    )
    for count, event in enumerate(stream, 1):
        yield event
        if exit_after is not None and count >= exit_after:
            return


def _say_disconnected(error: Exception, delay: float) -> None:
    click.echo(f"Lost the hub ({error}); trying again in {delay:.1f}s…", err=True)


def _say_reconnected(after: str | None) -> None:
    where = f"after {after}" if after else "from the start"
    click.echo(f"Reconnected to the hub; resuming {where}.", err=True)


@events.command("tail")
@_event_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def tail(
    types: Sequence[str],
    after: str | None,
    from_start: bool,
    poll_interval: float,
    exit_after: int | None,
    as_json: bool,
) -> None:
    """Print events as they happen (Ctrl-C to stop)."""
    try:
        with client_from_settings() as client:
            wanted = list(types) or None
            start = _start(client, after, wanted, from_start)
            click.echo("Waiting for events… (Ctrl-C to stop)", err=True)
            for event in _follow(client, start, wanted, poll_interval, exit_after):
                if as_json:
                    click.echo(event.model_dump_json(by_alias=True))
                else:
                    account = event.data.get("account") or {}
                    click.echo(
                        f"{_timestamp(event.occurred_at)}  {event.type:<28} {event.id}  "
                        f"{account.get('id', '')} {account.get('reference', '')}".rstrip()
                    )
    except EvenlyError as error:
        raise _fail(error) from error
    except KeyboardInterrupt:
        pass


@main.command()
@click.option("--forward-to", required=True, help="Local URL that receives the webhooks.")
@click.option("--secret", help="Sign with this whsec_ secret (default: one kept for listen).")
@_event_options
def listen(
    forward_to: str,
    secret: str | None,
    types: Sequence[str],
    after: str | None,
    from_start: bool,
    poll_interval: float,
    exit_after: int | None,
) -> None:
    """Forward each new event to a local URL as a signed webhook, like the hub would.

    The deliveries are signed (Standard Webhooks, v1) with a local secret printed at start:
    verify them with it, e.g. evenly.webhooks.verify(body, headers, secret).
    """
    if secret is None:
        secret = _config.load().get("listen_secret")
        if secret is None:
            secret = generate_secret()
            _config.save({"listen_secret": secret})
    try:
        with client_from_settings() as client, httpx.Client(timeout=15) as http:
            wanted = list(types) or None
            start = _start(client, after, wanted, from_start)
            click.echo(f"Ready! Your webhook signing secret is {secret} (Ctrl-C to stop)")
            click.echo(f"Forwarding events to {forward_to}", err=True)
            for event in _follow(client, start, wanted, poll_interval, exit_after):
                status = forward(http, forward_to, event, secret)
                click.echo(
                    f"{_timestamp(event.occurred_at)}  --> {event.type} {event.id} [{status}]"
                )
    except EvenlyError as error:
        raise _fail(error) from error
    except KeyboardInterrupt:
        pass


def webhook_body(event: Event) -> bytes:
    """The body the hub sends for ``event``: ``{"type", "timestamp", "data"}``."""
    body = {"type": event.type, "timestamp": _timestamp(event.occurred_at), "data": event.data}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def forward(http: httpx.Client, url: str, event: Event, secret: str) -> str:
    """POST ``event`` to ``url`` signed with ``secret``; the status, or why it failed."""
    body = webhook_body(event)
    signed = headers(body, msg_id=event.id, timestamp=int(time.time()), secrets=[secret])
    try:
        response = http.post(
            url, content=body, headers={**signed, "content-type": "application/json"}
        )
    except httpx.HTTPError as error:
        return f"failed: {error!r}"
    return str(response.status_code)


def _timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


# --- webhooks -------------------------------------------------------------------------------


@main.group()
def webhooks() -> None:
    """Webhook tools."""


RAW_BODY_HINT = (
    "hint: the signature covers the exact bytes the hub sent. A body that was parsed and "
    "serialized again (another key order, other spacing, other escapes) no longer matches: "
    "pass the raw body as received, and the secret (whsec_…) of the endpoint it was sent to."
)


@webhooks.command("verify")
@click.option("--secret", "secrets", multiple=True, required=True, help="whsec_ secret (repeat).")
@click.option(
    "--header", "header_values", multiple=True, help="A received header, 'name: value' (repeat)."
)
@click.option(
    "--headers-file",
    type=click.File("r"),
    help="The received headers: a JSON object, or 'name: value' lines.",
)
@click.option(
    "--body-file", type=click.File("rb"), default="-", help="The raw body (default: stdin)."
)
@click.option("--ignore-timestamp", is_flag=True, help="Accept an old delivery (for debugging).")
def verify_command(
    secrets: Sequence[str],
    header_values: Sequence[str],
    headers_file: TextIO | None,
    body_file: Any,
    ignore_timestamp: bool,
) -> None:
    """Check a received delivery's signature and print its event."""
    received: dict[str, str] = {}
    if headers_file is not None:
        received.update(_parse_headers(headers_file.read()))
    received.update(_parse_headers("\n".join(header_values)))
    body: bytes = body_file.read()
    options: dict[str, Any] = {}
    if ignore_timestamp and received.get("webhook-timestamp", "").isdigit():
        options["now"] = dt.datetime.fromtimestamp(int(received["webhook-timestamp"]), dt.UTC)
    try:
        event = verify(body, received, list(secrets), **options)
    except WebhookVerificationError as error:
        click.echo(f"invalid: {error.reason}: {error}", err=True)
        if error.reason == "no_matching_signature":
            click.echo(RAW_BODY_HINT, err=True)
        sys.exit(1)
    click.echo(f"valid: {event.type} {event.id}")
    click.echo(event.model_dump_json(indent=2))


def _parse_headers(text: str) -> dict[str, str]:
    text = text.strip()
    if not text:
        return {}
    if text.startswith("{"):
        loaded = json.loads(text)
        return {str(k).lower(): str(v) for k, v in loaded.items()}
    out = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            out[name.strip().lower()] = value.strip()
    return out


main.add_command(mcp_command)
main.add_command(sandbox_group)

if __name__ == "__main__":  # pragma: no cover
    main()
