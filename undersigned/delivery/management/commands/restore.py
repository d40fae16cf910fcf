from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from undersigned.delivery.backup import BackupError, database_restore, database_summary


class Command(BaseCommand):
    help = (
        "Restore the database from a backup made by `undersigned backup`, then apply any "
        "newer migrations. Refuses a database that already holds data unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The backup file.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace a database that already holds data (everything in it is lost).",
        )

    def handle(self, *args: Any, file: str, force: bool, **options: Any) -> None:
        path = Path(file).expanduser().absolute()
        if not path.is_file():
            raise CommandError(f"No backup file {file}.")
        try:
            fmt = database_restore(path, force=force, stream=self.stderr._out)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        summary = database_summary()
        self.stdout.write(
            f"Restored {summary.get('statements.Statement', 0)} statement(s) and "
            f"{summary.get('signatures.Signature', 0)} sign-on(s) from {file} ({fmt})."
        )
