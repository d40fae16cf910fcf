"""Background jobs that email signers. Each is idempotent: it sends what the sign-on says
is owed and clears it, so a job run twice, or requeued after a crash, does no harm."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django_tasks import task

from undersigned.lib import cpu
from undersigned.lib.emails import render_email
from undersigned.lib.paths import kept_path
from undersigned.lib.tokens import make_token
from undersigned.signatures.models import EmailOwed, Signature
from undersigned.signatures.services import signature_mark_emailed

logger = logging.getLogger(__name__)


# Stands for the token in the kept paths; tokens are URL-safe base64 and ":", which reverse()
# leaves as they are.
_SLOT = "SLOT"


def _around_token(view: str, slug: str, language: str) -> tuple[str, str]:
    """A link's path, kept once per statement and language (lib.paths), as the parts before
    and after its token. Three reverse() calls an email took 0.23 of the 1.75 CPU ms the
    worker spent on it; with the paths kept, the links took 0.11, most of it the two signed
    tokens (notes on #8). Looking them up through lib.paths, not a cache of this module's own,
    costs about 10 µs more an email (52-55 against 62-63 µs for the links, 3 rounds)."""
    path = kept_path(view, language=language, slug=slug, token=_SLOT)
    # The token is the last part of the path, so the last match is it, whatever the slug.
    before, _, after = path.rpartition(_SLOT)
    return before, after


def signature_links(signature: Signature) -> dict[str, str]:
    slug, language = signature.statement.slug, signature.language
    confirm = _around_token("signatures:confirm", slug, language)
    withdraw = _around_token("signatures:withdraw", slug, language)
    confirm_token = make_token("confirm", signature.pk, signature.nonce)
    withdraw_token = make_token("withdraw", signature.pk, signature.nonce)
    return {
        "confirm_url": settings.BASE_URL + confirm[0] + confirm_token + confirm[1],
        "withdraw_url": settings.BASE_URL + withdraw[0] + withdraw_token + withdraw[1],
        "statement_url": settings.BASE_URL
        + kept_path("statements:detail", language=language, slug=slug),
    }


def _send(signature: Signature, connection: BaseEmailBackend | None = None) -> str:
    """Send what `signature` (one of _owed's) is owed, then mark it sent."""
    owed = signature.email_owed
    template = {EmailOwed.CONFIRM: "confirm", EmailOwed.REPEAT: "repeat"}[EmailOwed(owed)]
    context = {
        "signature": signature,
        "statement_title": signature.statement.title(signature.language),
        **signature_links(signature),
    }
    message = render_email(template, context, to=[signature.email], language=signature.language)
    message.connection = connection
    # Sent outside any transaction: a slow mail server must not hold the database's write lock.
    message.send()
    signature_mark_emailed(signature_id=signature.pk, owed=owed)
    return f"sent {template}"


def _owed(signature_ids: list[int]) -> list[Signature]:
    """Those of these sign-ons that are still owed an email. The statement's text (every
    language's, about 11 KB for the demo's) is read once per job, not once per sign-on."""
    return list(
        Signature.objects.select_related("statement")
        .prefetch_related("statement__current_version")
        .filter(pk__in=signature_ids)
        .exclude(email_owed="")
        .order_by("pk")
    )


# In a flood, the worker steps aside (lib.cpu): after a job during which other processes kept
# more than BUSY of the machine's cores busy, it rests REST times as long as the job took (at
# most LONGEST_REST seconds). So while the servers are busy it sends for a fifth of the time,
# and at full speed once they are not. Jobs shorter than SHORTEST_MEASURED are not measured
# (/proc/stat counts hundredths of a second); in a flood, a job holds the sign-ons a server
# process committed in 50 ms, dozens of emails.
BUSY, REST, LONGEST_REST, SHORTEST_MEASURED = 0.5, 4.0, 2.0, 0.02


def _step_aside(before: cpu.Sample | None) -> float:
    """Rest if the machine was busy during the job that started at `before`; the rest."""
    after = cpu.sample()
    if before is None or after is None:
        return 0.0
    took = after.wall - before.wall
    if took < SHORTEST_MEASURED or cpu.others_busy(before, after) <= BUSY:
        return 0.0
    rest = min(took * REST, LONGEST_REST)
    time.sleep(rest)
    return rest


@task()
def send_signature_emails(signature_ids: list[int]) -> str:
    """The emails owed to these signers (the sign-ons a server process committed within
    50 ms), over one connection to the mail server. Each is marked sent as soon as it is
    out, so a crash halfway sends at most one of them twice."""
    started = cpu.sample()
    signatures = _owed(signature_ids)
    if not signatures:
        return "nothing owed"
    with get_connection() as connection:
        results = [_send(signature, connection) for signature in signatures]
    rest = _step_aside(started)
    return (
        f"{len(results)} of {len(signature_ids)}: "
        + ", ".join(sorted(set(results)))
        + (f"; rested {rest:.2f} s, the machine being busy" if rest else "")
    )


@task()
def send_signature_email(signature_id: int) -> str:
    """One signer's email. Kept for jobs queued before the batch task existed."""
    signatures = _owed([signature_id])
    return _send(signatures[0]) if signatures else "nothing owed"
