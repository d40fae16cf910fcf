"""Organizer-side reads of sign-ons: the queues, the sign-ons an invalidation would touch,
partners and their referrals. These read private fields (contact, email domain, IP hash):
only console views behind statement_role_required call them, never a public page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from undersigned.lib.emails import email_domain
from undersigned.lib.text import search_key
from undersigned.moderation.models import InvalidationBatch, Partner
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
