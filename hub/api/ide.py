"""GraphiQL, served whole by the hub: the page browsers get on ``GET /graphql`` and its assets
under ``/graphiql/`` (React, ReactDOM and GraphiQL vendored from npm in ``static/vendor/``,
with their licences; ``scripts/vendor_graphiql.py`` refreshes them).

The page loads nothing from elsewhere, so it works offline, and it is sent with a strict
Content-Security-Policy: scripts and styles from the hub only (no inline script or style, no
``eval``), requests to the hub only (``connect-src 'self'`` covers the subscription
websocket), fonts and images from the hub or ``data:`` (GraphiQL's stylesheet embeds its
fonts), and no framing.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).with_name("static")
#: Where the page's assets are served (``graphiql.html`` names them under this path).
ASSETS_PATH = "/graphiql"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
_PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@cache
def _page() -> str:
    return (STATIC / "graphiql.html").read_text(encoding="utf-8")


def graphiql_page() -> HTMLResponse:
    """The GraphiQL page, with its Content-Security-Policy."""
    return HTMLResponse(_page(), headers=_PAGE_HEADERS)


def graphiql_assets() -> Mount:
    """The route serving the page's scripts, stylesheets and the vendored licences."""
    return Mount(ASSETS_PATH, app=StaticFiles(directory=STATIC), name="graphiql")
