"""Snapshots of the signatory list, their delivery to the targets, and updates to signers."""

from __future__ import annotations

from typing import Any, TypedDict

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from undersigned.signatures.models import INDIVIDUAL_RANK
from undersigned.statements.models import Statement, StatementVersion, Target


class Snapshot(models.Model):
    """The list as it stood when frozen: the version of the text, and every counted sign-on
    with its public fields copied, so later withdrawals or corrections do not change what was
    delivered. An addendum holds only the sign-ons counted since the earlier deliveries."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="snapshots")
    number = models.PositiveIntegerField()
    version = models.ForeignKey(StatementVersion, on_delete=models.PROTECT, related_name="+")
    version_hash = models.CharField(max_length=64)
    is_addendum = models.BooleanField(_("addendum"), default=False)
    organizations = models.PositiveIntegerField(default=0)
    individuals = models.PositiveIntegerField(default=0)
    listed = models.PositiveIntegerField(default=0)
    taken_at = models.DateTimeField(default=timezone.now)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["statement", "-number"]
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")
        constraints = [
            models.UniqueConstraint(fields=["statement", "number"], name="snapshot_number")
        ]

    def __str__(self) -> str:
        return f"{self.statement.slug} #{self.number}"

    @property
    def total(self) -> int:
        return self.organizations + self.individuals


class SnapshotEntry(models.Model):
    """One counted sign-on in a snapshot. Only public fields are copied, and for a signer who
    chose not to be listed, none at all: they are counted, not named."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="entries")
    # Not a foreign key: the frozen record outlives a sign-on that is later deleted.
    signature_id = models.BigIntegerField()
    kind = models.CharField(max_length=12)
    listed = models.BooleanField(default=True)
    name = models.CharField(max_length=200, blank=True)
    name_alt = models.CharField(max_length=200, blank=True)
    affiliation = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=16, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True)
    website = models.URLField(max_length=300, blank=True)
    display = models.CharField(max_length=10, blank=True)
    group_rank = models.PositiveSmallIntegerField(default=INDIVIDUAL_RANK)
    sort_key = models.CharField(max_length=120, blank=True)
    is_sample = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(
                fields=["snapshot", "listed", "group_rank", "sort_key", "id"],
                name="snapshot_entry_list",
            ),
            models.Index(fields=["signature_id", "snapshot"], name="snapshot_entry_signature"),
        ]

    def __str__(self) -> str:
        return f"{self.snapshot} {self.kind} {self.signature_id}"


class Method(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    EMAIL = "email", _("By email")
    POST = "post", _("By post")
    ONLINE = "online", _("Through an online form")
    PRESS = "press", _("At a press conference")
    OTHER = "other", _("Other")


class Delivery(models.Model):
    """A snapshot handed to its targets: when, how, to whom, with which files."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="deliveries")
    snapshot = models.ForeignKey(Snapshot, on_delete=models.PROTECT, related_name="deliveries")
    delivered_on = models.DateField(_("delivered on"))
    method = models.CharField(_("method"), max_length=12, choices=Method.choices)
    targets: models.ManyToManyField[Target, Any] = models.ManyToManyField(
        Target, blank=True, related_name="deliveries", verbose_name=_("targets")
    )
    # Who received it when that is not one of the statement's targets ("the senator's staff").
    recipients = models.CharField(_("received by"), max_length=300, blank=True)
    notes = models.TextField(_("notes (private)"), blank=True)
    is_public = models.BooleanField(_("shown on the statement page"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-delivered_on", "-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.statement.slug} {self.delivered_on}"


class DeliveryFile(models.Model):
    """A file handed over with a delivery (the dossier, a spreadsheet, a receipt). Kept in the
    database, so every app server sees it and a backup carries it."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["delivery", "id"]
        verbose_name = _("delivery file")
        verbose_name_plural = _("delivery files")

    def __str__(self) -> str:
        return self.name


class UpdateText(TypedDict, total=False):
    title: str
    body: str


class Update(models.Model):
    """News from the organizers, shown on the statement page and emailed to the signers who
    asked for updates. `content` maps a language code to {"title", "body"}."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="updates")
    content = models.JSONField()
    published_at = models.DateTimeField(default=timezone.now)
    notify = models.BooleanField(_("email the signers who asked for updates"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("update")
        verbose_name_plural = _("updates")
        indexes = [models.Index(fields=["statement", "-published_at"], name="update_statement")]

    def __str__(self) -> str:
        return self.text(self.statement.default_language).get("title", "")

    def language_for(self, language: str) -> str:
        """The language the update is shown in to a reader of `language`."""
        for code in (language, self.statement.default_language):
            if code in self.content:
                return code
        return next(iter(self.content), language)

    def text(self, language: str) -> UpdateText:
        empty: UpdateText = {}
        return self.content.get(self.language_for(language)) or empty

    def has_language(self, language: str) -> bool:
        return language in self.content


class UpdateEmail(models.Model):
    """One signer sent one update: the job skips the ones already sent, so running it twice
    (after a crash) emails no one twice."""

    update = models.ForeignKey(Update, on_delete=models.CASCADE, related_name="emails")
    signature = models.ForeignKey(
        "signatures.Signature", on_delete=models.CASCADE, related_name="update_emails"
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["update", "signature"], name="update_email_once")
        ]

    def __str__(self) -> str:
        return f"update {self.update_id} -> signature {self.signature_id}"
