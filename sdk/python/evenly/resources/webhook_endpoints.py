"""``client.webhook_endpoints``: where the hub delivers your events, and how that went."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from evenly._base_client import Call
from evenly._exceptions import NotFoundError
from evenly._models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEndpointSecret
from evenly._operations import (
    CREATE_WEBHOOK_ENDPOINT,
    DELETE_WEBHOOK_ENDPOINT,
    ENABLE_WEBHOOK_ENDPOINT,
    REPLAY_EVENTS,
    ROTATE_WEBHOOK_SECRET,
    SEND_TEST_WEBHOOK,
    UPDATE_WEBHOOK_ENDPOINT,
    WEBHOOK_DELIVERIES,
    WEBHOOK_ENDPOINT,
    WEBHOOK_ENDPOINTS,
)
from evenly._pagination import MAX_PAGE_SIZE, AsyncPaginator, Page, SyncPaginator, connection
from evenly.resources._resource import (
    AsyncResource,
    SyncResource,
    drop_none,
    payload,
    payload_object,
)

__all__ = ["AsyncWebhookEndpoints", "WebhookEndpoints"]

PageCalls = Callable[[str | None, int], Call[Page[Any]]]


# These mutations take no idempotency key; the ones whose repetition changes nothing more
# (update, enable) are retried, the others (create, delete, rotate, test, replay) are not.


def _create(url: str, event_types: Sequence[str], description: str) -> Call[WebhookEndpointSecret]:
    variables = {"input": {"url": url, "eventTypes": list(event_types), "description": description}}
    read = payload("createWebhookEndpoint")
    return Call(
        CREATE_WEBHOOK_ENDPOINT,
        variables,
        lambda data, rid: WebhookEndpointSecret.model_validate(read(data, rid)),
        retry_safe=False,
    )


def _get(endpoint_id: str) -> Call[WebhookEndpoint]:
    def parse(data: dict[str, Any], request_id: str | None) -> WebhookEndpoint:
        if data["webhookEndpoint"] is None:
            raise NotFoundError(
                f"no webhook endpoint {endpoint_id!r}", code="NOT_FOUND", request_id=request_id
            )
        return WebhookEndpoint.model_validate(data["webhookEndpoint"])

    return Call(WEBHOOK_ENDPOINT, {"id": endpoint_id}, parse)


def _list_calls() -> PageCalls:
    parse = connection(["webhookEndpoints"], WebhookEndpoint)
    return lambda after, first: Call(WEBHOOK_ENDPOINTS, {"first": first, "after": after}, parse)


def _deliveries_calls(endpoint_id: str, status: DeliveryStatus | str | None) -> PageCalls:
    parse = connection(["webhookEndpoint", "deliveries"], WebhookDelivery)

    def make(after: str | None, first: int) -> Call[Page[WebhookDelivery]]:
        variables = {
            "id": endpoint_id,
            "first": first,
            "after": after,
            "status": str(status) if status else None,
        }
        return Call(WEBHOOK_DELIVERIES, variables, parse)

    return make


def _update(
    endpoint_id: str,
    url: str | None,
    event_types: Sequence[str] | None,
    description: str | None,
) -> Call[WebhookEndpoint]:
    fields = {
        "id": endpoint_id,
        "url": url,
        "eventTypes": list(event_types) if event_types is not None else None,
        "description": description,
    }
    return Call(
        UPDATE_WEBHOOK_ENDPOINT,
        {"input": drop_none(fields)},
        payload_object("updateWebhookEndpoint", "webhookEndpoint", WebhookEndpoint),
    )


def _enable(endpoint_id: str) -> Call[WebhookEndpoint]:
    return Call(
        ENABLE_WEBHOOK_ENDPOINT,
        {"input": {"id": endpoint_id}},
        payload_object("enableWebhookEndpoint", "webhookEndpoint", WebhookEndpoint),
    )


def _delete(endpoint_id: str) -> Call[str]:
    read = payload("deleteWebhookEndpoint")
    return Call(
        DELETE_WEBHOOK_ENDPOINT,
        {"input": {"id": endpoint_id}},
        lambda data, rid: str(read(data, rid)["deletedWebhookEndpointId"]),
        retry_safe=False,
    )


def _rotate(endpoint_id: str, overlap_seconds: int | None) -> Call[WebhookEndpointSecret]:
    read = payload("rotateWebhookSecret")
    return Call(
        ROTATE_WEBHOOK_SECRET,
        {"input": drop_none({"id": endpoint_id, "overlapSeconds": overlap_seconds})},
        lambda data, rid: WebhookEndpointSecret.model_validate(read(data, rid)),
        retry_safe=False,
    )


def _send_test(endpoint_id: str) -> Call[str]:
    read = payload("sendTestWebhook")
    return Call(
        SEND_TEST_WEBHOOK,
        {"input": {"id": endpoint_id}},
        lambda data, rid: str(read(data, rid)["eventId"]),
        retry_safe=False,
    )


def _replay(
    endpoint_id: str,
    since: dt.datetime | None,
    until: dt.datetime | None,
    event_ids: Sequence[str] | None,
) -> Call[int]:
    fields = {
        "endpointId": endpoint_id,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "eventIds": list(event_ids) if event_ids is not None else None,
    }
    read = payload("replayEvents")
    return Call(
        REPLAY_EVENTS,
        {"input": drop_none(fields)},
        lambda data, rid: int(read(data, rid)["queuedCount"]),
        retry_safe=False,
    )


class WebhookEndpoints(SyncResource):
    """Webhook endpoints: ``client.webhook_endpoints``."""

    def create(
        self, url: str, *, event_types: Sequence[str] = (), description: str = ""
    ) -> WebhookEndpointSecret:
        """A new endpoint (``event_types`` empty: every type). Store ``.secret``: shown once."""
        return self._client.execute(_create(url, event_types, description))

    def get(self, endpoint_id: str) -> WebhookEndpoint:
        """One endpoint; ``NotFoundError`` if there is none."""
        return self._client.execute(_get(endpoint_id))

    def list(self, *, page_size: int = MAX_PAGE_SIZE) -> SyncPaginator[WebhookEndpoint]:
        """Your endpoints, oldest first."""
        return SyncPaginator(self._client.execute, _list_calls(), page_size=page_size)

    def update(
        self,
        endpoint_id: str,
        *,
        url: str | None = None,
        event_types: Sequence[str] | None = None,
        description: str | None = None,
    ) -> WebhookEndpoint:
        """Change the URL, event types or description; what is not given stays."""
        return self._client.execute(_update(endpoint_id, url, event_types, description))

    def enable(self, endpoint_id: str) -> WebhookEndpoint:
        """Turn delivery back on for a disabled endpoint."""
        return self._client.execute(_enable(endpoint_id))

    def delete(self, endpoint_id: str) -> str:
        """Delete an endpoint; returns its id."""
        return self._client.execute(_delete(endpoint_id))

    def rotate_secret(
        self, endpoint_id: str, *, overlap_seconds: int | None = None
    ) -> WebhookEndpointSecret:
        """A new secret; the current ones keep signing for ``overlap_seconds`` (default 24 h)."""
        return self._client.execute(_rotate(endpoint_id, overlap_seconds))

    def send_test(self, endpoint_id: str) -> str:
        """Deliver a ``webhook.test`` event to this endpoint now; returns the event id."""
        return self._client.execute(_send_test(endpoint_id))

    def replay(
        self,
        endpoint_id: str,
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        event_ids: Sequence[str] | None = None,
    ) -> int:
        """Queue past events again, by time range or ids; returns how many were queued."""
        return self._client.execute(_replay(endpoint_id, since, until, event_ids))

    def deliveries(
        self,
        endpoint_id: str,
        *,
        status: DeliveryStatus | str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        limit: int | None = None,
    ) -> SyncPaginator[WebhookDelivery]:
        """The endpoint's deliveries, newest first, with their attempts."""
        return SyncPaginator(
            self._client.execute,
            _deliveries_calls(endpoint_id, status),
            page_size=page_size,
            limit=limit,
        )


class AsyncWebhookEndpoints(AsyncResource):
    """Webhook endpoints: ``client.webhook_endpoints`` of ``AsyncEvenly``."""

    async def create(
        self, url: str, *, event_types: Sequence[str] = (), description: str = ""
    ) -> WebhookEndpointSecret:
        """A new endpoint (``event_types`` empty: every type). Store ``.secret``: shown once."""
        return await self._client.execute(_create(url, event_types, description))

    async def get(self, endpoint_id: str) -> WebhookEndpoint:
        """One endpoint; ``NotFoundError`` if there is none."""
        return await self._client.execute(_get(endpoint_id))

    def list(self, *, page_size: int = MAX_PAGE_SIZE) -> AsyncPaginator[WebhookEndpoint]:
        """Your endpoints, oldest first."""
        return AsyncPaginator(self._client.execute, _list_calls(), page_size=page_size)

    async def update(
        self,
        endpoint_id: str,
        *,
        url: str | None = None,
        event_types: Sequence[str] | None = None,
        description: str | None = None,
    ) -> WebhookEndpoint:
        """Change the URL, event types or description; what is not given stays."""
        return await self._client.execute(_update(endpoint_id, url, event_types, description))

    async def enable(self, endpoint_id: str) -> WebhookEndpoint:
        """Turn delivery back on for a disabled endpoint."""
        return await self._client.execute(_enable(endpoint_id))

    async def delete(self, endpoint_id: str) -> str:
        """Delete an endpoint; returns its id."""
        return await self._client.execute(_delete(endpoint_id))

    async def rotate_secret(
        self, endpoint_id: str, *, overlap_seconds: int | None = None
    ) -> WebhookEndpointSecret:
        """A new secret; the current ones keep signing for ``overlap_seconds`` (default 24 h)."""
        return await self._client.execute(_rotate(endpoint_id, overlap_seconds))

    async def send_test(self, endpoint_id: str) -> str:
        """Deliver a ``webhook.test`` event to this endpoint now; returns the event id."""
        return await self._client.execute(_send_test(endpoint_id))

    async def replay(
        self,
        endpoint_id: str,
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        event_ids: Sequence[str] | None = None,
    ) -> int:
        """Queue past events again, by time range or ids; returns how many were queued."""
        return await self._client.execute(_replay(endpoint_id, since, until, event_ids))

    def deliveries(
        self,
        endpoint_id: str,
        *,
        status: DeliveryStatus | str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        limit: int | None = None,
    ) -> AsyncPaginator[WebhookDelivery]:
        """The endpoint's deliveries, newest first, with their attempts."""
        return AsyncPaginator(
            self._client.execute,
            _deliveries_calls(endpoint_id, status),
            page_size=page_size,
            limit=limit,
        )
