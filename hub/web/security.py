"""What every portal response carries: strict security headers and a content security
policy that allows only the hub's own stylesheet (and a page's one style block of a
creditor's colours, by its hash: no inline style attributes) and same-origin form posts.

``Referrer-Policy: no-referrer`` keeps the link's token out of any other site's logs;
``Cache-Control: no-store`` keeps personal pages out of shared and back-button caches.
"""

from __future__ import annotations

import base64
import hashlib

from starlette.requests import Request
from starlette.responses import Response

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "X-Robots-Tag": "noindex, nofollow",
}


def style_hash(style: str) -> str:
    """The CSP source that allows exactly this ``<style>`` block's text."""
    digest = hashlib.sha256(style.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def allow_form_target(request: Request, origin: str) -> None:
    """Let this request's page post a form that ends at ``origin``: a payment provider's
    own page (Stripe Checkout) the pay form's answer redirects to; browsers check
    ``form-action`` on the redirect too."""
    request.state.form_origin = origin


def secured(request: Request, response: Response, *, style: str | None = None) -> Response:
    """``response`` with the portal's headers (and HSTS when served over HTTPS); ``style``:
    the one ``<style>`` block the page carries (a creditor's colours), allowed by its hash;
    a form target ``allow_form_target`` set for the request is allowed too."""
    response.headers.update(HEADERS)
    policy = CONTENT_SECURITY_POLICY
    if style is not None:
        policy = policy.replace("style-src 'self'", f"style-src 'self' {style_hash(style)}")
    origin = getattr(request.state, "form_origin", None)
    if origin:
        policy = policy.replace("form-action 'self'", f"form-action 'self' {origin}")
    if policy != CONTENT_SECURITY_POLICY:
        response.headers["Content-Security-Policy"] = policy
    if request.url.scheme == "https":
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    return response


def is_secure(request: Request) -> bool:
    """Whether cookies may be marked ``Secure`` (the page came over HTTPS)."""
    return request.url.scheme == "https"
