"""Sign-ons, the networks organizations belong to, and the counters kept as sign-ons move."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from undersigned.statements.models import Kind, Statement, StatementVersion


class Category(models.TextChoices):
    NATIONAL = "national", _("National")
    REGIONAL = "regional", _("Regional")
    LOCAL = "local", _("Local")
    INTERNATIONAL = "international", _("International")
    FAITH = "faith", _("Faith-based")
    LABOR = "labor", _("Labor")
    ACADEMIC = "academic", _("Academic")
    OTHER = "other", _("Other")


# Order of the groups in the public list: organizations by category, then individuals.
CATEGORY_RANK = {value: rank for rank, value in enumerate(Category.values)}
INDIVIDUAL_RANK = 100


class Status(models.TextChoices):
    PENDING = "pending", _("Waiting for email confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    INVALIDATED = "invalidated", _("Invalidated")


class Display(models.TextChoices):
    FULL = "full", _("Name and affiliation")
    NAME = "name", _("Name only")
    INITIALS = "initials", _("Initials and city")
    HIDDEN = "hidden", _("Not listed, but counted")


class Source(models.TextChoices):
    WEB = "web", _("Web form")
    EMBED = "embed", _("Embedded form")
    API = "api", _("API")
    IMPORT = "import", _("Import")


class EmailOwed(models.TextChoices):
    NONE = "", _("Nothing")
    CONFIRM = "confirm", _("Confirmation request")
    REPEAT = "repeat", _("Already signed")


class Network(models.Model):
    """A coalition or network organizations belong to; lists and counts can group by it."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_alt = models.CharField(_("name in another script"), max_length=200, blank=True)
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def new_nonce() -> str:
    return secrets.token_urlsafe(12)


class Signature(models.Model):
    """One sign-on. Emails, phones, contact persons and IP hashes never leave through a
    public page, export or API: the public read path (selectors) never selects them."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="signatures")
    version = models.ForeignKey(StatementVersion, on_delete=models.PROTECT, related_name="+")
    version_hash = models.CharField(max_length=64)
    kind = models.CharField(_("signing as"), max_length=12, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )

    # Public fields.
    name = models.CharField(_("name"), max_length=200)
    name_alt = models.CharField(_("name in another script"), max_length=200, blank=True)
    affiliation = models.CharField(_("affiliation"), max_length=200, blank=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("state or region"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    website = models.URLField(_("website"), max_length=300, blank=True)
    networks = models.ManyToManyField(Network, blank=True, related_name="signatures")
    display = models.CharField(
        _("show my name"), max_length=10, choices=Display.choices, default=Display.FULL
    )

    # Private fields.
    email = models.EmailField(_("email"), max_length=254)
    email_key = models.CharField(max_length=254)
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    contact_title = models.CharField(_("contact's title"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    ip_hash = models.CharField(max_length=32, blank=True)

    language = models.CharField(_("language"), max_length=8, default="en")
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.WEB)
    referral = models.CharField(_("referral code"), max_length=64, blank=True)
    wants_updates = models.BooleanField(_("wants updates"), default=False)
    is_sample = models.BooleanField(_("sample data"), default=False)

    # Derived on every transition (services), so the public list is one indexed range scan.
    counted = models.BooleanField(default=False)
    listed = models.BooleanField(default=False)
    group_rank = models.PositiveSmallIntegerField(default=INDIVIDUAL_RANK)
    sort_key = models.CharField(max_length=120, blank=True)
    search_key = models.CharField(max_length=800, blank=True)

    # Email bookkeeping: what the signer is owed (the queue's safety net) and when we last wrote.
    email_owed = models.CharField(
        max_length=8, choices=EmailOwed.choices, default=EmailOwed.NONE, blank=True
    )
    emailed_at = models.DateTimeField(null=True, blank=True)
    # Binds links to this sign-on's current life: rotated on withdrawal, so old links die.
    nonce = models.CharField(max_length=24, default=new_nonce)

    # Why a sign-on was held quietly for review (rate limit, block list, honeypot, too fast);
    # empty when it was not. A held sign-on looks normal to its signer but is not counted.
    hold_reason = models.CharField(_("held for review because"), max_length=200, blank=True)
    note = models.CharField(_("moderator's note"), max_length=500, blank=True)
    # Set while an organizer's invalidation holds this sign-on, so reverting that decision
    # restores the status it had (undersigned.moderation).
    invalidation_batch = models.ForeignKey(
        "moderation.InvalidationBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="signatures",
    )
    status_before_invalidation = models.CharField(max_length=12, choices=Status.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [
            # One sign-on per address, per kind, per statement; concurrent repeats collide here.
            models.UniqueConstraint(
                fields=["statement", "kind", "email_key"], name="signature_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["statement", "listed", "group_rank", "sort_key", "id"],
                name="signature_public_list",
            ),
            models.Index(
                fields=["statement", "status", "kind", "created_at"], name="signature_queue"
            ),
            models.Index(
                fields=["email_owed"], condition=~Q(email_owed=""), name="signature_email_owed"
            ),
            # Recent sign-ons from one address: the rate limits read this, no counter to write.
            models.Index(fields=["statement", "ip_hash", "created_at"], name="signature_ip_recent"),
            models.Index(
                fields=["statement", "created_at"],
                condition=~Q(hold_reason=""),
                name="signature_held",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def public_name(self, language: str | None = None) -> str:
        """The name in the script that fits the page's language, when both are given."""
        from undersigned.lib.text import has_hangul

        if (
            language == "ko"
            and self.name_alt
            and has_hangul(self.name_alt)
            and not has_hangul(self.name)
        ):
            return self.name_alt
        if (
            language != "ko"
            and self.name_alt
            and has_hangul(self.name)
            and not has_hangul(self.name_alt)
        ):
            return self.name_alt
        return self.name

    def other_name(self, language: str | None = None) -> str:
        shown = self.public_name(language)
        return self.name_alt if shown == self.name else self.name


class Tally(models.Model):
    """Counters per statement and dimension ("kind", "category", "country", "region",
    "network"), changed in the same transaction as the sign-on they count. Each counter is
    split over a few shards so concurrent confirmations on PostgreSQL rarely wait on one row;
    a read sums a handful of rows instead of counting sign-ons."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="tallies")
    dimension = models.CharField(max_length=12)
    key = models.CharField(max_length=100)
    shard = models.PositiveSmallIntegerField(default=0)
    value = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "dimension", "key", "shard"], name="tally_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.statement_id} {self.dimension}:{self.key}#{self.shard}={self.value}"
