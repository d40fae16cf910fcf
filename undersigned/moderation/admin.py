"""Read-only views for the operator; organizers use the console, which goes through the
services so counts and the audit log follow."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from undersigned.moderation.models import InvalidationBatch, Partner


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(InvalidationBatch)
class InvalidationBatchAdmin(ReadOnlyAdmin):
    list_display = ["id", "statement", "kind", "count", "created_by", "created_at", "reverted_at"]
    list_filter = ["kind", "statement"]


@admin.register(Partner)
class PartnerAdmin(ReadOnlyAdmin):
    list_display = ["name", "code", "statement"]
    list_filter = ["statement"]
