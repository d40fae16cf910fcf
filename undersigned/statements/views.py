from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from undersigned.signatures.forms import SignatureForm
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
) -> HttpResponse:
    """The statement page; also re-rendered with a bound form when a sign-on is refused."""
    language = get_language() or statement.default_language
    version = statement.current_version
    forms = forms or {}
    context = {
        "statement": statement,
        "text": statement.text(language),
        "translated": bool(version and version.has_language(language)),
        "demands": statement.text(language).get("demands") or [],
        "targets": statement.targets.all(),
        "progress": progress(statement) if statement.is_public else [],
        "open": statement.is_open_for_signing(),
        "org_form": forms.get(Kind.ORGANIZATION)
        or SignatureForm(initial={"kind": Kind.ORGANIZATION}, prefix="org"),
        "ind_form": forms.get(Kind.INDIVIDUAL)
        or SignatureForm(initial={"kind": Kind.INDIVIDUAL}, prefix="ind"),
        "active_kind": next(iter(forms), ""),
        "error": error,
        "ref": request.GET.get("ref", "")[:64],
    }
    return render(request, "statements/detail.html", context, status=status)


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    return render_statement(request, statement_by_slug(slug))
