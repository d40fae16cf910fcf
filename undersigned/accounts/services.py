from __future__ import annotations

from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AbstractUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from undersigned.accounts.models import Role, StatementRole
from undersigned.audit.services import audit_log
from undersigned.statements.models import Statement

Actor = AbstractBaseUser | AnonymousUser | None


def organizer_create(*, email: str, password: str | None, superuser: bool = False) -> AbstractUser:
    """Create an organizer account whose username is its email address."""
    email = email.strip()
    validate_email(email)
    User = get_user_model()
    if User.objects.filter(username__iexact=email).exists():
        raise ValidationError(f"An organizer with the address {email} already exists.")
    with transaction.atomic():
        user = User.objects.create_user(
            username=email, email=email, password=password, is_staff=True, is_superuser=superuser
        )
        audit_log(action="organizer.created", obj=user, data={"superuser": superuser})
    return user


def enqueue_on_commit(task: Any, *args: Any) -> None:
    """Queue a job: the database queue writes it in the caller's transaction; Redis is told
    after the commit (before, its worker could look for rows that do not exist yet)."""
    if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
        task.enqueue(*args)
    else:
        transaction.on_commit(partial(task.enqueue, *args), robust=True)


def _owners_left(statement: Statement, without: StatementRole) -> int:
    return (
        StatementRole.objects.filter(statement=statement, role=Role.OWNER)
        .exclude(pk=without.pk)
        .count()
    )


def organizer_invite(
    *,
    statement: Statement,
    email: str,
    role: str,
    actor: Actor,
    organization: str = "",
    language: str = "en",
) -> StatementRole:
    """Give the address a role on the statement and email it. A new address gets an account
    without a password and a link to choose one (accounts.tokens); an existing organizer is
    told to log in. Inviting someone again changes their role and sends the email again."""
    from undersigned.accounts.tasks import send_invitation_email

    email = email.strip()
    validate_email(email)
    if role not in Role.values:
        raise ValidationError(_("Choose a role."))
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.filter(username__iexact=email).first()
        created = user is None
        if user is None:
            # Invited accounts are not staff: their powers come from their roles alone.
            user = User.objects.create_user(username=email, email=email, password=None)
            audit_log(
                action="organizer.created",
                obj=user,
                statement_id=statement.pk,
                actor=actor,
                data={"invited": True},
            )
        existing = StatementRole.objects.filter(statement=statement, user=user).first()
        if (
            existing is not None
            and existing.role == Role.OWNER
            and role != Role.OWNER
            and not _owners_left(statement, existing)
        ):
            raise ValidationError(_("A statement needs at least one owner."))
        grant, _created = StatementRole.objects.update_or_create(
            statement=statement, user=user, defaults={"role": role, "organization": organization}
        )
        # The address itself is never written to the audit log; the role row names the user.
        audit_log(
            action="organizer.invited",
            obj=grant,
            statement_id=statement.pk,
            actor=actor,
            data={"role": role, "new_account": created, "organization": organization},
        )
        enqueue_on_commit(send_invitation_email, grant.pk, language)
    return grant


def statement_role_remove(*, statement: Statement, role_id: int, actor: Actor) -> None:
    """Take someone off the statement's team; the last owner stays."""
    with transaction.atomic():
        grant = StatementRole.objects.select_for_update().get(pk=role_id, statement=statement)
        if grant.role == Role.OWNER and not _owners_left(statement, grant):
            raise ValidationError(_("A statement needs at least one owner."))
        audit_log(
            action="organizer.role_removed",
            obj=grant,
            statement_id=statement.pk,
            actor=actor,
            data={"role": grant.role},
        )
        grant.delete()


# Two-factor authentication (undersigned.accounts.twofactor) -----------------------------------
def two_factor_enable(*, user: Any, device: Any, code_hashes: list[str]) -> None:
    """Confirm the authenticator app the organizer just proved they have, and replace their
    recovery codes (hashes only)."""
    from undersigned.accounts.models import RecoveryCode

    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        type(device).objects.filter(user=user).exclude(pk=device.pk).delete()
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=h) for h in code_hashes)
        audit_log(action="organizer.2fa_enabled", obj=user, actor=user)


def two_factor_new_recovery_codes(*, user: Any, code_hashes: list[str]) -> None:
    from undersigned.accounts.models import RecoveryCode

    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=h) for h in code_hashes)
        audit_log(action="organizer.recovery_codes_replaced", obj=user, actor=user)


def two_factor_recovery_code_use(*, user: Any, code_hash: str) -> bool:
    """Spend one recovery code: True when it existed (it is gone now)."""
    from undersigned.accounts.models import RecoveryCode

    with transaction.atomic():
        deleted, _rows = RecoveryCode.objects.filter(user=user, code_hash=code_hash).delete()
        if deleted:
            audit_log(
                action="organizer.recovery_code_used",
                obj=user,
                actor=user,
                data={"left": RecoveryCode.objects.filter(user=user).count()},
            )
    return bool(deleted)


def two_factor_disable(*, user: Any) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from undersigned.accounts.models import RecoveryCode

    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        audit_log(action="organizer.2fa_disabled", obj=user, actor=user)
