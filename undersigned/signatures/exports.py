"""Exports of the signatory list, streamed: rows are read `chunk_size` at a time and written
as they come, so a million sign-ons cost no more memory than a thousand.

Two tables, never mixed:
- the public export carries exactly what the public list shows, through the same function
  (`selectors._public`), so a signer's display choice is honoured in the file as on the page;
- the private export is for organizers: every sign-on with its status and contact details.

Every text cell a spreadsheet could run as a formula is neutralised (`safe_cell`).
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from undersigned.signatures.models import Signature
from undersigned.signatures.selectors import (
    PUBLIC_COLUMNS,
    PublicSignatory,
    _public,
    statement_breakdown,
)
from undersigned.statements.models import Kind, Statement

CHUNK = 2000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# The public table: what the public list shows, nothing else.
PUBLIC_EXPORT_COLUMNS = (
    "group",
    "kind",
    "name",
    "name_alt",
    "affiliation",
    "category",
    "city",
    "region",
    "country",
    "website",
    "sample",
)

# The private table, for organizers. Not the IP hash, the email key or the link nonce:
# they mean nothing outside the database.
PRIVATE_SOURCE = (
    "id",
    "status",
    "kind",
    "name",
    "name_alt",
    "affiliation",
    "category",
    "city",
    "region",
    "country",
    "website",
    "display",
    "email",
    "contact_name",
    "contact_title",
    "phone",
    "language",
    "source",
    "referral",
    "wants_updates",
    "is_sample",
    "version__number",
    "created_at",
    "confirmed_at",
    "decided_at",
    "withdrawn_at",
    "note",
)
PRIVATE_EXPORT_COLUMNS = (
    "id",
    "status",
    "kind",
    "name",
    "name_alt",
    "affiliation",
    "category",
    "city",
    "region",
    "country",
    "website",
    "networks",
    "display",
    "email",
    "contact_name",
    "contact_title",
    "phone",
    "language",
    "source",
    "referral",
    "wants_updates",
    "sample",
    "version",
    "created_at",
    "confirmed_at",
    "decided_at",
    "withdrawn_at",
    "note",
)

# An XLSX sheet holds 1,048,576 rows; longer lists continue on the next sheet.
XLSX_SHEET_ROWS = 1_000_000


def safe_cell(value: Any) -> Any:
    """A spreadsheet must not run a cell as a formula: text starting with = + - @, a tab or a
    carriage return gets a leading apostrophe (the OWASP rule; pretix does the same)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@dataclass
class Table:
    """Rows to write, their columns, and how many there are (for progress bars)."""

    columns: tuple[str, ...]
    rows: Iterable[dict[str, Any]]
    total: int
    meta: dict[str, Any] = field(default_factory=dict)


def group_label(entry: PublicSignatory) -> str:
    """The heading the public list puts the entry under."""
    if entry["kind"] == Kind.ORGANIZATION:
        return entry["category_label"]
    return _("Individuals")


def public_export_row(entry: PublicSignatory) -> dict[str, Any]:
    return {
        "group": group_label(entry),
        "kind": entry["kind"],
        "name": entry["name"],
        "name_alt": entry["name_alt"],
        "affiliation": entry["affiliation"],
        "category": entry["category"],
        "city": entry["city"],
        "region": entry["region"],
        "country": entry["country"],
        "website": entry["website"],
        "sample": entry["is_sample"],
    }


def public_entries(rows: QuerySet[Any, Any], language: str) -> Iterator[PublicSignatory]:
    """Apply the public list's display rules to a queryset of PUBLIC_COLUMNS rows."""
    values = rows.values_list(*PUBLIC_COLUMNS)
    for row in values.iterator(chunk_size=CHUNK):
        yield _public(dict(zip(PUBLIC_COLUMNS, row, strict=True)), language)


# Django writes `listed=True` as a bare `WHERE listed` on SQLite, which SQLite cannot match
# to the list's index: it then sorts the whole list in memory. `IN (true)` it matches.
LISTED = {"listed__in": [True]}


def listed_signatures(statement: Statement) -> QuerySet[Signature]:
    """The public list, in its order (organizations by category, then individuals), read
    through its index, so no database sorts a million rows in memory first."""
    return Signature.objects.filter(statement=statement, **LISTED).order_by(
        "group_rank", "sort_key", "id"
    )


def public_table(statement: Statement, *, language: str) -> Table:
    """What the public list shows, in the given language, in the list's order."""
    total = sum(statement_breakdown(statement, "listed").values())

    def rows() -> Iterator[dict[str, Any]]:
        with translation.override(language):
            for entry in public_entries(listed_signatures(statement), language):
                yield public_export_row(entry)

    return Table(columns=PUBLIC_EXPORT_COLUMNS, rows=rows(), total=total)


def _networks(ids: list[int]) -> dict[int, list[str]]:
    through = Signature.networks.through
    found: dict[int, list[str]] = {}
    for signature_id, slug in (
        through.objects.filter(signature_id__in=ids)
        .order_by("signature_id", "network__slug")
        .values_list("signature_id", "network__slug")
    ):
        found.setdefault(signature_id, []).append(slug)
    return found


def _private_rows(rows: QuerySet[Signature]) -> Iterator[dict[str, Any]]:
    chunk: list[dict[str, Any]] = []

    def flush() -> Iterator[dict[str, Any]]:
        networks = _networks([row["id"] for row in chunk if row["kind"] == Kind.ORGANIZATION])
        for row in chunk:
            row["networks"] = " ; ".join(networks.get(row["id"], []))
            yield row
        chunk.clear()

    for values in rows.values_list(*PRIVATE_SOURCE).iterator(chunk_size=CHUNK):
        row = dict(zip(PRIVATE_SOURCE, values, strict=True))
        row["sample"] = row.pop("is_sample")
        row["version"] = row.pop("version__number")
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield from flush()
    yield from flush()


def private_table(statement: Statement, *, statuses: Iterable[str] = ()) -> Table:
    """Every sign-on (or those in `statuses`) with its contact details, oldest first."""
    rows = Signature.objects.filter(statement=statement)
    if statuses:
        rows = rows.filter(status__in=list(statuses))
    rows = rows.order_by("id")
    return Table(columns=PRIVATE_EXPORT_COLUMNS, rows=_private_rows(rows), total=rows.count())


# Writers ----------------------------------------------------------------------------------------
Tick = Callable[[], None]


def _cell_text(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value
    return value


class _Line:
    """A file-like object that hands back what csv.writer wrote, one line at a time."""

    def __init__(self) -> None:
        self.value = ""

    def write(self, text: str) -> int:
        self.value = text
        return len(text)


def csv_lines(table: Table, *, tick: Tick | None = None) -> Iterator[str]:
    """The table as CSV, one line at a time: feed it to a StreamingHttpResponse or a file.

    What safe_cell and _cell_text do, inlined for the common cells (text, numbers, dates):
    a million rows of 28 columns are 28 million cells, and each function call counts."""
    buffer = _Line()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.columns)
    yield buffer.value
    columns = table.columns
    zone = timezone.get_current_timezone()
    for row in table.rows:
        cells = []
        for column in columns:
            value: Any = row.get(column)
            kind = value.__class__
            if kind is str:
                if value and value.startswith(FORMULA_START):
                    value = "'" + value
            elif kind is datetime.datetime and value.tzinfo is not None:
                value = value.astimezone(zone).isoformat()
            elif kind is not int:
                value = safe_cell(_cell_text(value))
            cells.append(value)
        writer.writerow(cells)
        yield buffer.value
        if tick:
            tick()


def write_csv(table: Table, out: IO[str], *, tick: Tick | None = None) -> int:
    """Write CSV to a text stream (opened with newline=""); returns the number of rows."""
    count = -1
    for line in csv_lines(table, tick=tick):
        out.write(line)
        count += 1
    return count


def write_json(table: Table, out: IO[str], *, tick: Tick | None = None) -> int:
    """Write {"meta": ..., "signatories": [...]} to a text stream, one row per line, never
    holding the list in memory. JSON is read by programs, not spreadsheets: cells are kept
    as stored (no apostrophes)."""
    encoder = DjangoJSONEncoder(ensure_ascii=False)
    out.write('{"meta": ')
    out.write(encoder.encode(table.meta))
    out.write(', "signatories": [')
    count = 0
    for row in table.rows:
        out.write("\n" if count == 0 else ",\n")
        out.write(encoder.encode({c: row.get(c) for c in table.columns}))
        count += 1
        if tick:
            tick()
    out.write("\n]}\n")
    return count


def write_xlsx(table: Table, out: IO[bytes] | str, *, tick: Tick | None = None) -> int:
    """Write an XLSX workbook with openpyxl's write-only mode, which streams rows to a
    temporary file instead of keeping cells in memory."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    count = 0
    sheet: Any = None
    sheet_rows = XLSX_SHEET_ROWS

    def new_sheet() -> Any:
        number = len(workbook.worksheets) + 1
        ws = workbook.create_sheet(title=_("Signatories") if number == 1 else f"{number}")
        header = []
        for column in table.columns:
            cell = WriteOnlyCell(ws, value=column)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        return ws

    for row in table.rows:
        if sheet_rows >= XLSX_SHEET_ROWS:
            sheet, sheet_rows = new_sheet(), 0
        values = []
        for column in table.columns:
            # openpyxl stores text starting with "=" as a formula; after safe_cell none does.
            value = safe_cell(row.get(column))
            if isinstance(value, datetime.datetime) and timezone.is_aware(value):
                value = timezone.make_naive(value)  # XLSX has no time zones
            values.append(value)
        # Plain values, not cell objects: with lxml installed, five times faster.
        sheet.append(values)
        sheet_rows += 1
        count += 1
        if tick:
            tick()
    if sheet is None:
        new_sheet()
    workbook.save(out)
    return count


def table_bytes(table: Table, fmt: str) -> bytes:
    """A small table as bytes (for files attached to a delivery)."""
    if fmt == "xlsx":
        buffer = io.BytesIO()
        write_xlsx(table, buffer)
        return buffer.getvalue()
    text = io.StringIO(newline="")
    if fmt == "csv":
        text.write("\ufeff")  # so Excel opens UTF-8 (Hangul) correctly
        write_csv(table, text)
    elif fmt == "json":
        write_json(table, text)
    else:
        raise ValueError(fmt)
    return text.getvalue().encode()


def json_meta(statement: Statement, *, language: str, **extra: Any) -> dict[str, Any]:
    return {
        "statement": statement.slug,
        "title": statement.title(language),
        "language": language,
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        **extra,
    }
