"""/api/v1: the public JSON API. Reads go through the selectors; the sign-on goes through the
same form and service as the HTML page."""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query, Status
from ninja.decorators import decorate_view
from ninja.errors import ValidationError as NinjaValidationError

from undersigned.api.caching import public_cache
from undersigned.api.schemas import (
    SIGNATURE_BODY_SCHEMA,
    CountsOut,
    ErrorsOut,
    PendingOut,
    SignatoryPageOut,
    StatementOut,
)
from undersigned.api.signing import SignOnRefused, language_of, sign_on
from undersigned.api.tracker import router as tracker_router
from undersigned.lib.microcache import keep_copy
from undersigned.signatures.models import Source
from undersigned.signatures.selectors import public_signatories, statement_counts
from undersigned.statements.models import Kind, Statement
from undersigned.statements.selectors import public_statements, statement_by_slug

api = NinjaAPI(
    title="undersigned API",
    version="1",
    description="Public statements, counts and signatories, and JSON sign-on.",
    openapi_url="/openapi.json",
    # Swagger UI would load from a CDN, which the Content-Security-Policy blocks.
    docs_url=None,
    urls_namespace="api",
)


# A slug as the URL patterns of the pages accept it; anything else cannot name a statement
# (and must not reach the database: PostgreSQL refuses NUL characters with an exception).
_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,80}")


def _errors(status: int, errors: dict[str, list[str]]) -> Status[dict[str, Any]]:
    return Status(status, {"errors": errors})


def _statement(slug: str) -> Statement:
    if not _SLUG.fullmatch(slug):
        raise Http404
    return statement_by_slug(slug)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"errors": {"__all__": [_("Not found.")]}}, status=404)


@api.exception_handler(NinjaValidationError)
def invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = [str(p) for p in error.get("loc", []) if p not in ("query", "path", "body")]
        errors.setdefault(".".join(loc) or "__all__", []).append(
            str(error.get("msg", _("Invalid value.")))
        )
    return api.create_response(request, {"errors": errors}, status=400)


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(
        request, {"errors": {"__all__": [_("The request body is too large.")]}}, status=413
    )


def statement_out(statement: Statement) -> dict[str, Any]:
    version = statement.current_version
    content: dict[str, Any] = version.content if version else {}
    demands = [
        {
            "number": demand.number,
            "text": {
                lang: (text.get("demands") or [""] * demand.number)[demand.number - 1]
                for lang, text in content.items()
                if len(text.get("demands") or []) >= demand.number
            },
        }
        for demand in statement.demands.all()
    ]
    return {
        "slug": statement.slug,
        "status": statement.status,
        "url": settings.BASE_URL + reverse("statements:detail", kwargs={"slug": statement.slug}),
        "default_language": statement.default_language,
        "languages": list(content.keys()),
        "version": version.number if version else None,
        "version_hash": version.content_hash if version else None,
        "text": content,
        "demands": demands,
        "targets": [
            {
                "name": t.name,
                "name_alt": t.name_alt,
                "title": t.title,
                "organization": t.organization,
            }
            for t in statement.targets.all()
        ],
        "opens_at": statement.opens_at,
        "release_at": statement.release_at,
        "closes_at": statement.closes_at,
        "accepts": [k for k in Kind.values if statement.accepts(k)],
        "goals": {
            Kind.ORGANIZATION: statement.goal_organizations,
            Kind.INDIVIDUAL: statement.goal_individuals,
        },
        "is_open_for_signing": statement.is_open_for_signing(),
        "is_sample": statement.is_sample,
        "counts": statement_counts(statement) if statement.is_public else None,
    }


# How long a cache may keep each public read (seconds): the count is what a surge of readers
# polls, so it is kept shortest; statements and their lists change less often.
COUNT_MAX_AGE = 5
READ_MAX_AGE = 15


@api.get("/statements", response=list[StatementOut], tags=["statements"])
@decorate_view(public_cache(READ_MAX_AGE, stale=60))
def list_statements(request: HttpRequest) -> list[dict[str, Any]]:
    """Released statements (drafts and statements still collecting privately are not listed)."""
    return [
        statement_out(s) for s in public_statements().prefetch_related("demands", "targets")[:100]
    ]


@api.get(
    "/statements/{slug}",
    response={200: StatementOut, 404: ErrorsOut},
    tags=["statements"],
)
@decorate_view(public_cache(READ_MAX_AGE, stale=60))
def get_statement(request: HttpRequest, slug: str) -> dict[str, Any]:
    """One statement by its address. Counts are null until the statement is released."""
    return statement_out(_statement(slug))


def _public_statement(slug: str) -> Statement:
    statement = _statement(slug)
    if not statement.is_public:
        raise Http404
    return statement


@api.get(
    "/statements/{slug}/count",
    response={200: CountsOut, 404: ErrorsOut},
    tags=["statements"],
)
@decorate_view(public_cache(COUNT_MAX_AGE, stale=30))
def get_count(request: HttpRequest, slug: str) -> Any:
    """Just the counts of confirmed (and, where required, approved) sign-ons. Cacheable for
    five seconds (and thirty more while a fresh copy is fetched), with an ETag."""
    counts = statement_counts(_public_statement(slug))
    # The most polled answer, written directly: three integers need no schema validation
    # (CountsOut still documents them), which was a tenth of the request's CPU.
    body = json.dumps(
        {k: int(counts[k]) for k in ("organizations", "individuals", "total")},  # type: ignore[literal-required]
        separators=(",", ":"),
    )
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    return keep_copy(response, f"statement:{slug}")  # see undersigned.lib.microcache


@api.get(
    "/statements/{slug}/signatories",
    response={200: SignatoryPageOut, 400: ErrorsOut, 404: ErrorsOut},
    tags=["signatories"],
)
@decorate_view(public_cache(READ_MAX_AGE, stale=60))
def get_signatories(
    request: HttpRequest,
    slug: str,
    kind: Kind | None = Query(None),  # type: ignore[type-arg]  # noqa: B008
    q: str = Query("", max_length=100),
    page: int = Query(1, ge=1, le=1_000_000),
) -> Any:
    """The public list, organizations by category then individuals, with display choices applied."""
    statement = _public_statement(slug)
    result = public_signatories(
        statement,
        kind=kind,
        q=q,
        page=page,
        language=translation.get_language() or "en",
        per_page=settings.SIGNATORIES_PAGE_SIZE,
    )
    paginator = result.page.paginator
    # Past the last page the list is empty, rather than the last page again: a script that
    # reads pages until it gets no results must stop.
    entries = result.entries if page <= paginator.num_pages else []
    return {
        "count": paginator.count,
        "page": page,
        "pages": paginator.num_pages,
        "results": [{k: v for k, v in e.items() if k != "category_label"} for e in entries],
    }


@api.post(
    "/statements/{slug}/signatures",
    response={
        202: PendingOut,
        400: ErrorsOut,
        404: ErrorsOut,
        409: ErrorsOut,
        413: ErrorsOut,
        415: ErrorsOut,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": SIGNATURE_BODY_SCHEMA}},
        }
    },
    tags=["signatures"],
)
def post_signature(request: HttpRequest, slug: str) -> Any:
    """Sign. Answers 202 `pending_confirmation` whether the address is new or has signed before;
    the signer confirms through the emailed link."""
    statement = _statement(slug)
    if request.content_type != "application/json":
        return _errors(
            415, {"__all__": [_("Send the sign-on as JSON (Content-Type: application/json).")]}
        )
    if not statement.is_open_for_signing():
        return _errors(409, {"__all__": [_("This statement is not open for signing.")]})
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _errors(400, {"__all__": [_("The request body is not valid JSON.")]})
    if not isinstance(body, dict):
        return _errors(400, {"__all__": [_("The request body must be a JSON object.")]})
    try:
        language = language_of(body.get("language"), statement)
        sign_on(
            request=request, statement=statement, body=body, language=language, source=Source.API
        )
    except SignOnRefused as exc:
        return _errors(exc.status, exc.errors)
    # Made as ninja's renderer makes it, without validating the constant against PendingOut
    # for every sign-on (that step was about a tenth of a sign-on's CPU); PendingOut still
    # documents it.
    return HttpResponse(PENDING, status=202, content_type=api.get_content_type())


PENDING = json.dumps({"status": "pending_confirmation"}).encode()


api.add_router("/", tracker_router)
