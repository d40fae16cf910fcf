"""Organizer-side reads of sign-ons: the queues, the sign-ons an invalidation would touch,
partners and their referrals. These read private fields (contact, email domain, IP hash):
only console views behind statement_role_required call them, never a public page."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.core.cache import caches
from django.db.models import Count, F, Q, QuerySet, Value
from django.db.models.functions import StrIndex, Substr, TruncDate, TruncHour
from django.utils import timezone

from undersigned.lib.emails import email_domain
from undersigned.lib.kept import Kept
from undersigned.lib.text import search_key
from undersigned.moderation.models import (
    InvalidationBatch,
    Partner,
    RuleAction,
    RuleKind,
    ScreeningLimits,
    ScreeningRule,
)
from undersigned.moderation.rules import RuleSet, Screening, parse_network
from undersigned.signatures.models import Signature, Status
from undersigned.statements.models import Kind, Statement

# Sign-ons an invalidation leaves alone: already invalidated, or withdrawn by their signer.
UNTOUCHABLE = (Status.INVALIDATED, Status.WITHDRAWN)


@dataclass(frozen=True)
class Criteria:
    """Which sign-ons a bulk invalidation matches; every criterion given must hold."""

    ip_hash: str = ""
    email_domain: str = ""
    since: datetime | None = None
    until: datetime | None = None
    name_contains: str = ""
    ids: tuple[int, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (
            self.ip_hash
            or self.email_domain
            or self.since
            or self.until
            or self.name_contains
            or self.ids
        )

    def as_json(self) -> dict[str, Any]:
        """The criteria as stored on the batch and in the audit log (never an address)."""
        data: dict[str, Any] = {
            "ip_hash": self.ip_hash,
            "email_domain": self.email_domain,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "name_contains": self.name_contains,
            "ids": list(self.ids),
        }
        return {k: v for k, v in data.items() if v}


def invalidation_candidates(statement: Statement, criteria: Criteria) -> QuerySet[Signature]:
    """The sign-ons a bulk invalidation with these criteria would invalidate now. The dry run
    counts this queryset and the invalidation applies it, so both see the same rows."""
    if criteria.is_empty:
        return Signature.objects.none()
    rows = Signature.objects.filter(statement=statement).exclude(status__in=UNTOUCHABLE)
    if criteria.ip_hash:
        rows = rows.filter(ip_hash=criteria.ip_hash)
    if criteria.email_domain:
        # email_key is stored lower-cased: "@example.org" matches that domain exactly.
        rows = rows.filter(email_key__endswith="@" + criteria.email_domain.lower())
    if criteria.since:
        rows = rows.filter(created_at__gte=criteria.since)
    if criteria.until:
        rows = rows.filter(created_at__lt=criteria.until)
    if criteria.name_contains:
        rows = rows.filter(
            Q(name__icontains=criteria.name_contains)
            | Q(name_alt__icontains=criteria.name_contains)
        )
    if criteria.ids:
        rows = rows.filter(pk__in=criteria.ids)
    return rows


def website_domain(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host.removeprefix("www.")


def domains_match(email: str, website: str) -> bool | None:
    """Whether the contact's email domain is the organization's website domain (or one under
    the other: mail.example.org and example.org). None when there is no website to compare."""
    site, mail = website_domain(website), email_domain(email)
    if not site or not mail:
        return None
    return mail == site or mail.endswith("." + site) or site.endswith("." + mail)


def _annotate(rows: list[Signature]) -> list[Signature]:
    for row in rows:
        row.domain_match = domains_match(row.email, row.website)  # type: ignore[attr-defined]
        row.email_domain = email_domain(row.email)  # type: ignore[attr-defined]
    return rows


def approval_queue(statement: Statement, *, limit: int = 200) -> tuple[list[Signature], int]:
    """Confirmed sign-ons waiting for a moderator (kinds the statement approves before
    listing), oldest first, with the queue's full size. Held sign-ons wait in the held queue."""
    kinds = [k for k in Kind.values if statement.is_moderated(k)]
    rows = Signature.objects.filter(
        statement=statement, status=Status.CONFIRMED, kind__in=kinds, hold_reason=""
    )
    total = rows.count()
    page = list(rows.order_by("created_at", "id").prefetch_related("networks")[:limit])
    return _annotate(page), total


def held_queue(statement: Statement, *, limit: int = 200) -> tuple[list[Signature], int]:
    """Sign-ons held quietly by the abuse defenses and still alive, oldest first."""
    rows = (
        Signature.objects.filter(statement=statement)
        .exclude(hold_reason="")
        .exclude(status__in=UNTOUCHABLE)
    )
    total = rows.count()
    page = list(rows.order_by("created_at", "id").prefetch_related("networks")[:limit])
    return _annotate(page), total


def moderation_backlog(statement: Statement) -> dict[str, int]:
    return {
        "approval": approval_queue(statement, limit=0)[1],
        "held": held_queue(statement, limit=0)[1],
    }


def signature_ids_in(statement: Statement, ids: list[int]) -> list[int]:
    """The given ids that are sign-ons of this statement: what a posted form may act on."""
    return list(
        Signature.objects.filter(statement=statement, pk__in=ids[:1000]).values_list(
            "pk", flat=True
        )
    )


def signature_for_organizer(statement: Statement, signature_id: int) -> Signature | None:
    row = (
        Signature.objects.filter(statement=statement, pk=signature_id)
        .select_related("version", "invalidation_batch")
        .prefetch_related("networks")
        .first()
    )
    return _annotate([row])[0] if row else None


def possible_duplicates(signature: Signature) -> list[Signature]:
    """Other live sign-ons of the statement with the same name or the same email address."""
    rows = (
        Signature.objects.filter(statement_id=signature.statement_id)
        .filter(Q(sort_key=signature.sort_key) | Q(email_key=signature.email_key))
        .exclude(pk=signature.pk)
        .exclude(status__in=UNTOUCHABLE)
        .order_by("created_at")[:20]
    )
    return list(rows)


def signatures_for_organizer(
    statement: Statement, *, q: str = "", status: str = "", kind: str = ""
) -> QuerySet[Signature]:
    """Every sign-on of the statement, newest first, for the console's search."""
    rows = Signature.objects.filter(statement=statement)
    if status in Status.values:
        rows = rows.filter(status=status)
    elif status == "held":
        rows = rows.exclude(hold_reason="")
    if kind in Kind.values:
        rows = rows.filter(kind=kind)
    if q:
        key = search_key(q)
        rows = rows.filter(Q(search_key__contains=key) | Q(email_key__icontains=q.strip()))
    return rows.order_by("-created_at", "-id")


def invalidation_batches(statement: Statement) -> QuerySet[InvalidationBatch]:
    return InvalidationBatch.objects.filter(statement=statement).select_related(
        "created_by", "reverted_by"
    )


# Partners and referrals ---------------------------------------------------------------------
def referral_counts(statement: Statement) -> dict[str, int]:
    """Counted sign-ons per referral code."""
    rows = (
        Signature.objects.filter(statement=statement, counted=True)
        .exclude(referral="")
        .values_list("referral")
        .annotate(n=Count("id"))
        .values_list("referral", "n")
    )
    return dict(rows)


@dataclass
class PartnerRow:
    partner: Partner
    count: int


def partners_with_counts(statement: Statement) -> tuple[list[PartnerRow], dict[str, int]]:
    """Each partner with the counted sign-ons its link brought, and the codes seen that
    belong to no partner (a link passed on by hand, a typo)."""
    counts = referral_counts(statement)
    partners = list(Partner.objects.filter(statement=statement))
    known = {p.code for p in partners}
    others = {code: n for code, n in sorted(counts.items()) if code not in known}
    return [PartnerRow(p, counts.get(p.code, 0)) for p in partners], others


def partner_in(statement: Statement, partner_id: int) -> Partner | None:
    return Partner.objects.filter(statement=statement, pk=partner_id).first()


# The dashboard ------------------------------------------------------------------------------
@dataclass
class Day:
    day: date
    total: int
    counted: int


def signons_per_day(statement: Statement, *, days: int = 60) -> list[Day]:
    """Sign-ons made per day over the last `days` days (from the first one), and how many
    of them count now; days without any are included, so the chart's gaps are real."""
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    rows = (
        Signature.objects.filter(
            statement=statement,
            created_at__gte=timezone.make_aware(datetime.combine(start, datetime.min.time())),
        )
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(total=Count("id"), counted=Count("id", filter=Q(counted=True)))
        .values_list("day", "total", "counted")
    )
    by_day = {day: (total, counted) for day, total, counted in rows}
    if not by_day:
        return []
    first = min(by_day)
    span = (today - first).days + 1
    return [
        Day(d, *by_day.get(d, (0, 0)))
        for d in (first + timedelta(days=i) for i in range(max(span, 1)))
    ]


# Abuse defenses -----------------------------------------------------------------------------
SCREENING_TTL = 2  # seconds, like statements.selectors.STATEMENT_TTL


def _screening_key(statement_id: int) -> str:
    return f"screening:{statement_id}"


# Compiled settings of this process, by statement.
_compiled: Kept[int, Screening] = Kept(_screening_key, SCREENING_TTL)


def _load_screening(statement_id: int) -> Screening:
    screening = Screening()
    limits = ScreeningLimits.objects.filter(statement_id=statement_id).first()
    if limits is not None:
        screening.own_per_minute = limits.per_minute
        screening.own_per_hour = limits.per_hour
        screening.own_min_fill_seconds = limits.min_fill_seconds
    rules = ScreeningRule.objects.filter(statement_id=statement_id).values_list(
        "action", "kind", "value"
    )
    for action, kind, value in rules:
        target: RuleSet = screening.allow if action == RuleAction.ALLOW else screening.block
        if kind == RuleKind.IP_RANGE:
            target.add_network(parse_network(value))
        elif kind == RuleKind.EMAIL_DOMAIN:
            target.domains.add(value)
        else:
            target.addresses.add(value)
    return screening


def screening_for(statement_id: int) -> Screening:
    """The statement's limits and lists, compiled for matching. Every sign-on reads them, so
    each process keeps them for SCREENING_TTL seconds; a change made in the console drops
    that process's copy at once (forget_screening), the others' within the TTL."""
    screening = _compiled.get(statement_id, lambda: _load_screening(statement_id))
    assert screening is not None
    return screening


def forget_screening(statement_id: int) -> None:
    caches["local"].delete(_screening_key(statement_id))


def screening_rules(statement: Statement) -> QuerySet[ScreeningRule]:
    return ScreeningRule.objects.filter(statement=statement).select_related("created_by")


def screening_limits(statement: Statement) -> ScreeningLimits | None:
    return ScreeningLimits.objects.filter(statement=statement).first()


def screening_rule_in(statement: Statement, rule_id: int) -> ScreeningRule | None:
    return ScreeningRule.objects.filter(statement=statement, pk=rule_id).first()


# The hourly report ---------------------------------------------------------------------------
REPORT_HOURS = 48
# An hour is a spike for one address (or domain) when it brought at least SPIKE_MIN sign-ons
# and at least SPIKE_FACTOR times that address's median hour: the median over every hour of
# the report in which the statement received any sign-on, hours without one from this
# address counting as 0. A steady big domain (gmail.com) has a high median and is not
# flagged for being big; a newcomer with 10 in one hour is.
SPIKE_MIN = 10
SPIKE_FACTOR = 3
REPORT_ROWS = 100


@dataclass
class HourRow:
    hour: datetime
    key: str
    count: int
    hour_total: int
    usual: float
    spike: bool

    @property
    def share(self) -> int:
        """Per cent of the hour's sign-ons."""
        return round(100 * self.count / self.hour_total) if self.hour_total else 0

    @property
    def until(self) -> datetime:
        return self.hour + timedelta(hours=1)


@dataclass
class HourlyReport:
    since: datetime
    hours: list[tuple[datetime, int]]
    by_address: list[HourRow]
    by_domain: list[HourRow]

    @property
    def spikes(self) -> int:
        return sum(r.spike for r in (*self.by_address, *self.by_domain))


def _hour_rows(
    counts: list[tuple[datetime, str, int]], totals: dict[datetime, int]
) -> list[HourRow]:
    active = sorted(totals)
    per_key: dict[str, dict[datetime, int]] = {}
    for hour, key, n in counts:
        per_key.setdefault(key, {})[hour] = n
    rows = []
    for key, hours in per_key.items():
        usual = statistics.median(hours.get(h, 0) for h in active) if active else 0
        for hour, n in hours.items():
            spike = n >= SPIKE_MIN and n >= SPIKE_FACTOR * usual
            if n >= 2 or spike:
                rows.append(HourRow(hour, key, n, totals.get(hour, n), usual, spike))
    rows.sort(key=lambda r: (not r.spike, -r.hour.timestamp(), -r.count, r.key))
    return rows[:REPORT_ROWS]


def signons_per_hour(statement: Statement, *, hours: int = REPORT_HOURS) -> HourlyReport:
    """Sign-ons per hour over the last `hours` hours, by address hash and by email domain,
    with spikes flagged (see SPIKE_MIN). Three GROUP BY queries over the statement's recent
    rows; an address or domain with a single sign-on in an hour is left out of the rows."""
    now = timezone.now()
    since = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    recent = Signature.objects.filter(statement=statement, created_at__gte=since).annotate(
        hour=TruncHour("created_at")
    )
    totals = dict(recent.values("hour").annotate(n=Count("id")).values_list("hour", "n"))
    by_address = list(
        recent.exclude(ip_hash="")
        .values("hour", "ip_hash")
        .annotate(n=Count("id"))
        .values_list("hour", "ip_hash", "n")
    )
    # email_key holds the address lower-cased: its domain is what invalidation matches.
    by_domain = list(
        recent.annotate(domain=Substr(F("email_key"), StrIndex(F("email_key"), Value("@")) + 1))
        .values("hour", "domain")
        .annotate(n=Count("id"))
        .values_list("hour", "domain", "n")
    )
    return HourlyReport(
        since=since,
        hours=sorted(totals.items()),
        by_address=_hour_rows(by_address, totals),
        by_domain=_hour_rows(by_domain, totals),
    )
