"""A hub whose database cannot be reached answers every endpoint with a coded JSON 503.

The databases are really unreachable: a SQLite path that is a directory (the driver
cannot open it) and a PostgreSQL port where nothing listens (connection refused).
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from hub.app import create_app
from hub.auth.scopes import OrganizationKind
from hub.auth.tokens import Principal
from tests.conftest import test_settings as settings_for

LEAKS = ("Traceback", "asyncpg", "sqlalchemy", "sqlite", "SELECT", "Errno")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends


@pytest.fixture(params=["sqlite", "postgresql"])
async def app(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Starlette]:
    if request.param == "sqlite":
        (tmp_path / "not-a-file.db").mkdir()
        url = f"sqlite+aiosqlite:///{tmp_path / 'not-a-file.db'}"
    else:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{_closed_port()}/evenly"
    app = create_app(settings_for(tmp_path, url))
    yield app
    await app.state.services.db.dispose()


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        yield client


def assert_unavailable(response: httpx.Response) -> dict[str, object]:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"].startswith("application/json")
    for leak in LEAKS:
        assert leak not in response.text
    body: dict[str, object] = response.json()
    return body


async def test_graphql_answers_service_unavailable(http: httpx.AsyncClient, app: Starlette) -> None:
    principal = Principal("cli_x", "org_x", OrganizationKind.CREDITOR, frozenset({"accounts:read"}))
    token = app.state.issuer.issue(principal)
    response = await http.post(
        "/graphql",
        json={"query": "{ accounts { totalCount } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = assert_unavailable(response)
    assert body["errors"] == [
        {
            "message": "the service is unavailable for a moment; retry after the delay in Retry-After",
            "extensions": {"code": "SERVICE_UNAVAILABLE", "retryAfter": 1},
        }
    ]


async def test_token_endpoint_answers_temporarily_unavailable_without_counting_failures(
    http: httpx.AsyncClient,
) -> None:
    # More attempts than the failure budget: an outage is not the client's failure.
    for _ in range(15):
        response = await http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("cli_01HZX", "sk_secret"),
        )
        body = assert_unavailable(response)
        assert body["error"] == "temporarily_unavailable"
        assert body["code"] == "SERVICE_UNAVAILABLE"
        assert response.headers["cache-control"] == "no-store"


async def test_health_check_answers_503_with_retry_after(http: httpx.AsyncClient) -> None:
    body = assert_unavailable(await http.get("/healthz"))
    assert body == {"status": "unhealthy", "database": "unreachable", "code": "SERVICE_UNAVAILABLE"}


async def test_unknown_paths_and_methods_answer_coded_json(http: httpx.AsyncClient) -> None:
    missing = await http.get("/nowhere")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    wrong = await http.get("/oauth/token")
    assert wrong.status_code == 405
    assert wrong.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_the_portals_pages_and_forms_answer_a_page_of_their_own(
    http: httpx.AsyncClient, app: Starlette
) -> None:
    import dataclasses

    from hub.domain.portal import PortalLink
    from hub.services import portal_access

    services = app.state.services
    token = "A" * 43  # shaped like a token: the portal has to ask the database
    secret = portal_access.new_form_secret()
    csrf = portal_access.form_token(services, secret, token)
    http.cookies.set("evenly_form", secret, path="/p/")
    # A signed-in debtor's session (of a link the hub cannot look up now).
    fields = {f.name: None for f in dataclasses.fields(PortalLink)}
    link = PortalLink(**{**fields, "id": "plk_x"})  # type: ignore[arg-type]
    http.cookies.set("evenly_portal", portal_access.new_session(services, link), path="/p/")
    answers = [
        await http.get(f"/p/{token}?c=sms"),
        await http.post(f"/p/{token}/code", data={"csrf": csrf}),
        await http.post(f"/p/{token}/preferences", data={"csrf": csrf, "channel": "EMAIL"}),
        await http.post(f"/p/{token}/dispute", data={"csrf": csrf, "reason": "OTHER"}),
        await http.post(f"/p/{token}/hold", data={"csrf": csrf, "reason": "HARDSHIP"}),
        await http.get(f"/p/{token}/help"),
    ]
    for response in answers:
        assert response.status_code == 503, response.text
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["retry-after"] == "1"
        assert "Please try again in a moment" in response.text
        assert "Ask for help" in response.text  # in its place, as on every page
        for leak in LEAKS:
            assert leak not in response.text
