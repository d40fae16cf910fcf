"""Login throttling: failed logins are counted per username and client address (hashed) in
the shared cache (Redis, or the database cache without it), so every app server sees them.
After LOGIN_FAILURES_ALLOWED failures the pair is locked out for LOGIN_LOCKOUT seconds, and
even the right password is refused until then."""

from __future__ import annotations

import hashlib

from django.core.cache import caches

from undersigned.lib.http import ip_hash

LOGIN_FAILURES_ALLOWED = 5
LOGIN_LOCKOUT = 15 * 60  # seconds


def _key(username: str, ip: str) -> str:
    # Neither the username nor the address is kept in the cache, only a digest of both.
    pair = f"{username.strip().casefold()}|{ip_hash(ip)}"
    return "login-failures:" + hashlib.sha256(pair.encode()).hexdigest()


def login_locked(username: str, ip: str) -> bool:
    return bool(caches["default"].get(_key(username, ip) + ":locked"))


def login_failed(username: str, ip: str) -> bool:
    """Count a failed login; True when this failure locks the pair out."""
    cache = caches["default"]
    key = _key(username, ip)
    if cache.add(key, 1, LOGIN_LOCKOUT):
        failures = 1
    else:
        try:
            failures = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, LOGIN_LOCKOUT)
            failures = 1
        # The database cache's incr() resets the expiry to the default; set ours again.
        cache.touch(key, LOGIN_LOCKOUT)
    if failures >= LOGIN_FAILURES_ALLOWED:
        cache.set(key + ":locked", 1, LOGIN_LOCKOUT)
        cache.delete(key)
        return True
    return False


def login_throttle_reset(username: str, ip: str) -> None:
    """Forget the failures (after a successful login)."""
    key = _key(username, ip)
    caches["default"].delete_many([key, key + ":locked"])
