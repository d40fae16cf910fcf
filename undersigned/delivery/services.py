"""Writes for delivery: freeze a snapshot, record a delivery, post an update, unsubscribe.

Each function owns its transaction and writes the audit log in it. Building the dossier
files (slow: a PDF) happens before `delivery_record`, outside any transaction, so it never
holds the database's write lock.
"""

from __future__ import annotations

import datetime
import hashlib
import mimetypes
import time
import unicodedata
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from undersigned.audit.services import audit_log
from undersigned.delivery.models import (
    Delivery,
    DeliveryFile,
    Method,
    Snapshot,
    SnapshotEntry,
    Update,
    UpdateEmail,
)
from undersigned.lib.text import clean_line
from undersigned.signatures.models import Signature
from undersigned.signatures.services import StaleLink
from undersigned.statements.models import Kind, Statement, StatementStatus, Target
from undersigned.statements.selectors import forget_cached_pages

Actor = AbstractBaseUser | AnonymousUser | None

MAX_FILE_BYTES = 200 * 1024 * 1024
UPDATE_TITLE_MAX = 200
UPDATE_BODY_MAX = 20_000


def _user(actor: Actor) -> Any:
    return actor if actor is not None and actor.is_authenticated else None


# Snapshots ------------------------------------------------------------------------------------
_ENTRY_FIELDS = (
    "name",
    "name_alt",
    "affiliation",
    "category",
    "city",
    "region",
    "country",
    "website",
    "display",
)


def _copy_sql(addendum: bool) -> str:
    """One INSERT … SELECT: the database copies the list, however long, without it passing
    through Python. A signer who chose not to be listed is counted, and their name not copied.
    Only table and column names of our own models are formatted in; values are parameters."""
    q = connection.ops.quote_name
    entry, signature = SnapshotEntry._meta.db_table, Signature._meta.db_table
    delivery = Delivery._meta.db_table
    hidden = ", ".join(f"CASE WHEN s.listed THEN s.{q(f)} ELSE '' END" for f in _ENTRY_FIELDS)
    sql = (
        f"INSERT INTO {q(entry)} (snapshot_id, signature_id, kind, listed, "  # noqa: S608
        f"{', '.join(q(f) for f in _ENTRY_FIELDS)}, group_rank, sort_key, is_sample) "
        f"SELECT %s, s.id, s.kind, s.listed, {hidden}, s.group_rank, "
        f"CASE WHEN s.listed THEN s.sort_key ELSE '' END, s.is_sample "
        f"FROM {q(signature)} s WHERE s.statement_id = %s AND s.counted = %s"
    )
    if addendum:
        sql += (
            f" AND NOT EXISTS (SELECT 1 FROM {q(entry)} e "  # noqa: S608
            f"JOIN {q(delivery)} d ON d.snapshot_id = e.snapshot_id "
            f"WHERE d.statement_id = %s AND e.signature_id = s.id)"
        )
    return sql


def snapshot_freeze(
    *, statement: Statement, addendum: bool = False, actor: Actor = None
) -> Snapshot:
    """Freeze the list as it stands: the current version of the text and every counted sign-on.

    With `addendum`, only the sign-ons counted since the earlier deliveries: the list that
    goes to the targets after the first delivery.
    """
    if statement.status == StatementStatus.DRAFT or statement.current_version is None:
        raise ValidationError(_("A draft statement has no signatories to deliver."))
    with transaction.atomic():
        # Serialises freezes of one statement, so numbers do not collide.
        Statement.objects.select_for_update().filter(pk=statement.pk).first()
        if addendum and not Delivery.objects.filter(statement=statement).exists():
            raise ValidationError(
                _("Nothing has been delivered yet: record the first delivery, then an addendum.")
            )
        last = Snapshot.objects.filter(statement=statement).order_by("-number").first()
        version = statement.current_version
        snapshot = Snapshot.objects.create(
            statement=statement,
            number=(last.number + 1) if last else 1,
            version=version,
            version_hash=version.content_hash,
            is_addendum=addendum,
            taken_by=_user(actor),
        )
        params: list[Any] = [snapshot.pk, statement.pk, True]
        if addendum:
            params.append(statement.pk)
        with connection.cursor() as cursor:
            cursor.execute(_copy_sql(addendum), params)
        entries = SnapshotEntry.objects.filter(snapshot=snapshot)
        by_kind = dict(entries.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
        snapshot.organizations = by_kind.get(Kind.ORGANIZATION, 0)
        snapshot.individuals = by_kind.get(Kind.INDIVIDUAL, 0)
        snapshot.listed = entries.filter(listed=True).count()
        snapshot.save(update_fields=["organizations", "individuals", "listed"])
        audit_log(
            action="snapshot.frozen",
            obj=snapshot,
            statement_id=statement.pk,
            actor=actor,
            data={
                "number": snapshot.number,
                "addendum": addendum,
                "organizations": snapshot.organizations,
                "individuals": snapshot.individuals,
                "version": version.number,
            },
        )
    return snapshot


# Deliveries -------------------------------------------------------------------------------------
def delivery_record(
    *,
    snapshot: Snapshot,
    delivered_on: datetime.date,
    method: str,
    targets: Iterable[Target] = (),
    recipients: str = "",
    notes: str = "",
    files: Sequence[tuple[str, bytes]] = (),
    public: bool = True,
    close: bool = False,
    actor: Actor = None,
) -> Delivery:
    """Record that a snapshot was handed to its targets (or to `recipients`), with the files
    handed over. With `close`, the statement stops collecting and shows as delivered; without,
    signing continues and later sign-ons make an addendum."""
    statement = snapshot.statement
    targets = list(targets)
    recipients = clean_line(recipients)[:300]
    if method not in Method.values:
        raise ValidationError(_("Choose how the statement was delivered."))
    if any(t.statement_id != statement.pk for t in targets):
        raise ValidationError(_("A target of another statement was given."))
    if not targets and not recipients:
        raise ValidationError(_("Say to whom the statement was delivered."))
    if delivered_on > timezone.localdate() + datetime.timedelta(days=1):
        raise ValidationError(_("A delivery is recorded once it has happened."))
    for name, content in files:
        if len(content) > MAX_FILE_BYTES:
            raise ValidationError(_("%(name)s is too large.") % {"name": name})
    with transaction.atomic():
        delivery = Delivery.objects.create(
            statement=statement,
            snapshot=snapshot,
            delivered_on=delivered_on,
            method=method,
            recipients=recipients,
            notes=notes.strip(),
            is_public=public,
            created_by=_user(actor),
        )
        delivery.targets.set(targets)
        for name, content in files:
            DeliveryFile.objects.create(
                delivery=delivery,
                name=clean_line(name)[:200],
                content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
            )
        if close and statement.status != StatementStatus.DELIVERED:
            before = statement.status
            statement.status = StatementStatus.DELIVERED
            statement.save(update_fields=["status", "updated_at"])
            audit_log(
                action="statement.delivered",
                obj=statement,
                statement_id=statement.pk,
                actor=actor,
                data={"before": before, "after": statement.status},
            )
        audit_log(
            action="delivery.recorded",
            obj=delivery,
            statement_id=statement.pk,
            actor=actor,
            data={
                "snapshot": snapshot.number,
                "delivered_on": delivered_on.isoformat(),
                "method": method,
                "targets": [t.pk for t in targets],
                "files": [name for name, _content in files],
            },
        )
        forget_cached_pages(statement)
    return delivery


# Updates ----------------------------------------------------------------------------------------
def _clean_update(content: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    languages = {code for code, _name in settings.LANGUAGES}
    cleaned: dict[str, dict[str, str]] = {}
    for language, text in content.items():
        if language not in languages:
            raise ValidationError(_("Unknown language: %(code)s") % {"code": language})
        title = clean_line(text.get("title", ""))
        body = unicodedata.normalize("NFC", text.get("body", "")).replace("\r\n", "\n").strip()
        if not title or not body:
            raise ValidationError(_("Every language needs a title and a text."))
        if len(title) > UPDATE_TITLE_MAX or len(body) > UPDATE_BODY_MAX:
            raise ValidationError(_("The title or the text is too long."))
        cleaned[language] = {"title": title, "body": body}
    if not cleaned:
        raise ValidationError(_("Write the update in at least one language."))
    return cleaned


def _enqueue_update_emails(update_id: int) -> None:
    """The database queue writes the job in the update's own transaction; Redis is told only
    after the commit, or its worker could look for the update before it exists."""
    from undersigned.delivery.tasks import send_update_emails

    if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
        send_update_emails.enqueue(update_id)
    else:
        transaction.on_commit(partial(send_update_emails.enqueue, update_id), robust=True)


def update_post(
    *,
    statement: Statement,
    content: dict[str, dict[str, str]],
    notify: bool = True,
    actor: Actor = None,
) -> Update:
    """Publish news on the statement page and, with `notify`, email it to every signer who
    asked for updates, in their language."""
    cleaned = _clean_update(content)
    with transaction.atomic():
        update = Update.objects.create(
            statement=statement, content=cleaned, notify=notify, created_by=_user(actor)
        )
        audit_log(
            action="update.posted",
            obj=update,
            statement_id=statement.pk,
            actor=actor,
            data={"languages": sorted(cleaned), "notify": notify},
        )
        if notify:
            _enqueue_update_emails(update.pk)
        forget_cached_pages(statement)
    return update


def update_email_mark_sent(*, email_id: int) -> bool:
    """One signer sent the update; false if another run of the job got there first."""
    return bool(
        UpdateEmail.objects.filter(pk=email_id, sent_at__isnull=True).update(sent_at=timezone.now())
    )


def signature_unsubscribe(*, signature_id: int, nonce: str) -> Signature:
    """The signer wants no more updates. Idempotent; a link from an earlier life of the
    sign-on (before a withdrawal) no longer works."""
    with transaction.atomic():
        signature = Signature.objects.select_for_update().filter(pk=signature_id).first()
        if signature is None or signature.nonce != nonce:
            raise StaleLink
        if signature.wants_updates:
            signature.wants_updates = False
            signature.save(update_fields=["wants_updates"])
            audit_log(
                action="signature.unsubscribed",
                obj=signature,
                statement_id=signature.statement_id,
                actor_label="signer",
            )
    return signature


# The dossier PDF --------------------------------------------------------------------------------
STALE_PDF_JOB = 15 * 60


def dossier_pdf_request(*, snapshot: Snapshot, language: str) -> str:
    """Queue the job that lays out the snapshot's PDF, unless it is built or being built.
    Returns the state: "ready", "queued" or "running". Nothing in the database changes (the
    file is kept in the shared cache), so nothing is audited."""
    from undersigned.delivery.tasks import build_dossier_pdf, dossier_pdf_key, dossier_pdf_state

    state = dossier_pdf_state(snapshot.pk, language) or {}
    fresh = time.time() - state.get("started", 0) < STALE_PDF_JOB
    if state.get("state") == "ready" or (state.get("state") in {"queued", "running"} and fresh):
        return str(state["state"])
    caches["default"].set(
        dossier_pdf_key(snapshot.pk, language),
        {"state": "queued", "started": time.time()},
        STALE_PDF_JOB * 2,
    )
    if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
        build_dossier_pdf.enqueue(snapshot.pk, language)
    else:
        transaction.on_commit(
            partial(build_dossier_pdf.enqueue, snapshot.pk, language), robust=True
        )
    return "queued"


# Exports --------------------------------------------------------------------------------------
def export_log(*, statement: Statement, private: bool, fmt: str, actor: Actor = None) -> None:
    """A download of the list from the console. Nothing changes, but a file with every
    signer's contact details left the site: the audit log says who took it and when."""
    with transaction.atomic():
        audit_log(
            action="signatures.exported",
            obj=statement,
            statement_id=statement.pk,
            actor=actor,
            data={"private": private, "format": fmt},
        )
