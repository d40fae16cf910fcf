"""The public read path for sign-ons. Only the fields named in PUBLIC_COLUMNS ever leave."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, TypedDict, cast

from django.conf import settings
from django.core.cache import cache, caches
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, IntegerField, QuerySet, Sum, Window
from django.db.models.fields.tuple_lookups import (
    Tuple,
    TupleGreaterThanOrEqual,
    TupleLessThan,
)
from django.db.models.functions import Coalesce, Mod, RowNumber, TruncDate
from django.db.models.lookups import GreaterThanOrEqual, LessThan
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from undersigned.lib.text import clean_line, has_hangul, initials, search_key
from undersigned.lib.us_states import state_code
from undersigned.signatures.models import Category, Display, Signature, Tally
from undersigned.statements.models import Kind, Statement

# Never add email, email_key, phone, contact_*, ip_hash or note here.
PUBLIC_COLUMNS = (
    "id",
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
    "group_rank",
    "is_sample",
)


class Counts(TypedDict):
    organizations: int
    individuals: int
    total: int


class PublicSignatory(TypedDict):
    kind: str
    name: str
    name_alt: str
    affiliation: str
    category: str
    category_label: str
    city: str
    region: str
    country: str
    website: str
    is_sample: bool


def statement_counts(statement: Statement) -> Counts:
    """Counts per kind from the counters, cached in-process for a second or two."""
    cache = caches["local"]
    key = f"counts:{statement.pk}"
    counts: Counts | None = cache.get(key)
    if counts is None:
        rows = (
            Tally.objects.filter(statement=statement, dimension="kind")
            .values_list("key")
            .annotate(n=Sum("value"))
            .values_list("key", "n")
        )
        by_kind = dict(rows)
        orgs = int(by_kind.get(Kind.ORGANIZATION, 0) or 0)
        inds = int(by_kind.get(Kind.INDIVIDUAL, 0) or 0)
        counts = {"organizations": orgs, "individuals": inds, "total": orgs + inds}
        cache.set(key, counts, 2)
    return counts


def statement_breakdown(statement: Statement, dimension: str) -> dict[str, int]:
    rows = (
        Tally.objects.filter(statement=statement, dimension=dimension)
        .values_list("key")
        .annotate(n=Sum("value"))
        .values_list("key", "n")
    )
    return {key: n for key, n in rows if n}


def round_down(n: int) -> int:
    """137 -> 130, 1,234 -> 1,200, 25,340 -> 25,000: the step a press release would use."""
    if n < 20:
        return n
    step = 10 ** max(1, len(str(n)) - 2)
    return n // step * step


def count_phrase(n: int, kind: str) -> str:
    """'over 130 organizations' / '130여 개 단체' (through the catalog)."""
    rounded = round_down(n)
    if kind == Kind.ORGANIZATION:
        if rounded == n:
            return ngettext("%(n)s organization", "%(n)s organizations", n) % {"n": f"{n:,}"}
        return ngettext("over %(n)s organization", "over %(n)s organizations", rounded) % {
            "n": f"{rounded:,}"
        }
    if rounded == n:
        return ngettext("%(n)s individual", "%(n)s individuals", n) % {"n": f"{n:,}"}
    return ngettext("over %(n)s individual", "over %(n)s individuals", rounded) % {
        "n": f"{rounded:,}"
    }


def _category_label(category: str, labels: dict[str, str] | None) -> str:
    if labels is None:
        return str(Category(category).label)
    label = labels.get(category)
    if label is None:
        label = labels[category] = str(Category(category).label)
    return label


def _public(
    row: dict[str, Any], language: str, *, labels: dict[str, str] | None = None
) -> PublicSignatory:
    """Apply the signer's display choice; choose the name in the script that fits the page.
    `labels` keeps category labels already translated, for callers that read many rows in
    one language (an export translates each category once, not once a row)."""
    name, alt = row["name"], row["name_alt"]
    if alt and (language == "ko") == has_hangul(alt) and (language == "ko") != has_hangul(name):
        name, alt = alt, name
    affiliation, city = row["affiliation"], row["city"]
    if row["kind"] == Kind.INDIVIDUAL:
        display = row["display"]
        if display == Display.NAME:
            affiliation = ""
        elif display == Display.INITIALS:
            name, alt, affiliation = initials(name), "", ""
    category = row["category"] if row["kind"] == Kind.ORGANIZATION else ""
    return {
        "kind": row["kind"],
        "name": name,
        "name_alt": alt,
        "affiliation": affiliation,
        "category": category,
        "category_label": _category_label(category, labels) if category else "",
        "city": city,
        "region": row["region"],
        "country": row["country"],
        "website": row["website"] if row["kind"] == Kind.ORGANIZATION else "",
        "is_sample": row["is_sample"],
    }


def _listed(statement: Statement, kind: str | None, q: str) -> QuerySet[Signature, dict[str, Any]]:
    # `listed__in=[True]`, not `listed=True`: Django writes the latter as a bare `"listed"` on
    # SQLite, which its planner cannot match to the signature_public_list index, so it sorted
    # every listed row on every page view (52 ms of CPU at 100,000 signatories).
    rows = Signature.objects.filter(statement=statement, listed__in=[True])
    if kind in Kind.values:
        rows = rows.filter(kind=kind)
    if q:
        rows = rows.filter(search_key__contains=search_key(q))
    return rows.order_by("group_rank", "sort_key", "id").values(*PUBLIC_COLUMNS)


class _DeferredJoinPaginator(Paginator):
    """Fetches a page in two steps: the ids of the page from the list's covering index, then
    those rows. OFFSET still walks the index, but no longer reads every skipped row itself
    (page 500 of 100,000 on PostgreSQL: 419 ms to 65 ms in EXPLAIN ANALYZE). Used for searches
    and whenever the page starts below are not to be had."""

    def page(self, number: Any) -> Page:  # type: ignore[type-arg]
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = cast(QuerySet[Signature, dict[str, Any]], self.object_list)
        ids = rows.values("id")[bottom:top]
        return self._get_page(list(rows.filter(id__in=ids)), number, self)  # type: ignore[attr-defined,no-any-return]


# The list's sort key, as the signature_public_list index holds it after (statement, listed).
_ORDER = ("group_rank", "sort_key", "id")
SortKey = tuple[int, str, int]


class _RowAtLeast(TupleGreaterThanOrEqual):  # type: ignore[misc]
    """(group_rank, sort_key, id) >= (a, b, c), written as a row value on every backend.

    Django writes it as `a > x OR (a = x AND ...)` where it thinks row values are missing
    (SQLite), and SQLite then walks the index from the statement's first row (page 500 of
    100,000: 26 ms); SQLite has compared row values since 3.15 and seeks its index with one,
    as PostgreSQL does (1.7 ms)."""

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        return GreaterThanOrEqual.as_sql(self, compiler, connection)


class _RowBelow(TupleLessThan):  # type: ignore[misc]
    """(group_rank, sort_key, id) < (a, b, c), as a row value (see _RowAtLeast)."""

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        return LessThan.as_sql(self, compiler, connection)


def _key() -> Tuple:
    return Tuple(*(F(name) for name in _ORDER))


# How long a walk's page starts serve (seconds), and how far the list may grow or shrink
# before they are walked again (a tenth: pages then hold 90 to 110 rows on average).
PAGE_STARTS_TTL = 600
PAGE_STARTS_DRIFT = 10


def _starts_key(statement: Statement, kind: str | None, per_page: int) -> str:
    return f"list-starts:{statement.pk}:{kind if kind in Kind.values else ''}:{per_page}"


def _page_starts(
    statement: Statement,
    kind: str | None,
    rows: QuerySet[Signature, Any],
    per_page: int,
    count: int,
) -> list[SortKey]:
    """The sort key of every page's first row, from one walk of the list's index, kept per
    process for up to PAGE_STARTS_TTL seconds, while the list's size (`count`, from the
    counters) stays within a PAGE_STARTS_DRIFT-th of what the walk found.

    With them any page is a seek and a short read of the index, where OFFSET walked every
    entry before the page: at 100,000 signatories on PostgreSQL the last page cost 60 ms
    with the table's visibility map complete and 500 ms without it (each skipped entry then
    reads its row), the seek a few ms. The walk itself costs about what the last page did."""
    key = _starts_key(statement, kind, per_page)
    local = caches["local"]
    kept: tuple[int, list[SortKey]] | None = local.get(key)
    if kept is not None and abs(count - kept[0]) * PAGE_STARTS_DRIFT <= kept[0]:
        return kept[1]
    numbered = rows.annotate(
        n=Window(RowNumber(), order_by=[F(name).asc() for name in _ORDER])
    ).annotate(place=Mod(F("n") - 1, per_page, output_field=IntegerField()))
    starts = list(numbered.filter(place=0).values_list(*_ORDER).order_by(*_ORDER))
    local.set(key, (count, starts), PAGE_STARTS_TTL)
    return starts


class _Stale(Exception):
    """A page grew past what a seek reads: the page starts are too old for it."""


class _SeekPaginator(Paginator):
    """Page N is the rows from page N's first sort key up to page N+1's (see _page_starts):
    one index seek, whatever N. The pages are those of the last walk: between two walks each
    listed row is still on exactly one page however the list changed, and a page holds a few
    more or fewer rows than per_page when sign-ons arrived in it or left it."""

    def __init__(self, object_list: Any, per_page: int, starts: list[SortKey]) -> None:
        super().__init__(object_list, per_page)
        self.starts = starts

    @property
    def num_pages(self) -> int:  # type: ignore[override]
        return len(self.starts)

    def page(self, number: Any) -> Page:  # type: ignore[type-arg]
        number = self.validate_number(number)
        rows = cast(QuerySet[Signature, dict[str, Any]], self.object_list)
        if number > 1:
            rows = rows.filter(_RowAtLeast(_key(), self.starts[number - 1]))
        # The end of the page is found by reading on, not by a condition in WHERE: PostgreSQL
        # (before 18) stops a scan on a row comparison's first column only, so `< next start`
        # would read every individual after the page (group_rank is the same for all of them).
        ahead = self.per_page + self.per_page // 2
        if number < len(self.starts):
            rows = rows.annotate(_on_page=_RowBelow(_key(), self.starts[number]))
        read = list(rows[: ahead + 1])
        found = [r for r in read if r.pop("_on_page", True)]
        if len(found) > ahead:
            raise _Stale
        return self._get_page(found, number, self)  # type: ignore[attr-defined,no-any-return]


@dataclass
class SignatoryPage:
    page: Page  # type: ignore[type-arg]
    entries: list[PublicSignatory]
    groups: list[tuple[str, list[PublicSignatory]]]


def public_signatories(
    statement: Statement,
    *,
    kind: str | None = None,
    q: str = "",
    page: int = 1,
    language: str = "en",
    per_page: int = 100,
) -> SignatoryPage:
    """One page of the public list, in groups: organizations by category, then individuals.

    The caller must have checked that the statement's list is public (statement.is_public).
    """
    q = clean_line(q)[:100]
    rows = _listed(statement, kind, q)
    paginator: Paginator = _DeferredJoinPaginator(rows, per_page)
    if not q:
        # The listed counters give the total without counting rows on every page view.
        listed = statement_breakdown(statement, "listed")
        paginator.count = sum(n for k, n in listed.items() if kind not in Kind.values or k == kind)  # type: ignore[misc]
        if paginator.num_pages > 1:
            starts = _page_starts(statement, kind, rows, per_page, paginator.count)
            if starts:
                seek = _SeekPaginator(rows, per_page, starts)
                seek.count = paginator.count  # type: ignore[misc]
                try:
                    current = seek.get_page(page)
                except _Stale:
                    caches["local"].delete(_starts_key(statement, kind, per_page))
                else:
                    return _grouped(current, language)
    return _grouped(paginator.get_page(page), language)


def _grouped(current: Page, language: str) -> SignatoryPage:  # type: ignore[type-arg]
    entries = [_public(row, language) for row in current.object_list]
    groups: list[tuple[str, list[PublicSignatory]]] = []
    for entry in entries:
        label = entry["category_label"] if entry["kind"] == Kind.ORGANIZATION else _("Individuals")
        if not groups or groups[-1][0] != label:
            groups.append((label, []))
        groups[-1][1].append(entry)
    return SignatoryPage(page=current, entries=entries, groups=groups)


# Pictures on the statement page ---------------------------------------------------------------
PER_DAY_TTL = 600  # seconds: earlier days change only by withdrawals and late decisions


def counted_per_day(statement: Statement) -> list[tuple[date, int]]:
    """Sign-ons that count now, by the day (in TIME_ZONE) they were confirmed, oldest first;
    days without any are left out.

    The days before today come from one grouped query kept in the shared cache for
    PER_DAY_TTL seconds; today's figure is what the counters (Tally) hold beyond them, so the
    last day always agrees with the count shown above the chart."""
    today = timezone.localdate()
    key = f"counted-per-day:{statement.pk}:{settings.TIME_ZONE}"
    cached: list[tuple[date, int]] | None = cache.get(key)
    if cached is None:
        day = TruncDate(
            Coalesce("confirmed_at", "created_at"), tzinfo=timezone.get_current_timezone()
        )
        rows = (
            Signature.objects.filter(statement=statement, counted=True)
            .annotate(day=day)
            .values("day")
            .annotate(n=Count("id"))
            .values_list("day", "n")
            .order_by("day")
        )
        cached = [(d, n) for d, n in rows if d is not None and d < today]
        cache.set(key, cached, PER_DAY_TTL)
    earlier = [(d, n) for d, n in cached if d < today]
    now = statement_counts(statement)["total"] - sum(n for _d, n in earlier)
    return [*earlier, (today, now)] if now > 0 else earlier


class StateCounts(TypedDict):
    states: dict[str, int]
    unplaced: int


def counted_by_us_state(statement: Statement) -> StateCounts:
    """Counted sign-ons from the United States by state, from the counters (one small query);
    what signers typed that names no state is counted apart."""
    states: dict[str, int] = {}
    unplaced = 0
    for key, n in statement_breakdown(statement, "region").items():
        if not key.startswith("US-"):
            continue
        code = state_code(key[3:])
        if code:
            states[code] = states.get(code, 0) + n
        else:
            unplaced += n
    in_us = statement_breakdown_one(statement, "country", "US")
    # Signers in the US who left the state empty have no region counter.
    unplaced += max(0, in_us - sum(states.values()) - unplaced)
    return {"states": states, "unplaced": unplaced}


def statement_breakdown_one(statement: Statement, dimension: str, key: str) -> int:
    total = Tally.objects.filter(statement=statement, dimension=dimension, key=key).aggregate(
        n=Sum("value")
    )["n"]
    return int(total or 0)
