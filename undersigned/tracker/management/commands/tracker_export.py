from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from undersigned.tracker.exports import TABLES, document, write_csv


class Command(BaseCommand):
    help = (
        "Export the tracker's public data: agreements (with their PA-X ids), provisions, "
        "actions and status histories, as CSV (one table) or JSON (everything)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["csv", "json"], default="csv")
        parser.add_argument(
            "--table",
            choices=sorted(TABLES),
            default="actions",
            help="CSV only: which table (default: actions, one row per action and link).",
        )
        parser.add_argument("--out", help="File to write (default: standard output).")

    def handle(self, *args: Any, format: str, table: str, out: str | None, **options: Any) -> None:
        try:
            stream = Path(out).open("w", encoding="utf-8", newline="") if out else sys.stdout
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc.strerror}") from None
        try:
            if format == "json":
                json.dump(document(), stream, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)
                stream.write("\n")
                summary = "tracker data"
            else:
                rows = write_csv(table, stream)
                summary = f"{rows} {table} rows"
        finally:
            if out:
                stream.close()
        if out:
            self.stderr.write(f"Wrote {summary} to {out}")
