"""Debtor portal links through GraphQL: who may issue and revoke them, how they are kept,
and that unknown, expired and revoked tokens are refused alike."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from hub.auth.scopes import OrganizationKind
from hub.domain.errors import DomainError
from hub.services import portal as portal_service
from tests.conftest import Backend, Caller, place

CREATE = """mutation($input: CreatePortalLinkInput!) {
  createPortalLink(input: $input) {
    url
    portalLink { id accountId customerId locale createdAt validUntil lastUsedAt revokedAt }
    userErrors { field code message }
  }
}"""
REVOKE = """mutation($input: RevokePortalLinkInput!) {
  revokePortalLink(input: $input) {
    portalLink { id revokedAt validUntil }
    userErrors { field code message }
  }
}"""


async def create(caller: Caller, account_id: str, **extra: Any) -> dict[str, Any]:
    data = await caller.data(CREATE, {"input": {"accountId": account_id, **extra}})
    payload: dict[str, Any] = data["createPortalLink"]
    return payload


def token_of(payload: dict[str, Any]) -> str:
    url: str = payload["url"]
    assert url.startswith("/p/")
    return url.removeprefix("/p/")


def parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_the_agency_collecting_an_account_issues_a_link_for_its_customer(
    routed: tuple[Caller, Caller],
) -> None:
    creditor, agency = routed
    account = (await place(creditor))["account"]
    payload = await create(agency, account["id"], locale="sv-SE")
    assert payload["userErrors"] == []
    link = payload["portalLink"]
    assert link["accountId"] == account["id"]
    assert link["customerId"] == account["customer"]["id"]
    assert link["locale"] == "sv-SE"
    assert link["revokedAt"] is None and link["lastUsedAt"] is None
    assert parse(link["validUntil"]) - parse(link["createdAt"]) == dt.timedelta(days=7)
    assert len(token_of(payload)) == 43


async def test_the_creditor_issues_links_only_while_no_agency_has_the_account(
    routed: tuple[Caller, Caller], make_caller: Any
) -> None:
    creditor, _agency = routed
    assigned = (await place(creditor))["account"]
    refused = await create(creditor, assigned["id"])
    assert [e["code"] for e in refused["userErrors"]] == ["PORTAL_NOT_COLLECTOR"]
    assert refused["url"] is None
    alone: Caller = await make_caller(OrganizationKind.CREDITOR)
    unassigned = (await place(alone))["account"]
    assert (await create(alone, unassigned["id"]))["userErrors"] == []


async def test_another_organizations_account_is_not_found(
    routed: tuple[Caller, Caller], make_caller: Any
) -> None:
    creditor, _agency = routed
    account = (await place(creditor))["account"]
    stranger: Caller = await make_caller(OrganizationKind.AGENCY)
    payload = await create(stranger, account["id"])
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("NOT_FOUND", ["accountId"])
    ]


async def test_a_closed_account_gets_no_link(creditor: Caller) -> None:
    account = (await place(creditor))["account"]
    recall = (
        """mutation($id: ID!) { recallAccount(input: {accountId: $id}) { userErrors { code } } }"""
    )
    assert (await creditor.data(recall, {"id": account["id"]}))["recallAccount"]["userErrors"] == []
    payload = await create(creditor, account["id"])
    assert [e["code"] for e in payload["userErrors"]] == ["ACCOUNT_CLOSED"]


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"expiresIn": 60}, "INVALID_EXPIRY"),
        ({"expiresIn": 91 * 86400}, "INVALID_EXPIRY"),
        ({"locale": "sv_SE"}, "INVALID_LOCALE"),
    ],
)
async def test_bad_lifetimes_and_locales_are_refused(
    creditor: Caller, extra: dict[str, Any], code: str
) -> None:
    account = (await place(creditor))["account"]
    payload = await create(creditor, account["id"], **extra)
    assert [e["code"] for e in payload["userErrors"]] == [code]


async def test_a_chosen_lifetime_is_kept(creditor: Caller) -> None:
    account = (await place(creditor))["account"]
    link = (await create(creditor, account["id"], expiresIn=3600))["portalLink"]
    assert parse(link["validUntil"]) - parse(link["createdAt"]) == dt.timedelta(hours=1)


async def test_a_needed_scope_is_missing_without_write_access(
    creditor: Caller, backend: Backend
) -> None:
    from tests.conftest import get_token

    account = (await place(creditor))["account"]
    token = await get_token(
        creditor.http, creditor.client_id, creditor.client_secret, scope="accounts:read"
    )
    response = await creditor.http.post(
        "/graphql",
        json={"query": CREATE, "variables": {"input": {"accountId": account["id"]}}},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_only_a_hash_of_the_token_is_stored(creditor: Caller, backend: Backend) -> None:
    account = (await place(creditor))["account"]
    token = token_of(await create(creditor, account["id"]))
    async with backend.services.db.read() as conn:
        rows = (await conn.execute(sa.text("SELECT * FROM portal_links"))).all()
    stored = " ".join(str(value) for row in rows for value in row)
    assert token not in stored
    assert token.encode().hex() not in stored


async def test_a_link_opens_until_it_is_revoked(creditor: Caller, backend: Backend) -> None:
    account = (await place(creditor))["account"]
    payload = await create(creditor, account["id"])
    token, link_id = token_of(payload), payload["portalLink"]["id"]
    opened = await portal_service.open_link(backend.services, token)
    assert opened.id == link_id and opened.account_id == account["id"]

    revoked = (await creditor.data(REVOKE, {"input": {"linkId": link_id}}))["revokePortalLink"]
    assert revoked["userErrors"] == [] and revoked["portalLink"]["revokedAt"] is not None
    again = (await creditor.data(REVOKE, {"input": {"linkId": link_id}}))["revokePortalLink"]
    assert again["portalLink"]["revokedAt"] == revoked["portalLink"]["revokedAt"]
    with pytest.raises(DomainError) as refused:
        await portal_service.open_link(backend.services, token)
    assert refused.value.code == "PORTAL_LINK_INVALID"


async def test_only_the_issuer_revokes_a_link(
    routed: tuple[Caller, Caller], backend: Backend
) -> None:
    creditor, agency = routed
    account = (await place(creditor))["account"]
    payload = await create(agency, account["id"])
    link_id = payload["portalLink"]["id"]
    refused = (await creditor.data(REVOKE, {"input": {"linkId": link_id}}))["revokePortalLink"]
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("NOT_FOUND", ["linkId"])]
    assert (await portal_service.open_link(backend.services, token_of(payload))).id == link_id


async def test_unknown_expired_and_revoked_tokens_are_refused_alike(
    creditor: Caller, backend: Backend
) -> None:
    account = (await place(creditor))["account"]
    expired = token_of(await create(creditor, account["id"], expiresIn=900))
    revoked_payload = await create(creditor, account["id"])
    await creditor.data(REVOKE, {"input": {"linkId": revoked_payload["portalLink"]["id"]}})
    later = dataclasses.replace(
        backend.services, clock=lambda: dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16)
    )
    refusals = []
    for ctx, token in [
        (later, expired),
        (backend.services, token_of(revoked_payload)),
        (backend.services, "A" * 43),
        (backend.services, "not a token"),
    ]:
        with pytest.raises(DomainError) as refused:
            await portal_service.open_link(ctx, token)
        refusals.append((refused.value.code, str(refused.value)))
    assert len(set(refusals)) == 1 and refusals[0][0] == "PORTAL_LINK_INVALID"


async def test_each_use_keeps_a_link_working_for_a_day_more(
    creditor: Caller, backend: Backend
) -> None:
    account = (await place(creditor))["account"]
    token = token_of(await create(creditor, account["id"], expiresIn=3600))
    start = dt.datetime.now(dt.UTC)

    def at(hours: float) -> Any:
        return dataclasses.replace(
            backend.services, clock=lambda: start + dt.timedelta(hours=hours)
        )

    used = await portal_service.open_link(at(0.5), token)
    assert used.last_used_at == start + dt.timedelta(minutes=30)
    await portal_service.open_link(at(20), token)
    await portal_service.open_link(at(43), token)
    with pytest.raises(DomainError):
        await portal_service.open_link(at(68), token)
