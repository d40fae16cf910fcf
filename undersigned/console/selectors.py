"""Reads that compose the console's pages: the dashboard and the audit log of a statement.
Organizer-only; they call the apps' own selectors wherever those exist."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _
from django_countries import countries

from undersigned.accounts.models import Role, StatementRole
from undersigned.audit.actions import ACTION_LABELS, action_label, describe_data, object_label
from undersigned.audit.models import AuditEntry
from undersigned.audit.services import organizer_label
from undersigned.moderation.selectors import Day, moderation_backlog, signons_per_day
from undersigned.signatures.models import Category, Network, Signature
from undersigned.signatures.selectors import Counts, statement_breakdown, statement_counts
from undersigned.statements.models import Kind, Statement, StatementVersion, Target


@dataclass
class Breakdown:
    title: str
    rows: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Dashboard:
    counts: Counts
    kinds: list[dict[str, Any]]
    breakdowns: list[Breakdown]
    backlog: dict[str, int]
    days: list[Day]


def _sorted(values: dict[str, int], label: Any) -> list[tuple[str, int]]:
    return sorted(((label(k), n) for k, n in values.items()), key=lambda r: (-r[1], r[0]))


def _country(code: str) -> str:
    return str(countries.name(code) or code)


def _region(key: str) -> str:
    country, _sep, region = key.partition("-")
    return f"{region}, {_country(country)}" if region else _country(country)


def dashboard(statement: Statement) -> Dashboard:
    counts = statement_counts(statement)
    listed = statement_breakdown(statement, "listed")
    kinds = [
        {
            "kind": kind,
            "label": Kind(kind).label,
            "counted": counts["organizations" if kind == Kind.ORGANIZATION else "individuals"],
            "listed": listed.get(kind, 0),
            "goal": statement.goal(kind),
        }
        for kind in Kind.values
        if statement.accepts(kind)
    ]
    networks = dict(Network.objects.values_list("slug", "name"))
    categories = dict(Category.choices)
    breakdowns = [
        Breakdown(
            _("Organizations by category"),
            _sorted(
                statement_breakdown(statement, "category"), lambda k: str(categories.get(k, k))
            ),
        ),
        Breakdown(
            _("Organizations by network"),
            _sorted(statement_breakdown(statement, "network"), lambda k: networks.get(k, k)),
        ),
        Breakdown(_("By country"), _sorted(statement_breakdown(statement, "country"), _country)),
        Breakdown(
            _("By state or region"), _sorted(statement_breakdown(statement, "region"), _region)
        ),
    ]
    return Dashboard(
        counts=counts,
        kinds=kinds,
        breakdowns=breakdowns,
        backlog=moderation_backlog(statement),
        days=signons_per_day(statement),
    )


def audit_entries(statement: Statement, *, action: str = "") -> QuerySet[AuditEntry]:
    """The statement's audit log, newest first (only one action's entries when given).
    Entries never hold an email address."""
    rows = AuditEntry.objects.filter(statement=statement).select_related("actor")
    return rows.filter(action=action) if action else rows


def audit_actions() -> list[tuple[str, str]]:
    """The actions the audit page can filter by, with their labels, in label order."""
    return sorted(((code, str(label)) for code, label in ACTION_LABELS.items()), key=lambda r: r[1])


@dataclass
class AuditRow:
    entry: AuditEntry
    label: str
    who: str
    object: str
    details: list[tuple[str, str]]


def audit_rows(statement: Statement, entries: list[AuditEntry]) -> list[AuditRow]:
    """Entries as the audit page shows them: the action in words, who acted (an organizer by
    name or number, with their role here; never their address) and the details as rows."""
    roles = {
        user_id: (role, organization)
        for user_id, role, organization in StatementRole.objects.filter(
            statement=statement
        ).values_list("user_id", "role", "organization")
    }
    people = {"signer": _("Signer"), "system": _("System")}
    rows = []
    for entry in entries:
        if entry.actor is not None:
            who = organizer_label(entry.actor)
            if entry.actor_id in roles:
                role, organization = roles[entry.actor_id]
                who = f"{who} ({', '.join(filter(None, [str(Role(role).label), organization]))})"
        else:
            who = str(people.get(entry.actor_label, entry.actor_label or "—"))
        rows.append(
            AuditRow(
                entry,
                action_label(entry.action),
                who,
                f"{object_label(entry.object_type)} #{entry.object_id}",
                describe_data(entry.data),
            )
        )
    return rows


def signature_history(statement: Statement, signature: Signature) -> QuerySet[AuditEntry]:
    return audit_entries(statement).filter(object_type="signature", object_id=str(signature.pk))


def versions_with_counts(statement: Statement) -> list[tuple[StatementVersion, int]]:
    """The statement's versions, newest first, each with how many sign-ons were made on it."""
    signed = dict(
        Signature.objects.filter(statement=statement)
        .values_list("version_id")
        .annotate(n=Count("id"))
        .values_list("version_id", "n")
    )
    versions = StatementVersion.objects.filter(statement=statement).order_by("-number")
    return [(v, signed.get(v.pk, 0)) for v in versions]


def targets_of(statement: Statement) -> QuerySet[Target]:
    return Target.objects.filter(statement=statement).order_by("position", "id")
