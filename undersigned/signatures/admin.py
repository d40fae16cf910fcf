"""Until the organizer console exists, moderators approve organizations here. Every change
goes through the services, so counts and the audit log follow; the admin cannot edit or
delete a sign-on behind their back."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from undersigned.signatures.models import Network, Signature
from undersigned.signatures.services import signature_approve, signature_reject


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ["name", "name_alt", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "category",
        "status",
        "city",
        "region",
        "created_at",
        "is_sample",
    ]
    list_filter = ["statement", "kind", "status", "category", "is_sample"]
    search_fields = ["name", "name_alt", "email", "city"]
    actions = ["approve", "reject"]

    def get_readonly_fields(self, request: HttpRequest, obj: Signature | None = None) -> list[str]:
        return [f.name for f in Signature._meta.fields] + ["networks"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Signature | None = None) -> bool:
        return False

    @admin.action(description=_("Approve selected sign-ons"))
    def approve(self, request: HttpRequest, queryset: QuerySet[Signature]) -> None:
        n = signature_approve(
            signature_ids=queryset.values_list("pk", flat=True), actor=request.user
        )
        self.message_user(
            request,
            ngettext("%d sign-on approved.", "%d sign-ons approved.", n) % n,
            messages.SUCCESS,
        )

    @admin.action(description=_("Reject selected sign-ons"))
    def reject(self, request: HttpRequest, queryset: QuerySet[Signature]) -> None:
        n = signature_reject(
            signature_ids=queryset.values_list("pk", flat=True), actor=request.user
        )
        self.message_user(
            request,
            ngettext("%d sign-on rejected.", "%d sign-ons rejected.", n) % n,
            messages.SUCCESS,
        )
