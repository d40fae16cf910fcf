from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from undersigned.signatures.retention import retention_run


class Command(BaseCommand):
    help = (
        "Delete sign-ons never confirmed after PENDING_RETENTION_DAYS and erase signers' private "
        "data ANONYMIZE_AFTER_CLOSE_DAYS after their statement closed. Shows what it would do "
        "unless --apply is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--apply", action="store_true", help="Do it (default: only show).")

    def handle(self, *args: Any, apply: bool, **options: Any) -> None:
        report = retention_run(apply=apply)
        verb = ("deleted", "anonymized") if apply else ("would delete", "would anonymize")
        pending_days, close_days = (
            settings.PENDING_RETENTION_DAYS,
            settings.ANONYMIZE_AFTER_CLOSE_DAYS,
        )
        for slug, n in report.purged.items():
            self.stdout.write(f"{slug}: {verb[0]} {n} unconfirmed sign-ons")
        for slug, n in report.anonymized.items():
            self.stdout.write(f"{slug}: {verb[1]} {n} sign-ons")
        self.stdout.write(
            f"unconfirmed sign-ons older than {pending_days} days: {report.purged_total} {verb[0]}"
            if pending_days
            else "unconfirmed sign-ons: kept (PENDING_RETENTION_DAYS=0)"
        )
        self.stdout.write(
            f"sign-ons of statements closed over {close_days} days ago: "
            f"{report.anonymized_total} {verb[1]}"
            if close_days
            else "private data after closing: kept (ANONYMIZE_AFTER_CLOSE_DAYS=0)"
        )
        if not apply and (report.purged_total or report.anonymized_total):
            self.stdout.write("nothing changed: run with --apply to do it")
