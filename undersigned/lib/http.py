"""Request helpers: the client's address (behind trusted proxies only) and its salted hash."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address; X-Forwarded-For is believed only from TRUSTED_PROXIES."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if not settings.TRUSTED_PROXIES:
        return remote
    chain = [remote]
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    chain = [p.strip() for p in forwarded.split(",") if p.strip()] + chain
    # Walk from the nearest hop outward, skipping our own proxies.
    for hop in reversed(chain):
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            return remote
        if not any(address in net for net in settings.TRUSTED_PROXIES):
            return hop
    return chain[0]


def cross_site(request: HttpRequest) -> bool:
    """Whether the visitor's browser says another site's page sent this request, decided as
    Go's net/http.CrossOriginProtection does: by Sec-Fetch-Site (Fetch Metadata, sent by every
    current browser), else by Origin; an origin in CSRF_TRUSTED_ORIGINS is never cross-site. A
    request that says neither (a script, a very old browser) was not forged by a page."""
    # From META: request.headers would copy every header (and, under a WSGI server, every
    # environment variable) into a new mapping for the two it needs.
    origin = request.META.get("HTTP_ORIGIN")
    if origin is not None and origin in settings.CSRF_TRUSTED_ORIGINS:
        return False
    site = request.META.get("HTTP_SEC_FETCH_SITE")
    if site is not None:
        return site not in ("same-origin", "none")
    if origin is None:
        return False
    return origin != f"{request.scheme}://{request.get_host()}"


def ip_hash(ip: str) -> str:
    """A salted, keyed hash of an address: equal for equal addresses, useless without the key."""
    if not ip:
        return ""
    key = hashlib.sha256(f"undersigned.ip:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()[:32]
