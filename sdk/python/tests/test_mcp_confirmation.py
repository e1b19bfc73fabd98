"""Confirmation tokens and the memory of committed ones, on a clock the test moves."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from evenly.mcp_server.confirmation import ConfirmationError, Confirmations
from evenly.mcp_server.writes import WRITE_ACTIONS, WriteTools


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_token_confirms_only_its_action_and_arguments_until_it_expires() -> None:
    clock = Clock()
    confirmations = Confirmations(ttl_seconds=60, clock=clock)
    token, expiry = confirmations.issue("recall_account", {"account_id": "a1"})
    assert expiry == clock.now + 60
    confirmations.check(token, "recall_account", {"account_id": "a1"})
    for action, arguments in [("recall_account", {"account_id": "a2"}), ("place_account", {})]:
        with pytest.raises(ConfirmationError) as refused:
            confirmations.check(token, action, arguments)
        assert refused.value.code == "CONFIRMATION_INVALID"
    assert not confirmations.expired(token)
    clock.now += 61
    assert confirmations.expired(token)
    with pytest.raises(ConfirmationError) as refused:
        confirmations.check(token, "recall_account", {"account_id": "a1"})
    assert refused.value.code == "CONFIRMATION_EXPIRED"


async def test_committed_tokens_are_forgotten_once_they_have_expired(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()
    confirmations = Confirmations(ttl_seconds=60, clock=clock)
    tools = WriteTools(
        ctx=Shown(),  # type: ignore[arg-type]
        confirmations=confirmations,
        scopes={"accounts:write"},
    )
    runs: list[str] = []

    async def run(ctx: Any, arguments: dict[str, Any], key: str) -> dict[str, Any]:
        runs.append(key)
        return {"id": arguments["account_id"]}

    recall = dataclasses.replace(WRITE_ACTIONS["recall_account"], run=run)
    monkeypatch.setitem(WRITE_ACTIONS, "recall_account", recall)
    first, _ = confirmations.issue("recall_account", {"account_id": "a1"})
    await tools.commit("recall_account", {"account_id": "a1"}, first)
    assert (await tools.commit("recall_account", {"account_id": "a1"}, first))["repeated"]
    assert len(runs) == 1
    clock.now += 61
    second, _ = confirmations.issue("recall_account", {"account_id": "a2"})
    await tools.commit("recall_account", {"account_id": "a2"}, second)
    assert len(runs) == 2
    assert tools.remembered() == [second]


class Shown:
    """The part of the tools' context a commit uses: how a result is shown."""

    def show(self, value: Any) -> Any:
        return value
