"""The admin shows the tracker's reference data for correction; the history (assessments and
their evidence) is read-only here, as everywhere: organizers add to it through the tracker's
own screens, which go through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from undersigned.tracker.models import (
    Action,
    ActionLink,
    Actor,
    Agreement,
    AgreementLink,
    AgreementParty,
    Assessment,
    Evidence,
    Provision,
    Source,
    TrackedDemand,
)


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["key", "title", "publisher", "type", "language"]
    list_filter = ["type", "language"]
    search_fields = ["key", "title", "publisher", "url"]


@admin.register(Actor)
class ActorAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "name_ko", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["key", "name", "name_ko"]


class PartyInline(admin.TabularInline):
    model = AgreementParty
    extra = 0


class LinkInline(admin.TabularInline):
    model = AgreementLink
    fk_name = "source"
    extra = 0


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = ["key", "short_name", "date_signed", "status", "pax_agt_id", "unverified"]
    list_filter = ["status", "unverified"]
    search_fields = ["key", "title", "short_name"]
    inlines = [PartyInline, LinkInline]
    filter_horizontal = ["sources"]


@admin.register(Provision)
class ProvisionAdmin(admin.ModelAdmin):
    list_display = ["key", "agreement", "kind", "deadline", "unverified"]
    list_filter = ["agreement", "kind", "unverified"]
    search_fields = ["key", "summary", "summary_ko"]
    filter_horizontal = ["obligors"]


class ActionLinkInline(admin.TabularInline):
    model = ActionLink
    extra = 0


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    list_display = ["key", "date", "date_precision", "kind", "unverified"]
    list_filter = ["kind", "unverified", "date_precision"]
    search_fields = ["key", "description", "description_ko"]
    date_hierarchy = "date"
    filter_horizontal = ["actors", "counterparts", "sources"]
    raw_id_fields = ["in_response_to", "reverses"]
    inlines = [ActionLinkInline]


@admin.register(TrackedDemand)
class TrackedDemandAdmin(admin.ModelAdmin):
    list_display = ["demand", "title"]
    filter_horizontal = ["addressees", "cited_provisions"]


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    can_delete = False
    readonly_fields = ["source", "kind"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "as_of", "review_state", "created_at"]
    list_filter = ["status", "review_state"]
    inlines = [EvidenceInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
