"""The GraphiQL page browsers get on ``GET /graphql``: everything it loads comes from the hub,
under a strict Content-Security-Policy. (``tests/e2e/test_graphiql_browser.py`` runs it in
Chromium.)"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace

import httpx
import pytest

from hub.api.ide import STATIC
from hub.app import create_app
from tests.conftest import Backend

HTML = {"Accept": "text/html"}


def _directives(policy: str) -> dict[str, list[str]]:
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


async def test_the_page_loads_only_the_hubs_own_assets(http: httpx.AsyncClient) -> None:
    page = await http.get("/graphql", headers=HTML)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(assets) >= 5, assets
    for asset in assets:
        if asset.startswith("data:"):
            continue
        assert asset.startswith("/graphiql/"), f"{asset} is not served by the hub"
        response = await http.get(asset)
        assert response.status_code == 200, asset
        expected = "text/css" if asset.endswith(".css") else "text/javascript"
        assert response.headers["content-type"].startswith(expected), asset
    # Every script is a file: nothing inline for the policy to allow.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page.text) == []


async def test_the_page_has_a_strict_content_security_policy(http: httpx.AsyncClient) -> None:
    page = await http.get("/graphql", headers=HTML)
    policy = _directives(page.headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    everything = " ".join(value for values in policy.values() for value in values)
    assert "unsafe" not in everything and "http" not in everything
    assert page.headers["x-content-type-options"] == "nosniff"


async def test_unknown_assets_are_json_not_found(http: httpx.AsyncClient) -> None:
    for path in ("/graphiql/nope.js", "/graphiql/../app.py", "/graphiql/"):
        response = await http.get(path)
        assert response.status_code == 404, path
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_without_graphiql_the_hub_serves_neither_page_nor_assets(backend: Backend) -> None:
    settings = replace(backend.settings, graphiql=False)
    app = create_app(settings, replace(backend.services, settings=settings))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        assert (await client.get("/graphql", headers=HTML)).status_code == 405
        assert (await client.get("/graphiql/graphiql.js")).status_code == 404


@pytest.mark.parametrize("package", json.loads((STATIC / "vendor" / "manifest.json").read_text()))
def test_vendored_files_are_the_ones_npm_published_with_their_licence(
    package: dict[str, object],
) -> None:
    files = package["files"]
    assert isinstance(files, dict)
    assert f"{package['package']}.LICENSE" in files
    for name, sha256 in files.items():
        assert hashlib.sha256((STATIC / "vendor" / name).read_bytes()).hexdigest() == sha256, name
