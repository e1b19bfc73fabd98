"""A bare ASGI endpoint that answers ``placeAccounts`` like the hub, storing nothing.

``bench/sdk.py --memory-against stub`` points the SDK at it to measure the SDK's own memory
over a huge input quickly: ``POST /oauth/token`` gives a token, ``POST /graphql`` places
every item of the batch (ids made up), ``GET /healthz`` is 200.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# Seconds each batch takes, to mimic the hub's pace (``SDK_STUB_DELAY``; default none).
DELAY = float(os.environ.get("SDK_STUB_DELAY", "0"))


async def token(request: Request) -> Response:
    return JSONResponse({"access_token": "stub", "token_type": "Bearer", "expires_in": 3600})


async def graphql(request: Request) -> Response:
    body = json.loads(await request.body())
    if "viewer" in body["query"]:
        viewer = {"clientId": "stub", "scopes": [], "organization": {"id": "org_stub"}}
        return JSONResponse({"data": {"viewer": viewer}})
    items: list[dict[str, Any]] = body["variables"]["input"]["items"]
    await asyncio.sleep(DELAY)
    results = [
        {
            "index": i,
            "account": {"id": f"acc_{abs(hash(item['reference']))}"},
            "userErrors": [],
            "warnings": [],
            "replayed": False,
        }
        for i, item in enumerate(items)
    ]
    return JSONResponse({"data": {"placeAccounts": {"results": results, "userErrors": []}}})


async def healthz(request: Request) -> Response:
    return Response(status_code=200)


app = Starlette(
    routes=[
        Route("/oauth/token", token, methods=["POST"]),
        Route("/graphql", graphql, methods=["POST"]),
        Route("/healthz", healthz),
    ]
)
