"""The portal's plan pages: the debtor picks a cadence, a first date and an amount within
the collecting agency's offer, sees the schedule, and confirms it.

Screens: the plan form sits on the overview, under each debt that may have one (and on
``/p/<token>/plan/<account>`` when it comes back with a problem); posting it shows the
schedule (``plan_preview.html``) with a confirm button that posts the same choice again;
confirming agrees the plan (``hub.services.portal_plan.confirm``) and redirects to the
confirmation page. Every refusal is the form again with the reason beside the field; a
debt that is not the link's own is "not found" (404), the same as one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol
from urllib.parse import urlencode

from starlette.datastructures import FormData, ImmutableMultiDict
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hub.auth.ratelimit import RateLimiter
from hub.domain.errors import DomainError
from hub.domain.money import Money
from hub.domain.payment_plan import Cadence
from hub.domain.plan_offers import parse_amount
from hub.domain.portal import PortalLink
from hub.services import portal_plan as plans
from hub.services.context import ServiceContext
from hub.services.portal_plan import PlanChoice, PlanRequest
from hub.web.i18n import N_
from hub.web.portal_session import session_link


class Portal(Protocol):
    """What the plan pages use of ``hub.web.portal.Portal``: its services, its CSRF and rate
    limit checks, and its way of rendering pages, problems and redirects."""

    services: ServiceContext

    async def _refused(self, request: Request, bucket: RateLimiter | None) -> Response | None: ...

    def _render(self, request: Request, template: str, title: str, **values: Any) -> Response: ...

    def _problem(self, request: Request, status: int, title: str, message: str) -> Response: ...

    def _redirect(self, request: Request, path: str) -> Response: ...


_FIELDS = ("cadence", "first_date", "installment")


def _field(form: ImmutableMultiDict[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip()[:40] if isinstance(value, str) else ""


def _request_of(form: FormData, choice: PlanChoice) -> PlanRequest:
    """The debtor's choice from the form's fields, or the refusal of the first bad one."""
    try:
        cadence = Cadence(_field(form, "cadence"))
    except ValueError:
        raise DomainError.of("CADENCE_NOT_OFFERED", "choose a cadence", "cadence") from None
    try:
        first = dt.date.fromisoformat(_field(form, "first_date"))
    except ValueError:
        raise DomainError.of("INVALID_START_DATE", "choose a date", "startDate") from None
    installment = parse_amount(_field(form, "installment"), choice.account.currency)
    return PlanRequest(cadence, first, installment)


class PlanPages:
    """The plan routes of the portal, rendered and guarded by its ``Portal``."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal
        self.services = portal.services

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/p/{token}/plan/{account}", self.form_page, methods=["GET"]),
            Route("/p/{token}/plan/{account}", self.preview, methods=["POST"]),
            Route("/p/{token}/plan/{account}/confirm", self.confirm, methods=["POST"]),
            Route("/p/{token}/plan/{account}/done", self.done, methods=["GET"]),
        ]

    async def _link(self, request: Request) -> PortalLink | None:
        return await session_link(self.services, request)

    def _to_start(self, request: Request) -> Response:
        return self.portal._redirect(request, f"/p/{request.path_params['token']}")

    def _not_found(self, request: Request) -> Response:
        return self.portal._problem(
            request,
            404,
            N_("Not found"),
            N_("We could not find that debt. Go back to your overview."),
        )

    async def form_page(self, request: Request) -> Response:
        link = await self._link(request)
        if link is None:
            return self._to_start(request)
        try:
            choice = await plans.plan_choice(self.services, link, request.path_params["account"])
        except DomainError:
            return self._not_found(request)
        # "Change it" on the schedule comes back with the choice in the query.
        values = {k: _field(request.query_params, k) for k in _FIELDS}
        return self._form(request, choice, {k: v for k, v in values.items() if v}, None, 200)

    async def preview(self, request: Request) -> Response:
        return await self._post(request, confirm=False)

    async def confirm(self, request: Request) -> Response:
        return await self._post(request, confirm=True)

    async def _post(self, request: Request, *, confirm: bool) -> Response:
        refused = await self.portal._refused(request, None)
        if refused is not None:
            return refused
        link = await self._link(request)
        if link is None:
            return self._to_start(request)
        account_id = request.path_params["account"]
        try:
            choice = await plans.plan_choice(self.services, link, account_id)
        except DomainError:
            return self._not_found(request)
        form = await request.form()
        values = {k: _field(form, k) for k in _FIELDS}
        try:
            wanted = _request_of(form, choice)
            if confirm:
                await plans.confirm(self.services, link, account_id, wanted)
                token = request.path_params["token"]
                return self.portal._redirect(request, f"/p/{token}/plan/{account_id}/done")
            _, schedule = await plans.preview(self.services, link, account_id, wanted)
        except DomainError as error:
            if error.code == "NOT_FOUND":
                return self._not_found(request)
            return self._form(request, choice, values, error.code, 422)
        return self.portal._render(
            request,
            "plan_preview.html",
            N_("Check your payment plan"),
            choice=choice,
            wanted=wanted,
            values=values,
            schedule=schedule,
            change=urlencode(values),
            Money=Money,
        )

    async def done(self, request: Request) -> Response:
        link = await self._link(request)
        if link is None:
            return self._to_start(request)
        found = await plans.running_plan(self.services, link, request.path_params["account"])
        if found is None:
            return self._not_found(request)
        account, plan = found
        return self.portal._render(
            request,
            "plan_done.html",
            N_("Your payment plan is set up"),
            account=account,
            plan=plan,
            Money=Money,
        )

    def _form(
        self,
        request: Request,
        choice: PlanChoice,
        values: dict[str, str],
        problem: str | None,
        status: int,
    ) -> Response:
        response = self.portal._render(
            request,
            "plan.html",
            N_("Set up a payment plan"),
            choice=choice,
            values=values,
            problem=problem,
        )
        response.status_code = status
        return response
