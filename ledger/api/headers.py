"""Security headers: no sniffing, no framing, no caching of personal data, CSP on HTML pages.

- every response: ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``,
  ``Referrer-Policy: no-referrer``, ``Permissions-Policy`` (no camera, microphone,
  geolocation, payment, USB, interest cohort);
- HTML pages: ``Content-Security-Policy`` with ``frame-ancestors 'none'``, scripts and styles
  from the server itself only (no inline script or style). A page that sets its own policy
  keeps it (the API documentation pages: see :func:`docs_csp`);
- ``/v1/…`` (dossiers, identities, the caller's token details): ``Cache-Control: no-store``.
  Public, cacheable documents (status lists, DID documents, the transparency log) keep their
  own caching headers.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable

from fastapi import Request, Response

ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
}
CSP = (
    "default-src 'self'; script-src 'self'{hashes}; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)
PERSONAL_PREFIXES = ("/v1/",)
DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})
"""Still FastAPI's pages loading Swagger UI/ReDoc from a CDN: no CSP until served offline."""


def inline_script_hashes(html: bytes) -> list[str]:
    """CSP source expressions (``'sha256-…'``) for the inline scripts of a page."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode() + "'"
        for m in _INLINE_SCRIPT.finditer(html)
    ]


def docs_csp(html: bytes, cdn: str = "") -> str:
    """The policy of a framework-generated documentation page: its inline scripts by hash."""
    hashes = "".join(" " + h for h in inline_script_hashes(html))
    policy = CSP.format(hashes=hashes + (" " + cdn if cdn else ""))
    return policy.replace("style-src 'self'", "style-src 'self'" + (" " + cdn if cdn else ""))


async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Middleware adding the headers above."""
    response = await call_next(request)
    for name, value in ALWAYS.items():
        response.headers.setdefault(name, value)
    if request.url.path.startswith(PERSONAL_PREFIXES):
        response.headers["Cache-Control"] = "no-store"
    html = response.headers.get("content-type", "").startswith("text/html")
    if html and request.url.path not in DOCS_PATHS and "content-security-policy" not in response.headers:
        response.headers["Content-Security-Policy"] = CSP.format(hashes="")
    return response
