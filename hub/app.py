"""The Starlette app factory: ``create_app(settings)``; no global state."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from hub.api.authentication import BearerAuthenticator
from hub.api.http import GraphQLEndpoint
from hub.api.ide import graphiql_assets
from hub.api.oauth import TokenEndpoint
from hub.api.schema import build_schema
from hub.api.websocket import SubscriptionEndpoint
from hub.auth.ratelimit import RateLimiter
from hub.auth.tokens import TokenIssuer
from hub.delivery.keys import WebhookSigningKey
from hub.delivery.worker import DeliveryWorker
from hub.domain.errors import RETRY_AFTER_SECONDS, DatabaseUnavailable
from hub.middleware import (
    BodySizeLimitMiddleware,
    ErrorResponseMiddleware,
    RequestContextMiddleware,
)
from hub.observability import Metrics
from hub.process import tune_garbage_collector
from hub.services import events as event_service
from hub.services.context import ServiceContext
from hub.services.maintenance import run_maintenance, run_sandbox_agency
from hub.settings import Settings
from hub.store.event_bus import EventBus
from hub.web.portal import Portal

log = logging.getLogger("hub")
#: How long a scrape of ``/metrics`` waits for the database to read the feed's backlog.
_FEED_METRICS_SECONDS = 2.0


def create_app(
    settings: Settings | None = None, services: ServiceContext | None = None
) -> Starlette:
    """Build the hub's ASGI app. The database must already be migrated (``evenly-hub migrate``)."""
    settings = settings or Settings.from_env()
    services = services or ServiceContext.from_settings(settings)
    issuer = TokenIssuer.from_settings(settings)
    metrics = Metrics()
    authenticator = BearerAuthenticator(services, issuer)
    # One bucket per API client, whatever the transport.
    rate_limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
    graphql = GraphQLEndpoint(
        build_schema(settings), services, authenticator, rate_limiter, metrics
    )

    signing_key = WebhookSigningKey.from_settings(settings)
    bus = EventBus(services.db)
    subscriptions = SubscriptionEndpoint(graphql.schema, services, authenticator, rate_limiter, bus)

    app = Starlette(
        routes=[
            Route("/graphql", graphql.handle, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", subscriptions),
            Route(
                "/oauth/token", TokenEndpoint(services, issuer, settings).handle, methods=["POST"]
            ),
            *_operator_routes(settings, services, metrics, signing_key),
            *Portal(services).routes(),
            *([graphiql_assets()] if settings.graphiql else []),
        ],
        middleware=[
            Middleware(RequestContextMiddleware, metrics=metrics),
            Middleware(ErrorResponseMiddleware),
            Middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes),
        ],
        exception_handlers={HTTPException: _http_exception},
        lifespan=_lifespan(settings, services, bus, signing_key, metrics),
    )
    app.state.services = services
    app.state.issuer = issuer
    app.state.authenticator = authenticator
    return app


def _lifespan(
    settings: Settings,
    services: ServiceContext,
    bus: EventBus,
    signing_key: WebhookSigningKey,
    metrics: Metrics,
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """While the app serves: the event bus listens and, unless ``--no-worker``, the delivery
    worker and the maintenance sweep run beside the API."""

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        listening = asyncio.create_task(bus.run(stop))
        workers = []
        if settings.in_process_worker:
            worker = DeliveryWorker(
                services.store, settings, signing_key, bus, clock=services.clock, metrics=metrics
            )
            workers = [
                asyncio.create_task(worker.run(stop)),
                asyncio.create_task(run_maintenance(services, stop)),
                asyncio.create_task(run_sandbox_agency(services, stop)),
            ]
        try:
            yield
        finally:
            stop.set()
            for task in workers:
                await task
            await listening
            await services.db.dispose()

    return lifespan


def _operator_routes(
    settings: Settings, services: ServiceContext, metrics: Metrics, signing_key: WebhookSigningKey
) -> list[Route]:
    """What the operator and receivers read: health, metrics (behind their own token, if
    one is set), and the webhook signing keys."""

    async def healthz(_: Request) -> Response:
        try:
            await services.db.ping()
        except Exception as error:
            if isinstance(error, DatabaseUnavailable):
                log.warning("health check: database unavailable: %r", error.__cause__)
            else:
                log.exception("health check failed")
            return JSONResponse(
                {"status": "unhealthy", "database": "unreachable", "code": "SERVICE_UNAVAILABLE"},
                status_code=503,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        return JSONResponse({"status": "ok", "database": "ok"})

    async def prometheus(request: Request) -> Response:
        # Metrics are for the operator's scraper, not the API's callers: a token of its own.
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, f"Bearer {settings.metrics_token}".encode()):
            return JSONResponse(
                {
                    "errors": [
                        {
                            "message": "metrics need their bearer token",
                            "extensions": {"code": "UNAUTHENTICATED"},
                        }
                    ]
                },
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="evenly-metrics"'},
            )
        try:
            async with asyncio.timeout(_FEED_METRICS_SECONDS):
                backlog = await event_service.feed_backlog(services)
            metrics.feed_events_waiting.set(backlog.waiting)
            metrics.feed_oldest_writer.set(backlog.oldest_writer_seconds)
        except Exception as error:  # the other metrics are served all the same
            log.warning("feed metrics not read", extra={"error": type(error).__name__})
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def webhook_keys(_: Request) -> Response:
        return JSONResponse(signing_key.jwks(), headers={"Cache-Control": "public, max-age=300"})

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/.well-known/webhook-keys", webhook_keys, methods=["GET"]),
    ]
    if settings.metrics_token:
        routes.append(Route("/metrics", prometheus, methods=["GET"]))
    return routes


_HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


async def _http_exception(_: Request, exc: Exception) -> Response:
    """Starlette's routing errors (unknown path, wrong method) in the API's JSON shape."""
    assert isinstance(exc, HTTPException)
    body = {
        "errors": [
            {
                "message": exc.detail,
                "extensions": {"code": _HTTP_CODES.get(exc.status_code, "BAD_REQUEST")},
            }
        ]
    }
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def create_served_app() -> Starlette:
    """The app as ``evenly-hub serve`` runs it: built from the environment, then the
    process's start-up objects are frozen out of garbage collection (see ``hub.process``)."""
    app = create_app()
    tune_garbage_collector()
    return app
