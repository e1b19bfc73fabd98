"""The portal's pay pages: the pay form on each debt, the form posted, and the confirmation.

A debt that is not the link's (another customer's id posted, a closed debt) gets one plain
refusal that says nothing about it. A form error (amount, card) shows the form again with
the error beside its field. The card number is used for the one request and never shown
back, stored or logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.ratelimit import RateLimiter
from hub.domain.errors import DomainError
from hub.domain.portal import PortalLink
from hub.domain.portal_overview import Debt, NextStep
from hub.domain.portal_payment import PaymentProvider, amount_input
from hub.services import portal_payments as paying
from hub.services import stripe_payments
from hub.services.context import ServiceContext
from hub.services.portal_overview import overview
from hub.web.i18n import N_
from hub.web.portal_session import session_link
from hub.web.security import allow_form_target, secured


class Portal(Protocol):
    """What the pay pages use of the portal's pages (``hub.web.portal.Portal``)."""

    services: ServiceContext
    templates: Environment

    async def _refused(self, request: Request, bucket: RateLimiter | None) -> Response | None: ...

    def _render(self, request: Request, template: str, title: str, **values: Any) -> Response: ...

    def _problem(self, request: Request, status: int, title: str, message: str) -> Response: ...


_FIELDS = ("account", "amount", "card", "attempt")
_WAITING = {NextStep.WAIT_DISPUTE, NextStep.WAIT_HOLD}


class PortalPay:
    """Paying a debt from the portal through a ``PaymentProvider``."""

    def __init__(self, portal: Portal, providers: list[PaymentProvider]) -> None:
        self.portal = portal
        self.services = portal.services
        #: In the order they are chosen (``stripe_payments.providers``); the last, the
        #: sandbox provider, answers a collector no provider serves (it refuses).
        self.providers = providers
        portal.templates.globals["amount_input"] = amount_input

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/p/{token}/pay", self.pay, methods=["POST"]),
            Route("/p/{token}/payments/{payment_id}", self.confirmation, methods=["GET"]),
        ]

    async def _provider(self, link: PortalLink) -> PaymentProvider | None:
        """The provider taking payments for the link's collector, if one serves it."""
        collector = link.agency_id or link.creditor_id
        return await stripe_payments.provider_for(self.services, self.providers, collector)

    @staticmethod
    def _allow(request: Request, provider: PaymentProvider | None) -> None:
        """The page's pay form may end at the provider's own page (Stripe Checkout)."""
        origin = getattr(provider, "form_origin", None)
        if isinstance(origin, str):
            allow_form_target(request, origin)

    async def overview_values(
        self, request: Request, link: PortalLink, debts: Sequence[Debt]
    ) -> dict[str, Any]:
        """What the overview's pay forms need: which debts take payments, and an attempt."""
        provider = await self._provider(link)
        self._allow(request, provider)
        serves = provider is not None
        payable = {d.account_id for d in debts if serves and d.next_step not in _WAITING}
        return {
            "payable": payable,
            "attempt": paying.new_attempt(self.services, link) if payable else "",
            "asks_for_card": provider is not None and provider.asks_for_card,
        }

    async def _link(self, request: Request) -> PortalLink | None:
        return await session_link(self.services, request)

    async def pay(self, request: Request) -> Response:
        token = request.path_params["token"]
        form = await request.form(max_fields=len(_FIELDS) + 1)  # kept for ``_refused``
        refused = await self.portal._refused(request, None)
        if refused is not None:
            return refused
        link = await self._link(request)
        if link is None:
            return secured(request, RedirectResponse(f"/p/{token}", status_code=303))
        typed = {name: form.get(name) for name in _FIELDS}
        values = {k: v if isinstance(v, str) else "" for k, v in typed.items()}
        provider = await self._provider(link) or self.providers[-1]
        try:
            started = await paying.start_payment(
                self.services,
                link,
                provider,
                account_id=values["account"],
                amount=values["amount"],
                card=values["card"],
                attempt=values["attempt"],
                return_url=f"{request.base_url}p/{token}",
            )
        except DomainError as error:
            return await self._refusal(request, link, values, error, provider)
        if started.redirect_url is not None:
            return secured(request, RedirectResponse(started.redirect_url, status_code=303))
        location = f"/p/{token}/payments/{started.payment.id}"
        return secured(request, RedirectResponse(location, status_code=303))

    async def _refusal(
        self,
        request: Request,
        link: PortalLink,
        values: dict[str, str],
        error: DomainError,
        provider: PaymentProvider,
    ) -> Response:
        self._allow(request, provider)
        problem = error.problems[0]
        field_ = problem.field[0] if problem.field else ""
        if problem.code == "NOT_FOUND":
            return self.portal._problem(
                request, 404, N_("Not available"), N_("This debt cannot be paid here.")
            )
        if problem.code == "PORTAL_FORM_EXPIRED":
            return self.portal._problem(
                request,
                403,
                N_("Please try again"),
                N_("This form has expired. Go back and reload."),
            )
        if field_ not in {"amount", "card"}:
            field_, message = "amount", _message(problem.code, problem.message)
        else:
            message = _message(problem.code, problem.message)
        debt = await self._debt(link, values["account"])
        response = self.portal._render(
            request,
            "pay.html",
            "Pay",
            debt=debt,
            errors={field_: message},
            amount=values["amount"],
            attempt=paying.new_attempt(self.services, link),
            asks_for_card=provider.asks_for_card,
        )
        response.status_code = 400
        return response

    async def _debt(self, link: PortalLink, account_id: str) -> Debt | None:
        debts = await overview(self.services, link)
        return next((d for d in debts if d.account_id == account_id), None)

    async def confirmation(self, request: Request) -> Response:
        token = request.path_params["token"]
        link = await self._link(request)
        if link is None:
            return secured(request, RedirectResponse(f"/p/{token}", status_code=303))
        payment = await paying.link_payment(self.services, link, request.path_params["payment_id"])
        if payment is None:
            return self.portal._problem(
                request, 404, N_("Not available"), N_("There is no such payment.")
            )
        return self.portal._render(request, "pay_done.html", N_("Payment"), payment=payment)


def _message(code: str, message: str) -> str:
    """What the form says for a refusal from the account's rules."""
    if code == "OVERPAYMENT":
        return N_("That is more than you owe, counting payments still being processed.")
    if code == "PAYMENTS_UNAVAILABLE":
        return N_("Paying here is not available yet.")
    if code == "IDEMPOTENCY_KEY_REUSED":
        return N_(
            "This form was already sent with other details. Check your payments, then try again."
        )
    if code in {"ACCOUNT_CLOSED", "CONCURRENT_CHANGE"}:
        return N_("This debt cannot be paid just now. Reload the page and try again.")
    return message


#: The refusals of ``hub.domain.portal_payment`` the form shows as they are: in the catalogs,
#: so the page shows them in its language.
DOMAIN_MESSAGES = (
    N_("Enter an amount as a number, such as 250.00."),
    N_("Enter an amount more than zero."),
    N_("That is more than you owe."),
    N_("Enter the card number: 12 to 19 digits."),
    N_("That card number is not right. Check it."),
    N_("This is a test organization: use a test card, such as 4242 4242 4242 4242."),
)
