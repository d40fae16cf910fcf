"""The organizer console. Each view checks the role in its decorator (before anything else,
so a refusal is a 403 whatever the method), parses input with a form, calls one service or
selector, and renders; every change goes through a service that audits it."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from undersigned.accounts.decorators import (
    console_access_required,
    statement_role_required,
    statement_starter_required,
)
from undersigned.accounts.selectors import (
    EDITORS,
    MODERATORS,
    OWNERS,
    Access,
    may_start_statements,
    role_in,
    statement_team,
    statements_for_user,
)
from undersigned.accounts.services import organizer_invite, statement_role_remove
from undersigned.console import selectors
from undersigned.console.charts import bar_chart
from undersigned.console.forms import (
    BaseTargetFormSet,
    CriteriaForm,
    DisplayForm,
    InviteForm,
    MergeForm,
    PartnerForm,
    ReasonForm,
    SettingsForm,
    StatementStartForm,
    TargetFormSet,
    TextForm,
    describe_criteria,
)
from undersigned.lib.text import clean_line
from undersigned.moderation.models import InvalidationBatch
from undersigned.moderation.selectors import (
    Criteria,
    approval_queue,
    held_queue,
    invalidation_batches,
    invalidation_candidates,
    partner_in,
    partners_with_counts,
    possible_duplicates,
    signature_for_organizer,
    signature_ids_in,
    signatures_for_organizer,
)
from undersigned.moderation.services import (
    CountChanged,
    invalidation_batch_revert,
    partner_create,
    partner_delete,
    signature_invalidate_bulk,
)
from undersigned.signatures.models import Display, Signature, Status
from undersigned.signatures.services import (
    signature_approve,
    signature_merge,
    signature_reject,
    signature_release_hold,
    signature_update_display,
)
from undersigned.statements.models import Kind, StatementStatus
from undersigned.statements.services import (
    statement_close,
    statement_open,
    statement_reopen,
    statement_start,
    statement_update,
    statement_version_create,
)

# What the status buttons may do from each status; statement_open itself would also
# move a released statement back to collecting, which no button should do.
STATUS_ACTIONS = {
    StatementStatus.DRAFT: ("open", "release"),
    StatementStatus.COLLECTING: ("release",),
    StatementStatus.RELEASED: ("close",),
    StatementStatus.CLOSED: ("reopen",),
}


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    return render(request, f"console/{template}", context, status=status)


def _back(request: HttpRequest, name: str, access: Access, **kwargs: Any) -> HttpResponse:
    """Back to the page the form came from (when it is ours), or to the named page."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse(f"console:{name}", kwargs={"slug": access.statement.slug, **kwargs})
    return HttpResponseRedirect(target)


def _error_messages(error: ValidationError) -> str:
    return " ".join(str(m) for m in error.messages)


def _share_url(slug: str, code: str = "") -> str:
    url = settings.BASE_URL + reverse("statements:detail", kwargs={"slug": slug})
    return f"{url}?ref={code}" if code else url


# Home ---------------------------------------------------------------------------------------
@console_access_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return _render(
        request,
        "index.html",
        {
            "items": statements_for_user(request.user),
            "may_start": may_start_statements(request.user),
        },
    )


@statement_starter_required
@require_http_methods(["GET", "POST"])
def statement_new(request: HttpRequest) -> HttpResponse:
    form = StatementStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            statement = statement_start(
                slug=form.cleaned_data["slug"],
                title=form.cleaned_data["title"],
                default_language=form.cleaned_data["default_language"],
                owner=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Draft started. Write its text next."))
            return HttpResponseRedirect(reverse("console:text", kwargs={"slug": statement.slug}))
    return _render(request, "new.html", {"form": form}, status=400 if form.errors else 200)


# The statement ------------------------------------------------------------------------------
@statement_role_required()
@require_GET
def dashboard(request: HttpRequest, access: Access) -> HttpResponse:
    data = selectors.dashboard(access.statement)
    return _render(
        request,
        "dashboard.html",
        {
            "access": access,
            "data": data,
            "chart": bar_chart(data.days),
            "actions": STATUS_ACTIONS.get(StatementStatus(access.statement.status), ()),
            "share_url": _share_url(access.statement.slug),
        },
    )


@statement_role_required(*OWNERS)
@require_POST
def status_change(request: HttpRequest, access: Access) -> HttpResponse:
    action = request.POST.get("action", "")
    statement = access.statement
    if action not in STATUS_ACTIONS.get(StatementStatus(statement.status), ()):
        return HttpResponseBadRequest(_("This statement cannot do that from its current status."))
    try:
        if action in {"open", "release"}:
            statement_open(statement=statement, public=action == "release", actor=request.user)
        elif action == "close":
            statement_close(statement=statement, actor=request.user)
        else:
            statement_reopen(statement=statement, actor=request.user)
    except ValidationError as error:
        messages.error(request, _error_messages(error))
    else:
        messages.success(request, _("Status changed."))
    return _back(request, "dashboard", access)


@statement_role_required(*EDITORS)
@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest, access: Access) -> HttpResponse:
    form = SettingsForm(request.POST or None, instance=access.statement)
    if request.method == "POST" and form.is_valid():
        try:
            statement_update(statement=access.statement, actor=request.user, **form.changes())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Settings saved."))
            return _back(request, "settings", access)
    return _render(
        request,
        "settings.html",
        {"access": access, "form": form},
        status=400 if form.errors else 200,
    )


@statement_role_required(*EDITORS)
@require_http_methods(["GET", "POST"])
def text_edit(request: HttpRequest, access: Access) -> HttpResponse:
    current = access.statement.current_version
    form = TextForm(request.POST or None, content=current.content if current else {})
    if request.method == "POST" and form.is_valid():
        try:
            version = statement_version_create(
                statement=access.statement,
                content=form.content(),
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if current is not None and version.pk == current.pk:
                messages.success(request, _("Text saved."))
            else:
                messages.success(
                    request,
                    _("Saved as version %(n)s; earlier signers keep the version they signed.")
                    % {"n": version.number},
                )
            return _back(request, "text", access)
    return _render(
        request,
        "text.html",
        {
            "access": access,
            "form": form,
            "versions": selectors.versions_with_counts(access.statement),
            "frozen": bool(current and current.frozen_at),
        },
        status=400 if form.errors else 200,
    )


@statement_role_required(*EDITORS)
@require_http_methods(["GET", "POST"])
def targets_edit(request: HttpRequest, access: Access) -> HttpResponse:
    initial = [
        {
            "id": t.pk,
            "name": t.name,
            "name_alt": t.name_alt,
            "title": t.title,
            "organization": t.organization,
            "contact": t.contact,
        }
        for t in selectors.targets_of(access.statement)
    ]
    formset = cast(
        BaseTargetFormSet, TargetFormSet(request.POST or None, initial=initial, prefix="targets")
    )
    if request.method == "POST" and formset.is_valid():
        try:
            statement_update(
                statement=access.statement, actor=request.user, targets=formset.targets()
            )
        except ValidationError as error:
            messages.error(request, _error_messages(error))
        else:
            messages.success(request, _("Targets saved."))
            return _back(request, "targets", access)
    return _render(
        request,
        "targets.html",
        {"access": access, "formset": formset},
        status=400 if request.method == "POST" else 200,
    )


# Moderation ---------------------------------------------------------------------------------
def _decision(request: HttpRequest) -> tuple[str, list[int]]:
    """A row's own button ("approve:12") or a bulk button with the ticked boxes."""
    if row := request.POST.get("row", ""):
        action, _sep, raw = row.partition(":")
        values = [raw]
    else:
        action, values = request.POST.get("action", ""), request.POST.getlist("ids")
    ids = [int(v) for v in values if v.isdigit()]
    return action, ids


@statement_role_required(*MODERATORS)
@require_http_methods(["GET", "POST"])
def moderation(request: HttpRequest, access: Access) -> HttpResponse:
    statement = access.statement
    if request.method == "POST":
        action, posted = _decision(request)
        ids = signature_ids_in(statement, posted)
        reasons = ReasonForm(request.POST)
        reason = reasons.cleaned_data["reason"] if reasons.is_valid() else ""
        if action not in {"approve", "reject", "release", "invalidate"}:
            return HttpResponseBadRequest(_("Unknown action."))
        if not ids:
            messages.error(request, _("Select at least one sign-on."))
            return _back(request, "moderation", access)
        if action == "approve":
            n = signature_approve(signature_ids=ids, actor=request.user)
            text = ngettext("%(n)s sign-on approved.", "%(n)s sign-ons approved.", n)
        elif action == "reject":
            n = signature_reject(signature_ids=ids, actor=request.user, reason=reason)
            text = ngettext("%(n)s sign-on rejected.", "%(n)s sign-ons rejected.", n)
        elif action == "release":
            n = signature_release_hold(statement=statement, signature_ids=ids, actor=request.user)
            text = ngettext("%(n)s sign-on released.", "%(n)s sign-ons released.", n)
        else:
            try:
                batch = signature_invalidate_bulk(
                    statement=statement,
                    criteria=Criteria(ids=tuple(ids)),
                    actor=request.user,
                    reason=reason,
                )
            except ValidationError as error:
                messages.error(request, _error_messages(error))
                return _back(request, "moderation", access)
            n = batch.count
            text = ngettext("%(n)s sign-on invalidated.", "%(n)s sign-ons invalidated.", n)
        messages.success(request, text % {"n": n})
        return _back(request, "moderation", access)
    approval, approval_total = approval_queue(statement)
    held, held_total = held_queue(statement)
    return _render(
        request,
        "moderation.html",
        {
            "access": access,
            "approval": approval,
            "approval_total": approval_total,
            "held": held,
            "held_total": held_total,
        },
    )


@statement_role_required(*MODERATORS)
@require_GET
def signature_list(request: HttpRequest, access: Access) -> HttpResponse:
    q = clean_line(request.GET.get("q", ""))[:100]
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    rows = signatures_for_organizer(access.statement, q=q, status=status, kind=kind)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return _render(
        request,
        "signatures.html",
        {
            "access": access,
            "page": page,
            "q": q,
            "status": status,
            "kind": kind,
            "statuses": Status.choices,
            "kinds": Kind.choices,
        },
    )


def _signature_or_404(access: Access, pk: int) -> Signature:
    signature = signature_for_organizer(access.statement, pk)
    if signature is None:
        raise Http404("No such sign-on")
    return signature


@statement_role_required(*MODERATORS)
@require_http_methods(["GET", "POST"])
def signature_detail(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    signature = _signature_or_404(access, pk)
    current = {
        "name": signature.name,
        "name_alt": signature.name_alt,
        "affiliation": signature.affiliation,
        "display": signature.display,
    }
    if request.method == "POST" and "hide" in request.POST:
        form = DisplayForm(data={**current, "display": Display.HIDDEN}, kind=signature.kind)
    else:
        form = DisplayForm(request.POST or None, initial=current, kind=signature.kind)
    if request.method == "POST" and form.is_valid():
        try:
            signature_update_display(
                statement=access.statement,
                signature_id=signature.pk,
                actor=request.user,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved."))
            return _back(request, "signature", access, pk=signature.pk)
    return _render(
        request,
        "signature.html",
        {
            "access": access,
            "signature": signature,
            "form": form,
            "merge_form": MergeForm(),
            "duplicates": possible_duplicates(signature),
            "history": selectors.audit_rows(
                access.statement, list(selectors.signature_history(access.statement, signature))
            ),
        },
        status=400 if form.errors else 200,
    )


@statement_role_required(*MODERATORS)
@require_POST
def signature_merge_view(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    signature = _signature_or_404(access, pk)
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the number of the other sign-on."))
        return _back(request, "signature", access, pk=pk)
    other = form.cleaned_data["other"]
    keep, duplicate = (
        (signature.pk, other) if form.cleaned_data["keep"] == MergeForm.KEEP_THIS else (other, pk)
    )
    try:
        signature_merge(
            statement=access.statement, keep_id=keep, duplicate_id=duplicate, actor=request.user
        )
    except Signature.DoesNotExist:
        messages.error(request, _("This statement has no sign-on #%(n)s.") % {"n": other})
        return _back(request, "signature", access, pk=pk)
    except ValidationError as error:
        messages.error(request, _error_messages(error))
        return _back(request, "signature", access, pk=pk)
    messages.success(
        request,
        _("Merged: #%(duplicate)s is invalidated as a duplicate of #%(keep)s.")
        % {"duplicate": duplicate, "keep": keep},
    )
    return HttpResponseRedirect(
        reverse("console:signature", kwargs={"slug": access.statement.slug, "pk": keep})
    )


# Bulk invalidation ----------------------------------------------------------------------------
_CHECKED_SALT = "undersigned.console.invalidate"


@statement_role_required(*MODERATORS)
@require_http_methods(["GET", "POST"])
def invalidate(request: HttpRequest, access: Access) -> HttpResponse:
    """A dry run counts what the criteria match; the count is signed together with the
    criteria, and only a form carrying that count for those same criteria can apply them."""
    statement = access.statement
    context: dict[str, Any] = {
        "access": access,
        "batches": [(b, describe_criteria(b.criteria)) for b in invalidation_batches(statement)],
    }
    if request.method == "GET":
        # The hourly report links here with an address or domain and the hour of its spike.
        fields = ("ip_hash", "email_domain", "since", "until")
        prefill = {k: request.GET[k] for k in fields if k in request.GET}
        context["form"] = CriteriaForm(initial=prefill)
        return _render(request, "invalidate.html", context)
    form = CriteriaForm(request.POST)
    context["form"] = form
    if not form.is_valid():
        return _render(request, "invalidate.html", context, status=400)
    criteria = form.criteria()
    if "apply" in request.POST:
        checked = _checked_count(request.POST.get("checked", ""), criteria)
        if checked is None:
            messages.error(request, _("The criteria changed since the count: check it again."))
        else:
            try:
                batch = signature_invalidate_bulk(
                    statement=statement,
                    criteria=criteria,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    expected=checked,
                )
            except CountChanged:
                messages.error(
                    request,
                    _("The matching sign-ons changed since the count: check the new count."),
                )
            except ValidationError as error:
                messages.error(request, _error_messages(error))
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(n)s sign-on invalidated (decision #%(batch)s).",
                        "%(n)s sign-ons invalidated (decision #%(batch)s).",
                        batch.count,
                    )
                    % {"n": batch.count, "batch": batch.pk},
                )
                return HttpResponseRedirect(
                    reverse("console:invalidate", kwargs={"slug": statement.slug})
                )
    matches = invalidation_candidates(statement, criteria)
    count = matches.count()
    context.update(
        {
            "count": count,
            "sample": matches.order_by("-created_at")[:20],
            "checked": signing.dumps([criteria.as_json(), count], salt=_CHECKED_SALT),
        }
    )
    return _render(request, "invalidate.html", context)


def _checked_count(token: str, criteria: Criteria) -> int | None:
    """The dry run's count, if the token was made for these very criteria (within a day)."""
    try:
        signed, count = signing.loads(token, salt=_CHECKED_SALT, max_age=24 * 3600)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return int(count) if signed == criteria.as_json() else None


@statement_role_required(*MODERATORS)
@require_POST
def invalidation_revert(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    try:
        batch = invalidation_batch_revert(
            statement=access.statement, batch_id=pk, actor=request.user
        )
    except InvalidationBatch.DoesNotExist:
        raise Http404("No such decision") from None
    except ValidationError as error:
        messages.error(request, _error_messages(error))
    else:
        messages.success(
            request, _("Decision #%(batch)s reverted: its sign-ons are back.") % {"batch": batch.pk}
        )
    return _back(request, "invalidate", access)


# Partners -----------------------------------------------------------------------------------
@statement_role_required(*EDITORS)
@require_http_methods(["GET", "POST"])
def partners(request: HttpRequest, access: Access) -> HttpResponse:
    form = PartnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            partner_create(
                statement=access.statement,
                name=form.cleaned_data["name"],
                code=form.cleaned_data["code"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Partner added."))
            return _back(request, "partners", access)
    rows, others = partners_with_counts(access.statement)
    return _render(
        request,
        "partners.html",
        {
            "access": access,
            "form": form,
            "rows": [(row, _share_url(access.statement.slug, row.partner.code)) for row in rows],
            "others": others,
        },
        status=400 if form.errors else 200,
    )


@statement_role_required(*EDITORS)
@require_POST
def partner_remove(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    if partner_in(access.statement, pk) is None:
        raise Http404("No such partner")
    partner_delete(statement=access.statement, partner_id=pk, actor=request.user)
    messages.success(request, _("Partner removed; its sign-ons keep their referral code."))
    return _back(request, "partners", access)


# Team ---------------------------------------------------------------------------------------
@statement_role_required(*OWNERS)
@require_http_methods(["GET", "POST"])
def team(request: HttpRequest, access: Access) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organizer_invite(
                statement=access.statement,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                organization=form.cleaned_data["organization"],
                actor=request.user,
                language=get_language() or settings.LANGUAGE_CODE,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Invitation sent."))
            return _back(request, "team", access)
    return _render(
        request,
        "team.html",
        {"access": access, "form": form, "team": statement_team(access.statement)},
        status=400 if form.errors else 200,
    )


@statement_role_required(*OWNERS)
@require_POST
def team_remove(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    if role_in(access.statement, pk) is None:
        raise Http404("No such team member")
    try:
        statement_role_remove(statement=access.statement, role_id=pk, actor=request.user)
    except ValidationError as error:
        messages.error(request, _error_messages(error))
    else:
        messages.success(request, _("Removed from the team."))
    return _back(request, "team", access)


# Audit --------------------------------------------------------------------------------------
@statement_role_required()
@require_GET
def audit(request: HttpRequest, access: Access) -> HttpResponse:
    actions = selectors.audit_actions()
    action = request.GET.get("action", "")
    if action not in {code for code, _label in actions}:
        action = ""
    entries = selectors.audit_entries(access.statement, action=action)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return _render(
        request,
        "audit.html",
        {
            "access": access,
            "page": page,
            "rows": selectors.audit_rows(access.statement, list(page.object_list)),
            "actions": actions,
            "action": action,
        },
    )
