"""Organizers are Django users; their powers over a statement come from a role."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    EDITOR = "editor", _("Editor")
    MODERATOR = "moderator", _("Moderator")


class StatementRole(models.Model):
    statement = models.ForeignKey(
        "statements.Statement", on_delete=models.CASCADE, related_name="roles"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="statement_roles"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    organization = models.CharField(_("on behalf of"), max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["statement", "user"], name="one_role_per_statement")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} {self.statement}"


class RecoveryCode(models.Model):
    """A one-time code that stands in for the authenticator app (a lost phone). Shown once
    when made; only its SHA-256 hash is kept (the code is random, 50 bits: a salt would add
    nothing), and it is deleted when used."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_once")
        ]

    def __str__(self) -> str:
        return f"recovery code of {self.user_id}"
