"""Public reads of statements: which exist for the public, in which language."""

from __future__ import annotations

import copy
import secrets

from django.conf import settings
from django.core.cache import caches
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from undersigned.lib import microcache
from undersigned.lib.kept import Kept
from undersigned.statements.models import Statement, StatementStatus

STATEMENT_TTL = 2  # seconds
# This process's statements by slug, each kept while caches["local"] holds "statement:<slug>".
_statements: Kept[str, Statement] = Kept(lambda slug: f"statement:{slug}", STATEMENT_TTL)
PUBLIC_STATUSES = (StatementStatus.RELEASED, StatementStatus.CLOSED, StatementStatus.DELIVERED)


def _release_due() -> None:
    """Statements whose embargo (release_at) has passed become public on the next read."""
    Statement.objects.filter(
        status=StatementStatus.COLLECTING, release_at__isnull=False, release_at__lte=timezone.now()
    ).update(status=StatementStatus.RELEASED)


def forget_cached_pages(statement: Statement) -> None:
    """Drop this process's cached copies of the statement page, list pages and counts after a
    change (and the finished answers MicroCacheMiddleware keeps)."""
    keys = [f"statement-page:{statement.slug}:{code}" for code, _name in settings.LANGUAGES]
    keys += [f"statement-pictures:{statement.pk}:{code}" for code, _name in settings.LANGUAGES]
    microcache.forget(f"statement:{statement.slug}")
    caches["local"].delete_many(
        [
            *keys,
            f"counts:{statement.pk}",
            f"statement:{statement.slug}",
            f"list-generation:{statement.pk}",
        ]
    )


def list_page_key(statement: Statement, kind: str, page: str, language: str) -> str:
    """The cache key of one page of the public list. The list's pages are too many to name in
    forget_cached_pages, so their keys carry a generation that forgetting replaces."""
    cache = caches["local"]
    generation = cache.get(f"list-generation:{statement.pk}")
    if generation is None:
        generation = secrets.token_hex(4)
        cache.set(f"list-generation:{statement.pk}", generation, None)
    return f"list:{statement.pk}:{generation}:{kind[:20]}:{page[:20]}:{language}"


def public_statements() -> QuerySet[Statement]:
    """Statements listed on the front page and in the API: released and later, never drafts
    or statements still collecting behind their shared link."""
    return (
        Statement.objects.filter(status__in=PUBLIC_STATUSES)
        .select_related("current_version")
        .order_by("-created_at")
    )


def statement_by_slug(slug: str) -> Statement:
    """A statement reachable by its link (anything but a draft), or 404.

    Every sign-on and page view starts here, so the row (with its current text) is kept in
    this process for STATEMENT_TTL seconds; changes made here drop it (forget_cached_pages).
    Each caller gets its own copy of the row (the text is shared, and only read)."""
    kept = _statements.get(
        slug, lambda: Statement.objects.select_related("current_version").filter(slug=slug).first()
    )
    if kept is None or not kept.is_reachable:
        raise Http404("No such statement")
    statement = copy.copy(kept)
    if (
        statement.status == StatementStatus.COLLECTING
        and statement.release_at
        and statement.release_at <= timezone.now()
    ):
        _release_due()
        statement.refresh_from_db(fields=["status"])
        forget_cached_pages(statement)
    return statement
