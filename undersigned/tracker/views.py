from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from undersigned.console.charts import Timeline, timeline
from undersigned.tracker.decorators import organizer_required
from undersigned.tracker.forms import ActionForm, AssessmentForm, SourceFields
from undersigned.tracker.models import Action, Actor, Assessment, Status
from undersigned.tracker.selectors import (
    Ledger,
    agreement_by_key,
    agreement_steps,
    agreements,
    demand_views,
    ledger,
    provision_views,
    provisions_with_status,
    statement_for_tracker,
)
from undersigned.tracker.services import LinkData, action_record, assessment_add
from undersigned.tracker.templatetags.tracker import fuzzy_date

STATUS_ORDER = list(Status.values)


# Public pages ---------------------------------------------------------------------------
@require_GET
def demands(request: HttpRequest, slug: str) -> HttpResponse:
    statement = statement_for_tracker(slug)
    return render(
        request,
        "tracker/demands.html",
        {
            "statement": statement,
            "title": statement.title(),
            "demands": demand_views(statement, get_language()),
        },
    )


@require_GET
def agreement_list(request: HttpRequest) -> HttpResponse:
    items = list(agreements())
    by_agreement: dict[int, list[Any]] = {a.pk: [] for a in items}
    for provision in provisions_with_status(items):
        by_agreement[provision.agreement_id].append(provision)
    rows = []
    for agreement in items:
        provisions = by_agreement[agreement.pk]
        tally: dict[str, int] = {}
        for provision in provisions:
            history = getattr(provision, "public_history", [])
            status = history[-1].status if history else Status.NOT_ASSESSED
            tally[status] = tally.get(status, 0) + 1
        rows.append(
            {
                "agreement": agreement,
                "provisions": provisions,
                "tally": [
                    (Status(s).label, n)
                    for s, n in sorted(tally.items(), key=lambda i: STATUS_ORDER.index(i[0]))
                ],
            }
        )
    return render(request, "tracker/agreements.html", {"rows": rows})


@require_GET
def agreement_detail(request: HttpRequest, key: str) -> HttpResponse:
    agreement = agreement_by_key(key)
    return render(
        request,
        "tracker/agreement.html",
        {
            "agreement": agreement,
            "provisions": provision_views(agreement),
            "steps": agreement_steps(agreement),
        },
    )


@require_GET
def ledger_view(request: HttpRequest) -> HttpResponse:
    key = request.GET.get("agreement", "")[:20]
    agreement = agreement_by_key(key) if key else None
    rows = ledger(agreement=agreement)
    return render(
        request,
        "tracker/ledger.html",
        {
            "ledger": rows,
            "timeline": ledger_timeline(rows),
            "agreement": agreement,
            "agreements": agreements(),
        },
    )


def _lane_label(key: str, actor: Actor | None) -> str:
    """A party's name short enough for the lane: "북한" for "조선민주주의인민공화국(북한)",
    the party's key ("DPRK") for a long name with no short form."""
    if actor is None:
        return _("Others")
    name = actor.localized("name")
    if sum(2 if ord(ch) >= 0x1100 else 1 for ch in name) <= 20:
        return name
    short = re.search(r"\(([^()]+)\)$", name)
    return short.group(1) if short else key


def ledger_timeline(rows: Ledger) -> Timeline | None:
    """The ledger drawn on a time axis: a lane per party, a mark per step (in each lane of a
    joint step), its shape and colour telling its effect."""
    lanes = [_lane_label(column.key, column.actor) for column in rows.columns]
    steps = [
        (
            row.action.key,
            row.action.date,
            [i for i, (_column, here) in enumerate(row.cells) if here],
            row.effect,
            f"{fuzzy_date(row.action)}: {Truncator(row.action.localized('description')).chars(48)}",
        )
        for row in rows.rows
        if any(here for _column, here in row.cells)
    ]
    return timeline(lanes, steps)


# Organizer screens -------------------------------------------------------------------------
def _form_errors(form: SourceFields, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


@require_GET
@organizer_required
def manage(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "tracker/manage/index.html",
        {
            "actions": Action.objects.prefetch_related("actors").order_by("-created_at")[:20],
            "assessments": Assessment.objects.select_related(
                "demand__statement", "provision"
            ).order_by("-created_at")[:20],
        },
    )


@require_http_methods(["GET", "POST"])
@organizer_required
def action_new(request: HttpRequest) -> HttpResponse:
    form = ActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        links: list[LinkData] = [
            {"provision": p, "effect": data["provision_effect"]} for p in data["provisions"]
        ]
        if data.get("demand"):
            links.append({"demand": data["demand"], "effect": data["demand_effect"]})
        new_source = form.new_source()
        try:
            action = action_record(
                date=data["date"],
                date_precision=data["date_precision"],
                date_text=data["date_text"],
                actors=list(data["actors"]),
                counterparts=list(data["counterparts"]),
                kind=data["kind"],
                description=data["description"],
                description_ko=data["description_ko"],
                sources=list(data["sources"]),
                new_sources=[new_source] if new_source else [],
                links=links,
                in_response_to=data.get("in_response_to"),
                reverses=data.get("reverses"),
                unverified=data["unverified"],
                unverified_note=data["unverified_note"],
                note=data["note"],
                user=request.user,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Action recorded: %(key)s") % {"key": action.key})
            return HttpResponseRedirect(reverse("tracker:manage"))
    status = 400 if request.method == "POST" else 200
    return render(request, "tracker/manage/action_form.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@organizer_required
def assessment_new(request: HttpRequest) -> HttpResponse:
    form = AssessmentForm(request.POST or None, initial=request.GET.dict())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        new_source = form.new_source()
        try:
            assessment = assessment_add(
                subject=data.get("demand") or data["provision"],
                status=data["status"],
                as_of=data["as_of"],
                as_of_precision=data["as_of_precision"],
                event=data["event"],
                event_ko=data["event_ko"],
                rationale=data["rationale"],
                action=data.get("action"),
                sources=list(data["sources"]),
                new_sources=[new_source] if new_source else [],
                evidence_kind=data["evidence_kind"],
                review_state=data["review_state"],
                confidence=data.get("confidence") or "",
                unverified=data["unverified"],
                unverified_note=data["unverified_note"],
                user=request.user,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                _("Assessment added: %(status)s as of %(date)s")
                % {"status": assessment.get_status_display(), "date": assessment.as_of},
            )
            return HttpResponseRedirect(reverse("tracker:manage"))
    status = 400 if request.method == "POST" else 200
    return render(request, "tracker/manage/assessment_form.html", {"form": form}, status=status)
