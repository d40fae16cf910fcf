"""Retention: how long signers' data is kept (docs/privacy.md).

- A sign-on never confirmed is deleted PENDING_RETENTION_DAYS after it was made: it was never
  counted or listed, so no count changes.
- PRIVATE_FIELDS of every sign-on (email, phone, contact person, client address hash,
  referral) are erased ANONYMIZE_AFTER_CLOSE_DAYS after its statement closed. The public name,
  affiliation and place stay, and so do status and counts: the list and the totals are the
  campaign's record. The signer can no longer be emailed (updates stop).

`undersigned retention` shows what a pass would do and `--apply` does it; the email worker
applies it once a day. Each pass writes one audit entry per statement it changed, with counts
only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from undersigned.audit.models import AuditEntry
from undersigned.audit.services import audit_log
from undersigned.signatures.models import EmailOwed, Signature, Status
from undersigned.statements.models import Statement, StatementStatus


@dataclass
class RetentionReport:
    applied: bool
    # statement slug -> how many
    purged: dict[str, int] = field(default_factory=dict)
    anonymized: dict[str, int] = field(default_factory=dict)

    @property
    def purged_total(self) -> int:
        return sum(self.purged.values())

    @property
    def anonymized_total(self) -> int:
        return sum(self.anonymized.values())


def statement_closed_at(statement: Statement, now: datetime | None = None) -> datetime | None:
    """When signing ended for good: the closing time once past, or the moment an organizer
    closed (or delivered and closed) the statement. None while it may still collect."""
    now = now or timezone.now()
    if statement.status in {StatementStatus.DRAFT, StatementStatus.COLLECTING}:
        return None
    moments = []
    if statement.closes_at and statement.closes_at <= now:
        moments.append(statement.closes_at)
    if statement.status in {StatementStatus.CLOSED, StatementStatus.DELIVERED}:
        entry = (
            AuditEntry.objects.filter(
                statement_id=statement.pk,
                action__in=("statement.closed", "statement.delivered"),
            )
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        moments.append(entry or statement.updated_at)
    return min(moments) if moments else None


def _pending_expired(now: datetime) -> QuerySet[Signature]:
    cutoff = now - timedelta(days=settings.PENDING_RETENTION_DAYS)
    return Signature.objects.filter(status=Status.PENDING, created_at__lt=cutoff)


def _not_anonymized(statement: Statement) -> QuerySet[Signature]:
    return Signature.objects.filter(statement=statement).exclude(email="")


def anonymize_queryset(signatures: QuerySet[Signature], *, prefix: str) -> int:
    """Erase the private fields of these sign-ons in one UPDATE. The email key becomes
    `<prefix>:<id>`: unique, so the one-sign-on-per-address rule still holds, and the same
    address may sign again."""
    return signatures.update(
        email="",
        email_key=Concat(Value(f"{prefix}:"), Cast("id", output_field=CharField())),
        contact_name="",
        contact_title="",
        phone="",
        ip_hash="",
        referral="",
        wants_updates=False,
        email_owed=EmailOwed.NONE,
    )


def retention_run(*, apply: bool, now: datetime | None = None) -> RetentionReport:
    """One retention pass; with apply=False, only count what it would do."""
    now = now or timezone.now()
    report = RetentionReport(applied=apply)
    if settings.PENDING_RETENTION_DAYS:
        expired = _pending_expired(now)
        statement_ids = sorted(set(expired.values_list("statement_id", flat=True)))
        for statement in Statement.objects.filter(pk__in=statement_ids):
            with transaction.atomic():
                rows = _pending_expired(now).filter(statement=statement).select_for_update()
                ids = list(rows.values_list("pk", flat=True))
                if apply and ids:
                    Signature.objects.filter(pk__in=ids, status=Status.PENDING).delete()
                    audit_log(
                        action="retention.pending_purged",
                        obj=statement,
                        statement_id=statement.pk,
                        actor_label="retention",
                        data={"count": len(ids), "days": settings.PENDING_RETENTION_DAYS},
                    )
            if ids:
                report.purged[statement.slug] = len(ids)
    if settings.ANONYMIZE_AFTER_CLOSE_DAYS:
        horizon = now - timedelta(days=settings.ANONYMIZE_AFTER_CLOSE_DAYS)
        candidates = Statement.objects.exclude(
            status__in=[StatementStatus.DRAFT, StatementStatus.COLLECTING]
        ).filter(pk__in=Signature.objects.exclude(email="").values("statement_id"))
        for statement in candidates:
            closed_at = statement_closed_at(statement, now)
            if closed_at is None or closed_at > horizon:
                continue
            with transaction.atomic():
                if apply:
                    n = anonymize_queryset(_not_anonymized(statement), prefix="anonymized")
                    if n:
                        audit_log(
                            action="retention.anonymized",
                            obj=statement,
                            statement_id=statement.pk,
                            actor_label="retention",
                            data={"count": n, "days": settings.ANONYMIZE_AFTER_CLOSE_DAYS},
                        )
                else:
                    n = _not_anonymized(statement).count()
            if n:
                report.anonymized[statement.slug] = n
    return report
