"""``events.stream`` and ``evenly listen`` outlive a hub that is killed and started again.

Each test has a hub of its own (``evenly-hub serve`` on SQLite, then PostgreSQL), kills it
with SIGKILL mid-stream, places accounts while it is down-and-restarting, and starts it on
the same port and database: the stream says it lost the hub, comes back, and yields every
event once, in order.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import evenly
import pytest
from conftest import Credentials, Hub, make_client, new_account, start_hub, stop_hub
from receiver import Receiver, start_receiver
from test_cli import cli_env, read_line, start_cli

pytestmark = pytest.mark.slow
TYPES = ["account.placed"]


@pytest.fixture(params=["sqlite", "postgresql"])
async def own_hub(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Hub, Credentials]]:
    hub, database = await start_hub(request.param, tmp_path_factory.mktemp("restart"))
    try:
        yield hub, await asyncio.to_thread(hub.organization, "creditor")
    finally:
        await stop_hub(hub, database)


def kill(hub: Hub) -> None:
    assert hub.process is not None
    hub.process.kill()
    hub.process.wait()


def wait_until(predicate: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def place(hub: Hub, creds: Credentials) -> str:
    with evenly.Evenly(creds.client_id, creds.client_secret, base_url=hub.url) as sdk:
        placed: evenly.Placement = sdk.accounts.place(**new_account())
    return placed.account.id


class Collector:
    """Runs a sync or async stream in a thread and keeps what it yields and hears."""

    def __init__(self, client: Any, after: str | None, subscribe: bool) -> None:
        self.client = client
        self.after = after
        self.subscribe = subscribe
        self.accounts: list[str] = []
        self.event_ids: list[str] = []
        self.disconnects: list[str] = []
        self.reconnects: list[str | None] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.stop = False

    def _options(self) -> dict[str, Any]:
        return {
            "after": self.after,
            "types": TYPES,
            "poll_interval": 0.1,
            "subscribe": self.subscribe,
            "on_disconnect": lambda error, delay: self.disconnects.append(str(error)),
            "on_reconnect": self.reconnects.append,
        }

    def _keep(self, event: evenly.Event) -> bool:
        self.event_ids.append(event.id)
        self.accounts.append(event.data["account"]["id"])
        return not self.stop

    def _run(self) -> None:
        if isinstance(self.client, evenly.AsyncEvenly):
            asyncio.run(self._run_async())
            return
        for event in self.client.events.stream(**self._options()):
            if not self._keep(event):
                return

    async def _run_async(self) -> None:
        async for event in self.client.events.stream(**self._options()):
            if not self._keep(event):
                break
        await self.client.close()


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("subscribe", [True, False], ids=["subscription", "polling"])
def test_stream_resumes_after_the_hub_restarts(
    own_hub: tuple[Hub, Credentials], kind: str, subscribe: bool
) -> None:
    hub, creds = own_hub
    before = place(hub, creds)
    client = make_client(kind, hub, creds, max_retries=1)
    with evenly.Evenly(creds.client_id, creds.client_secret, base_url=hub.url) as sdk:
        start = sdk.events.latest_cursor(types=TYPES)
    collector = Collector(client, start, subscribe)
    collector.thread.start()
    first = place(hub, creds)
    wait_until(lambda: collector.accounts == [first])

    kill(hub)
    wait_until(lambda: collector.disconnects)  # it noticed, and says why
    assert "could not reach the hub" in collector.disconnects[0]
    hub.start()  # same port, same database
    missed = [place(hub, creds) for _ in range(3)]  # placed before it comes back, or after
    wait_until(lambda: len(collector.accounts) >= 4)
    assert collector.accounts == [first, *missed]  # none skipped, none twice, in order
    assert len(collector.event_ids) == len(set(collector.event_ids))
    assert collector.reconnects == [collector.event_ids[0]] or (
        # it lost the hub more than once while it restarted: each return resumes the same
        collector.reconnects[0] == collector.event_ids[0]
    )
    collector.stop = True
    last = place(hub, creds)
    collector.thread.join(30)
    assert collector.accounts == [first, *missed, last]
    assert before not in collector.accounts


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = start_receiver()
    yield receiver
    receiver.close()


def test_listen_says_it_lost_the_hub_and_forwards_what_came_meanwhile(
    own_hub: tuple[Hub, Credentials], tmp_path: Path, receiver: Receiver
) -> None:
    hub, creds = own_hub
    place(hub, creds)
    env = cli_env(None, tmp_path)
    env.update(hub.client_env(creds))
    process = start_cli(
        env, "listen", "--forward-to", receiver.url, "--type", TYPES[0], "--poll-interval", "0.1"
    )
    lines: list[str] = []
    try:
        read_line(process, "Ready!")
        first = place(hub, creds)
        read_line(process, "-->")
        kill(hub)
        assert process.stderr is not None
        errors = threading.Thread(target=lambda: lines.extend(process.stderr or []), daemon=True)
        errors.start()
        wait_until(lambda: any("Lost the hub" in line for line in lines))
        assert process.poll() is None  # still running
        hub.start()
        missed = [place(hub, creds) for _ in range(2)]
        wait_until(lambda: len(receiver.received) >= 3)
        wait_until(lambda: any("Reconnected to the hub" in line for line in lines))
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(ids) == len(set(ids)) == 3
    accounts = [_account_of(r.body) for r in receiver.received]
    assert accounts == [first, *missed]
    lost = next(line for line in lines if "Lost the hub" in line)
    assert "could not reach the hub" in lost and "trying again in" in lost
    back = next(line for line in lines if "Reconnected" in line)
    assert f"resuming after {ids[0]}" in back


def _account_of(body: bytes) -> str:
    account_id: str = json.loads(body)["data"]["account"]["id"]
    return account_id
