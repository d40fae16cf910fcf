from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from undersigned.lib.progress import progress
from undersigned.signatures.services import statement_recount
from undersigned.statements.models import Statement


class Command(BaseCommand):
    help = (
        "Rebuild the counters of one statement (or all) from its sign-ons, and report differences."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "slug", nargs="?", help="The statement's address; all statements if omitted."
        )

    def handle(self, *args: Any, slug: str | None, **options: Any) -> None:
        statements = Statement.objects.all()
        if slug:
            statements = statements.filter(slug=slug)
            if not statements.exists():
                raise CommandError(f"No statement with the address {slug!r}.")
        drift = 0
        for statement in progress(
            statements, total=statements.count(), label="recount", stream=self.stderr._out
        ):
            report = statement_recount(statement=statement)
            for (dimension, key), (before, after) in report.differences.items():
                drift += 1
                self.stdout.write(f"{statement.slug} {dimension}:{key} {before} -> {after}")
            kinds = {k: v for (d, k), v in report.after.items() if d == "kind"}
            self.stdout.write(
                f"{statement.slug}: {kinds.get('organization', 0)} organizations, "
                f"{kinds.get('individual', 0)} individuals"
            )
        self.stdout.write(
            "counters matched the sign-ons" if not drift else f"{drift} counters corrected"
        )
