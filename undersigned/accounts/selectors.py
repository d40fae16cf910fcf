"""Who may do what in the organizer console: roles per statement, read in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from undersigned.accounts.models import Role, StatementRole
from undersigned.statements.models import Statement


@dataclass(frozen=True)
class Access:
    """A signed-in organizer's standing on one statement, as the console views receive it."""

    statement: Statement
    role: str

    @property
    def can_edit(self) -> bool:
        return self.role in EDITORS

    @property
    def can_moderate(self) -> bool:
        return self.role in MODERATORS

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER

    def get_role_display(self) -> str:
        return str(Role(self.role).label)


ANY_ROLE = (Role.OWNER, Role.EDITOR, Role.MODERATOR)
# Text, dates, targets, partners.
EDITORS = (Role.OWNER, Role.EDITOR)
# The queues, corrections, merges and invalidations.
MODERATORS = (Role.OWNER, Role.MODERATOR)
# Opening, releasing, closing; the team.
OWNERS = (Role.OWNER,)


def statement_for_organizer(slug: str) -> Statement | None:
    """Any statement by its slug, drafts included (the public path hides drafts)."""
    return Statement.objects.select_related("current_version").filter(slug=slug).first()


def statement_role(user: Any, statement: Statement) -> str | None:
    """The user's role on the statement; superusers (the operator) act as owners."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.OWNER
    role: str | None = (
        StatementRole.objects.filter(statement=statement, user=user)
        .values_list("role", flat=True)
        .first()
    )
    return role


def may_start_statements(user: Any) -> bool:
    """Organizer accounts made by the operator (staff) may start statements; accounts made
    by an invitation act only on the statements they were invited to."""
    return bool(user.is_authenticated and user.is_active and (user.is_staff or user.is_superuser))


def has_console_access(user: Any) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return may_start_statements(user) or StatementRole.objects.filter(user=user).exists()


def statements_for_user(user: Any) -> list[Access]:
    """The statements the user works on, newest first, with their role on each."""
    if user.is_superuser:
        statements = Statement.objects.select_related("current_version").order_by("-created_at")
        return [Access(s, Role.OWNER) for s in statements]
    roles = (
        StatementRole.objects.filter(user=user)
        .select_related("statement__current_version")
        .order_by("-statement__created_at")
    )
    return [Access(r.statement, r.role) for r in roles]


def statement_team(statement: Statement) -> QuerySet[StatementRole]:
    return (
        StatementRole.objects.filter(statement=statement)
        .select_related("user")
        .order_by("role", "user__username")
    )


def role_in(statement: Statement, role_id: int) -> StatementRole | None:
    return StatementRole.objects.filter(statement=statement, pk=role_id).first()
