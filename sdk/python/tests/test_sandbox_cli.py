"""``evenly sandbox run SCENARIO --listen`` as a process, against a real server and worker
process: it places one account, prints the scenario's events as they arrive and exits 0 at
the last; a live creditor, an unknown scenario and a hub without a worker fail with a
message and a non-zero status. ``evenly sandbox reset`` removes the run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import evenly
from conftest import Credentials, Parties
from sandbox_hub import SandboxWorld, sandbox_world

__all__ = ["sandbox_world"]

EVENLY = str(Path(sys.executable).with_name("evenly"))
PAYS_IN_FULL = [
    "account.placed",
    "account.assigned",
    "account.acknowledged",
    "contact.attempted",
    "payment.received",
    "account.closed",
    "customer.rehabilitated",
]


def _env(url: str, creds: Credentials, config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENLY_")}
    env.update(
        EVENLY_CLIENT_ID=creds.client_id,
        EVENLY_CLIENT_SECRET=creds.client_secret,
        EVENLY_BASE_URL=url,
        XDG_CONFIG_HOME=str(config),
        PYTHONUNBUFFERED="1",
    )
    return env


def _evenly(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EVENLY, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_run_listen_prints_each_event_and_exits_at_the_last(
    sandbox_world: SandboxWorld, tmp_path: Path
) -> None:
    env = _env(sandbox_world.hub.url, sandbox_world.creditor, tmp_path)
    done = _evenly(
        env, "sandbox", "run", "pays_in_full", "--listen", "--tag", "cli-e2e", "--timeout", "30"
    )
    assert done.returncode == 0, done.stderr
    types = [line.split()[1] for line in done.stdout.splitlines()]
    assert types == PAYS_IN_FULL
    assert "evenly sandbox reset cli-e2e" in done.stderr
    with evenly.Evenly(
        sandbox_world.creditor.client_id,
        sandbox_world.creditor.client_secret,
        base_url=sandbox_world.hub.url,
    ) as client:
        [account] = list(client.accounts.list())
        assert (account.status, account.balance.amount_minor) == ("PAID", 0)
    reset = _evenly(env, "sandbox", "reset", "cli-e2e")
    assert reset.returncode == 0, reset.stderr
    assert reset.stdout.startswith("Deleted 1 accounts, 7 events")


def test_an_unknown_scenario_is_a_usage_error(sandbox_world: SandboxWorld, tmp_path: Path) -> None:
    env = _env(sandbox_world.hub.url, sandbox_world.creditor, tmp_path)
    done = _evenly(env, "sandbox", "run", "pays_twice", "--listen")
    assert done.returncode == 2
    assert "no scenario 'pays_twice'" in done.stderr and "pays_in_full" in done.stderr


def test_a_live_creditor_is_refused(parties: Parties, tmp_path: Path) -> None:
    env = _env(parties.hub.url, parties.creditor, tmp_path)
    done = _evenly(env, "sandbox", "run", "pays_in_full", "--listen")
    assert done.returncode == 1
    assert "SANDBOX_ONLY" in done.stderr or "only for sandbox" in done.stderr
    assert done.stdout == ""


def test_without_a_simulated_agency_it_times_out_with_a_message(
    parties: Parties, tmp_path: Path
) -> None:
    creditor = parties.hub.organization("creditor", sandbox=True)
    agency = parties.hub.organization("agency", sandbox=True)  # not simulated: nobody acts
    parties.hub.route(creditor, agency)
    env = _env(parties.hub.url, creditor, tmp_path)
    done = _evenly(env, "sandbox", "run", "pays_in_full", "--listen", "--timeout", "2")
    assert done.returncode == 1
    assert [line.split()[1] for line in done.stdout.splitlines()] == PAYS_IN_FULL[:2]
    assert "no event for 2 s after account.assigned (2 of 7 events" in done.stderr
