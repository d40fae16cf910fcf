"""/api/v1: the public JSON API. Reads go through the selectors; the sign-on goes through the
same form and service as the HTML page."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query
from ninja.errors import ValidationError as NinjaValidationError

from undersigned.api.schemas import (
    SIGNATURE_BODY_SCHEMA,
    CountsOut,
    ErrorsOut,
    PendingOut,
    SignatoryPageOut,
    StatementOut,
)
from undersigned.lib.http import client_ip, ip_hash
from undersigned.signatures.forms import SignatureForm
from undersigned.signatures.models import Source
from undersigned.signatures.selectors import public_signatories, statement_counts
from undersigned.signatures.services import SigningClosed, signature_create
from undersigned.statements.models import Kind, Statement
from undersigned.statements.selectors import public_statements, statement_by_slug

api = NinjaAPI(
    title="undersigned API",
    version="1",
    description="Public statements, counts and signatories, and JSON sign-on.",
    openapi_url="/openapi.json",
    docs_url="/docs",
    urls_namespace="api",
)


def _errors(status: int, errors: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
    return status, {"errors": errors}


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


@api.get("/statements", response=list[StatementOut], tags=["statements"])
def list_statements(request: HttpRequest) -> list[dict[str, Any]]:
    """Released statements (drafts and statements still collecting privately are not listed)."""
    return [
        statement_out(s) for s in public_statements().prefetch_related("demands", "targets")[:100]
    ]


@api.get("/statements/{slug}", response={200: StatementOut, 404: ErrorsOut}, tags=["statements"])
def get_statement(request: HttpRequest, slug: str) -> dict[str, Any]:
    """One statement by its address. Counts are null until the statement is released."""
    return statement_out(statement_by_slug(slug))


def _public_statement(slug: str) -> Statement:
    statement = statement_by_slug(slug)
    if not statement.is_public:
        raise Http404
    return statement


@api.get("/statements/{slug}/count", response={200: CountsOut, 404: ErrorsOut}, tags=["statements"])
def get_count(request: HttpRequest, slug: str) -> Any:
    """Just the counts of confirmed (and, where required, approved) sign-ons."""
    return statement_counts(_public_statement(slug))


@api.get(
    "/statements/{slug}/signatories",
    response={200: SignatoryPageOut, 404: ErrorsOut},
    tags=["signatories"],
)
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
    return {
        "count": result.page.paginator.count,
        "page": result.page.number,
        "pages": result.page.paginator.num_pages,
        "results": [{k: v for k, v in e.items() if k != "category_label"} for e in result.entries],
    }


@api.post(
    "/statements/{slug}/signatures",
    response={202: PendingOut, 400: ErrorsOut, 404: ErrorsOut, 409: ErrorsOut, 415: ErrorsOut},
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
    statement = statement_by_slug(slug)
    if request.content_type != "application/json":
        return _errors(
            415, {"__all__": [_("Send the sign-on as JSON (Content-Type: application/json).")]}
        )
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _errors(400, {"__all__": [_("The request body is not valid JSON.")]})
    if not isinstance(body, dict):
        return _errors(400, {"__all__": [_("The request body must be a JSON object.")]})
    language = body.get("language")
    if language not in dict(settings.LANGUAGES):
        language = translation.get_language() or statement.default_language
    with translation.override(language):
        return _sign(request, statement, body, language)


def _sign(request: HttpRequest, statement: Statement, body: dict[str, Any], language: str) -> Any:
    data: dict[str, Any] = {}
    for key, value in body.items():
        if key in ("language", "ref"):
            continue
        field = "wants_updates" if key == "updates" else key
        if isinstance(value, bool) and field == "wants_updates":
            data[field] = "on" if value else ""
        elif field == "networks" and isinstance(value, list):
            data[field] = [str(v) for v in value]
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            data[field] = str(value)
        else:
            return _errors(400, {key: [_("Send this field as a string.")]})
    form = SignatureForm(_QueryDict(data))
    if not form.is_valid():
        return _errors(400, {k: [str(m) for m in v] for k, v in form.errors.items()})
    ref = body.get("ref")
    try:
        signature_create(
            statement=statement,
            data=form.cleaned_data,  # type: ignore[arg-type]
            ip_hash=ip_hash(client_ip(request)),
            source=Source.API,
            language=language,
            referral=ref if isinstance(ref, str) else "",
        )
    except SigningClosed as exc:
        return _errors(409, {"__all__": [exc.message]})
    return 202, {"status": "pending_confirmation"}


class _QueryDict(dict):  # type: ignore[type-arg]
    """Just enough of QueryDict for a form fed from JSON (multi-valued `networks`)."""

    def getlist(self, key: str, default: Any = None) -> list[Any]:
        value = self.get(key, default)
        if value is None:
            return []
        return value if isinstance(value, list) else [value]
