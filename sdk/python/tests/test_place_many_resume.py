"""``place_many`` of 50,000 accounts, killed halfway and run again: nothing placed twice."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import evenly
import pytest
from conftest import Parties
from evenly._base_client import Call

JOB = Path(__file__).with_name("place_many_job.py")
N = 50_000


def total_accounts(client: evenly.Evenly, prefix: str) -> int:
    # totalCount is not part of the SDK's models; a raw operation reads it.
    query = "query Count { accounts(first: 1) { totalCount } }"
    count: int = client.execute(Call(query, {}, lambda data, _: data["accounts"]["totalCount"]))
    return count


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_place_many_resumes_after_a_kill_and_places_nothing_twice(parties: Parties) -> None:
    hub = parties.hub
    creditor = hub.organization("creditor")  # its own: its account count is this test's
    env = hub.client_env(creditor)
    prefix = f"R{uuid.uuid4().hex[:8]}"
    argv = [sys.executable, str(JOB), prefix, str(N)]

    first = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True)
    assert first.stdout is not None
    done = 0
    for line in first.stdout:
        if line.startswith("progress "):
            done = int(line.split()[1])
            if done >= N // 2:
                first.kill()
                break
    first.wait()
    assert N // 2 <= done < N, "the first run should be killed halfway"

    with evenly.Evenly(creditor.client_id, creditor.client_secret, base_url=hub.url) as client:
        # Batches in flight at the kill still commit on the hub: wait until the count settles.
        placed_before, previous = total_accounts(client, prefix), -1
        while placed_before != previous:
            time.sleep(1.0)
            previous, placed_before = placed_before, total_accounts(client, prefix)
        assert done <= placed_before < N

        second = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=800)
        assert second.returncode == 0, second.stderr
        report = json.loads(second.stdout.splitlines()[-1])
        assert report == {"placed": N, "replayed": placed_before, "failed": 0, "errors": []}
        assert total_accounts(client, prefix) == N
        last = client.accounts.get(reference=f"{prefix}-{N - 1:07d}")
        assert last.balance.amount_minor == 9000
