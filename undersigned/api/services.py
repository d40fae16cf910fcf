"""Organizer API tokens: created (the key is returned once) and revoked, both audited."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from undersigned.accounts.selectors import EDITORS, statement_role
from undersigned.api.models import ApiToken
from undersigned.audit.services import audit_log
from undersigned.signatures.services import Actor
from undersigned.statements.models import Statement

KEY_PREFIX = "usk_"
PREFIX_LENGTH = len(KEY_PREFIX) + 8


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def may_hold_api_token(user: User, statement: Statement) -> bool:
    """Owners and editors of the statement (and the operator): a token reads signers' emails,
    as their console does."""
    return statement_role(user, statement) in EDITORS


def api_token_create(
    *, statement: Statement, user: User, label: str = "", actor: Actor = None
) -> tuple[ApiToken, str]:
    """A new token for `user` on `statement`. Returns the token and its key: the only time the
    key is known; afterwards only its hash is kept."""
    if not may_hold_api_token(user, statement):
        raise PermissionDenied(_("Only the statement's owners and editors may hold an API token."))
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            statement=statement,
            label=label.strip()[:100],
            prefix=key[:PREFIX_LENGTH],
            key_hash=hash_key(key),
        )
        audit_log(
            action="api_token.created",
            obj=token,
            statement_id=statement.pk,
            actor=actor if actor is not None else user,
            data={"prefix": token.prefix, "label": token.label, "user": user.pk},
        )
    return token, key


def api_token_revoke(*, token: ApiToken, actor: Actor = None) -> bool:
    """Stop the token working. False if it was already revoked."""
    with transaction.atomic():
        changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if changed:
            token.refresh_from_db(fields=["revoked_at"])
            audit_log(
                action="api_token.revoked",
                obj=token,
                statement_id=token.statement_id,
                actor=actor,
                data={"prefix": token.prefix, "label": token.label},
            )
    return bool(changed)
