"""OAuth2 client credentials and bearer authentication of /graphql."""

from __future__ import annotations

import base64
import dataclasses
import time
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import OKPKey
from starlette.applications import Starlette

from hub.app import create_app
from hub.services import organizations as organization_service
from tests.conftest import Backend, Caller, get_token

VIEWER = "{ viewer { clientId scopes organization { id kind } } }"


async def test_token_with_http_basic_and_with_form_credentials(
    http: httpx.AsyncClient, creditor: Caller
) -> None:
    basic = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(creditor.client_id, creditor.client_secret),
    )
    form = await http.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": creditor.client_id,
            "client_secret": creditor.client_secret,
        },
    )
    for response in (basic, form):
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "Bearer" and body["expires_in"] > 0
        assert set(body["scope"].split()) == {
            "accounts:read",
            "accounts:write",
            "events:read",
            "webhooks:manage",
        }
        assert response.headers["cache-control"] == "no-store"


async def test_token_errors_follow_rfc_6749(http: httpx.AsyncClient, creditor: Caller) -> None:
    async def token(data: dict[str, str], auth: Any = None, **kw: Any) -> httpx.Response:
        return await http.post("/oauth/token", data=data, auth=auth, **kw)

    wrong = await token({"grant_type": "client_credentials"}, (creditor.client_id, "sk_wrong"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert wrong.headers["www-authenticate"].startswith("Basic")
    unknown = await token({"grant_type": "client_credentials"}, ("cli_nobody", "sk_x"))
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_client"
    grant = await token({"grant_type": "password"}, (creditor.client_id, creditor.client_secret))
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    missing = await token({}, (creditor.client_id, creditor.client_secret))
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    scope = await token(
        {"grant_type": "client_credentials", "scope": "agency:write"},
        (creditor.client_id, creditor.client_secret),
    )
    assert scope.status_code == 400 and scope.json()["error"] == "invalid_scope"
    json_body = await http.post("/oauth/token", json={"grant_type": "client_credentials"})
    assert json_body.status_code == 400 and json_body.json()["error"] == "invalid_request"
    garbage = await http.post(
        "/oauth/token",
        content=b"grant_type=client_credentials",
        headers={"content-type": "application/x-www-form-urlencoded", "authorization": "Basic !!!"},
    )
    assert garbage.status_code == 401 and garbage.json()["error"] == "invalid_client"
    for response in (wrong, grant, missing, scope):
        assert set(response.json()) == {"error", "error_description"}


async def test_narrowed_scope_limits_what_the_token_can_do(
    http: httpx.AsyncClient, creditor: Caller
) -> None:
    token = await get_token(http, creditor.client_id, creditor.client_secret, scope="accounts:read")
    reader = Caller(
        http,
        creditor.organization_id,
        creditor.client_id,
        creditor.client_secret,
        token,
        creditor.kind,
    )
    assert (await reader.data(VIEWER))["viewer"]["scopes"] == ["accounts:read"]
    body = await reader.graphql("{ events { nodes { id } } }")
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "requiredScope": "events:read"}


async def test_graphql_without_a_token_is_401_with_www_authenticate(
    http: httpx.AsyncClient,
) -> None:
    response = await http.post("/graphql", json={"query": VIEWER})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="evenly"'
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    basic = await http.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": "Basic abc"}
    )
    assert basic.status_code == 401


async def test_forged_and_expired_tokens_are_refused(
    http: httpx.AsyncClient, creditor: Caller
) -> None:
    claims = {
        "iss": "evenly-hub",
        "sub": creditor.client_id,
        "org": creditor.organization_id,
        "kind": "CREDITOR",
        "scope": "accounts:read",
    }
    other_key = OKPKey.generate_key("Ed25519")
    forged = jwt.encode(
        {"alg": "Ed25519"},
        {**claims, "exp": int(time.time()) + 600},
        other_key,
        algorithms=["Ed25519"],
    )
    header, _claims, signature = creditor.token.split(".")
    tampered_claims = (
        base64.urlsafe_b64encode(b'{"sub":"cli_x","org":"org_x"}').decode().rstrip("=")
    )
    for bad, code in (
        (forged, "INVALID_TOKEN"),
        (f"{header}.{tampered_claims}.{signature}", "INVALID_TOKEN"),
        ("not.a.jwt", "INVALID_TOKEN"),
    ):
        response = await http.post(
            "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {bad}"}
        )
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == code
        assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_expired_token_is_refused(
    http: httpx.AsyncClient, creditor: Caller, app: Any
) -> None:
    issuer = app.state.issuer
    ttl = issuer.ttl_seconds
    issuer.ttl_seconds = -3600
    try:
        principal = issuer.verify(creditor.token)
        expired = issuer.issue(principal)
    finally:
        issuer.ttl_seconds = ttl
    response = await http.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {expired}"}
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "TOKEN_EXPIRED"


async def test_revoked_client_loses_its_tokens_and_secret(
    http: httpx.AsyncClient, creditor: Caller, backend: Backend
) -> None:
    second = await organization_service.create_client(
        backend.services, creditor.organization_id, name="ci", scopes=["accounts:read"]
    )
    token = await get_token(http, second.client_id, second.client_secret)
    headers = {"Authorization": f"Bearer {token}"}
    assert (await http.post("/graphql", json={"query": VIEWER}, headers=headers)).status_code == 200
    await organization_service.revoke_client(backend.services, second.client_id)
    response = await http.post("/graphql", json={"query": VIEWER}, headers=headers)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "CLIENT_REVOKED"
    again = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(second.client_id, second.client_secret),
    )
    assert again.status_code == 401
    # The organization's other client is unaffected.
    assert (await creditor.data(VIEWER))["viewer"]["clientId"] == creditor.client_id


async def test_client_secrets_are_stored_hashed(creditor: Caller, backend: Backend) -> None:
    import sqlalchemy as sa

    from hub.store.tables import api_clients

    async with backend.services.db.read() as conn:
        stored = (
            await conn.execute(
                sa.select(api_clients.c.secret_hash).where(api_clients.c.id == creditor.client_id)
            )
        ).scalar_one()
    assert creditor.client_secret not in stored and stored.startswith("scrypt$")


async def test_viewer_describes_the_caller(creditor: Caller) -> None:
    viewer = (await creditor.data(VIEWER))["viewer"]
    assert viewer["clientId"] == creditor.client_id
    assert viewer["organization"] == {"id": creditor.organization_id, "kind": "CREDITOR"}


# --- throttling of failed token requests ---------------------------------------------------

THROTTLE = {"auth_failure_burst": 3, "auth_failure_per_second": 0.05}  # no refill in a test


def throttled_app(backend: Backend) -> Starlette:
    """The hub with a failure budget of 3 (the shared app's is the default, 10)."""
    return create_app(dataclasses.replace(backend.settings, **THROTTLE), backend.services)


async def token_from(app: Starlette, address: str, client_id: str, secret: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        return await http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
        )


def assert_slowed_down(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json() == {
        "error": "slow_down",
        "error_description": "too many failed attempts for this client or from this address; "
        "retry after the delay in Retry-After",
        "code": "RATE_LIMITED",
    }
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["cache-control"] == "no-store"


async def test_failed_token_requests_are_throttled_per_client_id(
    backend: Backend, creditor: Caller, agency: Caller
) -> None:
    app = throttled_app(backend)
    for n in range(3):  # each guess from another address
        wrong = await token_from(app, f"10.0.1.{n}", creditor.client_id, "sk_guess")
        assert wrong.status_code == 401
    assert_slowed_down(await token_from(app, "10.0.1.9", creditor.client_id, "sk_guess"))
    # The client id is refused before its secret is checked, the right one included ...
    assert_slowed_down(
        await token_from(app, "10.0.1.10", creditor.client_id, creditor.client_secret)
    )
    # ... while other clients are not affected.
    ok = await token_from(app, "10.0.1.11", agency.client_id, agency.client_secret)
    assert ok.status_code == 200


async def test_failed_token_requests_are_throttled_per_source_address(
    backend: Backend, creditor: Caller
) -> None:
    app = throttled_app(backend)
    for n in range(3):  # made-up client ids, from one address
        wrong = await token_from(app, "10.0.2.1", f"cli_madeup{n}", "sk_guess")
        assert wrong.status_code == 401
    assert_slowed_down(await token_from(app, "10.0.2.1", "cli_madeup9", "sk_guess"))
    assert_slowed_down(
        await token_from(app, "10.0.2.1", creditor.client_id, creditor.client_secret)
    )
    ok = await token_from(app, "10.0.2.2", creditor.client_id, creditor.client_secret)
    assert ok.status_code == 200


async def test_successful_token_requests_cost_nothing_from_the_failure_budget(
    backend: Backend, creditor: Caller
) -> None:
    app = throttled_app(backend)
    for _ in range(10):
        right = await token_from(app, "10.0.3.1", creditor.client_id, creditor.client_secret)
        assert right.status_code == 200
    for _ in range(3):
        wrong = await token_from(app, "10.0.3.1", creditor.client_id, "sk_guess")
        assert wrong.status_code == 401
    assert_slowed_down(await token_from(app, "10.0.3.1", creditor.client_id, "sk_guess"))


@pytest.mark.parametrize(
    "scope",
    [
        "accounts:read\tevents:read",  # tab
        "accounts:read\u3000events:read",  # ideographic space
        "accounts:read\u00a0events:read",  # no-break space
        "accounts:read\nevents:read",
        "accounts:read  events:read",  # two spaces
        " accounts:read",
        "accounts:read ",
        'accounts:read "events:read"',
        "accounts:read\\",
        "",
    ],
)
async def test_scope_must_be_tokens_separated_by_single_spaces(
    http: httpx.AsyncClient, creditor: Caller, scope: str
) -> None:
    response = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": scope},
        auth=(creditor.client_id, creditor.client_secret),
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_scope"


async def test_scope_of_several_tokens_narrows_the_token(
    http: httpx.AsyncClient, creditor: Caller
) -> None:
    response = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "events:read accounts:read"},
        auth=(creditor.client_id, creditor.client_secret),
    )
    assert response.status_code == 200
    assert response.json()["scope"] == "accounts:read events:read"
