"""``client.portal_links``: links to the debtor portal, issued and revoked by the
organization collecting an account."""

from __future__ import annotations

from evenly._base_client import Call
from evenly._operations import CREATE_PORTAL_LINK, REVOKE_PORTAL_LINK
from evenly._portal_models import IssuedPortalLink, PortalLink
from evenly.resources._resource import AsyncResource, SyncResource, payload, payload_object

__all__ = ["AsyncPortalLinks", "PortalLinks"]


def _create(account_id: str, expires_in: int | None, locale: str | None) -> Call[IssuedPortalLink]:
    check = payload("createPortalLink")
    variables = {"input": {"accountId": account_id, "expiresIn": expires_in, "locale": locale}}
    # Not idempotent: a repeated request would issue a second link, so it is never retried
    # once it may have reached the hub.
    return Call(
        CREATE_PORTAL_LINK,
        variables,
        lambda data, rid: IssuedPortalLink.model_validate(check(data, rid)),
        retry_safe=False,
    )


def _revoke(link_id: str) -> Call[PortalLink]:
    return Call(
        REVOKE_PORTAL_LINK,
        {"input": {"linkId": link_id}},
        payload_object("revokePortalLink", "portalLink", PortalLink),
    )


class PortalLinks(SyncResource):
    """Debtor portal links: ``client.portal_links``."""

    def create(
        self, account_id: str, *, expires_in: int | None = None, locale: str | None = None
    ) -> IssuedPortalLink:
        """A link for the customer of an account you collect; ``expires_in`` in seconds
        (900 to 7776000, default 7 days). Send ``.url`` to the debtor: it is shown once."""
        return self._client.execute(_create(account_id, expires_in, locale))

    def revoke(self, link_id: str) -> PortalLink:
        """End a link you issued, at once (revoking it again changes nothing)."""
        return self._client.execute(_revoke(link_id))


class AsyncPortalLinks(AsyncResource):
    """``client.portal_links`` of ``AsyncEvenly``: the same methods, awaited."""

    async def create(
        self, account_id: str, *, expires_in: int | None = None, locale: str | None = None
    ) -> IssuedPortalLink:
        """A link for the customer of an account you collect; ``expires_in`` in seconds
        (900 to 7776000, default 7 days). Send ``.url`` to the debtor: it is shown once."""
        return await self._client.execute(_create(account_id, expires_in, locale))

    async def revoke(self, link_id: str) -> PortalLink:
        """End a link you issued, at once (revoking it again changes nothing)."""
        return await self._client.execute(_revoke(link_id))
