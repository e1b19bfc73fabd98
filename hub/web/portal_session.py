"""The portal's session cookie: its name, and the link a request's session has opened.

Every portal page reads the session the same way (``hub.services.portal_access`` checks
it); the cookie is set and cleared by ``hub.web.portal``.
"""

from __future__ import annotations

from starlette.requests import Request

from hub.domain.portal import PortalLink
from hub.services import portal_access as access
from hub.services.context import ServiceContext

#: The cookie holding a debtor's portal session (path ``/p/``, HTTP only).
SESSION_COOKIE = "evenly_portal"


def session_cookie(request: Request) -> str | None:
    """The request's portal session cookie, if it sent one."""
    return request.cookies.get(SESSION_COOKIE)


async def session_link(services: ServiceContext, request: Request) -> PortalLink | None:
    """The link in the request's path, if the request's session has opened it."""
    return await access.session_link(
        services, request.path_params["token"], session_cookie(request)
    )
