"""The README's contract-testing command, run as written against a real server process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx

from hub.api.schema import build_schema
from tests.conftest import IN_CI, PLACE_MANY, placement
from tests.e2e.conftest import HubServer

ROOT = Path(__file__).parents[2]
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
MAX_EXAMPLES = 100 if IN_CI else 15


def test_readme_schemathesis_command_passes_against_the_server(hub_server: HubServer) -> None:
    hub_server.start("--demo")
    creds = hub_server.demo_credentials()["creditor"]
    response = httpx.post(
        f"{hub_server.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(creds["client_id"], creds["client_secret"]),
    )
    token = response.json()["access_token"]
    seeded = httpx.post(
        f"{hub_server.url}/graphql",
        json={
            "query": PLACE_MANY,
            "variables": {"input": {"items": [placement() for _ in range(20)]}},
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert seeded.json()["data"]["placeAccounts"]["placedCount"] == 20

    env = {
        **hub_server.env,
        "PYTHONPATH": "schema/contract",
        "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
        "TOKEN": token,
    }
    env.pop("CI", None)  # schemathesis' own CI detection changes its output, not its checks
    command = (
        f"{SCHEMATHESIS} run {hub_server.url}/graphql "
        f'-H "Authorization: Bearer $TOKEN" --max-examples {MAX_EXAMPLES} --seed 1'
    )
    run = subprocess.run(
        ["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    schema = build_schema()._schema
    assert schema.query_type is not None and schema.mutation_type is not None
    operations = len(schema.query_type.fields) + len(schema.mutation_type.fields)
    assert f"{operations} selected / {operations} total" in output, output
    counts = re.search(r"(\d+) generated, (\d+) passed", output)
    assert counts is not None, output
    generated, passed = int(counts[1]), int(counts[2])
    assert generated == passed >= 5 * MAX_EXAMPLES, output
    # The server saw authenticated GraphQL traffic, and never answered with a 5xx.
    metrics = hub_server.metrics()
    assert 'route="/graphql",status="200"' in metrics
    assert not [line for line in metrics.splitlines() if 'status="5' in line]
    hub_server.stop()
    errors = [
        json.loads(line)
        for line in hub_server.log().splitlines()
        if line.startswith("{") and '"level": "error"' in line
    ]
    assert errors == [], errors
