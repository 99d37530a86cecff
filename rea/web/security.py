"""The browser's side of access: the link cookie, CSRF tokens, and the headers of every answer.

A reviewer's personal link (``/login/TOKEN``) puts its token into an HttpOnly, SameSite cookie;
every request is checked against the store (a revoked link stops working at once). Every state
change needs a CSRF token: an HMAC of the link's hash under a key made when the server starts,
sent in the ``X-CSRF-Token`` header (scripts) or a ``csrf`` form field (forms), plus a same-origin
check of the ``Origin`` header when the browser sends one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

COOKIE = "rea_link"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"

#: No inline script or style, nothing from another origin: every asset ships in the package.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin: links to other sites get no referrer, and form posts keep their Origin
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class CsrfKeys:
    """Makes and checks CSRF tokens bound to one link (its token's hash)."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def token_for(self, link_hash: str) -> str:
        return hmac.new(self._key, link_hash.encode("ascii"), hashlib.sha256).hexdigest()

    def valid(self, link_hash: str, given: str | None) -> bool:
        if not given:
            return False
        return hmac.compare_digest(self.token_for(link_hash), given)


def same_origin(origin: str | None, host_url: str) -> bool:
    """True when the request's ``Origin`` (if the browser sent one) is this server's."""
    if origin is None:
        return True
    if origin == "null":
        return False
    a, b = urlsplit(origin), urlsplit(host_url)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)
