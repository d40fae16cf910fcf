"""The console's screens for partner sites and other tools: organizer API tokens for OSDI,
and the embed snippets.

Tokens are managed by the statement's owners only: a token reads every signer's contact
details and records sign-ons whose confirmation emails go out in the statement's name, so
handing one to a tool is a decision for the people who answer for the statement, like the
team. A token belongs to the owner who made it and stops working if they lose the role.
Any member of the team may see the embed snippets: they hold nothing private."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from undersigned.accounts.decorators import statement_role_required
from undersigned.accounts.selectors import ANY_ROLE, OWNERS, Access
from undersigned.api.selectors import api_tokens_for
from undersigned.api.services import api_token_create, api_token_revoke
from undersigned.console.delivery_forms import TokenForm
from undersigned.signatures.embed import embed_snippets


@statement_role_required(*OWNERS)
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest, access: Access) -> HttpResponse:
    """The key of a new token is in this one answer (never stored, never shown again); the
    list shows only its first characters."""
    form = TokenForm(request.POST or None)
    key = ""
    if request.method == "POST" and form.is_valid():
        _token, key = api_token_create(
            statement=access.statement,
            user=request.user,  # type: ignore[arg-type]
            label=form.cleaned_data["label"],
            actor=request.user,
        )
        form = TokenForm()
    return render(
        request,
        "console/api_tokens.html",
        {
            "access": access,
            "form": form,
            "key": key,
            "tokens": api_tokens_for(access.statement),
            "osdi_url": reverse("osdi:entry_point"),
        },
        status=400 if form.errors else 200,
    )


@statement_role_required(*OWNERS)
@require_POST
def api_token_revoke_view(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    token = api_tokens_for(access.statement).filter(pk=pk).first()
    if token is None:
        raise Http404("No such token")
    if api_token_revoke(token=token, actor=request.user):
        messages.success(request, _("Token revoked: it no longer works."))
    return HttpResponseRedirect(
        reverse("console:api_tokens", kwargs={"slug": access.statement.slug})
    )


@statement_role_required(*ANY_ROLE)
@require_GET
def embed(request: HttpRequest, access: Access) -> HttpResponse:
    """The snippets in a read-only text box (select and copy, with or without the copy
    button's script), and the embeds themselves as a partner's visitors will see them."""
    statement = access.statement
    language = request.GET.get("language", "")
    if language not in {code for code, _name in _languages()}:
        language = ""
    snippets = embed_snippets(statement, language=language or None)
    return render(
        request,
        "console/embed.html",
        {
            "access": access,
            "snippets": snippets,
            "language": language,
            "languages": _languages(),
            "is_public": statement.is_public,
        },
    )


def _languages() -> list[tuple[str, str]]:
    return [(str(code), str(name)) for code, name in settings.LANGUAGES]
