from django.contrib import admin

from undersigned.statements.models import Demand, Statement, StatementVersion, Target


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0
    exclude = ["contact"]


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin):
    list_display = ["slug", "status", "default_language", "opens_at", "closes_at", "is_sample"]
    list_filter = ["status"]
    search_fields = ["slug"]
    inlines = [TargetInline]


@admin.register(StatementVersion)
class StatementVersionAdmin(admin.ModelAdmin):
    list_display = ["statement", "number", "content_hash", "frozen_at"]
    readonly_fields = ["content_hash"]


admin.site.register(Demand)
