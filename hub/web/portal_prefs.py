"""The portal's preferences and help pages, and the help shown on every page.

``/p/<token>/preferences``: the channels the debtor may be contacted on and the hours they
prefer (``hub.services.portal_prefs.save_preferences``); ``/p/<token>/help``: a dispute
form (reason and text) and a hold request for hardship. Each form posts, redirects to a
page that says what happened (no personal data in the URL) and works without scripts; a
refusal is the form again with the reason, a debt not the link's is "not found" (404).
The help footer (``help.html``) is in the same place on every page: who collects and how
to reach them once the debtor passed the code, a general line before.
"""

from __future__ import annotations

from typing import Any, Protocol

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hub.auth.ratelimit import RateLimiter
from hub.domain.contact_hours import ContactHours, contact_hours
from hub.domain.errors import DomainError
from hub.domain.portal import PortalLink
from hub.domain.vocabulary import ContactChannel, DisputeReason, HoldReason
from hub.services import portal_prefs as prefs
from hub.services.context import ServiceContext
from hub.services.portal_overview import overview
from hub.web.portal_session import session_cookie, session_link


class Portal(Protocol):
    """What these pages use of the portal's pages (``hub.web.portal.Portal``)."""

    services: ServiceContext

    async def _refused(
        self, request: Request, bucket: RateLimiter | None, *, max_bytes: int = ...
    ) -> Response | None: ...

    def _render(self, request: Request, template: str, title: str, **values: Any) -> Response: ...

    def _problem(self, request: Request, status: int, title: str, message: str) -> Response: ...

    def _redirect(self, request: Request, path: str) -> Response: ...


def _(text: str) -> str:
    """Marks a string for translation (the templates translate what they are given)."""
    return text


CHANNEL_LABELS = (
    (ContactChannel.EMAIL, _("Email")),
    (ContactChannel.SMS, _("Text message (SMS)")),
    (ContactChannel.CALL, _("Phone call")),
    (ContactChannel.LETTER, _("Letter")),
    (ContactChannel.PUSH, _("App notification")),
)
DISPUTE_LABELS = (
    (DisputeReason.NOT_MY_DEBT, _("This is not my debt")),
    (DisputeReason.WRONG_AMOUNT, _("The amount is wrong")),
    (DisputeReason.ALREADY_PAID, _("I have already paid")),
    (DisputeReason.GOODS_OR_SERVICES, _("A problem with what I bought")),
    (DisputeReason.FRAUD, _("Someone else used my name (fraud)")),
    (DisputeReason.OTHER, _("Something else")),
)
HOLD_LABELS = (
    (HoldReason.HARDSHIP, _("I cannot pay just now (money trouble, job loss, illness)")),
    (HoldReason.BEREAVEMENT, _("Someone close to me has died")),
    (HoldReason.OTHER, _("Something else")),
)
#: A dispute's text may be long: its form may be larger than the others.
_DISPUTE_BYTES = 16_384
_DONE = {
    "dispute": (
        _("Your dispute is open"),
        _("Nobody will contact you about this debt while your dispute is reviewed."),
    ),
    "hold": (
        _("Your request was sent"),
        _("The company collecting your debt will look at it and contact you."),
    ),
}


def _text(form: FormData, name: str, limit: int = 40) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _hours(form: FormData) -> ContactHours | None:
    start, end = _text(form, "start"), _text(form, "end")
    if not start and not end:
        return None
    return contact_hours(start[:5], end[:5])


async def help_values(services: ServiceContext, request: Request) -> prefs.Help | None:
    """What the help footer shows on this request's page."""
    token = request.path_params.get("token", "")
    return await prefs.help_for(services, token, session_cookie(request))


class PrefsPages:
    """The preferences and help routes of the portal, rendered and guarded by its ``Portal``."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal
        self.services = portal.services

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/p/{token}/preferences", self.preferences, methods=["GET"]),
            Route("/p/{token}/preferences", self.save, methods=["POST"]),
            Route("/p/{token}/help", self.help_page, methods=["GET"]),
            Route("/p/{token}/dispute", self.dispute, methods=["POST"]),
            Route("/p/{token}/hold", self.hold, methods=["POST"]),
            Route("/p/{token}/sent/{what}", self.sent, methods=["GET"]),
        ]

    async def _link(self, request: Request) -> PortalLink | None:
        return await session_link(self.services, request)

    def _to_start(self, request: Request) -> Response:
        return self.portal._redirect(request, f"/p/{request.path_params['token']}")

    async def preferences(self, request: Request) -> Response:
        link = await self._link(request)
        if link is None:
            return self._to_start(request)
        saved = request.query_params.get("saved") == "1"
        return await self._form(request, link, saved=saved)

    async def _form(
        self,
        request: Request,
        link: PortalLink,
        *,
        saved: bool = False,
        problem: str | None = None,
        typed: tuple[str, str] | None = None,
    ) -> Response:
        now = await prefs.preferences(self.services, link)
        hours = now.contact_hours
        start, end = typed or (
            (f"{hours.start:%H:%M}", f"{hours.end:%H:%M}") if hours else ("", "")
        )
        response = self.portal._render(
            request,
            "preferences.html",
            _("How we contact you"),
            prefs=now,
            channels=CHANNEL_LABELS,
            start=start,
            end=end,
            saved=saved,
            problem=problem,
        )
        if problem:
            response.status_code = 422
        return response

    async def save(self, request: Request) -> Response:
        form = await request.form(max_fields=len(CHANNEL_LABELS) + 4)
        refused = await self.portal._refused(request, None)
        if refused is not None:
            return refused
        link = await self._link(request)
        if link is None:
            return self._to_start(request)
        chosen = {v for v in form.getlist("channel") if isinstance(v, str)}
        accepted = frozenset(c for c, _label in CHANNEL_LABELS if c.value in chosen)
        try:
            hours = _hours(form)
        except DomainError as error:
            typed = (_text(form, "start"), _text(form, "end"))
            return await self._form(request, link, problem=_hours_problem(error), typed=typed)
        await prefs.save_preferences(self.services, link, accepted, hours)
        token = request.path_params["token"]
        return self.portal._redirect(request, f"/p/{token}/preferences?saved=1")

    async def help_page(self, request: Request) -> Response:
        link = await self._link(request)
        if link is None:
            return self._to_start(request)
        return await self._help(request, link)

    async def _help(
        self, request: Request, link: PortalLink, problem: str | None = None, status: int = 200
    ) -> Response:
        response = self.portal._render(
            request,
            "help_page.html",
            _("Dispute a debt or ask for a pause"),
            debts=await overview(self.services, link),
            reasons=DISPUTE_LABELS,
            holds=HOLD_LABELS,
            problem=problem,
        )
        response.status_code = status
        return response

    async def dispute(self, request: Request) -> Response:
        form = await request.form(max_fields=5)
        refused = await self.portal._refused(request, None, max_bytes=_DISPUTE_BYTES)
        if refused is not None:
            return refused
        link = await self._link(request)
        if link is None:
            return self._to_start(request)
        try:
            reason = DisputeReason(_text(form, "reason"))
        except ValueError:
            return await self._help(request, link, _("Choose why you dispute the debt."), 422)
        try:
            await prefs.open_dispute(
                self.services, link, _text(form, "account"), reason, _text(form, "details", 1000)
            )
        except DomainError as error:
            return await self._refusal(request, link, error)
        return self.portal._redirect(request, f"/p/{request.path_params['token']}/sent/dispute")

    async def hold(self, request: Request) -> Response:
        form = await request.form(max_fields=4)
        refused = await self.portal._refused(request, None)
        if refused is not None:
            return refused
        link = await self._link(request)
        if link is None:
            return self._to_start(request)
        try:
            reason = HoldReason(_text(form, "reason"))
        except ValueError:
            return await self._help(request, link, _("Choose what is happening."), 422)
        try:
            await prefs.request_hold(self.services, link, _text(form, "account"), reason)
        except DomainError as error:
            return await self._refusal(request, link, error)
        return self.portal._redirect(request, f"/p/{request.path_params['token']}/sent/hold")

    async def _refusal(self, request: Request, link: PortalLink, error: DomainError) -> Response:
        if error.code == "NOT_FOUND":
            return self.portal._problem(
                request,
                404,
                _("Not found"),
                _("We could not find that debt. Go back to your overview."),
            )
        return await self._help(request, link, _dispute_problem(error.code), 409)

    async def sent(self, request: Request) -> Response:
        link = await self._link(request)
        if link is None:
            return self._to_start(request)
        found = _DONE.get(request.path_params["what"])
        if found is None:
            return self.portal._problem(request, 404, _("Not found"), _("There is no such page."))
        title, message = found
        return self.portal._render(request, "help_done.html", title, message=message)


def _hours_problem(error: DomainError) -> str:
    if error.problems[0].field == ("end",) and "minutes" in error.problems[0].message:
        return _("Choose an end at least an hour after the start.")
    return _("Give both times, such as 09:00 and 17:00, or leave both empty.")


def _dispute_problem(code: str) -> str:
    if code == "INVALID_STATE_TRANSITION":
        return _("This debt already has an open dispute, or cannot be disputed now.")
    return _("This could not be done just now. Reload the page and try again.")
