"""/osdi/v1: the Open Supporter Data Interface (HAL+JSON), so tools that speak OSDI (Action
Network and others) can read petitions and their signatures and record sign-ons.

A statement is an OSDI petition, a sign-on a signature, an organization signatory an
organization. Reads without a token see what the public list shows; an organizer's token
(`OSDI-API-Token: <key>` or `Authorization: Token <key>`) for one statement also reads its
signers' contact details and may record sign-ons, which go through the same form and service
as every other sign-on: pending until the signer confirms by email."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import RequestDataTooBig
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from undersigned.api.caching import private_answer, public_cache
from undersigned.api.models import ApiToken
from undersigned.api.selectors import api_token_for_key, counted_signatures, listed_organizations
from undersigned.api.signing import SignOnRefused, language_of, sign_on
from undersigned.lib.text import has_hangul
from undersigned.signatures.models import Source
from undersigned.signatures.selectors import public_signatories, statement_counts
from undersigned.statements.models import Kind, Statement
from undersigned.statements.selectors import public_statements, statement_by_slug

app_name = "osdi"

CONTENT_TYPE = "application/hal+json; charset=utf-8"
ORIGIN = "undersigned"
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 25
READ_MAX_AGE = 15
TOKEN_HEADERS = ("OSDI-API-Token", "Authorization")
# A slug as the URL patterns accept it; anything else names no statement (and must not reach
# the database: PostgreSQL refuses NUL characters with an exception).
_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,80}")


class OsdiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        errors: dict[str, list[str]] | None = None,
        retry_after: int | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.retry_after = retry_after


def hal(data: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False),
        status=status,
        content_type=CONTENT_TYPE,
    )


def _error(exc: OsdiError) -> HttpResponse:
    body: dict[str, Any] = {"error": exc.message}
    if exc.errors:
        body["errors"] = exc.errors
    response = hal(body, exc.status)
    if exc.status == 401:
        response["WWW-Authenticate"] = 'Token realm="osdi"'
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


def _url(name: str, **kwargs: str) -> str:
    return settings.BASE_URL + reverse(f"osdi:{name}", kwargs=kwargs or None)


def _link(href: str, title: str = "") -> dict[str, str]:
    return {"href": href, "title": title} if title else {"href": href}


# Who is asking ----------------------------------------------------------------------------
def request_token(request: HttpRequest) -> ApiToken | None:
    """The organizer token the request carries; None without one; OsdiError for a bad one."""
    key = request.headers.get("OSDI-API-Token", "").strip()
    if not key:
        scheme, _sep, value = request.headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() in {"token", "bearer"}:
            key = value.strip()
        elif scheme:
            raise OsdiError(401, _("Send the API token as 'Authorization: Token <key>'."))
    if not key:
        return None
    token = api_token_for_key(key)
    if token is None:
        raise OsdiError(401, _("This API token is not valid, or it was revoked."))
    return token


def spend_write(token: ApiToken) -> None:
    """Count one write against the token's allowance for this minute (a fixed window in the
    shared cache, so every app server counts together); OsdiError 429 past the limit."""
    limit = settings.OSDI_RATE_LIMIT_PER_MINUTE
    now = time.time()
    window = int(now // 60)
    key = f"osdi-writes:{token.pk}:{window}"
    cache = caches["default"]
    # The key names its minute, so expiry only has to outlive it; the database cache's incr()
    # keeps no timeout of its own, hence add() first.
    cache.add(key, 0, 120)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, 120)
        used = 1
    if used > limit:
        retry_after = max(1, 60 * (window + 1) - int(now))
        raise OsdiError(
            429,
            _("Too many requests with this API token: at most %(n)s a minute.") % {"n": limit},
            retry_after=retry_after,
        )


OsdiView = Callable[..., dict[str, Any]]


def osdi_read(view: OsdiView) -> Callable[..., HttpResponse]:
    """A GET that anyone may make. Without a token the answer is the same for everyone and
    cacheable; with one it is that organizer's own and no cache keeps it."""

    @wraps(view)
    def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            token = request_token(request)
            body = view(request, token, *args, **kwargs)
        except OsdiError as exc:
            return _error(exc)
        except Http404:
            return _error(OsdiError(404, _("Not found.")))
        return hal(body)

    cached_answer = public_cache(READ_MAX_AGE, stale=60)(answer)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if any(request.headers.get(h) for h in TOKEN_HEADERS):
            response = private_answer(answer(request, *args, **kwargs))
        else:
            response = cached_answer(request, *args, **kwargs)
        # A cache must not answer a request with a token from a copy made without one.
        patch_vary_headers(response, TOKEN_HEADERS)
        return response

    return require_GET(wrapper)


def _page(request: HttpRequest) -> tuple[int, int]:
    def number(name: str, default: int, top: int) -> int:
        raw = request.GET.get(name, "")
        if not raw:
            return default
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= top:
            raise OsdiError(
                400,
                _("Invalid query parameter."),
                {name: [_("Send a whole number from 1 to %(top)s.") % {"top": f"{top:,}"}]},
            )
        return int(raw)

    return number("page", 1, 1_000_000), number("per_page", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _collection(
    request: HttpRequest,
    *,
    rel: str,
    items: list[dict[str, Any]],
    total: int,
    page: int,
    per_page: int,
) -> dict[str, Any]:
    """An OSDI collection: paging figures, links to the neighbouring pages, embedded items."""
    pages = max(1, -(-total // per_page))
    base = settings.BASE_URL + request.path
    query = request.GET.copy()

    def page_url(n: int) -> str:
        query["page"] = str(n)
        query["per_page"] = str(per_page)
        return f"{base}?{query.urlencode()}"

    links: dict[str, Any] = {"self": _link(page_url(page))}
    if page < pages:
        links["next"] = _link(page_url(page + 1))
    if 1 < page <= pages + 1:
        links["prev"] = _link(page_url(page - 1))
    return {
        "total_pages": pages,
        "per_page": per_page,
        "page": page,
        "total_records": total,
        "_links": links,
        "_embedded": {rel: items},
    }


def _place(city: str, region: str, country: str) -> list[dict[str, Any]]:
    if not (city or region or country):
        return []
    return [{"locality": city, "region": region, "country": country, "primary": True}]


# Resources -----------------------------------------------------------------------------------
def petition_out(statement: Statement) -> dict[str, Any]:
    text = statement.text(translation.get_language())
    demands = text.get("demands") or []
    petition_text = "\n\n".join(
        filter(
            None,
            [
                text.get("preamble", ""),
                text.get("body", ""),
                "\n".join(f"{n}. {d}" for n, d in enumerate(demands, 1)),
            ],
        )
    )
    slug = statement.slug
    body: dict[str, Any] = {
        "identifiers": [f"{ORIGIN}:{slug}"],
        "origin_system": ORIGIN,
        "created_date": statement.created_at,
        "modified_date": statement.updated_at,
        "title": text.get("title") or slug,
        "summary": text.get("summary", ""),
        "description": text.get("preamble", ""),
        "petition_text": petition_text,
        "browser_url": settings.BASE_URL + reverse("statements:detail", kwargs={"slug": slug}),
        "target": [
            {"name": t.name, "title": t.title, "organization": t.organization}
            for t in statement.targets.all()
        ],
        "status": statement.status,
        "languages": statement.languages,
        "is_sample": statement.is_sample,
        "_links": {
            "self": _link(_url("petition", slug=slug)),
            "osdi:signatures": _link(_url("signatures", slug=slug)),
            "osdi:record_signature_helper": _link(_url("record_signature_helper", slug=slug)),
            "osdi:organizations": _link(f"{_url('organizations')}?petition={slug}"),
        },
    }
    if statement.is_public:
        # Counts stay private until the statement is released, as on its page.
        body["total_signatures"] = statement_counts(statement)["total"]
    return body


def public_signature_out(entry: Any, petition: str) -> dict[str, Any]:
    """A signatory as the public list shows it (display choices applied)."""
    places = _place(entry["city"], entry["region"], entry["country"])
    body: dict[str, Any] = {"origin_system": ORIGIN, "kind": entry["kind"]}
    if entry["kind"] == Kind.ORGANIZATION:
        body["organization"] = {
            "name": entry["name"],
            "name_alt": entry["name_alt"],
            "category": entry["category"],
            "website": entry["website"],
            "postal_addresses": places,
        }
    else:
        body["person"] = {
            "name": entry["name"],
            "name_alt": entry["name_alt"],
            "employer": entry["affiliation"],
            "postal_addresses": places,
        }
    body["is_sample"] = entry["is_sample"]
    body["_links"] = {"osdi:petition": _link(petition)}
    return body


def token_signature_out(row: dict[str, Any], petition: str) -> dict[str, Any]:
    """A sign-on as its statement's organizers see it, contact details included."""
    email: dict[str, Any] = {
        "address": row["email"],
        "primary": True,
        "status": "subscribed" if row["wants_updates"] else "unsubscribed",
    }
    phones = [{"number": row["phone"], "primary": True}] if row["phone"] else []
    places = _place(row["city"], row["region"], row["country"])
    body: dict[str, Any] = {
        "identifiers": [f"{ORIGIN}:signature-{row['id']}"],
        "origin_system": ORIGIN,
        "created_date": row["created_at"],
        "modified_date": row["decided_at"] or row["confirmed_at"] or row["created_at"],
        "action_date": row["confirmed_at"],
        "kind": row["kind"],
        "status": row["status"],
        "display": row["display"],
        "language": row["language"],
        "source": row["source"],
        "referrer_data": {"referrer": row["referral"]},
    }
    if row["kind"] == Kind.ORGANIZATION:
        body["organization"] = {
            "name": row["name"],
            "name_alt": row["name_alt"],
            "category": row["category"],
            "website": row["website"],
            "postal_addresses": places,
        }
        body["person"] = {
            "name": row["contact_name"],
            "title": row["contact_title"],
            "email_addresses": [email],
            "phone_numbers": phones,
        }
    else:
        body["person"] = {
            "name": row["name"],
            "name_alt": row["name_alt"],
            "employer": row["affiliation"],
            "postal_addresses": places,
            "email_addresses": [email],
        }
    body["is_sample"] = row["is_sample"]
    body["_links"] = {"osdi:petition": _link(petition)}
    return body


def organization_out(row: dict[str, Any]) -> dict[str, Any]:
    slug = row["statement__slug"]
    return {
        "identifiers": [f"{ORIGIN}:organization-{row['id']}"],
        "origin_system": ORIGIN,
        "name": row["name"],
        "name_alt": row["name_alt"],
        "category": row["category"],
        "website": row["website"],
        "postal_addresses": _place(row["city"], row["region"], row["country"]),
        "is_sample": row["is_sample"],
        "_links": {"osdi:petition": _link(_url("petition", slug=slug))},
    }


# Views -----------------------------------------------------------------------------------
@osdi_read
def entry_point(request: HttpRequest, token: ApiToken | None) -> dict[str, Any]:
    return {
        "motd": _("Joint statements, their signatories and their sign-on."),
        "vendor_name": "undersigned",
        "product_name": "undersigned",
        "osdi_version": "1.1",
        "namespace": ORIGIN,
        "max_pagesize": MAX_PAGE_SIZE,
        "_links": {
            "curies": [
                {
                    "name": "osdi",
                    "href": "https://opensupporter.github.io/osdi-docs/{rel}",
                    "templated": True,
                }
            ],
            "self": _link(_url("entry_point")),
            "osdi:petitions": _link(_url("petitions"), _("The released statements")),
            "osdi:organizations": _link(
                _url("organizations"), _("The organizations that signed them")
            ),
        },
    }


@osdi_read
def petitions(request: HttpRequest, token: ApiToken | None) -> dict[str, Any]:
    page, per_page = _page(request)
    paginator = Paginator(public_statements().prefetch_related("targets"), per_page)
    rows = paginator.page(page).object_list if page <= paginator.num_pages else []
    return _collection(
        request,
        rel="osdi:petitions",
        items=[petition_out(s) for s in rows],
        total=paginator.count,
        page=page,
        per_page=per_page,
    )


def _statement(slug: str) -> Statement:
    if not _SLUG.fullmatch(slug):
        raise Http404
    return statement_by_slug(slug)


@osdi_read
def petition(request: HttpRequest, token: ApiToken | None, slug: str) -> dict[str, Any]:
    return petition_out(_statement(slug))


def _token_for(token: ApiToken | None, statement: Statement) -> ApiToken | None:
    if token is not None and token.statement_id != statement.pk:
        raise OsdiError(403, _("This API token is for another statement."))
    return token


@osdi_read
def signatures(request: HttpRequest, token: ApiToken | None, slug: str) -> dict[str, Any]:
    statement = _statement(slug)
    token = _token_for(token, statement)
    page, per_page = _page(request)
    href = _url("petition", slug=slug)
    if token is not None:
        paginator = Paginator(counted_signatures(statement), per_page)
        rows = paginator.page(page).object_list if page <= paginator.num_pages else []
        items = [token_signature_out(row, href) for row in rows]
        total = paginator.count
    else:
        if not statement.is_public:
            raise Http404
        result = public_signatories(
            statement,
            page=page,
            per_page=per_page,
            language=translation.get_language() or "en",
        )
        total = result.page.paginator.count
        entries = result.entries if page <= result.page.paginator.num_pages else []
        items = [public_signature_out(e, href) for e in entries]
    return _collection(
        request, rel="osdi:signatures", items=items, total=total, page=page, per_page=per_page
    )


@osdi_read
def organizations(request: HttpRequest, token: ApiToken | None) -> dict[str, Any]:
    page, per_page = _page(request)
    statement = None
    if slug := request.GET.get("petition", ""):
        statement = _statement(slug)
        if not statement.is_public:
            raise Http404
    paginator = Paginator(listed_organizations(statement), per_page)
    rows = paginator.page(page).object_list if page <= paginator.num_pages else []
    return _collection(
        request,
        rel="osdi:organizations",
        items=[organization_out(row) for row in rows],
        total=paginator.count,
        page=page,
        per_page=per_page,
    )


# Record signature helper -------------------------------------------------------------------
def _object(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise OsdiError(400, _("Invalid sign-on."), {name: [_("Send a JSON object.")]})
    return value


def _first(value: Any, name: str) -> dict[str, Any]:
    """The first entry of an OSDI list of objects (email_addresses, postal_addresses…)."""
    if value is None or value == []:
        return {}
    if not isinstance(value, list):
        raise OsdiError(400, _("Invalid sign-on."), {name: [_("Send a list of objects.")]})
    return _object(value[0], f"{name}.0")


def _text(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise OsdiError(400, _("Invalid sign-on."), {name: [_("Send this field as a string.")]})


def full_name(given: str, family: str) -> str:
    """One name from OSDI's two parts: Korean names family name first, without a space."""
    given, family = given.strip(), family.strip()
    if given and family and has_hangul(given + family) and " " not in given + family:
        return family + given
    return " ".join(filter(None, (given, family)))


# Where each sign-on field comes from in the OSDI body, to name it in error messages.
_PERSON_FIELDS = {
    "email": "person.email_addresses.0.address",
    "phone": "person.phone_numbers.0.number",
    "city": "person.postal_addresses.0.locality",
    "region": "person.postal_addresses.0.region",
    "country": "person.postal_addresses.0.country",
    "affiliation": "person.employer",
}


def signature_fields(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The OSDI body as the JSON API's sign-on fields, and where each came from."""
    person = _object(body.get("person"), "person")
    organization = _object(body.get("organization"), "organization")
    email = _first(person.get("email_addresses"), "person.email_addresses")
    phone = _first(person.get("phone_numbers"), "person.phone_numbers")
    given = _text(person.get("given_name"), "person.given_name") or ""
    family = _text(person.get("family_name"), "person.family_name") or ""
    name = _text(person.get("name"), "person.name") or full_name(given, family)
    referrer = _object(body.get("referrer_data"), "referrer_data")
    fields: dict[str, Any] = {
        "email": email.get("address"),
        "updates": email.get("status") == "subscribed",
        "phone": phone.get("number"),
        "language": body.get("language"),
        "ref": referrer.get("referrer"),
        "display": body.get("display"),
    }
    source = dict(_PERSON_FIELDS)
    if organization:
        place = _first(
            organization.get("postal_addresses") or person.get("postal_addresses"),
            "organization.postal_addresses",
        )
        fields |= {
            "kind": Kind.ORGANIZATION,
            "contact_name": name,
            "contact_title": person.get("title"),
            **{f: organization.get(f) for f in ("name", "name_alt", "category", "website")},
            "networks": organization.get("networks"),
        }
        source |= {f"{f}": f"organization.{f}" for f in ("name", "name_alt", "category")}
        source |= {"contact_name": "person.given_name", "contact_title": "person.title"}
        source |= {"website": "organization.website", "networks": "organization.networks"}
    else:
        place = _first(person.get("postal_addresses"), "person.postal_addresses")
        fields |= {
            "kind": Kind.INDIVIDUAL,
            "name": name,
            "name_alt": person.get("name_alt"),
            "affiliation": person.get("employer"),
        }
        source |= {"name": "person.given_name", "name_alt": "person.name_alt"}
    fields |= {"city": place.get("locality"), "region": place.get("region")}
    fields["country"] = place.get("country")
    return fields, source


@csrf_exempt  # the token in a header is the authority here; no cookie is looked at
@require_POST
def record_signature_helper(request: HttpRequest, slug: str) -> HttpResponse:
    """Record a sign-on for a petition, with its organizer's token. The signer is emailed a
    confirmation link like any other; the sign-on counts once they confirm."""
    try:
        statement = _statement(slug)
        token = request_token(request)
        if token is None:
            raise OsdiError(401, _("Recording a signature needs an organizer's API token."))
        _token_for(token, statement)
        spend_write(token)
        if request.content_type not in {"application/json", "application/hal+json"}:
            raise OsdiError(415, _("Send the signature as JSON (Content-Type: application/json)."))
        try:
            body = json.loads(request.body)
        except RequestDataTooBig:
            raise OsdiError(413, _("The request body is too large.")) from None
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise OsdiError(400, _("The request body is not valid JSON.")) from None
        if not isinstance(body, dict):
            raise OsdiError(400, _("The request body must be a JSON object."))
        fields, source = signature_fields(body)
        try:
            language = language_of(fields.pop("language"), statement)
            result = sign_on(
                request=request,
                statement=statement,
                body=fields,
                language=language,
                source=Source.API,
                from_signer=False,
            )
        except SignOnRefused as exc:
            errors = {source.get(k, k): v for k, v in exc.errors.items()}
            message = _("Invalid sign-on.") if exc.status == 400 else errors["__all__"][0]
            raise OsdiError(exc.status, message, errors) from None
    except OsdiError as exc:
        return private_answer(_error(exc))
    except Http404:
        return private_answer(_error(OsdiError(404, _("Not found."))))
    href = _url("petition", slug=slug)
    return private_answer(
        hal(
            {
                "identifiers": [f"{ORIGIN}:signature-{result.signature.pk}"],
                "origin_system": ORIGIN,
                "status": "pending_confirmation",
                "_links": {"osdi:petition": _link(href)},
            },
            status=202,
        )
    )


urlpatterns = [
    path("", entry_point, name="entry_point"),
    path("petitions", petitions, name="petitions"),
    path("petitions/<slug:slug>", petition, name="petition"),
    path("petitions/<slug:slug>/signatures", signatures, name="signatures"),
    path(
        "petitions/<slug:slug>/record_signature_helper",
        record_signature_helper,
        name="record_signature_helper",
    ),
    path("organizations", organizations, name="organizations"),
]
