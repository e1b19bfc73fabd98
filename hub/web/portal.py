"""The debtor portal's pages: ``/p/<token>`` and the forms it posts.

Before the second factor every token gets the same pages (a usable link, an unknown one,
an expired or revoked one): asking for a code always says "if this link is valid, a code is
on its way", and a wrong code reads exactly like a code for a dead link. Code requests and
code tries are rate limited per token and per client address (429, ``Retry-After``). Every
form carries a CSRF token bound to the browser (a cookie) and to the link; a form without
it, or with a wrong one, is refused (403) before anything else is looked at.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from hub.auth.ratelimit import RateLimiter
from hub.domain import portal_knowledge as knowledge
from hub.domain.errors import RETRY_AFTER_SECONDS, DatabaseUnavailable, DomainError
from hub.domain.portal import PortalLink
from hub.domain.portal_branding import style_of
from hub.services import portal_access as access
from hub.services import portal_plan, stripe_payments
from hub.services import portal_prefs as prefs
from hub.services.context import ServiceContext
from hub.services.portal_overview import overview
from hub.web import i18n
from hub.web.i18n import N_
from hub.web.plan import PlanPages
from hub.web.portal_pay import PortalPay
from hub.web.portal_prefs import PrefsPages, help_values
from hub.web.portal_session import SESSION_COOKIE, session_link
from hub.web.security import is_secure, secured
from hub.web.stripe_webhook import StripeWebhook

_HERE = Path(__file__).parent
FORM_COOKIE = "evenly_form"
VISIT_COOKIE = "evenly_visit"
_MAX_FORM_BYTES = 4096

STEPS = {
    "PAY_INSTALLMENT": N_("Next step: pay {amount} by {date} to {collector}."),
    "PAY_OR_AGREE_PLAN": N_(
        "Next step: pay {amount}, or contact {collector} to agree a payment plan."
    ),
    "WAIT_DISPUTE": N_(
        "{collector} is reviewing your dispute: nothing to pay until it is resolved."
    ),
    "WAIT_HOLD": N_("Collection is paused: there is nothing to do for now."),
}


class PortalLimits:
    """Buckets for the doors of the portal: per token and per client address."""

    def __init__(self) -> None:
        # A code each 5 minutes after 3 at once; a try each minute after 10; an address
        # may knock 30 times at once, then every 2 seconds.
        self.codes = RateLimiter(1 / 300, 3)
        self.tries = RateLimiter(1 / 60, 10)
        self.addresses = RateLimiter(0.5, 30)

    def wait(self, bucket: RateLimiter, token: str, address: str) -> float:
        """Seconds to wait, or 0.0 after taking a token of both the link's and the
        address's bucket."""
        key = hashlib.sha256(token.encode()).hexdigest()[:32]
        waited = self.addresses.take(address)
        if waited:
            return waited
        return bucket.take(key)


class Portal:
    """The portal's routes over the services (``hub.services.portal_access``)."""

    def __init__(self, services: ServiceContext) -> None:
        self.services = services
        self.limits = PortalLimits()
        self.templates = Environment(
            loader=FileSystemLoader(_HERE / "templates"),
            autoescape=select_autoescape(default=True),
            extensions=["jinja2.ext.i18n"],
        )
        self.providers = stripe_payments.providers(services.settings)
        self.pay = PortalPay(self, self.providers)

    def routes(self) -> list[BaseRoute]:
        pages: list[BaseRoute] = [
            Route("/p/{token}", self.page, methods=["GET"]),
            Route("/p/{token}/code", self.send_code, methods=["POST"]),
            Route("/p/{token}/verify", self.code_form, methods=["GET"]),
            Route("/p/{token}/verify", self.verify, methods=["POST"]),
            Route("/p/{token}/answer", self.answer, methods=["POST"]),
            Route("/p/{token}/signout", self.sign_out, methods=["POST"]),
            Route("/p/{token}/language", self.choose_language, methods=["POST"]),
            *PlanPages(self).routes(),
            *self.pay.routes(),
            *PrefsPages(self).routes(),
        ]
        webhook = StripeWebhook(self.services, self.providers).routes()
        return [
            *(
                Route(r.path, self._guarded(r.endpoint), methods=r.methods)
                for r in pages
                if isinstance(r, Route)
            ),
            *webhook,
            Mount("/portal/static", StaticFiles(directory=_HERE / "static"), name="portal"),
        ]

    def _guarded(
        self, endpoint: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        """``endpoint`` with the help its pages show, and a page of its own (503, with
        ``Retry-After``) while the database cannot be reached."""

        async def guarded(request: Request) -> Response:
            try:
                request.state.portal_help = await help_values(self.services, request)
                return await endpoint(request)
            except DatabaseUnavailable:
                request.state.portal_help = None
                response = self._problem(
                    request,
                    503,
                    N_("Please try again in a moment"),
                    N_(
                        "We cannot reach your account just now. Nothing you sent was lost or "
                        "done twice: wait a moment, then try again."
                    ),
                )
                response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
                return response

        return guarded

    # --- pages -------------------------------------------------------------------------

    async def page(self, request: Request) -> Response:
        token = request.path_params["token"]
        visited = await self._visit(request, token)
        link = await session_link(self.services, request)
        if link is None:
            # The question is the URL's (``?f=dob``), not the link's: the same for any token.
            factor = knowledge.FROM_URL.get(request.query_params.get("f", ""))
            if factor is not None:
                return visited(self._knowledge_form(request, factor))
            return visited(self._render(request, "start.html", N_("Check it is you")))
        debts = await overview(self.services, link)
        plans = await portal_plan.choices(self.services, link)
        paying = await self.pay.overview_values(request, link, debts)
        return visited(
            self._render(
                request,
                "overview.html",
                N_("Your debts"),
                debts=debts,
                steps=STEPS,
                plans=plans,
                **paying,
            )
        )

    async def _visit(self, request: Request, token: str) -> Callable[[Response], Response]:
        """Count the visit (``portal.visited``) on a browser's first page of the link, with
        the channel its link came from (``?c=sms``); what marks the browser as counted."""
        mark = prefs.visit_mark(self.services, token)
        if request.cookies.get(VISIT_COOKIE) == mark:
            return lambda response: response
        channel = prefs.channel_of(request.query_params.get("c"))
        await prefs.record_visit(self.services, token, channel)

        def marked(response: Response) -> Response:
            response.set_cookie(
                VISIT_COOKIE,
                mark,
                path="/p/",
                secure=is_secure(request),
                httponly=True,
                samesite="lax",
            )
            return response

        return marked

    async def code_form(self, request: Request) -> Response:
        return self._render(request, "code.html", N_("Enter your code"))

    # --- forms -------------------------------------------------------------------------

    async def send_code(self, request: Request) -> Response:
        token = request.path_params["token"]
        refused = await self._refused(request, self.limits.codes)
        if refused is not None:
            return refused
        await access.request_code(self.services, token)
        return self._redirect(request, f"/p/{token}/verify")

    async def verify(self, request: Request) -> Response:
        token = request.path_params["token"]
        refused = await self._refused(request, self.limits.tries)
        if refused is not None:
            return refused
        form = await request.form()
        typed = form.get("code")
        try:
            link = await access.verify_code(
                self.services, token, typed if isinstance(typed, str) else ""
            )
        except DomainError:
            problem = N_(
                "That code is not right, or it has expired. Check it, or ask for a new one."
            )
            return self._render(request, "code.html", N_("Enter your code"), problem=problem)
        return self._signed_in(request, token, link)

    def _signed_in(self, request: Request, token: str, link: PortalLink) -> Response:
        """To the overview, with a new session for ``link``."""
        response = self._redirect(request, f"/p/{token}")
        response.set_cookie(
            SESSION_COOKIE,
            access.new_session(self.services, link),
            max_age=int(access.codes.SESSION_LIFETIME.total_seconds()),
            path="/p/",
            secure=is_secure(request),
            httponly=True,
            samesite="lax",
        )
        return response

    def _knowledge_form(
        self, request: Request, factor: str, problem: str | None = None
    ) -> Response:
        return self._render(
            request,
            "knowledge.html",
            N_("Check it is you"),
            factor_name=knowledge.URL_NAMES[factor],
            here=f"/p/{request.path_params['token']}?f={knowledge.URL_NAMES[factor]}",
            problem=problem,
        )

    async def answer(self, request: Request) -> Response:
        """A knowledge check's answer: counted and refused like a code (``verify``)."""
        token = request.path_params["token"]
        factor = knowledge.FROM_URL.get(request.query_params.get("f", ""), knowledge.POSTCODE)
        refused = await self._refused(request, self.limits.tries)
        if refused is not None:
            return refused
        form = await request.form()

        def field(name: str) -> str:
            value = form.get(name)
            return value if isinstance(value, str) else ""

        given: object = (
            knowledge.typed_birth_date(field("day"), field("month"), field("year"))
            if factor == knowledge.DATE_OF_BIRTH
            else field("postcode")
        )
        try:
            link = await access.verify_knowledge(self.services, token, factor, given)
        except DomainError:
            problem = N_("That is not right. Check it and try again.")
            return self._knowledge_form(request, factor, problem)
        return self._signed_in(request, token, link)

    async def sign_out(self, request: Request) -> Response:
        token = request.path_params["token"]
        refused = await self._refused(request, None)
        if refused is not None:
            return refused
        response = self._redirect(request, f"/p/{token}")
        response.delete_cookie(SESSION_COOKIE, path="/p/")
        return response

    async def choose_language(self, request: Request) -> Response:
        """The switcher: remember the language chosen (a cookie), then the page again."""
        token = request.path_params["token"]
        refused = await self._refused(request, None)
        if refused is not None:
            return refused
        form = await request.form()
        chosen = i18n.supported(str(form.get("lang") or ""))
        back = str(form.get("next") or "")
        path, _, query = back.partition("?")
        known_query = not query or query in {f"f={n}" for n in knowledge.URL_NAMES.values()}
        if not path.startswith(f"/p/{token}") or "//" in back or not known_query:
            back = f"/p/{token}"
        response = self._redirect(request, back)
        if chosen is not None:
            response.set_cookie(
                i18n.LANGUAGE_COOKIE,
                chosen,
                max_age=365 * 24 * 3600,
                path="/p/",
                secure=is_secure(request),
                httponly=True,
                samesite="lax",
            )
        return response

    # --- shared ------------------------------------------------------------------------

    def language(self, request: Request) -> str:
        """The language of this request's page (``hub.web.i18n`` says in which order)."""
        help_ = getattr(request.state, "portal_help", None)
        return i18n.choose(
            [
                request.cookies.get(i18n.LANGUAGE_COOKIE),
                *(help_.languages if help_ is not None else ()),
                request.query_params.get("lang"),
                i18n.from_accept_language(request.headers.get("accept-language")),
            ]
        )

    async def _refused(
        self, request: Request, bucket: RateLimiter | None, *, max_bytes: int = _MAX_FORM_BYTES
    ) -> Response | None:
        """A refusal for a form without its CSRF token, or over a rate limit; else None."""
        token = request.path_params["token"]
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > max_bytes:
            return self._problem(request, 413, N_("Too much data"), N_("That form was too large."))
        form = await request.form(max_fields=4)
        given = form.get("csrf")
        if not access.form_token_ok(
            self.services,
            request.cookies.get(FORM_COOKIE),
            token,
            given if isinstance(given, str) else None,
        ):
            return self._problem(
                request,
                403,
                N_("Please try again"),
                N_("This form has expired. Go back and reload the page."),
            )
        if bucket is not None:
            address = request.client.host if request.client else "unknown"
            wait = self.limits.wait(bucket, token, address)
            if wait:
                response = self._problem(
                    request,
                    429,
                    N_("Please wait"),
                    N_("Too many tries. Wait a few minutes, then try again."),
                )
                response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
                return response
        return None

    def _render(self, request: Request, template: str, title: str, **values: Any) -> Response:
        secret = request.cookies.get(FORM_COOKIE) or access.new_form_secret()
        token = request.path_params["token"]
        language = self.language(request)
        help_ = getattr(request.state, "portal_help", None)
        style = style_of(help_.branding) if help_ is not None else None
        values.setdefault("here", request.url.path)
        html = self.templates.get_template(template).render(
            title=i18n.translator(language)(title),
            token=token,
            csrf=access.form_token(self.services, secret, token),
            help=help_,
            brand_style=style,
            **i18n.page_values(language),
            **values,
        )
        response = HTMLResponse(html)
        if FORM_COOKIE not in request.cookies:
            response.set_cookie(
                FORM_COOKIE,
                secret,
                path="/p/",
                secure=is_secure(request),
                httponly=True,
                samesite="lax",
            )
        return secured(request, response, style=style)

    def _problem(self, request: Request, status: int, title: str, message: str) -> Response:
        language = self.language(request)
        translate = i18n.translator(language)
        html = self.templates.get_template("problem.html").render(
            title=translate(title),
            message=translate(message),
            token=request.path_params.get("token", ""),
            help=getattr(request.state, "portal_help", None),
            here=request.url.path,
            **i18n.page_values(language),
        )
        return secured(request, HTMLResponse(html, status_code=status))

    def _redirect(self, request: Request, path: str) -> Response:
        return secured(request, RedirectResponse(path, status_code=303))
