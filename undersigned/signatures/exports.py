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
import operator
import re
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from undersigned.lib import xlsx
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


# How each column is written. Any column not named here is text.
TEXT, NUMBER, FLAG, TIME = "text", "number", "flag", "time"
COLUMN_KINDS = {
    "id": NUMBER,
    "version": NUMBER,
    "wants_updates": FLAG,
    "sample": FLAG,
    "created_at": TIME,
    "confirmed_at": TIME,
    "decided_at": TIME,
    "withdrawn_at": TIME,
}


@dataclass
class Table:
    """Rows to write, their columns, and how many there are (for progress bars). Each row is
    a tuple with one value per column, in the columns' order: text columns hold str (or
    None), FLAG columns bool, TIME columns datetimes (or None). Naive datetimes are in
    `naive_zone` when it is set (as SQLite returns them), else written as they are."""

    columns: tuple[str, ...]
    rows: Iterable[tuple[Any, ...]]
    total: int
    meta: dict[str, Any] = field(default_factory=dict)
    naive_zone: datetime.tzinfo | None = None

    def indexes(self, kind: str) -> list[int]:
        """The positions of the columns of this kind."""
        return [i for i, name in enumerate(self.columns) if COLUMN_KINDS.get(name, TEXT) == kind]


def group_label(entry: PublicSignatory) -> str:
    """The heading the public list puts the entry under."""
    if entry["kind"] == Kind.ORGANIZATION:
        return entry["category_label"]
    return _("Individuals")


def public_export_row(entry: PublicSignatory, individuals: str | None = None) -> tuple[Any, ...]:
    """One row of PUBLIC_EXPORT_COLUMNS. `individuals` is the group label of individuals,
    when the caller has already translated it (a million rows, one gettext)."""
    if entry["kind"] == Kind.ORGANIZATION:
        group = entry["category_label"]
    else:
        group = _("Individuals") if individuals is None else individuals
    return (
        group,
        entry["kind"],
        entry["name"],
        entry["name_alt"],
        entry["affiliation"],
        entry["category"],
        entry["city"],
        entry["region"],
        entry["country"],
        entry["website"],
        entry["is_sample"],
    )


def public_entries(rows: QuerySet[Any, Any], language: str) -> Iterator[PublicSignatory]:
    """Apply the public list's display rules to a queryset of PUBLIC_COLUMNS rows."""
    values = rows.values_list(*PUBLIC_COLUMNS)
    labels: dict[str, str] = {}  # category labels, translated once per export
    for row in values.iterator(chunk_size=CHUNK):
        yield _public(dict(zip(PUBLIC_COLUMNS, row, strict=True)), language, labels=labels)


# Django writes `listed=True` as a bare `WHERE listed` on SQLite, which SQLite cannot match
# to the list's index: it then sorts the whole list in memory. `IN (true)` it matches.
LISTED = {"listed__in": [True]}


def listed_signatures(statement: Statement) -> QuerySet[Signature]:
    """The public list, in its order (organizations by category, then individuals), read
    through its index, so no database sorts a million rows in memory first."""
    return Signature.objects.filter(statement=statement, **LISTED).order_by(
        "group_rank", "sort_key", "id"
    )


def public_rows(entries: Iterable[PublicSignatory], language: str) -> Iterator[tuple[Any, ...]]:
    """The rows of the public table, their group names in `language`."""
    with translation.override(language):
        individuals = _("Individuals")
        for entry in entries:
            yield public_export_row(entry, individuals)


def public_table(statement: Statement, *, language: str) -> Table:
    """What the public list shows, in the given language, in the list's order."""
    total = sum(statement_breakdown(statement, "listed").values())
    rows = public_rows(public_entries(listed_signatures(statement), language), language)
    return Table(columns=PUBLIC_EXPORT_COLUMNS, rows=rows, total=total)


def _networks(ids: list[int]) -> dict[int, str]:
    through = Signature.networks.through
    found: dict[int, list[str]] = {}
    for signature_id, slug in (
        through.objects.filter(signature_id__in=ids)
        .order_by("signature_id", "network__slug")
        .values_list("signature_id", "network__slug")
    ):
        found.setdefault(signature_id, []).append(slug)
    return {signature_id: " ; ".join(slugs) for signature_id, slugs in found.items()}


# Where the networks go among PRIVATE_SOURCE's values, and where the kind is read from.
_NETWORKS_AT = PRIVATE_EXPORT_COLUMNS.index("networks")
_KIND_AT = PRIVATE_SOURCE.index("kind")


def _private_rows(rows: QuerySet[Signature]) -> Iterator[tuple[Any, ...]]:
    """PRIVATE_SOURCE values as PRIVATE_EXPORT_COLUMNS rows: the networks of each chunk's
    organizations are read in one query and put in their column."""
    chunk: list[tuple[Any, ...]] = []
    at, kind_at, organization = _NETWORKS_AT, _KIND_AT, Kind.ORGANIZATION.value

    def flush() -> Iterator[tuple[Any, ...]]:
        ids = [row[0] for row in chunk if row[kind_at] == organization]
        networks = _networks(ids) if ids else {}
        for row in chunk:
            yield (*row[:at], networks.get(row[0], ""), *row[at:])
        chunk.clear()

    for batch in _driver_rows(rows.values_list(*PRIVATE_SOURCE)):
        chunk.extend(batch)
        if len(chunk) >= CHUNK:
            yield from flush()
    yield from flush()


def _naive_zone(rows: QuerySet[Any, Any]) -> datetime.tzinfo | None:
    """The time zone of the naive datetimes _driver_rows returns (None: they come aware)."""
    connection = connections[rows.db]
    if settings.USE_TZ and not connection.features.supports_timezones:
        return connection.timezone
    return None


def _driver_rows(rows: QuerySet[Any, Any]) -> Iterator[list[tuple[Any, ...]]]:
    """A values_list queryset's rows, CHUNK at a time, as the database driver returns them.

    Why not iterate the queryset: Django then runs its converters, a Python call per value;
    on SQLite, a million rows cost four million calls for the time columns alone, a third of
    the private export's time. The drivers already return bools and datetimes (Django
    registers SQLite's converters); on SQLite the datetimes are naive, in _naive_zone, which
    the writers add only where they need it."""
    connection = connections[rows.db]
    try:
        sql, params = rows.query.get_compiler(using=rows.db).as_sql()
    except EmptyResultSet:
        return
    # As QuerySet.iterator() does: a server-side cursor on PostgreSQL, unless turned off.
    server_side = not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    with connection.chunked_cursor() if server_side else connection.cursor() as cursor:
        if connection.vendor == "postgresql" and settings.USE_TZ:
            _c_timestamps(cursor.cursor)
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(CHUNK):
            yield batch


def _c_timestamps(cursor: Any) -> None:
    """Read timestamps on this psycopg cursor with psycopg's own loader. Django registers a
    subclass of it (to set the time zone), which psycopg cannot swap for its C version, so
    every timestamp is parsed by a regular expression in Python: a third of a private
    export's time. psycopg's loader gives the same instant in the session's time zone, which
    Django sets to the connection's; the writers convert times to the current zone anyway."""
    from psycopg.types.datetime import TimestamptzLoader

    cursor.adapters.register_loader("timestamptz", TimestamptzLoader)


def private_table(statement: Statement, *, statuses: Iterable[str] = ()) -> Table:
    """Every sign-on (or those in `statuses`) with its contact details, oldest first."""
    rows = Signature.objects.filter(statement=statement)
    if statuses:
        rows = rows.filter(status__in=list(statuses))
    rows = rows.order_by("id")
    return Table(
        columns=PRIVATE_EXPORT_COLUMNS,
        rows=_private_rows(rows),
        total=rows.count(),
        naive_zone=_naive_zone(rows),
    )


# Writers ----------------------------------------------------------------------------------------
Tick = Callable[[], None]
FORMULA_FIRST = frozenset(FORMULA_START)


class _Cells:
    """What a spreadsheet format needs done to a table's rows, column kind by column kind:
    text that could run as a formula gets its apostrophe (safe_cell's rule), flags become
    yes/no, times go through `stamp`. Only the columns that need it are touched: a million
    rows of 28 columns are 28 million cells, and each Python call counts."""

    def __init__(self, table: Table, stamp: Callable[[datetime.datetime], Any]) -> None:
        self.text = table.indexes(TEXT)
        self.flags = table.indexes(FLAG)
        self.times = table.indexes(TIME)
        self.stamp = stamp
        self.texts = operator.itemgetter(*self.text) if len(self.text) > 1 else None

    def __call__(self, row: tuple[Any, ...]) -> list[Any] | tuple[Any, ...]:
        if self.texts is None or self._risky(self.texts(row)):
            cells = list(row)
            first = FORMULA_FIRST
            for i in self.text:
                value = cells[i]
                if value and value[0] in first:
                    cells[i] = "'" + value
        elif self.flags or self.times:
            cells = list(row)
        else:
            return row
        for i in self.flags:
            value = cells[i]
            cells[i] = "" if value is None else ("yes" if value else "no")
        for i in self.times:
            value = cells[i]
            if value is not None:
                cells[i] = self.stamp(value)
        return cells

    @staticmethod
    def _risky(texts: tuple[Any, ...]) -> bool:
        """Whether any of the row's texts may start like a formula: one search over them
        all, so the usual row skips the cell by cell check. (A separator inside a text
        only sends the row to that check.)"""
        try:
            joined = _SEP.join(texts)
        except TypeError:  # a None among them
            return True
        return joined[:1] in FORMULA_FIRST or _FORMULA_AFTER_SEP.search(joined) is not None


_SEP = "\x00"
# A text after a separator starting like a formula (FORMULA_START). The literal first
# character lets the regex engine skip ahead to each separator.
_FORMULA_AFTER_SEP = re.compile(_SEP + "[" + re.escape("".join(FORMULA_START)) + "]")


def _same_zone(one: datetime.tzinfo | None, other: datetime.tzinfo) -> bool:
    """Whether both zones are UTC (as datetime and zoneinfo each name it)."""
    utc = {datetime.UTC, zoneinfo.ZoneInfo("UTC")}
    return one in utc and other in utc


def _local_text(
    zone: datetime.tzinfo, naive_zone: datetime.tzinfo | None
) -> Callable[[datetime.datetime], Any]:
    """ISO 8601 in `zone`, as timezone.localtime(value).isoformat() writes it."""

    same = _same_zone(naive_zone, zone)

    def stamp(value: datetime.datetime) -> Any:
        if value.tzinfo is None:
            if naive_zone is None:
                return value
            if same:  # UTC both: what isoformat() adds to an aware UTC time
                return value.isoformat() + "+00:00"
            value = value.replace(tzinfo=naive_zone)
        return value.astimezone(zone).isoformat()

    return stamp


class _Line:
    """A file-like object that hands back what csv.writer wrote, one line at a time."""

    def __init__(self) -> None:
        self.value = ""

    def write(self, text: str) -> int:
        self.value = text
        return len(text)


def csv_lines(table: Table, *, tick: Tick | None = None) -> Iterator[str]:
    """The table as CSV, one line at a time: feed it to a StreamingHttpResponse or a file.
    Times are in the current time zone, ISO 8601."""
    buffer = _Line()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.columns)
    yield buffer.value
    cells = _Cells(table, _local_text(timezone.get_current_timezone(), table.naive_zone))
    writerow = writer.writerow
    for row in table.rows:
        writerow(cells(row))
        yield buffer.value
        if tick:
            tick()


def write_csv(table: Table, out: IO[str], *, tick: Tick | None = None) -> int:
    """Write CSV to a text stream (opened with newline=""); returns the number of rows.
    Lines are gathered and written a thousand at a time."""
    count = -1
    lines: list[str] = []
    for line in csv_lines(table, tick=tick):
        lines.append(line)
        if len(lines) >= 1000:
            out.write("".join(lines))
            lines.clear()
        count += 1
    out.write("".join(lines))
    return count


def _aware(row: tuple[Any, ...], times: list[int], zone: Any) -> tuple[Any, ...]:
    cells = list(row)
    for i in times:
        value = cells[i]
        if value is not None and value.tzinfo is None:
            cells[i] = value.replace(tzinfo=zone)
    return tuple(cells)


def write_json(table: Table, out: IO[str], *, tick: Tick | None = None) -> int:
    """Write {"meta": ..., "signatories": [...]} to a text stream, one row per line, never
    holding the list in memory. JSON is read by programs, not spreadsheets: cells are kept
    as stored (no apostrophes)."""
    encoder = DjangoJSONEncoder(ensure_ascii=False)
    encode = encoder.encode
    columns = table.columns
    out.write('{"meta": ')
    out.write(encode(table.meta))
    out.write(', "signatories": [')
    count = 0
    lines: list[str] = []
    times = table.indexes(TIME) if table.naive_zone is not None else []

    def flush() -> None:
        # The first batch opens the list; each later one follows the one before with a comma.
        out.write(("\n" if count == len(lines) else ",\n") + ",\n".join(lines))
        lines.clear()

    for row in table.rows:
        if times:
            row = _aware(row, times, table.naive_zone)
        lines.append(encode(dict(zip(columns, row, strict=True))))
        count += 1
        if tick:
            tick()
        if len(lines) >= 1000:
            flush()
    if lines:
        flush()
    out.write("\n]}\n")
    return count


def write_xlsx(table: Table, out: IO[bytes] | str, *, tick: Tick | None = None) -> int:
    """Write an XLSX workbook, streamed (lib/xlsx): text cells are always strings, never
    formulas, and are made formula-safe as in CSV; times are the current time zone's, since
    XLSX has none; the header row is bold."""
    zone = timezone.get_current_timezone()

    naive_zone = table.naive_zone
    same = _same_zone(naive_zone, zone)

    def naive(value: datetime.datetime) -> datetime.datetime:
        if value.tzinfo is None:
            if naive_zone is None or same:
                return value
            value = value.replace(tzinfo=naive_zone)
        return timezone.make_naive(value, zone)

    kinds = [
        {NUMBER: xlsx.NUMBER, TIME: xlsx.DATE}.get(COLUMN_KINDS.get(column, TEXT), xlsx.TEXT)
        for column in table.columns
    ]
    cells = _Cells(table, naive)
    workbook = xlsx.Workbook(out, kinds)
    count = 0
    sheet_rows = XLSX_SHEET_ROWS
    for row in table.rows:
        if sheet_rows >= XLSX_SHEET_ROWS:
            number = len(workbook.titles) + 1
            workbook.sheet(_("Signatories") if number == 1 else f"{number}", table.columns)
            sheet_rows = 0
        workbook.append(cells(row))
        sheet_rows += 1
        count += 1
        if tick:
            tick()
    if not workbook.titles:
        workbook.sheet(_("Signatories"), table.columns)
    workbook.close()
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
