"""Moderation records: reversible invalidations of sign-ons, and the partners that share
a statement with their own referral code."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BatchKind(models.TextChoices):
    CRITERIA = "criteria", _("By criteria")
    SELECTION = "selection", _("Chosen sign-ons")
    MERGE = "merge", _("Duplicate merged")


class InvalidationBatch(models.Model):
    """One organizer decision that invalidated sign-ons. Each sign-on it touched keeps the
    batch and its status before (Signature.invalidation_batch, status_before_invalidation),
    so reverting the batch restores every row exactly."""

    statement = models.ForeignKey(
        "statements.Statement", on_delete=models.CASCADE, related_name="invalidation_batches"
    )
    kind = models.CharField(max_length=10, choices=BatchKind.choices, default=BatchKind.CRITERIA)
    # What was matched: ip_hash, email_domain, since, until, name_contains, ids, duplicate_of.
    # Never a whole email address.
    criteria = models.JSONField(default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reverted_at = models.DateTimeField(null=True, blank=True)
    reverted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invalidation")
        verbose_name_plural = _("invalidations")

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} ({self.count})"

    @property
    def is_reverted(self) -> bool:
        return self.reverted_at is not None


class Partner(models.Model):
    """A co-initiating or partner organization sharing the statement with its own link
    (?ref=CODE); sign-ons that arrive through it carry the code in Signature.referral."""

    statement = models.ForeignKey(
        "statements.Statement", on_delete=models.CASCADE, related_name="partners"
    )
    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(
        _("referral code"),
        max_length=64,
        help_text=_("Letters, digits, hyphens and underscores; it appears in the shared link."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        constraints = [
            models.UniqueConstraint(fields=["statement", "code"], name="partner_code_once")
        ]

    def __str__(self) -> str:
        return self.name


# Abuse defenses -----------------------------------------------------------------------------
class ScreeningLimits(models.Model):
    """A statement's own abuse limits, set in the console. An empty field means the site's
    default from settings (RATE_LIMIT_PER_MINUTE, RATE_LIMIT_PER_HOUR, MIN_FILL_SECONDS)."""

    statement = models.OneToOneField(
        "statements.Statement", on_delete=models.CASCADE, related_name="screening_limits"
    )
    per_minute = models.PositiveIntegerField(_("sign-ons a minute from one address"), null=True)
    per_hour = models.PositiveIntegerField(_("sign-ons an hour from one address"), null=True)
    min_fill_seconds = models.PositiveIntegerField(_("minimum seconds to fill the form"), null=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("abuse limits")
        verbose_name_plural = _("abuse limits")

    def __str__(self) -> str:
        return f"{self.statement_id}: {self.per_minute}/min {self.per_hour}/h"


class RuleKind(models.TextChoices):
    IP_RANGE = "ip_range", _("IP address range")
    EMAIL_DOMAIN = "email_domain", _("Email domain")
    EMAIL_ADDRESS = "email_address", _("Email address")


class RuleAction(models.TextChoices):
    BLOCK = "block", _("Block: hold for review")
    ALLOW = "allow", _("Allow: skip the rate limit and fill-time checks")


class ScreeningRule(models.Model):
    """One entry of a statement's allow or block list.

    `value` is what matching compares: a network in CIDR form, an ASCII (punycode) domain,
    or, for an address, a keyed hash of its normalised form (lib.emails.email_key), so the
    list never holds a signer's address. `label` is what the console shows: the range, the
    domain, or the address masked (j…@example.org)."""

    statement = models.ForeignKey(
        "statements.Statement", on_delete=models.CASCADE, related_name="screening_rules"
    )
    kind = models.CharField(_("what"), max_length=16, choices=RuleKind.choices)
    action = models.CharField(_("action"), max_length=8, choices=RuleAction.choices)
    value = models.CharField(max_length=255)
    label = models.CharField(max_length=255)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["action", "kind", "label", "id"]
        verbose_name = _("allow or block rule")
        verbose_name_plural = _("allow and block rules")
        constraints = [
            # A range, domain or address is either allowed or blocked, never both.
            models.UniqueConstraint(
                fields=["statement", "kind", "value"], name="screening_rule_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.kind} {self.label}"
