"""``client.sandbox``: what only a sandbox (test) organization may do.

A live organization is refused with ``PermissionDeniedError`` (code ``FORBIDDEN``, reason
``SANDBOX_ONLY``).
"""

from __future__ import annotations

from typing import Any

from evenly._base_client import Call
from evenly._operations import SANDBOX_SCENARIOS, SEND_TEST_EVENT
from evenly.resources._resource import AsyncResource, SyncResource, payload

__all__ = ["AsyncSandbox", "Sandbox"]


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
    """Sandbox tools: ``client.sandbox``."""

    def scenarios(self) -> list[dict[str, Any]]:
        """The simulated agency's scenarios: ``name``, ``description``, ``events`` (in order)."""
        return self._client.execute(_scenarios())

    def send_test_event(self, endpoint_id: str, event_type: str) -> str:
        """Deliver a sample of ``event_type`` (any type of ``schema/webhooks/``, e.g.
        ``payment.received``) to this endpoint now, ``livemode: false``; the event id."""
        return self._client.execute(_send_test_event(endpoint_id, event_type))


class AsyncSandbox(AsyncResource):
    """``client.sandbox`` of ``AsyncEvenly``: the same methods, awaited."""

    async def scenarios(self) -> list[dict[str, Any]]:
        """The simulated agency's scenarios: ``name``, ``description``, ``events``."""
        return await self._client.execute(_scenarios())

    async def send_test_event(self, endpoint_id: str, event_type: str) -> str:
        """Deliver a sample of ``event_type`` to this endpoint now; the event id."""
        return await self._client.execute(_send_test_event(endpoint_id, event_type))
