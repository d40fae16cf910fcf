"""The console's abuse defenses: the statement's rate limits and allow/block lists, and
the hourly report of sign-ons by address hash and email domain.

Every role may look (a moderator sees why sign-ons are held); owners and editors change
the defenses, as they change the statement's other settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from undersigned.accounts.decorators import statement_role_required
from undersigned.accounts.selectors import EDITORS, Access
from undersigned.console.defense_forms import LimitsForm, RuleForm
from undersigned.moderation.models import RuleAction
from undersigned.moderation.selectors import (
    REPORT_HOURS,
    SPIKE_FACTOR,
    SPIKE_MIN,
    HourRow,
    screening_for,
    screening_limits,
    screening_rule_in,
    screening_rules,
    signons_per_hour,
)
from undersigned.moderation.services import (
    screening_limits_update,
    screening_rule_add,
    screening_rule_remove,
)


def _page(
    request: HttpRequest,
    access: Access,
    *,
    limits_form: LimitsForm | None = None,
    rule_form: RuleForm | None = None,
    status: int = 200,
) -> HttpResponse:
    statement = access.statement
    rules = list(screening_rules(statement))
    screening = screening_for(statement.pk)
    return render(
        request,
        "console/defenses.html",
        {
            "access": access,
            "limits_form": limits_form or LimitsForm(limits=screening_limits(statement)),
            "rule_form": rule_form or RuleForm(),
            "blocked": [r for r in rules if r.action == RuleAction.BLOCK],
            "allowed": [r for r in rules if r.action == RuleAction.ALLOW],
            "screening": screening,
            "rate_limits_on": settings.RATE_LIMITS,
        },
        status=status,
    )


def _to_defenses(access: Access) -> HttpResponse:
    return HttpResponseRedirect(reverse("console:defenses", kwargs={"slug": access.statement.slug}))


@statement_role_required()
@require_GET
def defenses(request: HttpRequest, access: Access) -> HttpResponse:
    return _page(request, access)


@statement_role_required(*EDITORS)
@require_POST
def defenses_limits(request: HttpRequest, access: Access) -> HttpResponse:
    form = LimitsForm(request.POST)
    if form.is_valid():
        try:
            screening_limits_update(
                statement=access.statement, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Limits saved. They apply to the next sign-on."))
            return _to_defenses(access)
    return _page(request, access, limits_form=form, status=400)


@statement_role_required(*EDITORS)
@require_POST
def defenses_rule_add(request: HttpRequest, access: Access) -> HttpResponse:
    form = RuleForm(request.POST)
    if form.is_valid():
        try:
            screening_rule_add(statement=access.statement, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if form.cleaned_data["action"] == RuleAction.BLOCK:
                messages.success(request, _("Blocked: its sign-ons will be held for review."))
            else:
                messages.success(request, _("Allowed: its sign-ons skip the rate limits."))
            return _to_defenses(access)
    return _page(request, access, rule_form=form, status=400)


@statement_role_required(*EDITORS)
@require_POST
def defenses_rule_remove(request: HttpRequest, access: Access, pk: int) -> HttpResponse:
    if screening_rule_in(access.statement, pk) is None:
        raise Http404("No such entry")
    screening_rule_remove(statement=access.statement, rule_id=pk, actor=request.user)
    messages.success(request, _("Entry removed."))
    return _to_defenses(access)


def _invalidate_link(access: Access, row: HourRow, criterion: str) -> str:
    """The bulk invalidation page, filled in with this address or domain and this hour."""
    local = "%Y-%m-%dT%H:%M"
    query = {
        criterion: row.key,
        "since": timezone.localtime(row.hour).strftime(local),
        "until": timezone.localtime(row.until).strftime(local),
    }
    url = reverse("console:invalidate", kwargs={"slug": access.statement.slug})
    return f"{url}?{urlencode(query)}"


@statement_role_required()
@require_GET
def traffic(request: HttpRequest, access: Access) -> HttpResponse:
    report = signons_per_hour(access.statement)
    links = access.can_moderate

    def rows(items: list[HourRow], criterion: str) -> list[tuple[HourRow, str]]:
        return [(r, _invalidate_link(access, r, criterion) if links else "") for r in items]

    context: dict[str, Any] = {
        "access": access,
        "report": report,
        "by_address": rows(report.by_address, "ip_hash"),
        "by_domain": rows(report.by_domain, "email_domain"),
        "hours": REPORT_HOURS,
        "spike_min": SPIKE_MIN,
        "spike_factor": SPIKE_FACTOR,
    }
    return render(request, "console/traffic.html", context)
