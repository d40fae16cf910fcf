"""Moderation decisions over many sign-ons: bulk invalidation (reversible, in batches) and
the partners whose referral links are counted. Each function owns its transaction and
writes the audit log in it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from undersigned.audit.services import audit_log
from undersigned.moderation.models import BatchKind, InvalidationBatch, Partner
from undersigned.moderation.selectors import UNTOUCHABLE, Criteria, invalidation_candidates
from undersigned.signatures.models import Signature, Status

# The one bulk writer of sign-on transitions, shared with the signatures app on purpose:
# it keeps the counters right while moving thousands of rows in a few queries.
from undersigned.signatures.services import _save_transitions
from undersigned.statements.models import Statement

Actor = AbstractBaseUser | AnonymousUser | None
CHUNK = 500
_BATCH_FIELDS = ("invalidation_batch", "status_before_invalidation")


class CountChanged(Exception):
    """The sign-ons matching the criteria changed since the dry run; nothing was applied."""

    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.count = count


def _user(actor: Actor) -> Any:
    return actor if actor is not None and actor.is_authenticated else None


def signature_invalidate_bulk(
    *,
    statement: Statement,
    criteria: Criteria,
    actor: Actor,
    reason: str = "",
    expected: int | None = None,
) -> InvalidationBatch:
    """Invalidate every sign-on matching the criteria (invalidation_candidates, the same
    query the dry run counts). With `expected`, the count shown in the dry run, nothing is
    applied if the match changed meanwhile (CountChanged). Each row keeps the batch and its
    status before, so invalidation_batch_revert restores it exactly. Counts follow."""
    if criteria.is_empty:
        raise ValidationError(_("Give at least one criterion."))
    with transaction.atomic():
        fresh = Statement.objects.select_for_update().get(pk=statement.pk)
        ids = list(
            invalidation_candidates(fresh, criteria).order_by("pk").values_list("pk", flat=True)
        )
        if expected is not None and len(ids) != expected:
            raise CountChanged(len(ids))
        if not ids:
            raise ValidationError(_("No sign-on matches these criteria."))
        batch = InvalidationBatch.objects.create(
            statement=fresh,
            kind=BatchKind.SELECTION if criteria.ids else BatchKind.CRITERIA,
            criteria=criteria.as_json(),
            reason=reason[:300],
            created_by=_user(actor),
        )
        count = 0
        for start in range(0, len(ids), CHUNK):
            rows = list(
                Signature.objects.select_for_update()
                .filter(pk__in=ids[start : start + CHUNK])
                .exclude(status__in=UNTOUCHABLE)
            )
            for row in rows:
                row.status_before_invalidation = row.status
                row.status = Status.INVALIDATED
                row.invalidation_batch = batch
            _save_transitions(rows, fresh, extra_fields=_BATCH_FIELDS)
            count += len(rows)
        batch.count = count
        batch.save(update_fields=["count"])
        audit_log(
            action="invalidation.applied",
            obj=batch,
            statement_id=fresh.pk,
            actor=actor,
            data={"criteria": batch.criteria, "count": count, "reason": batch.reason},
        )
    return batch


def invalidation_batch_revert(
    *, statement: Statement, batch_id: int, actor: Actor
) -> InvalidationBatch:
    """Undo an invalidation: each sign-on it still holds gets back the status it had. A
    sign-on its signer withdrew since stays withdrawn. Counts follow."""
    with transaction.atomic():
        fresh = Statement.objects.select_for_update().get(pk=statement.pk)
        batch = InvalidationBatch.objects.select_for_update().get(pk=batch_id, statement=fresh)
        if batch.is_reverted:
            raise ValidationError(_("This invalidation was already reverted."))
        held = Signature.objects.filter(invalidation_batch=batch, status=Status.INVALIDATED)
        ids = list(held.order_by("pk").values_list("pk", flat=True))
        count = 0
        for start in range(0, len(ids), CHUNK):
            rows = list(
                Signature.objects.select_for_update().filter(
                    pk__in=ids[start : start + CHUNK],
                    invalidation_batch=batch,
                    status=Status.INVALIDATED,
                )
            )
            for row in rows:
                row.status = row.status_before_invalidation or Status.PENDING
                row.status_before_invalidation = ""
                row.invalidation_batch = None
            _save_transitions(rows, fresh, extra_fields=_BATCH_FIELDS)
            count += len(rows)
        batch.reverted_at = timezone.now()
        batch.reverted_by = _user(actor)
        batch.save(update_fields=["reverted_at", "reverted_by"])
        audit_log(
            action="invalidation.reverted",
            obj=batch,
            statement_id=fresh.pk,
            actor=actor,
            data={"count": count},
        )
    return batch


# Partners -----------------------------------------------------------------------------------
def partner_create(*, statement: Statement, name: str, code: str, actor: Actor) -> Partner:
    """A partner organization with its own referral code for the shared link."""
    try:
        with transaction.atomic():
            partner = Partner.objects.create(statement=statement, name=name, code=code)
            audit_log(
                action="partner.created",
                obj=partner,
                statement_id=statement.pk,
                actor=actor,
                data={"name": name, "code": code},
            )
    except IntegrityError:
        raise ValidationError(
            {"code": _("Another partner of this statement already uses this code.")}
        ) from None
    return partner


def partner_delete(*, statement: Statement, partner_id: int, actor: Actor) -> None:
    """Forget a partner. Sign-ons keep the code they arrived with."""
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=partner_id, statement=statement)
        audit_log(
            action="partner.deleted",
            obj=partner,
            statement_id=statement.pk,
            actor=actor,
            data={"name": partner.name, "code": partner.code},
        )
        partner.delete()
