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


def inline_script_hashes(html: bytes) -> list[str]:
    """CSP source expressions (``'sha256-…'``) for the inline scripts of a page."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode() + "'"
        for m in _INLINE_SCRIPT.finditer(html)
    ]


def docs_csp(html: bytes, inline_styles: bool = False) -> str:
    """The policy of a framework-generated documentation page: its inline scripts by hash.

    Scripts, styles and fonts from the server itself only (:mod:`ledger.api.docs`).
    ``inline_styles``: allow ``<style>`` elements written by the page's script, and workers
    made by it from ``blob:`` URLs (ReDoc: its styled-components take no nonce from outside its
    bundle; its search index runs in such a worker); scripts stay hash-only.
    """
    hashes = "".join(" " + h for h in inline_script_hashes(html))
    policy = CSP.format(hashes=hashes)
    if inline_styles:
        policy = policy.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'") + "; worker-src blob:"
    return policy


async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Middleware adding the headers above."""
    response = await call_next(request)
    for name, value in ALWAYS.items():
        response.headers.setdefault(name, value)
    if request.url.path.startswith(PERSONAL_PREFIXES):
        response.headers["Cache-Control"] = "no-store"
    html = response.headers.get("content-type", "").startswith("text/html")
    if html and "content-security-policy" not in response.headers:
        response.headers["Content-Security-Policy"] = CSP.format(hashes="")
    return response
