from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from undersigned.delivery.selectors import public_updates
from undersigned.delivery.services import signature_unsubscribe
from undersigned.lib.tokens import ExpiredToken, InvalidToken, read_token
from undersigned.signatures.services import StaleLink
from undersigned.statements.selectors import statement_by_slug


# The signed token in the address is the authority, so a mail program's one-click POST
# (RFC 8058), which carries no CSRF cookie, must work; a forged POST can only unsubscribe
# the one signer whose link it already holds.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """GET shows a button; only the POST unsubscribes, since mail scanners fetch links."""
    statement = statement_by_slug(slug)
    try:
        signature_id, nonce = read_token("unsubscribe", token, settings.WITHDRAW_TOKEN_MAX_AGE)
    except ExpiredToken:
        reason = _("This link has expired.")
    except InvalidToken:
        reason = _("This link is not valid. Copy the whole link from the email.")
    else:
        if request.method == "GET":
            return render(request, "delivery/unsubscribe.html", {"statement": statement})
        try:
            signature_unsubscribe(signature_id=signature_id, nonce=nonce)
        except StaleLink:
            reason = _("This link belongs to a sign-on that was withdrawn.")
        else:
            return render(request, "delivery/unsubscribed.html", {"statement": statement})
    return render(
        request,
        "signatures/link_invalid.html",
        {"statement": statement, "reason": reason},
        status=400,
    )


@require_GET
def updates(request: HttpRequest, slug: str) -> HttpResponse:
    statement = statement_by_slug(slug)
    language = get_language() or statement.default_language
    items = [
        {
            "update": update,
            "text": update.text(language),
            "language": update.language_for(language),
        }
        for update in public_updates(statement)[:100]
    ]
    return render(request, "delivery/updates.html", {"statement": statement, "items": items})
