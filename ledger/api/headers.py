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

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


class SecurityHeaders:
    """ASGI middleware adding the headers above to every response.

    Plain ASGI (it edits the response start message): no task group or body stream per
    request as a ``@app.middleware("http")`` function would cost.
    """

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to its response's start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        personal = str(scope.get("path", "")).startswith(PERSONAL_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ALWAYS.items():
                    if name not in headers:
                        headers[name] = value
                if personal:
                    headers["Cache-Control"] = "no-store"
                html = headers.get("content-type", "").startswith("text/html")
                if html and "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = CSP.format(hashes="")
            await send(message)

        await self.app(scope, receive, send_with_headers)
