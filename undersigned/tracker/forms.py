"""Organizer forms: record an action, add an assessment. Both refuse to go on without a source:
one picked from the sources already on file, or a new one (address and title)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from undersigned.statements.models import Demand
from undersigned.tracker.models import (
    Action,
    ActionKind,
    Actor,
    Confidence,
    DatePrecision,
    Effect,
    EvidenceType,
    Provision,
    ReviewState,
    Source,
    SourceType,
    Status,
)
from undersigned.tracker.services import SourceData

DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


class ProvisionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.key} — {obj.localized('summary')[:90]}"


class ProvisionsChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.key} — {obj.localized('summary')[:90]}"


class DemandChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        tracking = getattr(obj, "tracking", None)
        title = tracking.localized("title") if tracking else obj.text()[:90]
        return f"{obj.statement.slug} #{obj.number} — {title}"


class ActionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.date:%Y-%m-%d} — {obj.localized('description')[:90]}"


class SourceFields(forms.Form):
    """Sources already on file, and one new source; at least one in all."""

    sources = forms.ModelMultipleChoiceField(
        label=_("Sources on file"),
        queryset=Source.objects.order_by("-created_at"),
        required=False,
        help_text=_("Hold Ctrl (⌘ on a Mac) to pick several."),
    )
    new_source_url = forms.URLField(
        label=_("New source: address"), required=False, max_length=500, assume_scheme="https"
    )
    new_source_title = forms.CharField(label=_("New source: title"), required=False, max_length=300)
    new_source_publisher = forms.CharField(
        label=_("New source: publisher"), required=False, max_length=200
    )
    new_source_type = forms.ChoiceField(
        label=_("New source: type"), choices=SourceType.choices, initial=SourceType.NEWS
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        url, title = data.get("new_source_url"), (data.get("new_source_title") or "").strip()
        if url and not title:
            self.add_error("new_source_title", _("Give the new source a title."))
        if title and not url:
            self.add_error("new_source_url", _("Give the new source's web address."))
        if not data.get("sources") and not url and "new_source_url" not in self.errors:
            raise ValidationError(
                _("Cite at least one source: pick one on file or add a new one."),
                code="no_source",
            )
        return data

    def new_source(self) -> SourceData | None:
        data = self.cleaned_data
        if not data.get("new_source_url"):
            return None
        return {
            "url": data["new_source_url"],
            "title": data["new_source_title"],
            "publisher": data.get("new_source_publisher") or "",
            "type": data.get("new_source_type") or SourceType.NEWS,
        }


class ActionForm(SourceFields):
    date = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    date_precision = forms.ChoiceField(
        label=_("The date is exact to the"), choices=DatePrecision.choices
    )
    date_text = forms.CharField(
        label=_("Date as reported"),
        required=False,
        max_length=60,
        help_text=_("For example “mid-June 2018” or “20 to 22 July 2018”."),
    )
    actors = forms.ModelMultipleChoiceField(label=_("Who acted"), queryset=Actor.objects.all())
    counterparts = forms.ModelMultipleChoiceField(
        label=_("Toward whom"), queryset=Actor.objects.all(), required=False
    )
    kind = forms.ChoiceField(label=_("Kind of action"), choices=ActionKind.choices)
    description = forms.CharField(
        label=_("What happened (in our own words)"), widget=forms.Textarea(attrs={"rows": 3})
    )
    description_ko = forms.CharField(
        label=_("What happened, in Korean"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    provisions = ProvisionsChoice(
        label=_("Provisions it concerns"),
        queryset=Provision.objects.select_related("agreement"),
        required=False,
    )
    provision_effect = forms.ChoiceField(
        label=_("Effect on those provisions"), choices=Effect.choices, initial=Effect.ADVANCES
    )
    demand = DemandChoice(
        label=_("Demand it concerns"),
        queryset=Demand.objects.select_related("statement", "tracking"),
        required=False,
    )
    demand_effect = forms.ChoiceField(
        label=_("Effect on that demand"), choices=Effect.choices, initial=Effect.CONTEXT
    )
    in_response_to = ActionChoice(
        label=_("In response to"),
        queryset=Action.objects.order_by("-date", "-id"),
        required=False,
        help_text=_("The other party's step this one answers, if any."),
    )
    reverses = ActionChoice(
        label=_("Undoes"),
        queryset=Action.objects.order_by("-date", "-id"),
        required=False,
        help_text=_("The earlier step this one reverses, if any."),
    )
    unverified = forms.BooleanField(label=_("Not yet verified"), required=False)
    unverified_note = forms.CharField(
        label=_("What needs checking"), required=False, max_length=300
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    field_order = [
        "date",
        "date_precision",
        "date_text",
        "actors",
        "counterparts",
        "kind",
        "description",
        "description_ko",
        "provisions",
        "provision_effect",
        "demand",
        "demand_effect",
        "in_response_to",
        "reverses",
        "sources",
        "new_source_url",
        "new_source_title",
        "new_source_publisher",
        "new_source_type",
        "unverified",
        "unverified_note",
        "note",
    ]


class AssessmentForm(SourceFields):
    demand = DemandChoice(
        label=_("Demand"),
        queryset=Demand.objects.select_related("statement", "tracking"),
        required=False,
    )
    provision = ProvisionChoice(
        label=_("or provision"),
        queryset=Provision.objects.select_related("agreement"),
        required=False,
    )
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    as_of = forms.DateField(label=_("As of"), widget=DATE_WIDGET)
    as_of_precision = forms.ChoiceField(
        label=_("The date is exact to the"), choices=DatePrecision.choices
    )
    event = forms.CharField(
        label=_("What happened (in our own words)"), widget=forms.Textarea(attrs={"rows": 3})
    )
    event_ko = forms.CharField(
        label=_("What happened, in Korean"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    rationale = forms.CharField(
        label=_("Why this status"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    action = ActionChoice(
        label=_("The action it follows"),
        queryset=Action.objects.order_by("-date", "-id"),
        required=False,
    )
    evidence_kind = forms.ChoiceField(
        label=_("The sources"), choices=EvidenceType.choices, initial=EvidenceType.SUPPORTS
    )
    review_state = forms.ChoiceField(
        label=_("Review"), choices=ReviewState.choices, initial=ReviewState.PROVISIONAL
    )
    confidence = forms.ChoiceField(
        label=_("Confidence"), choices=Confidence.choices, required=False
    )
    unverified = forms.BooleanField(label=_("Not yet verified"), required=False)
    unverified_note = forms.CharField(
        label=_("What needs checking"), required=False, max_length=300
    )

    field_order = [
        "demand",
        "provision",
        "status",
        "as_of",
        "as_of_precision",
        "event",
        "event_ko",
        "rationale",
        "action",
        "sources",
        "new_source_url",
        "new_source_title",
        "new_source_publisher",
        "new_source_type",
        "evidence_kind",
        "review_state",
        "confidence",
        "unverified",
        "unverified_note",
    ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if bool(data.get("demand")) == bool(data.get("provision")):
            self.add_error("demand", _("Choose either a demand or a provision."))
        return data
