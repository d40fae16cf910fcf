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


def ip_hash(ip: str) -> str:
    """A salted, keyed hash of an address: equal for equal addresses, useless without the key."""
    if not ip:
        return ""
    key = hashlib.sha256(f"undersigned.ip:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()[:32]
