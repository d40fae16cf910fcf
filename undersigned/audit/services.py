from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models

from undersigned.audit.models import AuditEntry


def organizer_label(user: Any) -> str:
    """How the audit log names an organizer: never the email address (their username), but
    the name they gave, or their account number. The entry keeps the account itself too."""
    name = (
        " ".join(str(user.get_full_name() or "").split()) if hasattr(user, "get_full_name") else ""
    )
    if name and "@" not in name:
        return name[:64]
    return f"organizer #{user.pk}"


def audit_log(
    *,
    action: str,
    obj: models.Model,
    statement_id: int | None = None,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    actor_label: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record a state change. Call it inside the transaction that makes the change."""
    user = cast(Any, actor) if actor is not None and actor.is_authenticated else None
    return AuditEntry.objects.create(
        action=action,
        actor=user,
        actor_label=actor_label or (organizer_label(user) if user else "system"),
        statement_id=statement_id,
        object_type=obj._meta.model_name or "",
        object_id=str(obj.pk),
        data=data or {},
    )
