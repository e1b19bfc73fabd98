"""``evenly sandbox``: rehearse a scenario of the hub's simulated agency from the shell.

``evenly sandbox run pays_in_full --listen`` places one account (a sandbox creditor's
credentials) whose ``metadata.sandboxScenario`` names the scenario, tagged with a test run
(``--tag``, default a fresh ``cli-…``) so ``evenly sandbox reset TAG`` removes it, then
follows the account's events and prints each as it arrives. It exits 0 at the scenario's
last event, 1 with a message when the hub refuses the placement or the events stop coming
for ``--timeout`` seconds, and 2 for a scenario the hub does not have.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import click

from evenly import _config
from evenly._client import Evenly
from evenly._exceptions import EvenlyError
from evenly._models import Event

#: How long ``--listen`` waits for the next event by default (a scenario day is configurable
#: on the hub: ``EVENLY_SANDBOX_SECONDS_PER_DAY``).
DEFAULT_TIMEOUT = 120.0


def _client() -> Evenly:
    client_id, secret, base_url = _config.credentials()
    return Evenly(client_id, secret, base_url=base_url)


def _line(event: Event) -> str:
    at = event.occurred_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return f"{at}  {event.type:<28} {event.id}"


@click.group("sandbox")
def sandbox_group() -> None:
    """Rehearse the simulated agency's scenarios (sandbox organizations)."""


@sandbox_group.command("scenarios")
def list_scenarios() -> None:
    """List the scenarios and the events each produces."""
    try:
        with _client() as client:
            for scenario in client.sandbox.scenarios():
                click.echo(f"{scenario['name']:<22} {scenario['description']}")
    except EvenlyError as error:
        raise click.ClickException(str(error)) from error


@sandbox_group.command("run")
@click.argument("scenario")
@click.option("--listen", is_flag=True, help="Follow the account and print each event.")
@click.option("--tag", help="The test run's sandboxTag (default: a fresh cli-… tag).")
@click.option(
    "--timeout",
    default=DEFAULT_TIMEOUT,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds to wait for the next event before giving up.",
)
@click.option("--json", "as_json", is_flag=True, help="Print events as JSON lines.")
@click.option("--poll-interval", default=0.5, show_default=True, hidden=True)
def run(
    scenario: str,
    listen: bool,
    tag: str | None,
    timeout: float,
    as_json: bool,
    poll_interval: float,
) -> None:
    """Place one account that plays SCENARIO (see `evenly sandbox scenarios`)."""
    tag = tag or f"cli-{uuid.uuid4().hex[:12]}"
    try:
        with _client() as client:
            known = {s["name"]: s for s in client.sandbox.scenarios()}
            if scenario not in known:
                raise click.BadParameter(
                    f"no scenario {scenario!r}; the hub has: {', '.join(sorted(known))}",
                    param_hint="'SCENARIO'",
                )
            account_id = _place(client, scenario, tag)
            click.echo(f"Placed {account_id} ({scenario}, sandbox tag {tag}).", err=True)
            if not listen:
                click.echo(account_id)
                return
            expected = list(known[scenario]["events"])
            _listen(client, account_id, expected, timeout, as_json, poll_interval)
            click.echo(
                f"Done: {expected[-1]}. Remove the run with: evenly sandbox reset {tag}", err=True
            )
    except EvenlyError as error:
        raise click.ClickException(str(error)) from error


@sandbox_group.command("reset")
@click.argument("tag")
def reset(tag: str) -> None:
    """Delete the test run TAG: its accounts, events and deliveries."""
    try:
        with _client() as client:
            done = client.sandbox.reset(tag)
    except EvenlyError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"Deleted {done.deleted_accounts} accounts, {done.deleted_events} events, "
        f"{done.deleted_deliveries} deliveries and {done.deleted_customers} customers."
    )


def _place(client: Evenly, scenario: str, tag: str) -> str:
    suffix = uuid.uuid4().hex[:10].upper()
    placed = client.accounts.place(
        reference=f"SBX-{suffix}",
        customer={"reference": f"SBX-C-{suffix}", "name": "Sandbox Customer", "country": "SE"},
        original_amount={"amount_minor": 100000, "currency": "SEK"},
        balance={"amount_minor": 100000, "currency": "SEK"},
        due_date=dt.date.today() - dt.timedelta(days=30),
        metadata={"sandboxScenario": scenario},
        sandbox_tag=tag,
    )
    return placed.account.id


def _listen(
    client: Evenly,
    account_id: str,
    expected: list[str],
    timeout: float,
    as_json: bool,
    poll_interval: float,
) -> None:
    """Print the account's events until the scenario's last one; fail after ``timeout``
    seconds without a new event."""
    seen: list[str] = []
    for event in _with_timeout(
        client.events.stream(account_id=account_id, from_start=True, poll_interval=poll_interval),
        timeout,
    ):
        if event is None:
            raise click.ClickException(
                f"no event for {timeout:g} s after {seen[-1] if seen else 'the placement'} "
                f"({len(seen)} of {len(expected)} events, waiting for {expected[-1]}): is a "
                "worker running on the hub (evenly-hub serve starts one unless --no-worker)?"
            )
        seen.append(event.type)
        click.echo(event.model_dump_json(by_alias=True) if as_json else _line(event))
        if len(seen) >= len(expected) and event.type == expected[-1]:
            return


def _with_timeout(events: Iterator[Event], timeout: float) -> Iterator[Event | None]:
    """The events of ``events`` as they come, read on a thread; None once ``timeout``
    seconds pass without one (and nothing after it)."""
    inbox: queue.Queue[tuple[str, Any]] = queue.Queue()

    def pump() -> None:
        try:
            for event in events:
                inbox.put(("event", event))
        except BaseException as error:  # handed to the reader, which raises it
            inbox.put(("error", error))

    threading.Thread(target=pump, name="evenly-sandbox-listen", daemon=True).start()
    while True:
        deadline = time.monotonic() + timeout
        try:
            kind, value = inbox.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            yield None
            return
        if kind == "error":
            raise value
        yield value
