"""Writes to statements: create with a first version, open (freezing the text)."""

from __future__ import annotations

from typing import Any, TypedDict, cast

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from undersigned.accounts.models import Role, StatementRole
from undersigned.audit.services import audit_log
from undersigned.statements.models import (
    Demand,
    Kind,
    Statement,
    StatementStatus,
    StatementVersion,
    Target,
)
from undersigned.statements.selectors import forget_cached_pages

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


# The organizer console ----------------------------------------------------------------------
SETTINGS_FIELDS = (
    "opens_at",
    "release_at",
    "closes_at",
    "default_language",
    "accepts_organizations",
    "accepts_individuals",
    "goal_organizations",
    "goal_individuals",
    "moderate_organizations",
    "moderate_individuals",
)
TARGET_FIELDS = ("name", "name_alt", "title", "organization", "contact")


class TargetData(TypedDict, total=False):
    id: int | None  # an existing target of the statement; none for a new one
    name: str
    name_alt: str
    title: str
    organization: str
    contact: str


def statement_start(
    *, slug: str, title: str, default_language: str, owner: AbstractBaseUser
) -> Statement:
    """A new draft with just a title, owned by the organizer who started it."""
    if Statement.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": _("Another statement already has this address.")})
    with transaction.atomic():
        statement = statement_create(
            slug=slug,
            content={default_language: {"title": title}},
            default_language=default_language,
            actor=owner,
        )
        role = StatementRole.objects.create(
            statement=statement, user=cast(Any, owner), role=Role.OWNER
        )
        audit_log(
            action="organizer.role_granted",
            obj=role,
            statement_id=statement.pk,
            actor=owner,
            data={"role": Role.OWNER},
        )
    return statement


def _check_settings(statement: Statement) -> None:
    if statement.opens_at and statement.closes_at and statement.closes_at <= statement.opens_at:
        raise ValidationError({"closes_at": _("The closing time must come after the opening.")})
    if not (statement.accepts_organizations or statement.accepts_individuals):
        raise ValidationError(_("Let organizations or individuals sign, or both."))
    version = statement.current_version
    if version is not None and not version.has_language(statement.default_language):
        raise ValidationError(
            {"default_language": _("Write the text in this language before making it the default.")}
        )


def _targets_set(statement: Statement, targets: list[TargetData]) -> dict[str, int]:
    """Make the statement's targets these, in this order; targets keep their id (and the
    demands addressed to them) when edited."""
    existing = {t.pk: t for t in statement.targets.all()}
    kept: set[int] = set()
    moved = {"added": 0, "changed": 0, "removed": 0}
    for position, data in enumerate(targets):
        values: dict[str, Any] = {f: (data.get(f) or "") for f in TARGET_FIELDS}
        values["position"] = position
        if not values["name"]:
            raise ValidationError(_("Every target needs a name."))
        target = existing.get(data.get("id") or 0)
        if target is None:
            Target.objects.create(statement=statement, **values)
            moved["added"] += 1
            continue
        kept.add(target.pk)
        changed = [f for f, v in values.items() if getattr(target, f) != v]
        if changed:
            for f in changed:
                setattr(target, f, values[f])
            target.save(update_fields=changed)
            moved["changed"] += 1
    gone = [pk for pk in existing if pk not in kept]
    if gone:
        Target.objects.filter(pk__in=gone).delete()
        moved["removed"] = len(gone)
    return {k: v for k, v in moved.items() if v}


def statement_update(
    *,
    statement: Statement,
    actor: Actor,
    targets: list[TargetData] | None = None,
    **changes: Any,
) -> Statement:
    """Change the statement's dates, who may sign, goals and approval rules (SETTINGS_FIELDS),
    and with `targets`, its targets. Turning approval on or off for a kind moves the sign-ons
    it concerns (signatures_apply_moderation_policy), so counts follow the new rule."""
    from undersigned.signatures.services import signatures_apply_moderation_policy

    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"not statement settings: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        fresh = (
            Statement.objects.select_for_update(of=("self",))
            .select_related("current_version")
            .get(pk=statement.pk)
        )
        changed = [f for f, value in changes.items() if getattr(fresh, f) != value]
        for f in changed:
            setattr(fresh, f, changes[f])
        _check_settings(fresh)
        if changed:
            fresh.save(update_fields=[*changed, "updated_at"])
        moved = {}
        for kind, f in (
            (Kind.ORGANIZATION, "moderate_organizations"),
            (Kind.INDIVIDUAL, "moderate_individuals"),
        ):
            if f in changed:
                moved[kind] = signatures_apply_moderation_policy(statement=fresh, kind=kind)
        target_changes = _targets_set(fresh, targets) if targets is not None else {}
        if changed or target_changes:
            data: dict[str, Any] = {"fields": changed}
            if target_changes:
                data["targets"] = target_changes
            if any(moved.values()):
                data["sign_ons_moved"] = moved
            audit_log(
                action="statement.updated",
                obj=fresh,
                statement_id=fresh.pk,
                actor=actor,
                data=data,
            )
    forget_cached_pages(fresh)
    return fresh


def statement_version_create(
    *, statement: Statement, content: dict[str, Any], actor: Actor, note: str = ""
) -> StatementVersion:
    """Save the statement's text. While it is a draft, its one unfrozen version is rewritten.
    Once the statement is open, the version people signed stays as it was and a new version,
    frozen at once, becomes the current one: later signers sign it, earlier ones keep theirs.
    Demands can be added at any time, but no longer removed once the statement is open (the
    tracker and the signers refer to them by number)."""
    demand_count = _validate_content(content)
    with transaction.atomic():
        fresh = (
            Statement.objects.select_for_update(of=("self",))
            .select_related("current_version")
            .get(pk=statement.pk)
        )
        if fresh.default_language not in content:
            raise ValidationError(_("The text in the default language cannot be left out."))
        current = fresh.current_version
        demands = fresh.demands.count()
        if demand_count < demands and (fresh.status != StatementStatus.DRAFT or current is None):
            raise ValidationError(
                _("Demands cannot be removed once the statement is open; reword them instead.")
            )
        if current is not None and current.frozen_at is None:
            current.content = content
            current.note = note[:300]
            current.save(update_fields=["content", "content_hash", "note"])
            version, action = current, "statement.text_edited"
        else:
            number = (fresh.versions.aggregate(n=Max("number"))["n"] or 0) + 1
            version = StatementVersion.objects.create(
                statement=fresh,
                number=number,
                content=content,
                note=note[:300],
                frozen_at=timezone.now() if fresh.status != StatementStatus.DRAFT else None,
            )
            fresh.current_version = version
            fresh.save(update_fields=["current_version", "updated_at"])
            action = "statement.version_created"
        if demand_count > demands:
            Demand.objects.bulk_create(
                Demand(statement=fresh, number=n) for n in range(demands + 1, demand_count + 1)
            )
        elif demand_count < demands:
            try:
                with transaction.atomic():
                    fresh.demands.filter(number__gt=demand_count).delete()
            except ProtectedError:
                raise ValidationError(
                    _("A demand you removed has tracker entries; keep it, or remove those first.")
                ) from None
        audit_log(
            action=action,
            obj=version,
            statement_id=fresh.pk,
            actor=actor,
            data={"number": version.number, "languages": sorted(content), "note": version.note},
        )
    forget_cached_pages(fresh)
    return version


def statement_close(*, statement: Statement, actor: Actor) -> Statement:
    """Stop signing. Only a released statement closes: closing one still collecting behind
    its link would make it public without a decision to release it."""
    with transaction.atomic():
        fresh = Statement.objects.select_for_update().get(pk=statement.pk)
        if fresh.status != StatementStatus.RELEASED:
            raise ValidationError(_("Only a released statement can be closed."))
        fresh.status = StatementStatus.CLOSED
        fresh.save(update_fields=["status", "updated_at"])
        audit_log(
            action="statement.closed",
            obj=fresh,
            statement_id=fresh.pk,
            actor=actor,
            data={"before": StatementStatus.RELEASED, "after": fresh.status},
        )
    return fresh


def statement_reopen(*, statement: Statement, actor: Actor) -> Statement:
    """Accept sign-ons again after closing. A closing time already past is cleared, or the
    statement would stay shut."""
    with transaction.atomic():
        fresh = Statement.objects.select_for_update().get(pk=statement.pk)
        if fresh.status != StatementStatus.CLOSED:
            raise ValidationError(_("Only a closed statement can be reopened."))
        fresh.status = StatementStatus.RELEASED
        fields = ["status", "updated_at"]
        cleared = bool(fresh.closes_at and fresh.closes_at <= timezone.now())
        if cleared:
            fresh.closes_at = None
            fields.append("closes_at")
        fresh.save(update_fields=fields)
        audit_log(
            action="statement.reopened",
            obj=fresh,
            statement_id=fresh.pk,
            actor=actor,
            data={
                "before": StatementStatus.CLOSED,
                "after": fresh.status,
                "closes_at_cleared": cleared,
            },
        )
    return fresh
