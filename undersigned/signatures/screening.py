"""Quiet screening of sign-ons: what looks automated or abusive is held for review, not
refused, so the signer's screen is the same and a bot learns nothing.

Held sign-ons are stored with a `hold_reason` and are not counted until a moderator
releases them. Limits come from settings (RATE_LIMIT_PER_MINUTE, RATE_LIMIT_PER_HOUR,
MIN_FILL_SECONDS); RATE_LIMITS=off turns the address limits off for benchmarks.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db.models import Count, Q
from django.utils import timezone

from undersigned.signatures.models import Signature
from undersigned.statements.models import Statement

_STARTED_SALT = "undersigned.form-started"


def form_started_token() -> str:
    """A signed timestamp put in the form when it is handed out."""
    return signing.dumps(int(time.time()), salt=_STARTED_SALT)


def form_suspicion(*, honeypot: str, started: str) -> str:
    """Why an HTML form submission looks automated, or "" when it does not."""
    if honeypot:
        return "filled in the hidden field"
    try:
        handed_out = int(signing.loads(started, salt=_STARTED_SALT, max_age=7 * 24 * 3600))
    except (signing.BadSignature, TypeError, ValueError):
        return "no valid form start time"
    seconds = time.time() - handed_out
    if seconds < settings.MIN_FILL_SECONDS:
        return f"form filled in {seconds:.1f} s"
    return ""


def address_suspicion(*, statement: Statement, ip_hash: str) -> str:
    """Why the number of recent sign-ons from this address looks like a flood, or "".

    Counts the sign-ons already stored (index signature_ip_recent): no counter to write on the
    hot path, and the same answer on every app server."""
    if not settings.RATE_LIMITS or not ip_hash:
        return ""
    now = timezone.now()
    recent = Signature.objects.filter(
        statement=statement, ip_hash=ip_hash, created_at__gte=now - timedelta(hours=1)
    ).aggregate(
        minute=Count("id", filter=Q(created_at__gte=now - timedelta(minutes=1))),
        hour=Count("id"),
    )
    if recent["minute"] >= settings.RATE_LIMIT_PER_MINUTE:
        return f"over {settings.RATE_LIMIT_PER_MINUTE} sign-ons a minute from one address"
    if recent["hour"] >= settings.RATE_LIMIT_PER_HOUR:
        return f"over {settings.RATE_LIMIT_PER_HOUR} sign-ons an hour from one address"
    return ""
