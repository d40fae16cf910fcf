from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.text import Truncator
from django.utils.translation import get_language, override
from django.views.decorators.http import require_GET

from undersigned.console.charts import cumulative_chart, tile_map
from undersigned.delivery.selectors import statement_page_record
from undersigned.lib.microcache import keep_copy
from undersigned.lib.us_states import US_STATES
from undersigned.signatures.forms import SignatureForm
from undersigned.signatures.screening import form_started_token
from undersigned.signatures.selectors import (
    count_phrase,
    counted_by_us_state,
    counted_per_day,
    statement_counts,
)
from undersigned.statements.models import Kind, Statement
from undersigned.statements.selectors import public_statements, statement_by_slug
from undersigned.statements.share import share_image, signed_line, speaker_name


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
                "value": min(count, goal) if goal else None,
            }
        )
    return rows


def pictures(statement: Statement) -> dict[str, Any]:
    """Sign-ons over time and by US state, drawn as SVG from cheap reads (see the selectors)."""
    by_state = counted_by_us_state(statement)
    over_time = cumulative_chart(counted_per_day(statement))
    return {
        "over_time": over_time,
        "recent_days": over_time.points[-31:][::-1] if over_time else [],
        "states": tile_map(by_state["states"]) if by_state["states"] else None,
        "state_rows": sorted(
            ((US_STATES[code], n) for code, n in by_state["states"].items()),
            key=lambda row: (-row[1], str(row[0])),
        ),
        "unplaced": by_state["unplaced"],
    }


PICTURES_TTL = 10  # seconds: the pictures are drawn at most this often per language


def pictures_html(statement: Statement, language: str) -> str:
    """The pictures, rendered, kept in this process for PICTURES_TTL seconds: the statement
    page is rendered every PAGE_TTL seconds, and the pictures need not change as often."""
    cache_ = caches["local"]
    key = f"statement-pictures:{statement.pk}:{language}"  # see forget_cached_pages
    html: str | None = cache_.get(key)
    if html is None:
        data = pictures(statement)
        html = (
            render_to_string("statements/_pictures.html", {"pictures": data})
            if data["over_time"] or data["states"]
            else ""
        )
        cache_.set(key, html, PICTURES_TTL)
    return html  # a SafeString (the template's output), kept as one through the cache


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

    With `placeholders`, the form start time and referral code are markers, so the page can be
    cached and completed per request (see `detail`)."""
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
        "pictures": pictures_html(statement, language) if statement.is_public else "",
        "share": share_meta(statement, language),
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
    return render(request, "statements/detail.html", context, status=status)


# Markers no statement text can contain: they are new random strings in every process.
_REF = secrets.token_hex(16)
_STARTED = secrets.token_hex(16)
PAGE_TTL = 2  # seconds; the counts on the page are cached as long


@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The statement page, rendered once per language every PAGE_TTL seconds per process:
    a shared link going viral costs a cache lookup, not a template render, per view (and,
    for visitors without cookies, not even that: see undersigned.lib.microcache)."""
    cache = caches["local"]
    key = f"statement-page:{slug}:{get_language()}"  # see forget_cached_pages
    page = cache.get(key)
    if page is None:
        page = render_statement(
            request, statement_by_slug(slug), placeholders=True
        ).content.decode()
        cache.set(key, page, PAGE_TTL)
    ref = escape(request.GET.get("ref", "")[:64])
    page = page.replace(_STARTED, form_started_token()).replace(_REF, ref)
    return keep_copy(HttpResponse(page), f"statement:{slug}")


SHARE_TTL = 300  # seconds: the share image is drawn at most once per five minutes


def share_meta(statement: Statement, language: str) -> dict[str, str]:
    """Open Graph and Twitter card fields in the page's language, the image absolute."""
    text = statement.text(language)
    summary = text.get("summary") or text.get("preamble") or ""
    with override(language):
        image = reverse("statements:share_image", kwargs={"slug": statement.slug})
        url = reverse("statements:detail", kwargs={"slug": statement.slug})
    return {
        "title": text.get("title") or statement.slug,
        "description": Truncator(summary).chars(200),
        "image": settings.BASE_URL + image,
        "url": settings.BASE_URL + url,
        "locale": "ko_KR" if language == "ko" else "en_US",
    }


@require_GET
def share_image_view(request: HttpRequest, slug: str) -> HttpResponse:
    """The statement's Open Graph image: drawn at most every SHARE_TTL seconds per language
    (kept in the shared cache), and cacheable as long by browsers and crawlers."""
    statement = statement_by_slug(slug)
    language = get_language() or statement.default_language
    key = f"share-image:{statement.pk}:{language}"
    png: bytes | None = cache.get(key)
    if png is None:
        counts = statement_counts(statement) if statement.is_public else None
        png = share_image(
            title=statement.title(language),
            counts=signed_line(
                count_phrase(counts["organizations"], Kind.ORGANIZATION)
                if counts and counts["organizations"]
                else "",
                count_phrase(counts["individuals"], Kind.INDIVIDUAL)
                if counts and counts["individuals"]
                else "",
            ),
            speaker=speaker_name(),
        )
        cache.set(key, png, SHARE_TTL)
    etag = f'"{hashlib.sha256(png).hexdigest()[:32]}"'
    response: HttpResponse
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(png, content_type="image/png")
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={SHARE_TTL}"
    if not statement.is_public:
        response["X-Robots-Tag"] = "noindex"
    return response
