"""Embeds for partner sites: the sign-on form and the counter, each in an <iframe>.

These are the only pages another site may frame. They set no cookie and need none, so they
work where browsers block third-party cookies: the language comes from `?lang=` or the
visitor's browser, and the form carries a signed token instead of a CSRF cookie.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from typing import Any
from urllib.parse import urlencode

from csp.decorators import csp_replace
from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from undersigned.api.caching import public_cache
from undersigned.lib.http import client_ip
from undersigned.signatures.forms import SignatureForm, clean_referral
from undersigned.signatures.models import Source
from undersigned.signatures.screening import FormTrace, form_started_token
from undersigned.signatures.services import SigningClosed, signature_create
from undersigned.statements.models import Kind, Statement
from undersigned.statements.selectors import statement_by_slug
from undersigned.statements.views import progress

app_name = "embed"

PREFIX: dict[str, str] = {Kind.ORGANIZATION: "org", Kind.INDIVIDUAL: "ind"}
_FORM_SALT = "undersigned.embed-form"
# How long an embedded form may stay open before it must be sent again.
FORM_MAX_AGE = 2 * 24 * 3600
COUNTER_MAX_AGE = 5
COUNTER_REFRESH = 60  # seconds between reloads of an open counter

View = Callable[..., HttpResponseBase]


def frameable(view: View) -> View:
    """Any site may frame this page (the rest of the site: none, by CSP and X-Frame-Options)."""
    return xframe_options_exempt(csp_replace({"frame-ancestors": ["*"]})(view))


# The form's token ------------------------------------------------------------------------
def form_token(statement: Statement) -> str:
    return signing.dumps(statement.pk, salt=_FORM_SALT)


def form_token_valid(token: str, statement: Statement) -> bool:
    try:
        value = signing.loads(token, salt=_FORM_SALT, max_age=FORM_MAX_AGE)
    except (signing.BadSignature, TypeError, ValueError):
        return False
    return bool(value == statement.pk)


# Language --------------------------------------------------------------------------------
def _chosen_language(request: HttpRequest) -> str | None:
    """`?lang=` pins the embed's language; without it the visitor's browser decides."""
    code = request.GET.get("lang") or request.POST.get("lang")
    return code if code in {c for c, _name in settings.LANGUAGES} else None


def _in_language(request: HttpRequest) -> Any:
    code = _chosen_language(request)
    return translation.override(code) if code else nullcontext()


def _with_lang(url: str, request: HttpRequest) -> str:
    code = _chosen_language(request)
    return f"{url}?{urlencode({'lang': code})}" if code else url


# Views -----------------------------------------------------------------------------------
def _kind(request: HttpRequest, statement: Statement) -> str:
    if request.method == "POST":
        return Kind.ORGANIZATION if request.POST.get("org-kind") else Kind.INDIVIDUAL
    asked = request.GET.get("kind")
    if asked in Kind.values and statement.accepts(asked):
        return str(asked)
    return Kind.INDIVIDUAL if statement.accepts(Kind.INDIVIDUAL) else Kind.ORGANIZATION


def _render_form(
    request: HttpRequest,
    statement: Statement,
    kind: str,
    form: SignatureForm | None = None,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    if form is None:
        form = SignatureForm(
            initial={"kind": kind, "started": form_started_token()}, prefix=PREFIX[kind]
        )
    context = {
        "statement": statement,
        "text": statement.text(get_language()),
        "form": form,
        "kind": kind,
        "open": statement.is_open_for_signing() and statement.accepts(kind),
        "token": form_token(statement),
        "ref": (request.POST.get("ref") or request.GET.get("ref", ""))[:64],
        "lang": _chosen_language(request) or "",
        "error": error,
    }
    return render(request, "embed/sign.html", context, status=status)


@frameable
# No CSRF cookie: in a cross-site iframe it would be a third-party cookie, which browsers
# block. Nor is one needed: CSRF forges a request that rides on the victim's session, and
# signing rides on nothing (no cookie, no session, anyone may sign). What the cookie also
# gave, proof that the form came from us recently, the signed, expiring form token gives;
# the honeypot and the fill time screen automated posts as on the statement page.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def sign(request: HttpRequest, slug: str) -> HttpResponse:
    statement = statement_by_slug(slug)
    with _in_language(request):
        kind = _kind(request, statement)
        if request.method == "GET":
            return _render_form(request, statement, kind)
        form = SignatureForm(request.POST, prefix=PREFIX[kind], statement=statement)
        valid = form.is_valid()
        if not form_token_valid(request.POST.get("token", ""), statement):
            return _render_form(
                request,
                statement,
                kind,
                form,
                error=_(
                    "Your form expired before it was sent. Check your details and send it again."
                ),
                status=403,
            )
        if not valid:
            return _render_form(request, statement, kind, form, status=400)
        try:
            signature_create(
                statement=statement,
                data=form.cleaned_data,  # type: ignore[arg-type]
                ip=client_ip(request),
                source=Source.EMBED,
                language=get_language() or statement.default_language,
                referral=clean_referral(request.POST.get("ref", "")),
                form=FormTrace(
                    honeypot=form.cleaned_data.get("homepage", ""),
                    started=form.cleaned_data.get("started", ""),
                ),
            )
        except SigningClosed as exc:
            return _render_form(request, statement, kind, form, error=exc.message, status=409)
    thanks = reverse("embed:thanks", kwargs={"slug": slug})
    return HttpResponseRedirect(_with_lang(thanks, request))


@frameable
@require_GET
def thanks(request: HttpRequest, slug: str) -> HttpResponse:
    statement = statement_by_slug(slug)
    with _in_language(request):
        return render(
            request,
            "embed/thanks.html",
            {
                "statement": statement,
                "again": _with_lang(reverse("embed:sign", kwargs={"slug": slug}), request),
            },
        )


@frameable
@require_GET
@public_cache(COUNTER_MAX_AGE, stale=30)
def counter(request: HttpRequest, slug: str) -> HttpResponse:
    """The counts, for everyone alike: cached by any proxy for a few seconds."""
    statement = statement_by_slug(slug)
    with _in_language(request):
        return render(
            request,
            "embed/counter.html",
            {
                "statement": statement,
                "text": statement.text(get_language()),
                "progress": progress(statement) if statement.is_public else [],
                "refresh": COUNTER_REFRESH,
            },
        )


# Snippets for organizers -------------------------------------------------------------------
def embed_snippets(statement: Statement, *, language: str | None = None) -> dict[str, SafeString]:
    """The <iframe> snippets a partner site pastes: the sign-on form and the counter. Without
    `language` the embed speaks the visitor's browser language."""
    query = f"?{urlencode({'lang': language})}" if language else ""

    def url(name: str) -> str:
        return settings.BASE_URL + reverse(f"embed:{name}", kwargs={"slug": statement.slug}) + query

    title = statement.title(language)
    snippet = (
        '<iframe src="{}" title="{}" width="100%" height="{}" loading="lazy" '
        'style="border:0;max-width:40rem"></iframe>'
    )
    return {
        "sign": format_html(snippet, url("sign"), _("Sign: %(title)s") % {"title": title}, 1400),
        "counter": format_html(
            snippet, url("counter"), _("Signatures: %(title)s") % {"title": title}, 240
        ),
    }


urlpatterns = [
    path("s/<slug:slug>/sign/", sign, name="sign"),
    path("s/<slug:slug>/thanks/", thanks, name="thanks"),
    path("s/<slug:slug>/counter/", counter, name="counter"),
]
