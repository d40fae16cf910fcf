"""Writes to statements: create with a first version, open (freezing the text)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from undersigned.audit.services import audit_log
from undersigned.statements.selectors import forget_cached_pages
from undersigned.statements.models import (
    Demand,
    Statement,
    StatementStatus,
    StatementVersion,
    Target,
)

Actor = AbstractBaseUser | AnonymousUser | None
TEXT_KEYS = {"title", "summary", "preamble", "body", "demands"}


def _validate_content(content: dict[str, Any]) -> int:
    """Every language has a title and the same number of demands; returns that number."""
    if not content:
        raise ValidationError("A statement needs its text in at least one language.")
    counts = set()
    for language, text in content.items():
        unknown = set(text) - TEXT_KEYS
        if unknown:
            raise ValidationError(
                f"Unknown text fields for {language}: {', '.join(sorted(unknown))}"
            )
        if not text.get("title"):
            raise ValidationError(f"The {language} text has no title.")
        counts.add(len(text.get("demands") or []))
    if len(counts) > 1:
        raise ValidationError("Every language must list the same number of demands.")
    return counts.pop()


def statement_create(
    *,
    slug: str,
    content: dict[str, Any],
    default_language: str = "en",
    targets: list[dict[str, str]] | None = None,
    actor: Actor = None,
    **options: Any,
) -> Statement:
    """A draft statement with its first version, numbered demands and targets."""
    demand_count = _validate_content(content)
    if default_language not in content:
        raise ValidationError("The default language must be one of the statement's languages.")
    with transaction.atomic():
        statement = Statement.objects.create(
            slug=slug, default_language=default_language, **options
        )
        version = StatementVersion.objects.create(statement=statement, number=1, content=content)
        statement.current_version = version
        statement.save(update_fields=["current_version"])
        Demand.objects.bulk_create(
            Demand(statement=statement, number=n) for n in range(1, demand_count + 1)
        )
        for position, target in enumerate(targets or []):
            Target.objects.create(statement=statement, position=position, **target)
        audit_log(action="statement.created", obj=statement, statement_id=statement.pk, actor=actor)
    return statement


def statement_open(*, statement: Statement, public: bool = False, actor: Actor = None) -> Statement:
    """Open for signing: collecting behind its link, or released to the public at once.
    The current version's text is frozen from here on; corrections make new versions."""
    if statement.current_version is None:
        raise ValidationError("The statement has no text yet.")
    with transaction.atomic():
        before = statement.status
        statement.status = StatementStatus.RELEASED if public else StatementStatus.COLLECTING
        statement.opens_at = statement.opens_at or timezone.now()
        statement.save(update_fields=["status", "opens_at", "updated_at"])
        version = statement.current_version
        if version.frozen_at is None:
            version.frozen_at = timezone.now()
            version.save(update_fields=["frozen_at"])
        forget_cached_pages(statement)
        audit_log(
            action="statement.opened",
            obj=statement,
            statement_id=statement.pk,
            actor=actor,
            data={"before": before, "after": statement.status},
        )
    return statement
