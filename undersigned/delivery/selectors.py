"""Reads of snapshots, deliveries and updates. The public ones (for the statement page) show
only deliveries marked public, and never their private notes."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone, translation

from undersigned.delivery.models import Delivery, Snapshot, SnapshotEntry, Update
from undersigned.signatures.exports import (
    LISTED,
    PUBLIC_EXPORT_COLUMNS,
    Table,
    public_entries,
    public_export_row,
)
from undersigned.signatures.selectors import PublicSignatory
from undersigned.statements.models import Statement, Target


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
    def rows() -> Iterator[dict[str, object]]:
        with translation.override(language):
            for entry in snapshot_entries(snapshot, language=language):
                yield public_export_row(entry)

    return Table(columns=PUBLIC_EXPORT_COLUMNS, rows=rows(), total=snapshot.listed)


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
