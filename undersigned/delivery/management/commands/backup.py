from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from undersigned.delivery.backup import BackupError, database_backup, database_summary


class Command(BaseCommand):
    help = (
        "Back up the whole database to FILE: a SQLite copy (SQLite), pg_dump's custom format "
        "(PostgreSQL), or with --format json a portable file any database can restore."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The backup file to write.")
        parser.add_argument(
            "--format",
            choices=["native", "json"],
            default="native",
            help="native (default): the database's own format; json: portable across databases.",
        )
        parser.add_argument("--force", action="store_true", help="Overwrite FILE if it exists.")

    def handle(self, *args: Any, file: str, format: str, force: bool, **options: Any) -> None:
        dest = Path(file).expanduser().absolute()
        if dest.exists() and not force:
            raise CommandError(f"{file} exists; choose another name or add --force")
        try:
            used = database_backup(dest, portable=format == "json", stream=self.stderr._out)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        summary = database_summary()
        size = dest.stat().st_size
        self.stdout.write(
            f"Backed up {summary.get('statements.Statement', 0)} statement(s) and "
            f"{summary.get('signatures.Signature', 0)} sign-on(s) to {file} "
            f"({used}, {size / 1e6:.1f} MB)."
        )
        self.stderr.write(
            "Keep SECRET_KEY (or the data folder's secret_key file) with it: "
            "the links already emailed to signers are signed with it."
        )
