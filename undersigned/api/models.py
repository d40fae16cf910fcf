"""Organizer API tokens for OSDI: a key shown once, stored only as its SHA-256 hash."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """One organizer's key for one statement. The key itself is never stored: it is a long
    random string, so an unsalted SHA-256 is enough to find it and useless to a thief of the
    database. `prefix` (the key's first characters) tells keys apart on screen."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("owner"),
    )
    statement = models.ForeignKey(
        "statements.Statement",
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("statement"),
    )
    label = models.CharField(_("label"), max_length=100, blank=True)
    prefix = models.CharField(_("key starts with"), max_length=16)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.label or self.statement_id})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
