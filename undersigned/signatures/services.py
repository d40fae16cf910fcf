"""Writes to sign-ons: create, confirm, withdraw, moderate, count, recount.

Every function owns its transaction. A sign-on owes its signer an email from the transaction
that writes it (`email_owed`), so an acknowledged sign-on always has its email coming: the
job that sends it is queued just after the commit, and the email worker's sweep queues again
any email a lost job leaves owed.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any, TypedDict

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    transaction,
)
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from undersigned.audit.services import audit_log
from undersigned.lib.emails import email_key
from undersigned.lib.gather import Gather
from undersigned.lib.groupcommit import GroupCommit, Slot
from undersigned.lib.http import ip_hash as hash_ip
from undersigned.lib.rows import enqueue_in_database, insert_rows, new_instance, update_row
from undersigned.lib.text import clean_line, search_key, sort_key
from undersigned.moderation.models import BatchKind, InvalidationBatch
from undersigned.signatures.models import (
    CATEGORY_RANK,
    INDIVIDUAL_RANK,
    Display,
    EmailOwed,
    Network,
    Signature,
    Source,
    Status,
    Tally,
    new_nonce,
)
from undersigned.signatures.screening import FormTrace, screen
from undersigned.statements.models import Kind, Statement
from undersigned.statements.selectors import forget_cached_pages

Actor = AbstractBaseUser | AnonymousUser | None


class SigningClosed(Exception):
    """The statement does not accept this sign-on now (closed, not yet open, wrong kind)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SignatureData(TypedDict, total=False):
    """Cleaned sign-on fields, as produced by SignatureForm."""

    kind: str
    name: str
    name_alt: str
    affiliation: str
    category: str
    city: str
    region: str
    country: str
    website: str
    contact_name: str
    contact_title: str
    phone: str
    email: str
    display: str
    wants_updates: bool
    networks: list[Network]


PUBLIC_FIELDS = (
    "name",
    "name_alt",
    "affiliation",
    "category",
    "city",
    "region",
    "country",
    "website",
)
PRIVATE_FIELDS = ("email", "contact_name", "contact_title", "phone")


# Derived fields and counters ------------------------------------------------------------------
def _derive(signature: Signature, statement: Statement) -> None:
    """Recompute the fields the public list and counters read, from status and choices."""
    signature.counted = not signature.hold_reason and (
        signature.status == Status.APPROVED
        or (signature.status == Status.CONFIRMED and not statement.is_moderated(signature.kind))
    )
    signature.listed = signature.counted and signature.display != Display.HIDDEN
    if signature.kind == Kind.ORGANIZATION:
        signature.group_rank = CATEGORY_RANK.get(signature.category, CATEGORY_RANK["other"])
    else:
        signature.group_rank = INDIVIDUAL_RANK
    signature.sort_key = sort_key(signature.name)
    # NFKC can expand a character many times over (U+FDFA is 18 letters): cut to the column.
    signature.search_key = search_key(
        signature.name, signature.name_alt, signature.affiliation, signature.city, signature.region
    )[:800]


def _tally_cells(signature: Signature, network_slugs: Iterable[str]) -> list[tuple[str, str]]:
    cells = [("kind", signature.kind)]
    if signature.kind == Kind.ORGANIZATION:
        cells.append(("category", signature.category or "other"))
        cells.extend(("network", slug) for slug in network_slugs)
    if signature.country:
        cells.append(("country", signature.country))
        if signature.region:
            cells.append(("region", f"{signature.country}-{signature.region}"[:100]))
    return cells


# PostgreSQL serialises updates of one row; spreading each counter over a few rows lets
# concurrent confirmations proceed. SQLite has one writer anyway.
_SHARDS = 1 if connection.vendor == "sqlite" else 8

_UPSERT = (
    "INSERT INTO signatures_tally (statement_id, dimension, key, shard, value) "
    "VALUES (%s, %s, %s, %s, %s) "
    "ON CONFLICT (statement_id, dimension, key, shard) "
    "DO UPDATE SET value = signatures_tally.value + excluded.value"
)


def _tally_add(signature: Signature, *, counted: int, listed: int) -> None:
    """Move the counters by the change in `counted` (every dimension) and `listed` (per kind)."""
    shard = signature.pk % _SHARDS
    rows = []
    if counted:
        slugs = (
            list(signature.networks.values_list("slug", flat=True))
            if signature.kind == Kind.ORGANIZATION
            else []
        )
        rows = [
            (signature.statement_id, dim, key, shard, counted)
            for dim, key in _tally_cells(signature, slugs)
        ]
    if listed:
        rows.append((signature.statement_id, "listed", signature.kind, shard, listed))
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(_UPSERT, rows)
        forget_cached_pages(signature.statement)


def _save_transition(
    signature: Signature,
    statement: Statement,
    *,
    action: str,
    actor: Actor = None,
    actor_label: str = "",
    extra_fields: tuple[str, ...] = (),
    data: dict[str, Any] | None = None,
) -> None:
    was_counted, was_listed = signature.counted, signature.listed
    before = signature._loaded_status  # type: ignore[attr-defined]
    _derive(signature, statement)
    signature.save(
        update_fields=[
            "status",
            "counted",
            "listed",
            "group_rank",
            "sort_key",
            "search_key",
            *extra_fields,
        ]
    )
    _tally_add(
        signature,
        counted=int(signature.counted) - int(was_counted),
        listed=int(signature.listed) - int(was_listed),
    )
    if was_listed or signature.listed:
        # A listed name changed (a correction, initials only): this process's list pages go.
        forget_cached_pages(statement)
    audit_log(
        action=action,
        obj=signature,
        statement_id=signature.statement_id,
        actor=actor,
        actor_label=actor_label,
        data={"before": before, "after": signature.status, **(data or {})},
    )


def _locked(signature_id: int) -> Signature:
    signature = (
        Signature.objects.select_for_update().select_related("statement").get(pk=signature_id)
    )
    signature._loaded_status = signature.status  # type: ignore[attr-defined]
    return signature


# Sign ----------------------------------------------------------------------------------------
@dataclass
class SignResult:
    signature: Signature
    created: bool
    emailed: bool = field(default=False)


def _enqueue_email(*signature_ids: int) -> None:
    """Queue the emails to these sign-ons' signers, once their transaction has committed
    (before, a worker could look for a sign-on that does not exist yet), and not at once:
    the ids this process commits within 50 ms go in one job (_email_jobs). On Redis that
    sent 1.5-1.9 times the emails a second that a job per batch of sign-ons did, and took
    9-11% more sign-ons a second through the servers; on the database queue, where the job
    had been written in each batch's own transaction, 4-9% more on SQLite (notes on #8),
    and the worker claims a job of dozens where it claimed one of three. If the job is lost
    (the process killed inside the window, Redis away), the sign-ons still owe their emails
    (`email_owed`, written with them) and the email worker's sweep queues them again."""
    transaction.on_commit(partial(_email_jobs.add, list(signature_ids)), robust=True)


def _queue_email_job(ids: list[int]) -> None:
    from undersigned.signatures.tasks import send_signature_emails

    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        send_signature_emails.enqueue(ids)
        return
    try:
        # A transaction of its own: on SQLite it takes the writers' turn (lib.sqlite).
        with transaction.atomic():
            enqueue_in_database(send_signature_emails, ids)
    except DatabaseError:
        # This thread outlives requests, which are what close a broken connection (the
        # database restarted): close it here, so the next job opens a new one.
        connection.close()
        raise


# Sign-on ids committed by this process's threads, queued as one job per 50 ms.
_email_jobs: Gather[int] = Gather(_queue_email_job, window=0.05, most=100)


@dataclass(slots=True)
class _NewSignOn:
    signature: Signature
    networks: list[Network]


def _write_sign_ons(slots: list[Slot[_NewSignOn]]) -> None:
    """Insert new sign-ons and their networks in one transaction; their emails are queued
    after it commits (_enqueue_email). Without networks on PostgreSQL, that transaction is
    the INSERT alone.

    A repeat among them (the unique constraint refusing a row), or a row the database
    refuses for its data, rolls the whole transaction back; each is then written alone, so
    only that row's slot gets the error and the other signers are stored. The insert is the
    transaction's first write, so no savepoint is needed for that."""
    signatures = [slot.item.signature for slot in slots]
    # On PostgreSQL, one statement sent in autocommit is its own transaction: one round trip
    # instead of BEGIN, INSERT and COMMIT (5% more sign-ons a second, notes on #8). In a
    # caller's transaction the savepoint keeps a refused row from aborting it; SQLite's
    # writers take turns only in a transaction (lib.sqlite).
    alone = (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and not any(slot.item.networks for slot in slots)
    )
    try:
        with nullcontext() if alone else transaction.atomic():
            insert_rows(signatures)
            through = Signature.networks.through
            links = [
                through(signature_id=slot.item.signature.pk, network_id=network.pk)
                for slot in slots
                for network in slot.item.networks
            ]
            if links:
                through.objects.bulk_create(links)
            _enqueue_email(*(signature.pk for signature in signatures))
    except (IntegrityError, DataError) as exc:
        _unsaved(signatures)
        if len(slots) == 1:
            slots[0].error = exc
        else:
            for slot in slots:
                _write_sign_ons([slot])


def _unsaved(signatures: list[Signature]) -> None:
    for signature in signatures:
        signature.pk = None
        signature._state.adding = True


def _write_batch(slots: list[Slot[_NewSignOn]]) -> None:
    """Write a batch of the group commit, in its leader's thread (never inside a caller's
    transaction: _insert).

    On PostgreSQL the batch's INSERT is the check that this thread's connection is alive:
    Django's health check, a `SELECT 1` before a request's first query, was a round trip
    per batch and 7-9% of a sign-on's CPU in the server process (notes on #8), so it is
    marked done here. If the database dropped the connection (it restarted), the batch is
    written once more on a new one; a row the lost connection had committed comes back as
    a repeat, which the signer is answered the same for (signature_create)."""
    if connection.vendor != "postgresql":
        _write_sign_ons(slots)
        return
    # Django's attribute (4.1+), reset at the start of each request; django-stubs lacks it.
    connection.health_check_done = True  # type: ignore[attr-defined]
    connection.ensure_connection()
    before = connection.connection
    try:
        _write_sign_ons(slots)
    except (OperationalError, InterfaceError):
        # Lost: the connection fails a check, or Django replaced it already (a transaction's
        # failed rollback closes it, and leaving the transaction opens a new one).
        if connection.connection is before and connection.is_usable():
            raise
        connection.close()
        _unsaved([slot.item.signature for slot in slots])
        for slot in slots:
            slot.error = None
        _write_sign_ons(slots)


# The sign-ons of this process's request threads, written a batch per transaction.
_sign_ons = GroupCommit(_write_batch)


def _insert(signature: Signature, networks: list[Network]) -> None:
    """Store a new sign-on (IntegrityError if it is a repeat); once this returns, it is
    committed. Inside a caller's transaction (an import, a test) it is written there, alone."""
    item = _NewSignOn(signature, networks)
    if connection.in_atomic_block:
        slot = Slot(item)
        _write_sign_ons([slot])
        if slot.error is not None:
            raise slot.error
    else:
        _sign_ons.submit(item)


def signature_create(
    *,
    statement: Statement,
    data: SignatureData,
    ip_hash: str = "",
    source: str = Source.WEB,
    language: str = "en",
    referral: str = "",
    is_sample: bool = False,
    suspicion: str = "",
    ip: str = "",
    form: FormTrace | None = None,
) -> SignResult:
    """Store a sign-on as pending and queue its confirmation email.

    A sign-on the screening holds (a blocked address or domain, a bot's form, a flood from
    one address: screening.screen) or that the caller already finds suspicious
    (`suspicion`) is stored and emailed like any other, but held for review (not counted)
    until released. `ip` is the signer's raw address: screened, hashed into `ip_hash`
    when that is not given, never stored.

    A repeat (same statement, kind and normalised email) changes nothing the public sees; it
    queues an email telling the signer so (or a fresh confirmation link while still pending),
    at most once per REPEAT_EMAIL_INTERVAL. The caller answers the same either way.
    """
    kind = data["kind"]
    if not statement.is_open_for_signing():
        raise SigningClosed(_("This statement is not open for signing."))
    if not statement.accepts(kind):
        raise SigningClosed(_("This statement does not accept sign-ons of this kind."))
    version = statement.current_version
    assert version is not None, "an open statement has a version"
    now = timezone.now()
    networks = data.get("networks") or []
    ip_hash = ip_hash or hash_ip(ip)
    signature = new_instance(
        Signature,
        {
            "statement_id": statement.pk,
            "version_id": version.pk,
            "version_hash": version.content_hash,
            "kind": kind,
            "status": Status.PENDING,
            "email_key": email_key(data["email"]),
            "language": language,
            "source": source,
            "referral": referral[:64],
            "ip_hash": ip_hash,
            "is_sample": is_sample,
            "email_owed": EmailOwed.CONFIRM,
            "display": data.get("display") or Display.FULL,
            "wants_updates": bool(data.get("wants_updates")),
            **{f: data.get(f, "") or "" for f in (*PUBLIC_FIELDS, *PRIVATE_FIELDS)},
        },
    )
    Signature.statement.field.set_cached_value(signature, statement)
    Signature.version.field.set_cached_value(signature, version)
    signature.hold_reason = (
        suspicion
        or screen(statement=statement, ip=ip, ip_hash=ip_hash, email=data["email"], form=form)
    )[:200]
    _derive(signature, statement)
    # A repeat (the unique constraint refusing the insert) is handled in a transaction of
    # its own.
    try:
        _insert(signature, networks)
    except IntegrityError:
        with transaction.atomic():
            if not Signature.objects.filter(
                statement=statement, kind=kind, email_key=signature.email_key
            ).exists():
                raise
            return _signature_repeat(
                statement=statement, kind=kind, key=signature.email_key, fresh=signature, now=now
            )
    return SignResult(signature=signature, created=True, emailed=True)


def _signature_repeat(
    *, statement: Statement, kind: str, key: str, fresh: Signature, now: Any
) -> SignResult:
    existing = Signature.objects.select_for_update().get(
        statement=statement, kind=kind, email_key=key
    )
    existing._loaded_status = existing.status  # type: ignore[attr-defined]
    if existing.status == Status.WITHDRAWN:
        # Signing again after withdrawing starts a new life for the sign-on: new details,
        # confirmation required again.
        for f in (
            *PUBLIC_FIELDS,
            *PRIVATE_FIELDS,
            "display",
            "wants_updates",
            "language",
            "source",
            "referral",
            "ip_hash",
            "version",
            "version_hash",
        ):
            setattr(existing, f, getattr(fresh, f))
        existing.status = Status.PENDING
        existing.created_at = now
        existing.confirmed_at = existing.decided_at = existing.withdrawn_at = None
        existing.email_owed = EmailOwed.CONFIRM
        fields = (
            *PUBLIC_FIELDS,
            *PRIVATE_FIELDS,
            "display",
            "wants_updates",
            "language",
            "source",
            "referral",
            "ip_hash",
            "version",
            "version_hash",
            "created_at",
            "confirmed_at",
            "decided_at",
            "withdrawn_at",
            "email_owed",
        )
        _save_transition(
            existing,
            statement,
            action="signature.resigned",
            actor_label="signer",
            extra_fields=fields,
        )
        _enqueue_email(existing.pk)
        return SignResult(signature=existing, created=False, emailed=True)

    recently = existing.emailed_at and now - existing.emailed_at < timedelta(
        seconds=settings.REPEAT_EMAIL_INTERVAL
    )
    if existing.email_owed or recently:
        return SignResult(signature=existing, created=False, emailed=False)
    existing.email_owed = (
        EmailOwed.CONFIRM if existing.status == Status.PENDING else EmailOwed.REPEAT
    )
    existing.save(update_fields=["email_owed"])
    _enqueue_email(existing.pk)
    return SignResult(signature=existing, created=False, emailed=True)


# Confirm, withdraw --------------------------------------------------------------------------
class ConfirmOutcome(enum.Enum):
    CONFIRMED = "confirmed"
    ALREADY = "already"


class StaleLink(Exception):
    """The link belongs to an earlier life of the sign-on (it was withdrawn since)."""


def signature_confirm(*, signature_id: int, nonce: str) -> tuple[Signature, ConfirmOutcome]:
    """Confirm the signer's email. Idempotent: a second confirmation changes nothing."""
    with transaction.atomic():
        try:
            signature = _locked(signature_id)
        except Signature.DoesNotExist:
            raise StaleLink from None
        if signature.nonce != nonce or signature.status == Status.WITHDRAWN:
            raise StaleLink
        if signature.status != Status.PENDING:
            return signature, ConfirmOutcome.ALREADY
        signature.status = Status.CONFIRMED
        signature.confirmed_at = timezone.now()
        _save_transition(
            signature,
            signature.statement,
            action="signature.confirmed",
            actor_label="signer",
            extra_fields=("confirmed_at",),
        )
    return signature, ConfirmOutcome.CONFIRMED


def _withdraw(
    signature: Signature,
    *,
    actor: Actor = None,
    actor_label: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    """No longer counted or listed, and every earlier link dead (a new nonce)."""
    signature.status = Status.WITHDRAWN
    signature.withdrawn_at = timezone.now()
    signature.nonce = new_nonce()
    signature.email_owed = EmailOwed.NONE
    _save_transition(
        signature,
        signature.statement,
        action="signature.withdrawn",
        actor=actor,
        actor_label=actor_label,
        extra_fields=("withdrawn_at", "nonce", "email_owed"),
        data=data,
    )


def signature_withdraw(*, signature_id: int, nonce: str, erase: bool = False) -> Signature:
    """The signer takes their name off: no longer counted or listed; earlier links stop working.
    With `erase`, everything they typed is erased too (_erase)."""
    with transaction.atomic():
        try:
            signature = _locked(signature_id)
        except Signature.DoesNotExist:
            raise StaleLink from None
        if signature.nonce != nonce or signature.status == Status.WITHDRAWN:
            raise StaleLink
        _withdraw(signature, actor_label="signer")
        if erase:
            _erase(signature, actor=None, actor_label="signer")
    return signature


# What an erasure empties: every field the signer typed, and what was derived from them. The
# row itself stays, withdrawn, so the audit trail and the counters (moved by the withdrawal
# above, from the fields as they were) stay consistent; the frozen copies in delivery
# snapshots stay as delivered (docs/privacy.md).
ERASED_FIELDS = (
    *PUBLIC_FIELDS,
    *PRIVATE_FIELDS,
    "email_key",
    "ip_hash",
    "referral",
    "wants_updates",
    "note",
    "sort_key",
    "search_key",
    "email_owed",
)


def _erase(signature: Signature, *, actor: Actor, actor_label: str) -> None:
    """Empty a withdrawn (or invalidated) sign-on's personal data, inside the caller's
    transaction. The email key becomes `erased:<id>`: unique, so the address may sign again."""
    assert signature.status in _GONE and not signature.counted
    for name in (*PUBLIC_FIELDS, *PRIVATE_FIELDS, "ip_hash", "referral", "note"):
        setattr(signature, name, "")
    signature.email_key = f"erased:{signature.pk}"
    signature.wants_updates = False
    signature.sort_key = signature.search_key = ""
    signature.email_owed = EmailOwed.NONE
    signature.save(update_fields=list(ERASED_FIELDS))
    signature.networks.clear()
    audit_log(
        action="signature.erased",
        obj=signature,
        statement_id=signature.statement_id,
        actor=actor,
        actor_label=actor_label,
        data={"status": signature.status},
    )


def signature_erase(*, statement: Statement, signature_id: int, actor: Actor) -> Signature:
    """An organizer erases a signer's data at their request (by email, say): withdrawn first
    when it was not, then erased as by the signer. The audit entry names no address."""
    with transaction.atomic():
        signature = _locked_in(statement, signature_id)
        if signature.email_key.startswith("erased:"):
            return signature
        if signature.status not in _GONE:
            _withdraw(signature, actor=actor, data={"on_request": True})
        _erase(signature, actor=actor, actor_label="")
    return signature


# Moderation (the organizer console builds on these) ---------------------------------------------
def signature_approve(*, signature_ids: Iterable[int], actor: Actor) -> int:
    """Approve confirmed (or earlier rejected) sign-ons. Returns how many changed."""
    changed = 0
    with transaction.atomic():
        for signature_id in signature_ids:
            signature = _locked(signature_id)
            if signature.status not in {Status.CONFIRMED, Status.REJECTED}:
                continue
            signature.status = Status.APPROVED
            signature.decided_at = timezone.now()
            _save_transition(
                signature,
                signature.statement,
                action="signature.approved",
                actor=actor,
                extra_fields=("decided_at",),
            )
            changed += 1
    return changed


def signature_reject(*, signature_ids: Iterable[int], actor: Actor, reason: str = "") -> int:
    changed = 0
    with transaction.atomic():
        for signature_id in signature_ids:
            signature = _locked(signature_id)
            if signature.status not in {Status.CONFIRMED, Status.APPROVED}:
                continue
            signature.status = Status.REJECTED
            signature.decided_at = timezone.now()
            signature.note = reason[:500]
            _save_transition(
                signature,
                signature.statement,
                action="signature.rejected",
                actor=actor,
                extra_fields=("decided_at", "note"),
                data={"reason": reason[:500]},
            )
            changed += 1
    return changed


# Organizer corrections (the console) ------------------------------------------------------
# What _derive recomputes, written with every status change.
_DERIVED_FIELDS = ("status", "counted", "listed", "group_rank", "sort_key", "search_key")
_GONE = (Status.WITHDRAWN, Status.INVALIDATED)


def _locked_in(statement: Statement, signature_id: int) -> Signature:
    """The sign-on, locked, if it belongs to this statement (Signature.DoesNotExist if not):
    an organizer's powers stop at their own statement."""
    # Only the sign-on's row is locked, not the statement's: decisions on other sign-ons and
    # confirmations go on meanwhile.
    signature = (
        Signature.objects.select_for_update(of=("self",))
        .select_related("statement")
        .get(pk=signature_id, statement_id=statement.pk)
    )
    signature._loaded_status = signature.status  # type: ignore[attr-defined]
    return signature


def _user(actor: Actor) -> Any:
    return actor if actor is not None and actor.is_authenticated else None


def signature_update_display(
    *,
    statement: Statement,
    signature_id: int,
    actor: Actor,
    name: str,
    name_alt: str = "",
    affiliation: str = "",
    display: str = Display.FULL,
) -> Signature:
    """Correct how a signer is shown (a typo, the name in Hangul, hiding the name). The list
    keys are derived again, and the `listed` counter moves when a name is hidden or shown."""
    values = {
        "name": clean_line(name)[:200],
        "name_alt": clean_line(name_alt)[:200],
        "affiliation": clean_line(affiliation)[:200],
        "display": display,
    }
    if not values["name"]:
        raise ValidationError(_("A sign-on needs a name."))
    if display not in Display.values:
        raise ValidationError(_("Choose how the name is shown."))
    with transaction.atomic():
        signature = _locked_in(statement, signature_id)
        changed = [f for f, value in values.items() if getattr(signature, f) != value]
        if changed:
            for f in changed:
                setattr(signature, f, values[f])
            _save_transition(
                signature,
                signature.statement,
                action="signature.display_changed",
                actor=actor,
                extra_fields=tuple(changed),
                data={"fields": changed},
            )
    return signature


def signature_release_hold(
    *, statement: Statement, signature_ids: Iterable[int], actor: Actor
) -> int:
    """A moderator vouches for sign-ons the abuse defenses held quietly: they count (and
    list) again as their status says. Returns how many were released."""
    changed = 0
    with transaction.atomic():
        for signature_id in signature_ids:
            try:
                signature = _locked_in(statement, signature_id)
            except Signature.DoesNotExist:
                continue
            if not signature.hold_reason:
                continue
            reason, signature.hold_reason = signature.hold_reason, ""
            _save_transition(
                signature,
                signature.statement,
                action="signature.hold_released",
                actor=actor,
                extra_fields=("hold_reason",),
                data={"hold_reason": reason},
            )
            changed += 1
    return changed


def signature_merge(
    *, statement: Statement, keep_id: int, duplicate_id: int, actor: Actor
) -> InvalidationBatch:
    """Keep one of two sign-ons by the same signer; the other is invalidated with the reason
    "duplicate of #id", through a batch of one, so the merge can be reverted like any
    invalidation. Counts follow."""
    if keep_id == duplicate_id:
        raise ValidationError(_("Choose two different sign-ons."))
    with transaction.atomic():
        # Locked in id order, so two merges of the same pair cannot deadlock.
        rows = {pk: _locked_in(statement, pk) for pk in sorted((keep_id, duplicate_id))}
        keep, duplicate = rows[keep_id], rows[duplicate_id]
        if keep.status in _GONE:
            raise ValidationError(_("The sign-on to keep is withdrawn or invalidated."))
        if duplicate.status in _GONE:
            raise ValidationError(_("The duplicate is already withdrawn or invalidated."))
        batch = InvalidationBatch.objects.create(
            statement_id=statement.pk,
            kind=BatchKind.MERGE,
            criteria={"ids": [duplicate.pk], "duplicate_of": keep.pk},
            reason=f"duplicate of #{keep.pk}",
            count=1,
            created_by=_user(actor),
        )
        duplicate.status_before_invalidation = duplicate.status
        duplicate.status = Status.INVALIDATED
        duplicate.invalidation_batch = batch
        _save_transition(
            duplicate,
            duplicate.statement,
            action="signature.merged",
            actor=actor,
            extra_fields=("invalidation_batch", "status_before_invalidation"),
            data={"duplicate_of": keep.pk, "batch": batch.pk},
        )
    return batch


def _save_transitions(
    signatures: list[Signature], statement: Statement, *, extra_fields: tuple[str, ...] = ()
) -> None:
    """Save status changes made to many locked sign-ons of one statement at once: derived
    fields in one bulk update, the counters moved by the sum of the changes in one statement.
    For decisions over thousands of rows (a spam wave), where _save_transition's queries per
    row would not do. The caller owns the transaction and writes one audit entry."""
    before = {s.pk: (s.counted, s.listed) for s in signatures}
    for signature in signatures:
        _derive(signature, statement)
    Signature.objects.bulk_update(signatures, [*_DERIVED_FIELDS, *extra_fields], batch_size=500)
    moved = [s for s in signatures if (s.counted, s.listed) != before[s.pk]]
    org_ids = [s.pk for s in moved if s.kind == Kind.ORGANIZATION and s.counted != before[s.pk][0]]
    slugs: dict[int, list[str]] = defaultdict(list)
    if org_ids:
        through = Signature.networks.through.objects.filter(signature_id__in=org_ids)
        for signature_id, slug in through.values_list("signature_id", "network__slug"):
            slugs[signature_id].append(slug)
    deltas: dict[tuple[str, str, int], int] = defaultdict(int)
    for signature in moved:
        shard = signature.pk % _SHARDS
        was_counted, was_listed = before[signature.pk]
        if signature.counted != was_counted:
            for dim, key in _tally_cells(signature, slugs[signature.pk]):
                deltas[(dim, key, shard)] += 1 if signature.counted else -1
        if signature.listed != was_listed:
            deltas[("listed", signature.kind, shard)] += 1 if signature.listed else -1
    rows = [(statement.pk, dim, key, shard, n) for (dim, key, shard), n in deltas.items() if n]
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(_UPSERT, rows)
    forget_cached_pages(statement)


def signatures_apply_moderation_policy(*, statement: Statement, kind: str) -> int:
    """After the statement's approval rule for `kind` changed: turned on, sign-ons already
    counted stay counted (they count as approved); turned off, confirmed sign-ons waiting
    for approval are counted. Returns how many sign-ons changed. The caller (statement_update)
    owns the transaction and the audit entry."""
    waiting = Signature.objects.filter(statement=statement, kind=kind, status=Status.CONFIRMED)
    if statement.is_moderated(kind):
        return waiting.filter(counted=True).update(
            status=Status.APPROVED, decided_at=timezone.now()
        )
    ids = list(waiting.filter(counted=False).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), 500):
        rows = list(Signature.objects.select_for_update().filter(pk__in=ids[start : start + 500]))
        _save_transitions(rows, statement)
    return len(ids)


# Email bookkeeping ------------------------------------------------------------------------
def signature_mark_emailed(*, signature_id: int, owed: str) -> bool:
    """Clear what was owed once the email is out; false if something else changed it meanwhile.

    Not `durable`: on PostgreSQL the email worker's commit, one an email, does not wait for
    the disk. When it did, in a flood the sign-ons' commits queued behind its hundreds a
    second; without the wait the servers took 1.12-1.13 times the sign-ons a second with the
    worker running (notes on #8). If the database server crashes before writing it, the
    email is owed again and the sweep sends it a second time."""
    return bool(
        update_row(
            Signature,
            signature_id,
            where={"email_owed": owed},
            values={"email_owed": EmailOwed.NONE, "emailed_at": timezone.now()},
            durable=False,
        )
    )


def signature_requeue_owed_emails(*, older_than: timedelta) -> int:
    """Queue again the emails still owed after `older_than`: the safety net for jobs lost
    to a crash, a Redis restart or a failed SMTP send."""
    cutoff = timezone.now() - older_than
    owed = set(
        Signature.objects.exclude(email_owed="")
        .filter(Q(emailed_at__isnull=True, created_at__lt=cutoff) | Q(emailed_at__lt=cutoff))
        .values_list("pk", flat=True)[:10000]
    )
    ids = sorted(owed - _waiting_in_database_queue(stale_after=older_than))
    for start in range(0, len(ids), 100):
        _enqueue_email(*ids[start : start + 100])
    # Queued now, not within the gathering window: `worker --batch` runs the queue next.
    _email_jobs.flush()
    return len(ids)


def _waiting_in_database_queue(*, stale_after: timedelta) -> set[int]:
    """Sign-ons whose email job is still waiting in the database queue, or running for less
    than `stale_after` (longer means its worker died): a backlog is not queued twice.
    Redis's queue cannot be searched this way; there a duplicate job finds nothing owed."""
    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        return set()
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        Q(status="READY") | Q(status="RUNNING", started_at__gte=timezone.now() - stale_after),
        task_path__in=[
            "undersigned.signatures.tasks.send_signature_emails",
            # Jobs queued before the batch task existed (an upgrade with a backlog).
            "undersigned.signatures.tasks.send_signature_email",
        ],
    ).values_list("args_kwargs", flat=True)
    ids: set[int] = set()
    for job in waiting:
        first = (job.get("args") or [None])[0]
        if isinstance(first, list):
            ids.update(int(i) for i in first)
        elif first is not None:
            ids.add(int(first))
    return ids


# Recount ---------------------------------------------------------------------------------
@dataclass
class RecountReport:
    statement: Statement
    before: dict[tuple[str, str], int]
    after: dict[tuple[str, str], int]

    @property
    def differences(self) -> dict[tuple[str, str], tuple[int, int]]:
        keys = set(self.before) | set(self.after)
        return {
            k: (self.before.get(k, 0), self.after.get(k, 0))
            for k in sorted(keys)
            if self.before.get(k, 0) != self.after.get(k, 0)
        }


def _tally_totals(statement: Statement) -> dict[tuple[str, str], int]:
    totals: dict[tuple[str, str], int] = {}
    for dim, key, value in Tally.objects.filter(statement=statement).values_list(
        "dimension", "key", "value"
    ):
        totals[(dim, key)] = totals.get((dim, key), 0) + value
    return {k: v for k, v in totals.items() if v}


def statement_recount(*, statement: Statement) -> RecountReport:
    """Rebuild the statement's counters from its sign-ons, under the write lock."""
    with transaction.atomic():
        Statement.objects.select_for_update().filter(pk=statement.pk).first()
        before = _tally_totals(statement)
        counted = Signature.objects.filter(statement=statement, counted=True)
        rows: dict[tuple[str, str], int] = {}
        for kind, n in counted.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"):
            rows[("kind", kind)] = n
        listed = counted.filter(listed=True).values_list("kind").annotate(n=Count("id"))
        for kind, n in listed.values_list("kind", "n"):
            rows[("listed", kind)] = n
        orgs = counted.filter(kind=Kind.ORGANIZATION)
        for category, n in (
            orgs.values_list("category").annotate(n=Count("id")).values_list("category", "n")
        ):
            rows[("category", category or "other")] = (
                rows.get(("category", category or "other"), 0) + n
            )
        for slug, n in (
            orgs.values_list("networks__slug")
            .annotate(n=Count("id"))
            .values_list("networks__slug", "n")
        ):
            if slug:
                rows[("network", slug)] = n
        with_country = counted.exclude(country="")
        for country, n in (
            with_country.values_list("country").annotate(n=Count("id")).values_list("country", "n")
        ):
            rows[("country", country)] = n
        regions = (
            with_country.exclude(region="").values_list("country", "region").annotate(n=Count("id"))
        )
        for country, region, n in regions.values_list("country", "region", "n"):
            key = f"{country}-{region}"[:100]
            rows[("region", key)] = rows.get(("region", key), 0) + n
        Tally.objects.filter(statement=statement).delete()
        Tally.objects.bulk_create(
            Tally(statement=statement, dimension=dim, key=key, shard=0, value=n)
            for (dim, key), n in rows.items()
        )
        report = RecountReport(statement=statement, before=before, after=_tally_totals(statement))
        if report.differences:
            audit_log(
                action="statement.recounted",
                obj=statement,
                statement_id=statement.pk,
                data={
                    "differences": {f"{d}:{k}": list(v) for (d, k), v in report.differences.items()}
                },
            )
    forget_cached_pages(statement)
    return report
