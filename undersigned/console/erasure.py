"""Erasing a signer's data on their request (by email, by phone): the statement's owners
only, since it cannot be undone."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from undersigned.accounts.decorators import statement_role_required
from undersigned.accounts.models import Role
from undersigned.accounts.selectors import Access
from undersigned.signatures.models import Signature
from undersigned.signatures.services import signature_erase


@statement_role_required(Role.OWNER)
@require_POST
def signature_erase_view(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    # The box makes the owner say it twice: an erasure cannot be reverted.
    if request.POST.get("confirm") != "1":
        messages.error(request, _("Tick the box to confirm the erasure; it cannot be undone."))
    else:
        try:
            signature_erase(statement=access.statement, signature_id=pk, actor=request.user)
        except Signature.DoesNotExist:
            raise Http404("No such sign-on") from None
        messages.success(request, _("The signer's data is erased and the sign-on withdrawn."))
    return HttpResponseRedirect(
        reverse("console:signature", kwargs={"slug": access.statement.slug, "pk": pk})
    )
