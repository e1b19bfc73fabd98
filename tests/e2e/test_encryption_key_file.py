"""The PII key kept apart from the data it protects: ``EVENLY_ENCRYPTION_KEY_FILE``."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest

from tests.conftest import PLACE, placement
from tests.e2e.conftest import HubServer
from tests.e2e.test_server import gql, token


@pytest.fixture
def key_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory apart from the data directory (another volume, a secrets mount)."""
    return tmp_path_factory.mktemp("secrets")


def test_serve_reads_the_key_from_its_file_and_keeps_none_in_the_data_directory(
    hub_server: HubServer, key_dir: Path
) -> None:
    key_file = key_dir / "pii.key"
    key_file.write_text(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
    del hub_server.env["EVENLY_ENCRYPTION_KEY"]
    hub_server.env["EVENLY_ENCRYPTION_KEY_FILE"] = str(key_file)
    hub_server.start("--demo")
    creds = hub_server.demo_credentials()["creditor"]
    creditor = token(hub_server, creds["client_id"], creds["client_secret"])
    item = placement(customer={"name": "Kerstin Holm"})
    placed = gql(hub_server, creditor, PLACE, {"input": item})["placeAccount"]
    assert placed["account"]["customer"]["name"] == "Kerstin Holm"
    assert not (hub_server.data_dir / "encryption.key").exists()

    # Restarted with the same file, it reads what it wrote.
    hub_server.stop()
    hub_server.start()
    creditor = token(hub_server, creds["client_id"], creds["client_secret"])
    read = gql(
        hub_server,
        creditor,
        "query($id: ID!) { account(id: $id) { customer { name } } }",
        {"id": placed["account"]["id"]},
    )
    assert read["account"]["customer"]["name"] == "Kerstin Holm"


def test_a_missing_key_file_stops_the_hub_with_a_clear_message(
    hub_server: HubServer, key_dir: Path
) -> None:
    missing = key_dir / "not-there.key"
    del hub_server.env["EVENLY_ENCRYPTION_KEY"]
    hub_server.env["EVENLY_ENCRYPTION_KEY_FILE"] = str(missing)
    done = hub_server.cli("migrate", check=False)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"Error: EVENLY_ENCRYPTION_KEY_FILE={missing}: cannot read the key "
        "(No such file or directory)"
    )
    assert not missing.exists() and not (hub_server.data_dir / "encryption.key").exists()
