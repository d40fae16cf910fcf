from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from undersigned.lib.emails import outbox_messages
from undersigned.lib.http import client_ip, cross_site
from undersigned.lib.microcache import keep_copy
from undersigned.lib.paths import kept_path
from undersigned.lib.tokens import ExpiredToken, InvalidToken, read_token
from undersigned.signatures.forms import SignatureForm, clean_referral
from undersigned.signatures.models import Signature, Source
from undersigned.signatures.screening import FormTrace
from undersigned.signatures.selectors import public_signatories
from undersigned.signatures.services import (
    ConfirmOutcome,
    SigningClosed,
    StaleLink,
    signature_confirm,
    signature_create,
    signature_withdraw,
)
from undersigned.statements.models import Kind, Statement
from undersigned.statements.selectors import list_page_key, statement_by_slug
from undersigned.statements.views import render_statement

PREFIX = {Kind.ORGANIZATION: "org", Kind.INDIVIDUAL: "ind"}
LIST_TTL = 2  # seconds, as the statement page


# No CSRF cookie or token, as for the embedded form (signatures.embed): forging a sign-on rides
# on nothing (no session; anyone may sign, and must confirm by email), and a token tied to a
# cookie made every statement page someone's own (not one copy for a surge of readers) and
# refused signers whose browser blocks cookies. A form another site's page sends is refused
# by what the browser says of it (cross_site); the signed start time in the form and the quiet
# screening hold automated posts, as before.
@csrf_exempt
@require_POST
def sign(request: HttpRequest, slug: str) -> HttpResponse:
    statement = statement_by_slug(slug)
    kind = (request.POST.get("org-kind") and Kind.ORGANIZATION) or Kind.INDIVIDUAL
    if cross_site(request):
        form = SignatureForm(request.POST, prefix=PREFIX[kind])
        form.is_valid()
        return render_statement(
            request,
            statement,
            forms={kind: form},
            status=403,
            error=_(
                "This form was sent from another website. Check your details and send it "
                "again from this page."
            ),
        )
    form = SignatureForm(request.POST, prefix=PREFIX[kind], render=False)
    if not form.is_valid():
        # Shown again with its errors: a form of its own, which may set its widgets' attributes.
        form = SignatureForm(request.POST, prefix=PREFIX[kind])
        return render_statement(request, statement, forms={kind: form}, status=400)
    try:
        signature_create(
            statement=statement,
            data=form.cleaned_data,  # type: ignore[arg-type]
            ip=client_ip(request),
            source=Source.WEB,
            language=get_language() or statement.default_language,
            referral=clean_referral(request.POST.get("ref", "")),
            form=FormTrace(
                honeypot=form.cleaned_data.get("homepage", ""),
                started=form.cleaned_data.get("started", ""),
            ),
        )
    except SigningClosed as exc:
        form = SignatureForm(request.POST, prefix=PREFIX[kind])
        return render_statement(
            request, statement, forms={kind: form}, error=exc.message, status=409
        )
    return HttpResponseRedirect(kept_path("signatures:thanks", slug=slug))


@require_GET
def thanks(request: HttpRequest, slug: str) -> HttpResponse:
    return render(request, "signatures/thanks.html", {"statement": statement_by_slug(slug)})


@require_GET
def signatories(request: HttpRequest, slug: str) -> HttpResponse:
    statement = statement_by_slug(slug)
    if not statement.is_public:
        return render(request, "signatures/list_private.html", {"statement": statement}, status=403)
    kind = request.GET.get("kind", "")
    q = request.GET.get("q", "")
    if not q:
        # The list without a search is the same for every reader: kept for LIST_TTL seconds
        # per process and language, like the statement page (a surge reads the first pages).
        page = f"{request.GET.get('page', '1')}:{settings.SIGNATORIES_PAGE_SIZE}"
        key = list_page_key(statement, kind, page, get_language() or "")
        cached = caches["local"].get(key)
        if cached is None:
            cached = _signatories(request, statement, kind, q).content
            caches["local"].set(key, cached, LIST_TTL)
        return keep_copy(HttpResponse(cached), f"statement:{slug}")  # see lib.microcache
    return _signatories(request, statement, kind, q)


def _signatories(request: HttpRequest, statement: Statement, kind: str, q: str) -> HttpResponse:
    page = public_signatories(
        statement,
        kind=kind,
        q=q,
        page=request.GET.get("page", 1),  # type: ignore[arg-type]
        language=get_language() or "en",
        per_page=settings.SIGNATORIES_PAGE_SIZE,
    )
    return render(
        request,
        "signatures/list.html",
        {"statement": statement, "page": page, "kind": kind if kind in Kind.values else "", "q": q},
    )


def _link(
    request: HttpRequest, slug: str, token: str, purpose: str, max_age: int
) -> tuple[int, str] | HttpResponse:
    try:
        return read_token(purpose, token, max_age)
    except ExpiredToken:
        reason = _("This link has expired.")
    except InvalidToken:
        reason = _("This link is not valid. Copy the whole link from the email, or sign again.")
    statement = statement_by_slug(slug)
    return render(
        request,
        "signatures/link_invalid.html",
        {"statement": statement, "reason": reason},
        status=400,
    )


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """GET shows a button; only the POST confirms, since mail scanners fetch links."""
    parsed = _link(request, slug, token, "confirm", settings.CONFIRM_TOKEN_MAX_AGE)
    if isinstance(parsed, HttpResponse):
        return parsed
    signature_id, nonce = parsed
    statement = statement_by_slug(slug)
    signature = (
        Signature.objects.filter(pk=signature_id, statement=statement)
        .only("pk", "kind", "status")
        .first()
    )
    if signature is None:
        raise Http404
    if request.method == "GET":
        return render(
            request, "signatures/confirm.html", {"statement": statement, "signature": signature}
        )
    try:
        signature, outcome = signature_confirm(signature_id=signature_id, nonce=nonce)
    except StaleLink:
        return render(
            request,
            "signatures/link_invalid.html",
            {
                "statement": statement,
                "reason": _("This sign-on was withdrawn. To sign again, use the form."),
            },
            status=410,
        )
    return render(
        request,
        "signatures/confirmed.html",
        {
            "statement": statement,
            "signature": signature,
            "already": outcome is ConfirmOutcome.ALREADY,
            "awaits_approval": not signature.counted and signature.status == "confirmed",
        },
    )


@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    parsed = _link(request, slug, token, "withdraw", settings.WITHDRAW_TOKEN_MAX_AGE)
    if isinstance(parsed, HttpResponse):
        return parsed
    signature_id, nonce = parsed
    statement = statement_by_slug(slug)
    if request.method == "GET":
        return render(request, "signatures/withdraw.html", {"statement": statement})
    # Two buttons on the page: withdraw, or withdraw and erase everything typed.
    erase = request.POST.get("erase") == "1"
    try:
        signature_withdraw(signature_id=signature_id, nonce=nonce, erase=erase)
    except StaleLink:
        return render(
            request, "signatures/withdrawn.html", {"statement": statement, "already": True}
        )
    return render(
        request,
        "signatures/withdrawn.html",
        {"statement": statement, "already": False, "erased": erase},
    )


@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    """Demo only: the emails the system sent, so a newcomer can click a confirmation link."""
    if not settings.DEMO or settings.EMAIL_BACKEND != "undersigned.lib.emails.OutboxBackend":
        raise Http404
    messages = []
    for message in outbox_messages(limit=50):
        body = message.get_body(preferencelist=("plain",))
        messages.append(
            {
                "subject": message["subject"],
                "to": message["to"],
                "date": message["date"],
                "text": body.get_content() if body else "",
            }
        )
    return render(request, "signatures/outbox.html", {"messages": messages})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form whose CSRF cookie or token was missing or stale: a page that says so, in the
    visitor's language. (The sign-on form needs neither; see `sign`.)"""
    return render(request, "403_csrf.html", {"reason": reason}, status=403)
