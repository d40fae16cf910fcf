"""Reads for /osdi/v1: which token a request carries, and the rows OSDI answers with.

The public reads go through undersigned.signatures.selectors like the rest of the site; the
organization list and the token reads (which include emails) have their columns named here."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from undersigned.api.models import ApiToken
from undersigned.api.services import hash_key, may_hold_api_token
from undersigned.signatures.models import Signature
from undersigned.statements.models import Kind, Statement
from undersigned.statements.selectors import PUBLIC_STATUSES

# Never add email, phone, contact_* or ip_hash here.
ORGANIZATION_COLUMNS = (
    "id",
    "name",
    "name_alt",
    "category",
    "city",
    "region",
    "country",
    "website",
    "is_sample",
    "statement__slug",
)
# What an organizer's token may read: the sign-on with its signer's contact details (as the
# console shows them), never the IP hash or a moderator's note.
TOKEN_COLUMNS = (
    "id",
    "kind",
    "status",
    "name",
    "name_alt",
    "affiliation",
    "category",
    "city",
    "region",
    "country",
    "website",
    "display",
    "email",
    "contact_name",
    "contact_title",
    "phone",
    "language",
    "source",
    "referral",
    "wants_updates",
    "is_sample",
    "created_at",
    "confirmed_at",
    "decided_at",
)
LAST_USED_EVERY = timedelta(hours=1)


def api_token_for_key(key: str) -> ApiToken | None:
    """The active token with this key, if its owner may still hold it (a token stops working
    when its owner loses the role on the statement)."""
    if not key or len(key) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user", "statement")
        .filter(key_hash=hash_key(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not may_hold_api_token(token.user, token.statement):
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_EVERY:
        # At most one write an hour per token, for the console's "last used".
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def api_tokens_for(statement: Statement) -> QuerySet[ApiToken]:
    """The statement's tokens for the console, newest first (revoked ones too)."""
    return ApiToken.objects.filter(statement=statement).select_related("user")


def listed_organizations(statement: Statement | None = None) -> QuerySet[Signature, Any]:
    """Organizations on the public lists of public statements (or of one), in list order."""
    rows = Signature.objects.filter(
        kind=Kind.ORGANIZATION, listed=True, statement__status__in=PUBLIC_STATUSES
    )
    if statement is not None:
        rows = rows.filter(statement=statement)
    return rows.order_by("statement_id", "group_rank", "sort_key", "id").values(
        *ORGANIZATION_COLUMNS
    )


def counted_signatures(statement: Statement) -> QuerySet[Signature, Any]:
    """For an organizer's token: every counted sign-on of the statement with its contact
    details. Unconfirmed, held, rejected, withdrawn and invalidated sign-ons are left out:
    they did not sign, as far as any other tool should know."""
    return (
        Signature.objects.filter(statement=statement, counted=True)
        .order_by("id")
        .values(*TOKEN_COLUMNS)
    )
