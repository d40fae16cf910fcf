"""Writes to the tracker: sources, actions with their links, and the append-only assessments.

Each function owns its transaction and writes its audit entry in it. An assessment that
changes a demand's public status queues the email to the signers who asked for updates in
the same transaction (the database queue) or right after it commits (Redis).
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Sequence
from functools import partial
from typing import TypedDict

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from undersigned.audit.services import audit_log
from undersigned.lib.text import clean_line
from undersigned.statements.models import Demand
from undersigned.tracker.models import (
    Action,
    ActionKind,
    ActionLink,
    Actor,
    Agreement,
    Assessment,
    Confidence,
    DatePrecision,
    Effect,
    Evidence,
    EvidenceType,
    Provision,
    ReviewState,
    Source,
    SourceType,
    Status,
    StatusEmail,
)

User = AbstractBaseUser | AnonymousUser | None


class LinkData(TypedDict, total=False):
    """What an action does (`effect`) to exactly one agreement, provision or demand."""

    agreement: Agreement
    provision: Provision
    demand: Demand
    effect: str
    note: str


class SourceData(TypedDict, total=False):
    """A source typed in by an organizer: address and title, optionally publisher and type."""

    url: str
    title: str
    publisher: str
    type: str


def _unique_key(model: type[Action] | type[Source], stem: str, limit: int) -> str:
    stem = stem[:limit].rstrip("-")
    key = stem
    while model.objects.filter(key=key).exists():
        key = f"{stem[: limit - 7]}-{secrets.token_hex(3)}"
    return key


# Sources ----------------------------------------------------------------------------------
def source_get_or_create(
    *,
    url: str,
    title: str,
    publisher: str = "",
    type: str = SourceType.NEWS,
    language: str = "en",
    published_on: datetime.date | None = None,
    note: str = "",
    key: str | None = None,
    user: User = None,
) -> Source:
    """The source at this address, created on first use: the same article cited twice is one
    source, so its title and publisher are typed once."""
    url = url.strip()
    if not url.startswith(("http://", "https://")):
        raise ValidationError({"url": _("A source needs a web address (http:// or https://).")})
    title = clean_line(title)
    if not title:
        raise ValidationError({"title": _("Give the source a title.")})
    if type not in SourceType.values:
        raise ValidationError({"type": _("Unknown source type.")})
    with transaction.atomic():
        existing = Source.objects.filter(url=url).first()
        if existing:
            return existing
        source = Source.objects.create(
            key=key or _unique_key(Source, f"src-{slugify(publisher or title)}", 80),
            url=url,
            title=title[:300],
            publisher=clean_line(publisher)[:200],
            type=type,
            language=language,
            published_on=published_on,
            note=note[:300],
        )
        audit_log(action="tracker.source_added", obj=source, actor=user, data={"url": url})
    return source


def _sources_with_new(
    sources: Sequence[Source], new_sources: Sequence[SourceData], user: User
) -> list[Source]:
    added = [
        source_get_or_create(
            url=data["url"],
            title=data["title"],
            publisher=data.get("publisher", ""),
            type=data.get("type") or SourceType.NEWS,
            user=user,
        )
        for data in new_sources
    ]
    return list(dict.fromkeys([*sources, *added]))


# Actions -----------------------------------------------------------------------------------
def _check_links(links: Sequence[LinkData]) -> None:
    for link in links:
        targets = [k for k in ("agreement", "provision", "demand") if link.get(k) is not None]
        if len(targets) != 1:
            raise ValidationError(_("Each link names one agreement, provision or demand."))
        if link.get("effect") not in Effect.values:
            raise ValidationError(_("Each link needs an effect."))


def action_record(
    *,
    date: datetime.date,
    description: str,
    kind: str,
    actors: Sequence[Actor],
    sources: Sequence[Source],
    new_sources: Sequence[SourceData] = (),
    date_precision: str = DatePrecision.DAY,
    date_text: str = "",
    description_ko: str = "",
    counterparts: Sequence[Actor] = (),
    links: Sequence[LinkData] = (),
    in_response_to: Action | None = None,
    reverses: Action | None = None,
    unverified: bool = False,
    unverified_note: str = "",
    note: str = "",
    effect_text: str = "",
    key: str | None = None,
    user: User = None,
) -> Action:
    """Record what an actor did. Nothing goes on the record without a source: one on file,
    or a new one (`new_sources`) created in the same transaction."""
    errors: dict[str, str] = {}
    if not sources and not new_sources:
        errors["sources"] = _("Cite at least one source.")
    if not actors:
        errors["actors"] = _("Say who acted.")
    if not description.strip():
        errors["description"] = _("Say what happened.")
    if kind not in ActionKind.values:
        errors["kind"] = _("Unknown kind of action.")
    if date_precision not in DatePrecision.values:
        errors["date_precision"] = _("Unknown date precision.")
    for field, earlier in (("in_response_to", in_response_to), ("reverses", reverses)):
        if (
            earlier is not None
            and earlier.date_precision == date_precision == DatePrecision.DAY
            and earlier.date > date
        ):
            errors[field] = _("This step must come before the action that answers or undoes it.")
    if errors:
        raise ValidationError(errors)
    _check_links(links)
    with transaction.atomic():
        sources = _sources_with_new(sources, new_sources, user)
        action = Action.objects.create(
            key=key or _unique_key(Action, f"act-{date.isoformat()}-{slugify(description)}", 60),
            date=date,
            date_precision=date_precision,
            date_text=clean_line(date_text)[:60],
            description=description.strip(),
            description_ko=description_ko.strip(),
            kind=kind,
            in_response_to=in_response_to,
            reverses=reverses,
            unverified=unverified,
            unverified_note=unverified_note[:300],
            note=note[:500],
            effect_text=effect_text[:200],
            recorded_by=user if user is not None and user.is_authenticated else None,  # type: ignore[misc]
        )
        action.actors.set(actors)
        action.counterparts.set(counterparts)
        action.sources.set(sources)
        ActionLink.objects.bulk_create(
            ActionLink(
                action=action,
                agreement=link.get("agreement"),
                provision=link.get("provision"),
                demand=link.get("demand"),
                effect=link["effect"],
                note=link.get("note", "")[:300],
            )
            for link in links
        )
        audit_log(
            action="tracker.action_recorded",
            obj=action,
            actor=user,
            data={
                "key": action.key,
                "date": date.isoformat(),
                "sources": [s.key for s in sources],
                "links": [
                    {
                        "target": _link_target(link),
                        "effect": link["effect"],
                    }
                    for link in links
                ],
            },
        )
    return action


def _link_target(link: LinkData) -> str:
    if (provision := link.get("provision")) is not None:
        return f"provision:{provision.key}"
    if (agreement := link.get("agreement")) is not None:
        return f"agreement:{agreement.key}"
    demand = link["demand"]
    return f"demand:{demand.statement_id}#{demand.number}"


# Assessments ----------------------------------------------------------------------------
def _enqueue_status_emails(assessment_id: int) -> None:
    """The database queue writes the job in the assessment's own transaction; Redis is told
    only after the commit, or its worker could look for the assessment before it exists."""
    from undersigned.tracker.tasks import send_demand_status_emails

    if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
        send_demand_status_emails.enqueue(assessment_id)
    else:
        transaction.on_commit(
            partial(send_demand_status_emails.enqueue, assessment_id), robust=True
        )


def _current(subject: Demand | Provision, *, public: bool) -> Assessment | None:
    field = "demand" if isinstance(subject, Demand) else "provision"
    entries = Assessment.objects.filter(**{field: subject})
    if public:
        entries = entries.exclude(review_state=ReviewState.DRAFT)
        return entries.order_by("-as_of", "-id").first()
    return entries.filter(superseded_by__isnull=True).order_by("-id").first()


def assessment_add(
    *,
    subject: Demand | Provision,
    status: str,
    as_of: datetime.date,
    event: str,
    sources: Sequence[Source | tuple[Source, str]],
    new_sources: Sequence[SourceData] = (),
    evidence_kind: str = EvidenceType.SUPPORTS,
    as_of_precision: str = DatePrecision.DAY,
    event_ko: str = "",
    rationale: str = "",
    status_text: str = "",
    review_state: str = ReviewState.PROVISIONAL,
    confidence: str = "",
    action: Action | None = None,
    unverified: bool = False,
    unverified_note: str = "",
    user: User = None,
    assessor_label: str = "",
    notify: bool = True,
) -> Assessment:
    """Add where a demand or provision stands as of a date. The entry supersedes the current
    one; none is ever edited or deleted. When a demand's public status changes, the signers
    who opted in to updates are emailed (unless `notify` is off, as when loading history)."""
    errors: dict[str, str] = {}
    if status not in Status.values:
        errors["status"] = _("Unknown status.")
    if review_state not in ReviewState.values:
        errors["review_state"] = _("Unknown review state.")
    if confidence not in Confidence.values:
        errors["confidence"] = _("Unknown confidence.")
    if as_of_precision not in DatePrecision.values:
        errors["as_of_precision"] = _("Unknown date precision.")
    if not event.strip():
        errors["event"] = _("Say what happened.")
    evidence = [s if isinstance(s, tuple) else (s, evidence_kind) for s in sources]
    if not evidence and not new_sources:
        errors["sources"] = _("Cite at least one source.")
    elif evidence_kind not in EvidenceType.values or any(
        kind not in EvidenceType.values for _s, kind in evidence
    ):
        errors["sources"] = _("Unknown kind of evidence.")
    if errors:
        raise ValidationError(errors)
    is_demand = isinstance(subject, Demand)
    with transaction.atomic():
        evidence += [(s, evidence_kind) for s in _sources_with_new([], new_sources, user)]
        # One writer per subject at a time, so two organizers cannot both supersede the
        # same entry (the one-to-one `supersedes` would refuse the second anyway).
        type(subject).objects.select_for_update().filter(pk=subject.pk).first()
        current = _current(subject, public=False)
        if current is not None and as_of < current.as_of:
            raise ValidationError(
                {
                    "as_of": _(
                        "The history already runs to %(date)s; a new entry cannot be dated "
                        "earlier. Record a correction dated today instead."
                    )
                    % {"date": current.as_of.isoformat()}
                }
            )
        before = _current(subject, public=True)
        assessment = Assessment(
            demand=subject if is_demand else None,  # type: ignore[misc]
            provision=None if is_demand else subject,
            status=status,
            status_text=clean_line(status_text)[:100],
            as_of=as_of,
            as_of_precision=as_of_precision,
            event=event.strip(),
            event_ko=event_ko.strip(),
            rationale=rationale.strip(),
            action=action,
            review_state=review_state,
            confidence=confidence,
            assessor=user if user is not None and user.is_authenticated else None,
            assessor_label=assessor_label[:100],
            supersedes=current,
            unverified=unverified,
            unverified_note=unverified_note[:300],
        )
        assessment.save()
        seen: set[int] = set()
        for source, kind in evidence:
            if source.pk not in seen:
                seen.add(source.pk)
                Evidence(assessment=assessment, source=source, kind=kind).save()
        changed = assessment.is_public and status != (
            before.status if before else Status.NOT_ASSESSED
        )
        audit_log(
            action="tracker.assessment_added",
            obj=assessment,
            statement_id=subject.statement_id if isinstance(subject, Demand) else None,
            actor=user,
            actor_label=assessor_label,
            data={
                "subject": (
                    f"demand:{subject.statement_id}#{subject.number}"
                    if isinstance(subject, Demand)
                    else f"provision:{subject.key}"
                ),
                "before": before.status if before else None,
                "after": status,
                "review_state": review_state,
                "supersedes": current.pk if current else None,
            },
        )
        if is_demand and changed and notify:
            _enqueue_status_emails(assessment.pk)
    return assessment


def status_email_mark_sent(*, email_id: int) -> bool:
    """One signer told; false if another run of the job got there first."""
    return bool(
        StatusEmail.objects.filter(pk=email_id, sent_at__isnull=True).update(sent_at=timezone.now())
    )
