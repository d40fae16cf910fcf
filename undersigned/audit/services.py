from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models

from undersigned.audit.models import AuditEntry


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
        actor_label=actor_label or (str(user) if user else "system"),
        statement_id=statement_id,
        object_type=obj._meta.model_name or "",
        object_id=str(obj.pk),
        data=data or {},
    )
