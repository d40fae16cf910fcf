"""Background jobs that email signers. Each is idempotent: it sends what the sign-on says
is owed and clears it, so a job run twice, or requeued after a crash, does no harm."""

from __future__ import annotations

import logging

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django_tasks import task

from undersigned.lib.emails import render_email
from undersigned.lib.tokens import make_token
from undersigned.signatures.models import EmailOwed, Signature
from undersigned.signatures.services import signature_mark_emailed

logger = logging.getLogger(__name__)


def signature_links(signature: Signature) -> dict[str, str]:
    slug = signature.statement.slug
    with translation.override(signature.language):
        confirm = reverse(
            "signatures:confirm",
            kwargs={"slug": slug, "token": make_token("confirm", signature.pk, signature.nonce)},
        )
        withdraw = reverse(
            "signatures:withdraw",
            kwargs={"slug": slug, "token": make_token("withdraw", signature.pk, signature.nonce)},
        )
        statement = reverse("statements:detail", kwargs={"slug": slug})
    return {
        "confirm_url": settings.BASE_URL + confirm,
        "withdraw_url": settings.BASE_URL + withdraw,
        "statement_url": settings.BASE_URL + statement,
    }


@task()
def send_signature_email(signature_id: int) -> str:
    signature = (
        Signature.objects.select_related("statement", "statement__current_version")
        .filter(pk=signature_id)
        .first()
    )
    if signature is None or not signature.email_owed:
        return "nothing owed"
    owed = signature.email_owed
    template = {EmailOwed.CONFIRM: "confirm", EmailOwed.REPEAT: "repeat"}[EmailOwed(owed)]
    context = {
        "signature": signature,
        "statement_title": signature.statement.title(signature.language),
        **signature_links(signature),
    }
    message = render_email(template, context, to=[signature.email], language=signature.language)
    # Sent outside any transaction: a slow mail server must not hold the database's write lock.
    message.send()
    signature_mark_emailed(signature_id=signature.pk, owed=owed)
    return f"sent {template}"
