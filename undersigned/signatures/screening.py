"""Quiet screening of sign-ons: what looks automated or abusive is held for review, not
refused, so the signer's screen is the same and a bot learns nothing.

Held sign-ons are stored with a `hold_reason` and are not counted until a moderator
releases them. Each statement's limits and allow/block lists are set in the console
(moderation.ScreeningLimits, ScreeningRule); limits it leaves empty come from settings
(RATE_LIMIT_PER_MINUTE, RATE_LIMIT_PER_HOUR, MIN_FILL_SECONDS). RATE_LIMITS=off turns the
address limits off for benchmarks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.db.models import Count, Q
from django.utils import timezone

from undersigned.moderation.rules import Screening
from undersigned.moderation.selectors import screening_for
from undersigned.signatures.models import Signature
from undersigned.statements.models import Statement

_STARTED_SALT = "undersigned.form-started"


def form_started_token() -> str:
    """A signed timestamp put in the form when it is handed out (to the second, so one is
    signed per second, not per page view)."""
    return _started_token(int(time.time()), settings.SECRET_KEY)


@lru_cache(maxsize=4)
def _started_token(second: int, key: str) -> str:
    return signing.dumps(second, key=key, salt=_STARTED_SALT)


# A form's start time is good for a week.
_STARTED_MAX_AGE = 7 * 24 * 3600


@lru_cache(maxsize=4096)
def _handed_out(token: str) -> int | None:
    """When the form carrying `token` was handed out (a Unix second), or None if the token is
    not one of ours. One token is signed per second for every visitor, so in a flood most
    sign-ons carry one already checked: kept, the check (an HMAC, base64 and JSON) is skipped.
    The age is checked by the caller, every time."""
    try:
        return int(signing.loads(token, salt=_STARTED_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class FormTrace:
    """What an HTML form tells about how it was filled in: the hidden field a person leaves
    empty, and the signed time the form was handed out (form_started_token)."""

    honeypot: str = ""
    started: str = ""


def form_suspicion(form: FormTrace, *, min_seconds: int | None = None) -> str:
    """Why an HTML form submission looks automated, or "" when it does not. With
    `min_seconds` None the fill time is not checked (an allowed sender)."""
    if form.honeypot:
        return "filled in the hidden field"
    handed_out = _handed_out(form.started)
    if handed_out is None:
        return "no valid form start time"
    seconds = time.time() - handed_out
    if seconds > _STARTED_MAX_AGE:
        return "no valid form start time"
    if min_seconds is not None and seconds < min_seconds:
        return f"form filled in {seconds:.1f} s"
    return ""


def address_suspicion(*, statement: Statement, ip_hash: str, screening: Screening) -> str:
    """Why the number of recent sign-ons from this address looks like a flood, or "".

    Counts the sign-ons already stored (index signature_ip_recent): no counter to write on the
    hot path, and the same answer on every app server."""
    if not settings.RATE_LIMITS or not ip_hash:
        return ""
    per_minute, per_hour = screening.per_minute, screening.per_hour
    now = timezone.now()
    recent = Signature.objects.filter(
        statement=statement, ip_hash=ip_hash, created_at__gte=now - timedelta(hours=1)
    ).aggregate(
        minute=Count("id", filter=Q(created_at__gte=now - timedelta(minutes=1))),
        hour=Count("id"),
    )
    if recent["minute"] >= per_minute:
        return f"over {per_minute} sign-ons a minute from one address"
    if recent["hour"] >= per_hour:
        return f"over {per_hour} sign-ons an hour from one address"
    return ""


def screen(
    *, statement: Statement, ip: str, ip_hash: str, email: str, form: FormTrace | None
) -> str:
    """Why this sign-on should be held for review, or "". In order: the statement's block
    list; the form's hidden field and start time; unless the sender is on the allow list,
    the fill time and the address's rate limits. `ip` is the raw client address, used here
    to match ranges and never stored."""
    screening = screening_for(statement.pk)
    if screening.block and (matched := screening.block.match(ip=ip, email=email)):
        return f"blocked {matched}"
    allowed = bool(screening.allow) and bool(screening.allow.match(ip=ip, email=email))
    if form is not None:
        reason = form_suspicion(form, min_seconds=None if allowed else screening.min_fill_seconds)
        if reason:
            return reason
    if allowed:
        return ""
    return address_suspicion(statement=statement, ip_hash=ip_hash, screening=screening)
