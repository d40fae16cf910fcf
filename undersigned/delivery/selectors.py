"""Reads of snapshots, deliveries and updates. The public ones (for the statement page) show
only deliveries marked public, and never their private notes."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from undersigned.delivery.models import Delivery, DeliveryFile, Snapshot, SnapshotEntry, Update
from undersigned.signatures.exports import (
    LISTED,
    PUBLIC_EXPORT_COLUMNS,
    Table,
    public_entries,
    public_rows,
)
from undersigned.signatures.models import Signature
from undersigned.signatures.models import Status as SignatureStatus
from undersigned.signatures.selectors import PublicSignatory
from undersigned.statements.models import Kind, Statement, Target


def snapshot_get(statement: Statement, number: int | None = None) -> Snapshot | None:
    """The statement's snapshot with this number, or its latest."""
    snapshots = Snapshot.objects.filter(statement=statement).select_related("version")
    if number is None:
        return snapshots.order_by("-number").first()
    return snapshots.filter(number=number).first()


def delivered_snapshots(statement: Statement) -> QuerySet[Snapshot]:
    return Snapshot.objects.filter(statement=statement, deliveries__isnull=False).distinct()


def snapshot_listed(snapshot: Snapshot) -> QuerySet[SnapshotEntry]:
    """The frozen list, in the public list's order."""
    return SnapshotEntry.objects.filter(snapshot=snapshot, **LISTED).order_by(
        "group_rank", "sort_key", "id"
    )


def snapshot_entries(snapshot: Snapshot, *, language: str) -> Iterator[PublicSignatory]:
    """The frozen list with the signers' display choices applied, as the public list does."""
    return public_entries(snapshot_listed(snapshot), language)


def snapshot_table(snapshot: Snapshot, *, language: str) -> Table:
    rows = public_rows(snapshot_entries(snapshot, language=language), language)
    return Table(columns=PUBLIC_EXPORT_COLUMNS, rows=rows, total=snapshot.listed)


def target_name(target: Target, language: str) -> str:
    name = target.name_alt if language == "ko" and target.name_alt else target.name
    return ", ".join(part for part in (name, target.title) if part)


@dataclass
class DeliveryLine:
    """One public delivery, as the statement page says it: delivered on … to …"""

    delivered_on: datetime.date
    recipients: list[str]
    method: str
    is_addendum: bool


def public_deliveries(statement: Statement, *, language: str) -> list[DeliveryLine]:
    """The public record of deliveries, newest first; empty while the statement is not public."""
    if not statement.is_public:
        return []
    deliveries = (
        Delivery.objects.filter(statement=statement, is_public=True)
        .select_related("snapshot")
        .prefetch_related("targets")
        .order_by("-delivered_on", "-id")[:10]
    )
    lines = []
    for delivery in deliveries:
        recipients = [target_name(t, language) for t in delivery.targets.all()]
        if delivery.recipients:
            recipients.append(delivery.recipients)
        lines.append(
            DeliveryLine(
                delivered_on=delivery.delivered_on,
                recipients=recipients,
                method=delivery.get_method_display(),
                is_addendum=delivery.snapshot.is_addendum,
            )
        )
    return lines


def public_updates(statement: Statement) -> QuerySet[Update]:
    """Updates shown on the statement page, newest first."""
    return Update.objects.filter(statement=statement, published_at__lte=timezone.now()).order_by(
        "-published_at", "-id"
    )


def statement_page_record(statement: Statement, *, language: str) -> dict[str, Any]:
    """What the statement page shows of its deliveries and news (delivery/_statement.html)."""
    updates = [
        {
            "pk": update.pk,
            "title": update.text(language).get("title", ""),
            "language": update.language_for(language),
            "published_at": update.published_at,
        }
        for update in public_updates(statement)[:3]
    ]
    return {"deliveries": public_deliveries(statement, language=language), "updates": updates}


# For the console ------------------------------------------------------------------------------
# Signers who are counted or waiting only for an organizer's approval get updates.
RECIPIENT_STATUSES = (SignatureStatus.CONFIRMED, SignatureStatus.APPROVED)


def update_recipients(statement: Statement) -> QuerySet[Signature]:
    """The signers an update is emailed to: those who asked for updates and signed."""
    return Signature.objects.filter(
        statement=statement, wants_updates=True, status__in=RECIPIENT_STATUSES
    )


def update_recipients_by_language(statement: Statement) -> dict[str, int]:
    rows = update_recipients(statement).values_list("language").annotate(n=Count("id"))
    return dict(rows.values_list("language", "n"))


@dataclass
class UpdateProgress:
    update: Update
    sent: int
    recipients: int

    @property
    def done(self) -> bool:
        return not self.update.notify or self.sent >= self.recipients


def updates_for_console(statement: Statement) -> list[UpdateProgress]:
    """Every update, newest first, with how many signers it was emailed to so far."""
    updates = list(
        Update.objects.filter(statement=statement)
        .annotate(sent=Count("emails", filter=Q(emails__sent_at__isnull=False)))
        .order_by("-published_at", "-id")
    )
    recipients = update_recipients(statement).count() if updates else 0
    return [
        UpdateProgress(
            update=u,
            sent=u.sent,  # type: ignore[attr-defined]
            # Someone who unsubscribed after being sent it still counts as reached.
            recipients=max(recipients, u.sent),  # type: ignore[attr-defined]
        )
        for u in updates
    ]


@dataclass
class FreezePreview:
    version: int
    organizations: int
    individuals: int
    listed: int

    @property
    def total(self) -> int:
        return self.organizations + self.individuals


def freeze_preview(statement: Statement, *, addendum: bool = False) -> FreezePreview:
    """What snapshot_freeze would copy now: the counted sign-ons (for an addendum, those not
    in a delivered snapshot yet), counted the way the freeze counts them."""
    rows = Signature.objects.filter(statement=statement, counted=True)
    if addendum:
        delivered = SnapshotEntry.objects.filter(snapshot__deliveries__statement=statement)
        rows = rows.exclude(pk__in=delivered.values("signature_id"))
    by_kind = dict(rows.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    version = statement.current_version
    return FreezePreview(
        version=version.number if version else 0,
        organizations=by_kind.get(Kind.ORGANIZATION, 0),
        individuals=by_kind.get(Kind.INDIVIDUAL, 0),
        listed=rows.filter(listed=True).count(),
    )


def snapshots_for(statement: Statement) -> QuerySet[Snapshot]:
    return (
        Snapshot.objects.filter(statement=statement)
        .select_related("version", "taken_by")
        .annotate(delivery_count=Count("deliveries"))
        .order_by("-number")
    )


def deliveries_for(statement: Statement) -> QuerySet[Delivery]:
    """Every delivery, newest first, with its targets and its files (without their bytes)."""
    return (
        Delivery.objects.filter(statement=statement)
        .select_related("snapshot", "created_by")
        .prefetch_related(
            "targets", Prefetch("files", queryset=DeliveryFile.objects.defer("content"))
        )
        .order_by("-delivered_on", "-id")
    )


def delivery_file_in(statement: Statement, pk: int) -> DeliveryFile | None:
    return DeliveryFile.objects.filter(delivery__statement=statement, pk=pk).first()


def has_deliveries(statement: Statement) -> bool:
    return Delivery.objects.filter(statement=statement).exists()
