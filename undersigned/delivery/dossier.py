"""The dossier handed to the targets: the statement in each of its languages, the counts and
the signatory list grouped as on the public list, as a PDF (WeasyPrint), with the list also as
CSV, XLSX and JSON.

WeasyPrint needs Debian's libpango-1.0-0, libpangoft2-1.0-0 and libharfbuzz-subset0, and a
Korean font (fonts-nanum or fonts-noto-cjk) named in the CSS: without one, Hangul renders as
empty boxes. A PDF is laid out whole in memory (5,000 names: about 25 s and 260 MB at
peak; 10,000: 380 MB), so past PDF_LIST_LIMIT names the PDF lists the organizations (up to
the limit) and leaves the rest to the spreadsheet delivered with it.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import ngettext

from undersigned.delivery.models import Snapshot
from undersigned.delivery.selectors import snapshot_entries, snapshot_table
from undersigned.signatures.exports import (
    Table,
    group_label,
    json_meta,
    listed_signatures,
    public_entries,
    public_table,
    table_bytes,
)
from undersigned.signatures.selectors import PublicSignatory, statement_counts
from undersigned.statements.models import Kind, Statement, StatementVersion

PDF_LIST_LIMIT = 5000
FORMATS = ("pdf", "csv", "xlsx", "json")


class DossierUnavailable(Exception):
    """WeasyPrint or the system libraries it needs are missing."""


@dataclass
class DossierSource:
    """What a dossier is made of: a frozen snapshot, or the list as it stands now."""

    statement: Statement
    version: StatementVersion
    organizations: int
    individuals: int
    listed: int
    as_of: datetime.datetime
    entries: Callable[[str], Iterator[PublicSignatory]]
    table: Callable[[str], Table]
    snapshot: Snapshot | None = None

    @classmethod
    def of_snapshot(cls, snapshot: Snapshot) -> DossierSource:
        return cls(
            statement=snapshot.statement,
            version=snapshot.version,
            organizations=snapshot.organizations,
            individuals=snapshot.individuals,
            listed=snapshot.listed,
            as_of=snapshot.taken_at,
            entries=lambda language: snapshot_entries(snapshot, language=language),
            table=lambda language: snapshot_table(snapshot, language=language),
            snapshot=snapshot,
        )

    @classmethod
    def live(cls, statement: Statement) -> DossierSource:
        """The list as the public sees it now (a preview: nothing is frozen)."""
        assert statement.current_version is not None
        counts = statement_counts(statement)
        rows = listed_signatures(statement)
        return cls(
            statement=statement,
            version=statement.current_version,
            organizations=counts["organizations"],
            individuals=counts["individuals"],
            listed=rows.count(),
            as_of=timezone.now(),
            entries=lambda language: public_entries(rows, language),
            table=lambda language: public_table(statement, language=language),
        )

    @property
    def is_addendum(self) -> bool:
        return bool(self.snapshot and self.snapshot.is_addendum)

    def file_stem(self) -> str:
        if self.snapshot is None:
            return f"{self.statement.slug}-{self.as_of:%Y%m%d}"
        suffix = "addendum" if self.snapshot.is_addendum else "dossier"
        return f"{self.statement.slug}-{self.snapshot.number}-{suffix}"


def _groups(
    source: DossierSource, language: str
) -> tuple[list[tuple[str, list[PublicSignatory]]], int]:
    """The list in groups, as the public list shows it; individuals left out past the limit.
    Returns the groups and how many listed individuals were left out."""
    groups: list[tuple[str, list[PublicSignatory]]] = []
    shown = 0
    left_out_individuals = source.listed > PDF_LIST_LIMIT
    for entry in source.entries(language):
        if left_out_individuals and entry["kind"] == Kind.INDIVIDUAL:
            break  # the list is ordered: organizations first, individuals last
        if shown >= PDF_LIST_LIMIT:
            break
        label = group_label(entry)
        if not groups or groups[-1][0] != label:
            groups.append((label, []))
        groups[-1][1].append(entry)
        shown += 1
    return groups, source.listed - shown


def exact_count(n: int, kind: str) -> str:
    """'1,234 organizations': the exact number, where the page says 'over 1,200'."""
    if kind == Kind.ORGANIZATION:
        return ngettext("%(n)s organization", "%(n)s organizations", n) % {"n": f"{n:,}"}
    return ngettext("%(n)s individual", "%(n)s individuals", n) % {"n": f"{n:,}"}


def _notes(left_out: int, unlisted: int) -> list[str]:
    notes = []
    if left_out:
        notes.append(
            ngettext(
                "%(n)s further signatory is listed in the spreadsheet delivered with this "
                "document.",
                "%(n)s further signatories are listed in the spreadsheet delivered with this "
                "document.",
                left_out,
            )
            % {"n": f"{left_out:,}"}
        )
    if unlisted:
        notes.append(
            ngettext(
                "%(n)s more signed and asked not to be named.",
                "%(n)s more signed and asked not to be named.",
                unlisted,
            )
            % {"n": f"{unlisted:,}"}
        )
    return notes


def _texts(version: StatementVersion, first: str) -> list[tuple[str, dict[str, Any]]]:
    content: dict[str, dict[str, Any]] = version.content
    order = sorted(content, key=lambda code: (code != first, code))
    return [(code, content[code]) for code in order]


def dossier_html(source: DossierSource, *, language: str | None = None) -> str:
    statement = source.statement
    language = language or statement.default_language
    with translation.override(language):
        groups, left_out = _groups(source, language)
        context = {
            "statement": statement,
            "language": language,
            "source": source,
            "title": statement.title(language),
            "texts": _texts(source.version, language),
            "targets": list(statement.targets.all()),
            "counts": " · ".join(
                (
                    exact_count(source.organizations, Kind.ORGANIZATION),
                    exact_count(source.individuals, Kind.INDIVIDUAL),
                )
            ),
            "groups": groups,
            "notes": _notes(left_out, source.organizations + source.individuals - source.listed),
        }
        return render_to_string("delivery/dossier.html", context)


def dossier_pdf(source: DossierSource, *, language: str | None = None) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: libpango missing
        raise DossierUnavailable(
            "WeasyPrint cannot run: install it (pip) and Debian's libpango-1.0-0 "
            f"libpangoft2-1.0-0 libharfbuzz-subset0 fonts-nanum ({exc})"
        ) from None
    html = _EMOJI.sub("", dossier_html(source, language=language))
    pdf: bytes = HTML(string=html, url_fetcher=_no_fetching()).write_pdf()
    return pdf


# Emoji (the pictograph planes, variation selectors, the keycap mark): no Korean font has
# them, and a glyph missing from every font breaks the whole PDF's text layer in WeasyPrint
# (copy, search and screen readers get garbage). The spreadsheets keep them.
_EMOJI = re.compile("[\U0001f000-\U0001faff\ufe0e\ufe0f\u20e3]")


def _no_fetching() -> Any:
    """The dossier needs nothing from outside; refuse every URL, so no text a signer typed
    could ever make the server fetch one."""
    try:
        from weasyprint import URLFetcher
    except ImportError:  # WeasyPrint before 66 takes a plain function

        def refuse(url: str, **kwargs: Any) -> Any:
            raise ValueError(f"the dossier fetches nothing: {url}")

        return refuse
    return URLFetcher(allowed_protocols=())


def dossier_files(
    source: DossierSource, *, formats: tuple[str, ...] = FORMATS, language: str | None = None
) -> list[tuple[str, bytes]]:
    """The dossier's files, named after the statement and snapshot, ready for
    `delivery_record(files=...)`."""
    language = language or source.statement.default_language
    files = []
    for fmt in formats:
        name = f"{source.file_stem()}.{fmt}"
        if fmt == "pdf":
            files.append((name, dossier_pdf(source, language=language)))
            continue
        table = source.table(language)
        table.meta = json_meta(
            source.statement,
            language=language,
            snapshot=source.snapshot.number if source.snapshot else None,
            addendum=source.is_addendum,
            as_of=source.as_of.isoformat(timespec="seconds"),
            counts={
                "organizations": source.organizations,
                "individuals": source.individuals,
                "total": source.organizations + source.individuals,
            },
        )
        with translation.override(language):
            files.append((name, table_bytes(table, fmt)))
    return files
