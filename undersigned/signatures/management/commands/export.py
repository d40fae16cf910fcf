from __future__ import annotations

import os
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import IO, Any, cast

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from undersigned.lib.progress import progress
from undersigned.signatures.exports import (
    Table,
    json_meta,
    private_table,
    public_table,
    write_csv,
    write_json,
    write_xlsx,
)
from undersigned.signatures.models import Status
from undersigned.statements.models import Statement

FORMATS = ("csv", "xlsx", "json", "pdf")


class Command(BaseCommand):
    help = (
        "Export a statement's signatories. By default the public list, exactly as the public "
        "sees it; --private adds every sign-on's status and contact details, for organizers. "
        "PDF is the dossier: the statement in each language, the counts and the grouped list."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="The statement's address.")
        parser.add_argument("--format", required=True, choices=FORMATS)
        parser.add_argument("--out", help="File to write (default: standard output).")
        parser.add_argument(
            "--private",
            action="store_true",
            help="Every sign-on with its status, email, phone and contact person.",
        )
        parser.add_argument(
            "--status",
            action="append",
            choices=Status.values,
            default=[],
            help="With --private: only sign-ons in this status (repeat for several).",
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help="Language of group names and of the dossier (default: the statement's).",
        )
        parser.add_argument(
            "--snapshot",
            type=int,
            metavar="N",
            help="Export frozen snapshot N (as delivered) instead of the list as it stands.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        statement = (
            Statement.objects.select_related("current_version").filter(slug=options["slug"]).first()
        )
        if statement is None:
            raise CommandError(f"No statement with the address {options['slug']!r}.")
        fmt: str = options["format"]
        out: str | None = options["out"]
        language = options["language"] or statement.default_language
        snapshot = None
        if options["snapshot"] is not None:
            from undersigned.delivery.selectors import snapshot_get

            if options["private"]:
                raise CommandError("A snapshot holds only the public list: leave out --private.")
            snapshot = snapshot_get(statement, options["snapshot"])
            if snapshot is None:
                raise CommandError(f"{statement.slug} has no snapshot {options['snapshot']}.")
        if options["status"] and not options["private"]:
            raise CommandError("--status goes with --private.")
        binary = fmt in ("xlsx", "pdf")
        if out is None and binary and sys.stdout.isatty():
            raise CommandError(f"{fmt.upper()} is binary: give --out FILE or redirect the output.")

        if fmt == "pdf":
            if options["private"]:
                raise CommandError("The dossier is public: leave out --private.")
            self._write(out, self._pdf(statement, snapshot, language), binary=True)
            return

        if snapshot is not None:
            from undersigned.delivery.selectors import snapshot_table

            table = snapshot_table(snapshot, language=language)
        elif options["private"]:
            table = private_table(statement, statuses=options["status"])
        else:
            table = public_table(statement, language=language)
        table.meta = json_meta(
            statement,
            language=language,
            private=options["private"],
            snapshot=snapshot.number if snapshot else None,
        )
        table.rows = progress(
            table.rows, total=table.total, label="export", stream=self.stderr._out
        )
        # On PostgreSQL, reading inside a transaction streams through a server-side cursor
        # instead of having the server hold the whole result. (On SQLite a transaction would
        # take the write lock and hold up sign-ons for the length of the export.)
        reading = transaction.atomic() if connection.vendor == "postgresql" else nullcontext()
        with reading:
            count = self._write(out, table, fmt=fmt, binary=binary)
        if out:
            self.stderr.write(f"Wrote {count} signatories to {out}")

    def _pdf(self, statement: Statement, snapshot: Any, language: str) -> bytes:
        from undersigned.delivery.dossier import DossierSource, DossierUnavailable, dossier_pdf

        source = DossierSource.of_snapshot(snapshot) if snapshot else DossierSource.live(statement)
        try:
            return dossier_pdf(source, language=language)
        except DossierUnavailable as exc:
            raise CommandError(str(exc)) from None

    def _write(self, out: str | None, what: Table | bytes, *, fmt: str = "", binary: bool) -> int:
        """Write to a temporary file renamed into place at the end, so a failed export never
        leaves half a file under the name asked for."""
        part = Path(f"{out}.part") if out else None
        try:
            if part is not None:
                handle: IO[Any] = part.open("wb" if binary else "w", **self._text(binary))
            else:
                stdout = cast(IO[Any], self.stdout._out)
                handle = stdout.buffer if binary else stdout  # type: ignore[attr-defined]
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc.strerror}") from None
        try:
            if isinstance(what, bytes):
                handle.write(what)
                count = 1
            elif fmt == "csv":
                handle.write("\ufeff")  # so Excel reads UTF-8 (Hangul) correctly
                count = write_csv(what, handle)
            elif fmt == "json":
                count = write_json(what, handle)
            else:
                count = write_xlsx(what, handle)
        except BaseException as exc:
            if part is not None:
                handle.close()
                part.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise CommandError(f"Cannot write {out or 'the output'}: {exc.strerror}") from None
            raise
        if part is not None and out:
            handle.close()
            os.replace(part, out)
        else:
            handle.flush()
        return count

    @staticmethod
    def _text(binary: bool) -> dict[str, Any]:
        return {} if binary else {"encoding": "utf-8", "newline": ""}
