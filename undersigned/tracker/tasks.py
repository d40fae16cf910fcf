"""The job that tells signers a demand's status changed. Idempotent: each (assessment,
signer) pair is recorded, and a pair already sent is skipped, so a job run twice or
requeued after a crash does not email anyone twice."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.urls import reverse
from django.utils import translation
from django_tasks import task

from undersigned.lib.emails import render_email
from undersigned.signatures.models import Signature
from undersigned.signatures.models import Status as SignatureStatus
from undersigned.signatures.tasks import signature_links
from undersigned.tracker.models import Assessment, ReviewState, StatusEmail
from undersigned.tracker.services import status_email_mark_sent

logger = logging.getLogger(__name__)

# Signers who are counted or waiting only for an organizer's approval.
RECIPIENT_STATUSES = (SignatureStatus.CONFIRMED, SignatureStatus.APPROVED)


def render_tracker_email(
    template: str, context: dict[str, Any], *, to: Sequence[str], language: str
) -> EmailMultiAlternatives:
    """undersigned.lib.emails.render_email, from the tracker's templates."""
    return render_email(template, context, to=to, language=language, folder="tracker/emails")


def _still_news(assessment: Assessment) -> bool:
    """The status this entry reports is still the demand's public status. When a later entry
    already changed it again, that entry's own job tells the signers."""
    latest = (
        Assessment.objects.filter(demand=assessment.demand)
        .exclude(review_state=ReviewState.DRAFT)
        .order_by("-as_of", "-id")
        .first()
    )
    return latest is not None and latest.status == assessment.status


@task()
def send_demand_status_emails(assessment_id: int) -> str:
    assessment = (
        Assessment.objects.select_related(
            "demand__statement__current_version", "demand__tracking", "supersedes"
        )
        .filter(pk=assessment_id)
        .first()
    )
    if assessment is None or assessment.demand is None or not _still_news(assessment):
        return "nothing to send"
    demand = assessment.demand
    previous = (
        Assessment.objects.filter(demand=demand, pk__lt=assessment.pk)
        .exclude(review_state=ReviewState.DRAFT)
        .order_by("-as_of", "-id")
        .first()
    )
    recipients = Signature.objects.filter(
        statement_id=demand.statement_id, wants_updates=True, status__in=RECIPIENT_STATUSES
    ).select_related("statement")
    sent = 0
    # One SMTP connection for the whole batch; each message is sent outside any transaction,
    # so a slow mail server never holds the database's write lock.
    with get_connection() as connection:
        for signature in recipients.iterator(chunk_size=500):
            record, _created = StatusEmail.objects.get_or_create(
                assessment=assessment, signature=signature
            )
            if record.sent_at is not None:
                continue
            language = signature.language
            with translation.override(language):
                page = reverse("tracker:demands", kwargs={"slug": demand.statement.slug})
            context = {
                "signature": signature,
                "language": language,
                "statement_title": demand.statement.title(language),
                "demand": demand,
                "demand_text": demand.text(language),
                "assessment": assessment,
                "previous": previous,
                "demands_url": f"{settings.BASE_URL}{page}#demand-{demand.number}",
                **signature_links(signature),
            }
            message = render_tracker_email(
                "demand_status", context, to=[signature.email], language=language
            )
            message.connection = connection
            message.send()
            status_email_mark_sent(email_id=record.pk)
            sent += 1
    logger.info("assessment %s: told %s signers", assessment_id, sent)
    return f"sent {sent}"
