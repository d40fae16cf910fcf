"""Statements in the Django admin (the organizer console will replace this). Opening and
releasing go through the services, which freeze the text and write the audit log; a frozen
version's text cannot be edited here."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from undersigned.statements.models import Demand, Statement, StatementVersion, Target
from undersigned.statements.services import statement_open


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0
    exclude = ["contact"]


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin):
    list_display = ["slug", "status", "default_language", "opens_at", "closes_at", "is_sample"]
    list_filter = ["status"]
    search_fields = ["slug"]
    readonly_fields = ["status", "current_version"]
    inlines = [TargetInline]
    actions = ["open_collecting", "release"]

    @admin.action(description=_("Open for signing behind its link (not public yet)"))
    def open_collecting(self, request: HttpRequest, queryset: QuerySet[Statement]) -> None:
        for statement in queryset:
            statement_open(statement=statement, public=False, actor=request.user)
        self.message_user(request, _("Opened."), messages.SUCCESS)

    @admin.action(description=_("Release: make public and open for signing"))
    def release(self, request: HttpRequest, queryset: QuerySet[Statement]) -> None:
        for statement in queryset:
            statement_open(statement=statement, public=True, actor=request.user)
        self.message_user(request, _("Released."), messages.SUCCESS)


@admin.register(StatementVersion)
class StatementVersionAdmin(admin.ModelAdmin):
    list_display = ["statement", "number", "content_hash", "frozen_at"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: StatementVersion | None = None
    ) -> list[str]:
        frozen = obj is not None and obj.frozen_at is not None
        return [
            "content_hash",
            "frozen_at",
            *(["statement", "number", "content"] if frozen else []),
        ]


admin.site.register(Demand)
