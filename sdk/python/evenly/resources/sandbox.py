"""``client.sandbox``: what only a sandbox (test) organization may do.

A live organization is refused with ``PermissionDeniedError`` (code ``FORBIDDEN``, reason
``SANDBOX_ONLY``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from evenly._base_client import Call
from evenly._models import Account, EvenlyModel, Payment
from evenly._operations import (
    ADVANCE_TEST_ACCOUNT,
    CONFIRM_SANDBOX_PAYMENT,
    DELETE_SANDBOX_DATA,
    SANDBOX_SCENARIOS,
    SEND_TEST_EVENT,
)
from evenly.resources._resource import AsyncResource, SyncResource, payload
from evenly.resources.test_clocks import AsyncClocks, Clocks

if TYPE_CHECKING:
    from evenly._client import AsyncEvenly, Evenly

__all__ = ["AdvancedAccount", "AsyncSandbox", "ConfirmedPayment", "Sandbox", "SandboxReset"]


class AdvancedAccount(EvenlyModel):
    """What ``advance_account`` did: the account now, whether anything changed, and the
    moves made (``ACKNOWLEDGE``, ``LOG_CONTACT``, ``PAY_IN_FULL``…), in order."""

    account: Account
    changed: bool
    steps: list[str] = Field(default_factory=list)
    message: str | None = None


class SandboxReset(EvenlyModel):
    """What ``reset`` deleted: the run's accounts, their events, their webhook messages
    (with their attempts) and the customers no other account of yours had."""

    deleted_accounts: int
    deleted_events: int
    deleted_deliveries: int
    deleted_customers: int


class ConfirmedPayment(EvenlyModel):
    """What ``confirm_payment`` did: the payment now, and whether it changed (False when it
    had that outcome already)."""

    payment: Payment
    changed: bool


def _confirm(payment_id: str, outcome: str) -> Call[ConfirmedPayment]:
    read = payload("confirmSandboxPayment")
    # The same outcome asked again changes nothing: safe to retry.
    return Call(
        CONFIRM_SANDBOX_PAYMENT,
        {"input": {"paymentId": payment_id, "outcome": outcome}},
        lambda data, rid: ConfirmedPayment.model_validate(read(data, rid)),
        retry_safe=True,
    )


def _reset(tag: str) -> Call[SandboxReset]:
    read = payload("deleteSandboxData")
    # Deleting a run again deletes only what was placed with its tag since: safe to retry.
    return Call(
        DELETE_SANDBOX_DATA,
        {"input": {"tag": tag}},
        lambda data, rid: SandboxReset.model_validate(read(data, rid)),
        retry_safe=True,
    )


def _advance(account_id: str, to: str) -> Call[AdvancedAccount]:
    read = payload("advanceTestAccount")
    # Asking again for the state reached is a no-op, so a retry is safe.
    return Call(
        ADVANCE_TEST_ACCOUNT,
        {"input": {"accountId": account_id, "to": to}},
        lambda data, rid: AdvancedAccount.model_validate(read(data, rid)),
    )


def _send_test_event(endpoint_id: str, event_type: str) -> Call[str]:
    read = payload("sendTestEvent")
    # Each request queues another sample: never retried once it may have reached the hub.
    return Call(
        SEND_TEST_EVENT,
        {"input": {"endpointId": endpoint_id, "type": event_type}},
        lambda data, rid: str(read(data, rid)["eventId"]),
        retry_safe=False,
    )


def _scenarios() -> Call[list[dict[str, Any]]]:
    return Call(
        SANDBOX_SCENARIOS, {}, lambda data, rid: list(data["sandboxScenarios"]), retry_safe=True
    )


class Sandbox(SyncResource):
    """Sandbox tools: ``client.sandbox``; test clocks are ``client.sandbox.clocks``."""

    def __init__(self, client: Evenly) -> None:
        super().__init__(client)
        self.clocks = Clocks(client)

    def scenarios(self) -> list[dict[str, Any]]:
        """The simulated agency's scenarios: ``name``, ``description``, ``events`` (in order)."""
        return self._client.execute(_scenarios())

    def send_test_event(self, endpoint_id: str, event_type: str) -> str:
        """Deliver a sample of ``event_type`` (any type of ``schema/webhooks/``, e.g.
        ``payment.received``) to this endpoint now, ``livemode: false``; the event id."""
        return self._client.execute(_send_test_event(endpoint_id, event_type))

    def advance_account(self, account_id: str, to: str) -> AdvancedAccount:
        """As the sandbox agency collecting it, take the account to ``to`` (``PAID``,
        ``DISPUTED``…) through the real moves; ``changed`` is False if it is there."""
        return self._client.execute(_advance(account_id, to))

    def confirm_payment(self, payment_id: str, outcome: str = "SUCCEEDED") -> ConfirmedPayment:
        """Settle a pending debtor portal payment (the sandbox's test card 4000 0000 0000
        0077) as its provider would: ``SUCCEEDED`` or ``DECLINED``."""
        return self._client.execute(_confirm(payment_id, outcome))

    def reset(self, tag: str) -> SandboxReset:
        """Delete the test run ``tag``: every account you placed with ``sandbox_tag=tag``,
        with its events, deliveries, items and KPI contributions, in one transaction. A tag
        with nothing placed deletes nothing (zeros)."""
        return self._client.execute(_reset(tag))


class AsyncSandbox(AsyncResource):
    """``client.sandbox`` of ``AsyncEvenly``: the same methods, awaited."""

    def __init__(self, client: AsyncEvenly) -> None:
        super().__init__(client)
        self.clocks = AsyncClocks(client)

    async def scenarios(self) -> list[dict[str, Any]]:
        """The simulated agency's scenarios: ``name``, ``description``, ``events``."""
        return await self._client.execute(_scenarios())

    async def send_test_event(self, endpoint_id: str, event_type: str) -> str:
        """Deliver a sample of ``event_type`` to this endpoint now; the event id."""
        return await self._client.execute(_send_test_event(endpoint_id, event_type))

    async def advance_account(self, account_id: str, to: str) -> AdvancedAccount:
        """Take the account to ``to`` through the real moves (see ``Sandbox``)."""
        return await self._client.execute(_advance(account_id, to))

    async def confirm_payment(
        self, payment_id: str, outcome: str = "SUCCEEDED"
    ) -> ConfirmedPayment:
        """Settle a pending portal payment (see ``Sandbox.confirm_payment``)."""
        return await self._client.execute(_confirm(payment_id, outcome))

    async def reset(self, tag: str) -> SandboxReset:
        """Delete the test run ``tag`` (see ``Sandbox.reset``)."""
        return await self._client.execute(_reset(tag))
