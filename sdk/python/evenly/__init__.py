"""Evenly: the Python SDK of the Evenly hub.

>>> from evenly import Evenly
>>> client = Evenly()  # EVENLY_CLIENT_ID, EVENLY_CLIENT_SECRET, EVENLY_BASE_URL
>>> client.accounts.place(reference="INV-1001", ...)  # doctest: +SKIP

``Evenly`` and ``AsyncEvenly`` carry the resources (``accounts``, ``events``,
``webhook_endpoints``); errors are in ``evenly._exceptions``' hierarchy, all ``EvenlyError``;
``evenly.webhooks`` verifies deliveries.
"""

from evenly import webhooks
from evenly._client import AsyncEvenly, Evenly
from evenly._exceptions import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    EvenlyError,
    InvalidRequestError,
    NotFoundError,
    PermissionError,
    RateLimitError,
    ServerError,
    UserError,
)
from evenly._models import (
    Account,
    AccountStatus,
    Customer,
    DeliveryStatus,
    Event,
    Money,
    NewAccount,
    NewCustomer,
    Organization,
    OrganizationKind,
    Placement,
    Product,
    UserErrorDetail,
    UserWarning,
    Viewer,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointSecret,
)
from evenly._pagination import AsyncPaginator, Page, SyncPaginator
from evenly._placement import (
    PlacementError,
    PlacementProgress,
    PlacementReport,
    PlacementResult,
    placement_key,
)
from evenly._version import __version__
from evenly.webhooks import WebhookEvent, WebhookVerificationError

__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "Account",
    "AccountStatus",
    "AsyncEvenly",
    "AsyncPaginator",
    "AuthenticationError",
    "Customer",
    "DeliveryStatus",
    "Evenly",
    "EvenlyError",
    "Event",
    "InvalidRequestError",
    "Money",
    "NewAccount",
    "NewCustomer",
    "NotFoundError",
    "Organization",
    "OrganizationKind",
    "Page",
    "PermissionError",
    "Placement",
    "PlacementError",
    "PlacementProgress",
    "PlacementReport",
    "PlacementResult",
    "Product",
    "RateLimitError",
    "ServerError",
    "SyncPaginator",
    "UserError",
    "UserErrorDetail",
    "UserWarning",
    "Viewer",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEndpointSecret",
    "WebhookEvent",
    "WebhookVerificationError",
    "__version__",
    "placement_key",
    "webhooks",
]
