"""Moderation decisions over many sign-ons: bulk invalidation (reversible, in batches) and
the partners whose referral links are counted. Each function owns its transaction and
writes the audit log in it."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from undersigned.audit.services import audit_log
from undersigned.moderation.models import (
    BatchKind,
    InvalidationBatch,
    Partner,
    RuleAction,
    RuleKind,
    ScreeningLimits,
    ScreeningRule,
)
from undersigned.moderation.rules import address_digest, ascii_domain, mask_address, parse_network
from undersigned.moderation.selectors import (
    UNTOUCHABLE,
    Criteria,
    forget_screening,
    invalidation_candidates,
)
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


# Abuse defenses -----------------------------------------------------------------------------
LIMIT_FIELDS = ("per_minute", "per_hour", "min_fill_seconds")


def screening_limits_update(
    *,
    statement: Statement,
    per_minute: int | None,
    per_hour: int | None,
    min_fill_seconds: int | None,
    actor: Actor,
) -> ScreeningLimits:
    """Set the statement's own abuse limits; None leaves a limit at the site's default.
    The sign-on path of this process sees the change at once, other processes within
    seconds (selectors.screening_for)."""
    wanted = {"per_minute": per_minute, "per_hour": per_hour, "min_fill_seconds": min_fill_seconds}
    for name in ("per_minute", "per_hour"):
        value = wanted[name]
        if value is not None and value < 1:
            raise ValidationError({name: _("Allow at least one sign-on.")})
    if min_fill_seconds is not None and min_fill_seconds < 0:
        raise ValidationError({"min_fill_seconds": _("Give a number of seconds, 0 or more.")})
    with transaction.atomic():
        limits, _created = ScreeningLimits.objects.select_for_update().get_or_create(
            statement=statement
        )
        before = {name: getattr(limits, name) for name in LIMIT_FIELDS}
        for name, value in wanted.items():
            setattr(limits, name, value)
        limits.save()
        if before != wanted:
            audit_log(
                action="screening.limits_changed",
                obj=limits,
                statement_id=statement.pk,
                actor=actor,
                data={"before": before, "after": wanted},
            )
    forget_screening(statement.pk)
    return limits


_DOMAIN = re.compile(r"^(?!-)[a-z0-9-]{1,63}(\.(?!-)[a-z0-9-]{1,63})*$")
# Narrower than this and a rule would take in a large part of the internet.
_WIDEST = {4: 8, 6: 16}


def _rule_value(kind: str, value: str) -> tuple[str, str]:
    """(what matching compares, what the console shows) for an entry as typed; raises
    ValidationError with the reason in the organizer's language."""
    value = value.strip()
    if kind == RuleKind.IP_RANGE:
        try:
            network = parse_network(value)
        except ValueError:
            raise ValidationError(
                {
                    "value": _(
                        "Enter an IP address or a range such as 203.0.113.0/24 or 2001:db8::/32."
                    )
                }
            ) from None
        if network.prefixlen < _WIDEST[network.version]:
            raise ValidationError(
                {
                    "value": _(
                        "This range is too wide: it would take in a large part of the internet."
                    )
                }
            )
        return str(network), str(network)
    if kind == RuleKind.EMAIL_DOMAIN:
        try:
            domain = ascii_domain(value)
        except ValueError:
            domain = ""
        if not _DOMAIN.match(domain):
            raise ValidationError(
                {"value": _("Enter a domain such as example.org, without the @.")}
            )
        try:
            shown = domain.encode("ascii").decode("idna")
        except UnicodeError:
            shown = domain
        return domain, shown
    if kind == RuleKind.EMAIL_ADDRESS:
        try:
            validate_email(value)
        except ValidationError:
            raise ValidationError({"value": _("Enter a whole email address.")}) from None
        return address_digest(value), mask_address(value)
    raise ValidationError({"kind": _("Choose what the entry is.")})


def screening_rule_add(
    *, statement: Statement, kind: str, action: str, value: str, note: str = "", actor: Actor
) -> ScreeningRule:
    """Put an IP range, an email domain (with its subdomains) or an address on the statement's
    block list (its sign-ons are held quietly for review) or allow list (they skip the rate
    limits and the fill-time check). An address is kept only as a hash and a masked label."""
    if action not in RuleAction.values:
        raise ValidationError({"action": _("Choose block or allow.")})
    stored, label = _rule_value(kind, value)
    try:
        with transaction.atomic():
            rule = ScreeningRule.objects.create(
                statement=statement,
                kind=kind,
                action=action,
                value=stored,
                label=label,
                note=note[:200],
                created_by=_user(actor),
            )
            audit_log(
                action="screening.rule_added",
                obj=rule,
                statement_id=statement.pk,
                actor=actor,
                data={"kind": kind, "rule": action, "entry": label, "note": rule.note},
            )
    except IntegrityError:
        raise ValidationError(
            {"value": _("This entry is already on the allow or block list.")}
        ) from None
    forget_screening(statement.pk)
    return rule


def screening_rule_remove(*, statement: Statement, rule_id: int, actor: Actor) -> None:
    with transaction.atomic():
        rule = ScreeningRule.objects.select_for_update().get(pk=rule_id, statement=statement)
        audit_log(
            action="screening.rule_removed",
            obj=rule,
            statement_id=statement.pk,
            actor=actor,
            data={"kind": rule.kind, "rule": rule.action, "entry": rule.label, "note": rule.note},
        )
        rule.delete()
    forget_screening(statement.pk)
