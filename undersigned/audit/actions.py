"""How the audit log reads to people: a label for each action code and its details as
rows, in the reader's language. Codes the mapping does not know are shown as they are."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, Promise] = {
    "api_token.created": _("API token created"),
    "api_token.revoked": _("API token revoked"),
    "delivery.recorded": _("Delivery recorded"),
    "invalidation.applied": _("Sign-ons invalidated"),
    "invalidation.reverted": _("Invalidation reverted"),
    "organizer.created": _("Organizer account created"),
    "organizer.invited": _("Organizer invited"),
    "organizer.role_granted": _("Role given"),
    "organizer.role_removed": _("Removed from the team"),
    "partner.created": _("Partner added"),
    "partner.deleted": _("Partner removed"),
    "screening.limits_changed": _("Abuse limits changed"),
    "screening.rule_added": _("Allow or block entry added"),
    "screening.rule_removed": _("Allow or block entry removed"),
    "signature.approved": _("Sign-on approved"),
    "signature.confirmed": _("Sign-on confirmed by email"),
    "signature.display_changed": _("How a sign-on is shown changed"),
    "signature.hold_released": _("Held sign-on released"),
    "signature.imported": _("Sign-on imported"),
    "signature.merged": _("Duplicate merged"),
    "signature.rejected": _("Sign-on rejected"),
    "signature.resigned": _("Signed again after withdrawing"),
    "signature.unsubscribed": _("Signer stopped updates"),
    "signature.withdrawn": _("Sign-on withdrawn by the signer"),
    "snapshot.frozen": _("Snapshot frozen"),
    "statement.closed": _("Statement closed"),
    "statement.created": _("Statement created"),
    "statement.delivered": _("Statement delivered"),
    "statement.imported": _("Sign-ons imported"),
    "statement.opened": _("Statement opened"),
    "statement.recounted": _("Counts checked and corrected"),
    "statement.reopened": _("Statement reopened"),
    "statement.updated": _("Statement settings changed"),
    "update.posted": _("Update posted"),
}

OBJECT_LABELS: dict[str, Promise] = {
    "apitoken": _("API token"),
    "delivery": _("Delivery"),
    "invalidationbatch": _("Invalidation"),
    "partner": _("Partner"),
    "screeninglimits": _("Abuse limits"),
    "screeningrule": _("Allow or block entry"),
    "signature": _("Sign-on"),
    "snapshot": _("Snapshot"),
    "statement": _("Statement"),
    "statementrole": _("Team role"),
    "update": _("Update"),
    "user": _("Organizer account"),
}

KEY_LABELS: dict[str, Promise] = {
    "batch": _("Decision"),
    "code": _("Code"),
    "count": _("Sign-ons"),
    "criteria": _("Criteria"),
    "duplicate_of": _("Duplicate of"),
    "entry": _("Entry"),
    "fields": _("Fields"),
    "hold_reason": _("Held because"),
    "kind": _("What"),
    "languages": _("Languages"),
    "min_fill_seconds": _("Minimum seconds to fill in the form"),
    "name": _("Name"),
    "note": _("Note"),
    "number": _("Number"),
    "organization": _("On behalf of"),
    "per_hour": _("Sign-ons an hour from one address"),
    "per_minute": _("Sign-ons a minute from one address"),
    "reason": _("Reason"),
    "role": _("Role"),
    "rule": _("List"),
}


def action_label(code: str) -> str:
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def object_label(object_type: str) -> str:
    label = OBJECT_LABELS.get(object_type)
    return str(label) if label is not None else object_type


def _value_labels() -> dict[str, str]:
    # Imported here: the apps' models import the audit app's services.
    from undersigned.accounts.models import Role
    from undersigned.moderation.models import RuleAction, RuleKind
    from undersigned.signatures.models import Status
    from undersigned.statements.models import Kind, StatementStatus

    labels: dict[str, str] = {}
    for choices in (Status, StatementStatus, Role, Kind, RuleKind):
        labels.update((value, str(label)) for value, label in choices.choices)
    labels.update({RuleAction.BLOCK: gettext("Block"), RuleAction.ALLOW: gettext("Allow")})
    return labels


def _show(value: Any, labels: dict[str, str]) -> str:
    if value is None or value == "":
        return gettext("(site default)") if value is None else "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list):
        return ", ".join(_show(v, labels) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{_key(k)}: {_show(v, labels)}" for k, v in value.items()) or "—"
    return labels.get(str(value), str(value))


def _key(key: str) -> str:
    label = KEY_LABELS.get(key)
    return str(label) if label is not None else key.replace("_", " ")


def describe_data(data: dict[str, Any]) -> list[tuple[str, str]]:
    """An entry's details as (label, text) rows; a before/after pair reads "old → new"
    (for settings, one row per setting that changed)."""
    labels = _value_labels()
    rows: list[tuple[str, str]] = []
    rest = dict(data)
    if "before" in rest and "after" in rest:
        before, after = rest.pop("before"), rest.pop("after")
        if isinstance(before, dict) and isinstance(after, dict):
            for key in after:
                if before.get(key) != after.get(key):
                    old, new = _show(before.get(key), labels), _show(after.get(key), labels)
                    rows.append((_key(key), f"{old} → {new}"))
        else:
            rows.append((gettext("Change"), f"{_show(before, labels)} → {_show(after, labels)}"))
    for key, value in rest.items():
        if value in ("", [], {}, None):
            continue
        rows.append((_key(key), _show(value, labels)))
    return rows
