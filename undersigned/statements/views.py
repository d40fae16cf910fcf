from __future__ import annotations

import secrets
from typing import Any

from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils.html import escape
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from undersigned.delivery.selectors import statement_page_record
from undersigned.signatures.forms import SignatureForm
from undersigned.signatures.screening import form_started_token
from undersigned.signatures.selectors import count_phrase, statement_counts
from undersigned.statements.models import Kind, Statement
from undersigned.statements.selectors import public_statements, statement_by_slug


def index(request: HttpRequest) -> HttpResponse:
    statements = [(s, statement_counts(s)) for s in public_statements()[:50]]
    return render(request, "statements/index.html", {"statements": statements})


def progress(statement: Statement) -> list[dict[str, Any]]:
    counts = statement_counts(statement)
    rows = []
    for kind, count in (
        (Kind.ORGANIZATION, counts["organizations"]),
        (Kind.INDIVIDUAL, counts["individuals"]),
    ):
        if not statement.accepts(kind):
            continue
        goal = statement.goal(kind)
        rows.append(
            {
                "kind": kind,
                "count": count,
                "phrase": count_phrase(count, kind),
                "goal": goal,
                "percent": min(100, round(100 * count / goal)) if goal else None,
            }
        )
    return rows


def render_statement(
    request: HttpRequest,
    statement: Statement,
    *,
    forms: dict[str, SignatureForm] | None = None,
    error: str = "",
    status: int = 200,
    placeholders: bool = False,
) -> HttpResponse:
    """The statement page; also re-rendered with a bound form when a sign-on is refused.

    With `placeholders`, the CSRF token, form start time and referral code are markers, so the page
    can be cached and completed per request (see `detail`)."""
    language = get_language() or statement.default_language
    version = statement.current_version
    forms = forms or {}
    started = _STARTED if placeholders else form_started_token()
    context = {
        "statement": statement,
        "text": statement.text(language),
        "translated": bool(version and version.has_language(language)),
        "demands": statement.text(language).get("demands") or [],
        "targets": statement.targets.all(),
        "progress": progress(statement) if statement.is_public else [],
        "delivery": statement_page_record(statement, language=language),
        "open": statement.is_open_for_signing(),
        "org_form": forms.get(Kind.ORGANIZATION)
        or SignatureForm(initial={"kind": Kind.ORGANIZATION, "started": started}, prefix="org"),
        "ind_form": forms.get(Kind.INDIVIDUAL)
        or SignatureForm(initial={"kind": Kind.INDIVIDUAL, "started": started}, prefix="ind"),
        "active_kind": next(iter(forms), ""),
        "error": error,
        "ref": _REF if placeholders else request.GET.get("ref", "")[:64],
    }
    if placeholders:
        context["csrf_token"] = _CSRF
    return render(request, "statements/detail.html", context, status=status)


# Markers no statement text can contain: they are new random strings in every process.
_CSRF = secrets.token_hex(16)
_REF = secrets.token_hex(16)
_STARTED = secrets.token_hex(16)
PAGE_TTL = 2  # seconds; the counts on the page are cached as long


@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The statement page, rendered once per language every PAGE_TTL seconds per process:
    a shared link going viral costs a cache lookup, not a template render, per view."""
    cache = caches["local"]
    key = f"statement-page:{slug}:{get_language()}"  # see forget_cached_pages
    page = cache.get(key)
    if page is None:
        page = render_statement(
            request, statement_by_slug(slug), placeholders=True
        ).content.decode()
        cache.set(key, page, PAGE_TTL)
    ref = escape(request.GET.get("ref", "")[:64])
    page = page.replace(_CSRF, get_token(request)).replace(_STARTED, form_started_token())
    return HttpResponse(page.replace(_REF, ref))
