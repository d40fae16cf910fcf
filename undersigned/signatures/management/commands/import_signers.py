from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from undersigned.signatures.imports import (
    FIELDS,
    ImportFileError,
    describe_mapping,
    signatures_import,
)
from undersigned.statements.models import Statement


class Command(BaseCommand):
    help = (
        "Import sign-ons from the CSV export of a form tool (e.g. Google Forms). Columns are "
        "matched from their headers (English or Korean); every row is checked as a web "
        "sign-on is, and against the sign-ons already stored; the outcome of each row is "
        "reported with its line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="The statement's address.")
        parser.add_argument("file", help="The CSV file.")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="COL=FIELD",
            help=(
                "Set what a column holds; COL is its header or number (from 1). "
                f"Fields: {', '.join(FIELDS)}. Repeat for several columns."
            ),
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report every row; write nothing."
        )
        parser.add_argument(
            "--send-confirmation",
            action="store_true",
            help="Store the sign-ons pending and email each signer a confirmation link.",
        )
        parser.add_argument(
            "--approve",
            action="store_true",
            help="Approve the imported sign-ons the statement would otherwise hold for review.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        statement = Statement.objects.filter(slug=options["slug"]).first()
        if statement is None:
            raise CommandError(f"No statement with the address {options['slug']!r}.")
        try:
            report = signatures_import(
                statement=statement,
                file=options["file"],
                mapping=options["map"],
                dry_run=options["dry_run"],
                send_confirmation=options["send_confirmation"],
                approve=options["approve"],
                stream=self.stderr._out,
            )
        except ImportFileError as exc:
            raise CommandError(f"{options['file']}: {exc}") from None
        out = self.stdout
        out.write("Columns:")
        for line in describe_mapping(report):
            out.write(line)
        dry = report.dry_run
        for row in report.rows:
            if row.outcome == "added":
                if dry:
                    out.write(f"line {row.line}: ok: {row.name}")
            else:
                reason = f": {row.reason}" if row.reason else ""
                name = f" ({row.name})" if row.name else ""
                out.write(f"line {row.line}: {row.outcome}{name}{reason}")
        summary = (
            f"{report.added} {'would be added' if dry else 'added'}, "
            f"{report.duplicates} duplicate(s) skipped, {report.errors} error(s), "
            f"{report.empty} empty row(s)"
        )
        out.write(f"dry run, nothing written: {summary}" if dry else summary)
