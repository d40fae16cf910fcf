"""The job that emails an update to the signers who asked for updates. Idempotent: each
(update, signer) pair is recorded, and a pair already sent is skipped, so a job run twice or
requeued after a crash emails no one twice."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.mail import EmailMultiAlternatives, get_connection
from django.urls import reverse
from django.utils import translation
from django_tasks import task

from undersigned.delivery.models import Snapshot, Update, UpdateEmail
from undersigned.delivery.selectors import update_recipients
from undersigned.delivery.services import update_email_mark_sent
from undersigned.lib.emails import render_email
from undersigned.lib.tokens import make_token
from undersigned.signatures.models import Signature
from undersigned.signatures.tasks import signature_links

logger = logging.getLogger(__name__)


def unsubscribe_url(signature: Signature) -> str:
    token = make_token("unsubscribe", signature.pk, signature.nonce)
    with translation.override(signature.language):
        path = reverse(
            "delivery:unsubscribe", kwargs={"slug": signature.statement.slug, "token": token}
        )
    return settings.BASE_URL + path


def render_update_email(
    context: dict[str, Any], *, to: Sequence[str], language: str
) -> EmailMultiAlternatives:
    """undersigned.lib.emails.render_email, from this app's templates, with the headers of
    one-click unsubscribe."""
    message = render_email("update", context, to=to, language=language, folder="delivery/emails")
    # One-click unsubscribe (RFC 8058): mail programs show a button that POSTs to the link.
    message.extra_headers["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
    message.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


@task()
def send_update_emails(update_id: int) -> str:
    update = (
        Update.objects.select_related("statement__current_version").filter(pk=update_id).first()
    )
    if update is None or not update.notify:
        return "nothing to send"
    statement = update.statement
    recipients = update_recipients(statement).select_related("statement")
    sent = 0
    # One SMTP connection for the whole batch; each message is sent outside any transaction,
    # so a slow mail server never holds the database's write lock.
    with get_connection() as connection:
        for signature in recipients.iterator(chunk_size=500):
            record, _created = UpdateEmail.objects.get_or_create(update=update, signature=signature)
            if record.sent_at is not None:
                continue
            language = signature.language
            context = {
                "signature": signature,
                "language": language,
                "statement_title": statement.title(language),
                "update": update.text(language),
                "update_language": update.language_for(language),
                "unsubscribe_url": unsubscribe_url(signature),
                **signature_links(signature),
            }
            message = render_update_email(context, to=[signature.email], language=language)
            message.connection = connection
            message.send()
            update_email_mark_sent(email_id=record.pk)
            sent += 1
    logger.info("update %s: sent to %s signers", update_id, sent)
    return f"sent {sent}"


# The dossier PDF ------------------------------------------------------------------------------
# Laying out a PDF takes seconds to half a minute (see dossier.py): too long for a web request,
# so the console queues this job and shows its state. A snapshot never changes, so the PDF
# made once is kept in the shared cache (every app server sees it) and served from there.
DOSSIER_PDF_TIMEOUT = 7 * 24 * 3600


def dossier_pdf_key(snapshot_id: int, language: str) -> str:
    return f"dossier-pdf:{snapshot_id}:{language}"


def dossier_pdf_state(snapshot_id: int, language: str) -> dict[str, Any] | None:
    """{"state": "queued" | "running" | "ready" | "failed", "name", "pdf", "error"}, or None."""
    state: dict[str, Any] | None = caches["default"].get(dossier_pdf_key(snapshot_id, language))
    return state


def _set_state(snapshot_id: int, language: str, **state: Any) -> None:
    caches["default"].set(dossier_pdf_key(snapshot_id, language), state, DOSSIER_PDF_TIMEOUT)


@task()
def build_dossier_pdf(snapshot_id: int, language: str) -> str:
    from undersigned.delivery.dossier import DossierSource, DossierUnavailable, dossier_files

    snapshot = Snapshot.objects.select_related("statement", "version").filter(pk=snapshot_id)
    found = snapshot.first()
    if found is None:
        return "no such snapshot"
    current = dossier_pdf_state(snapshot_id, language) or {}
    if current.get("state") == "ready":
        return "already built"
    _set_state(snapshot_id, language, state="running", started=time.time())
    try:
        ((name, pdf),) = dossier_files(
            DossierSource.of_snapshot(found), formats=("pdf",), language=language
        )
    except DossierUnavailable as exc:
        logger.error("dossier PDF for snapshot %s: %s", snapshot_id, exc)
        _set_state(snapshot_id, language, state="failed", error=str(exc))
        return "failed"
    _set_state(snapshot_id, language, state="ready", name=name, pdf=pdf)
    return f"built {len(pdf)} bytes"
