"""Statements: the text people sign, frozen in versions, with its demands and targets."""

from __future__ import annotations

import hashlib
import json
from typing import Any, TypedDict

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class StatementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    COLLECTING = "collecting", _("Collecting (not public)")
    RELEASED = "released", _("Released")
    CLOSED = "closed", _("Closed")
    DELIVERED = "delivered", _("Delivered")


class Kind(models.TextChoices):
    ORGANIZATION = "organization", _("Organization")
    INDIVIDUAL = "individual", _("Individual")


class StatementText(TypedDict, total=False):
    title: str
    summary: str
    preamble: str
    body: str
    demands: list[str]


class Statement(models.Model):
    slug = models.SlugField(_("address"), max_length=80, unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=StatementStatus.choices, default=StatementStatus.DRAFT
    )
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    release_at = models.DateTimeField(
        _("release at"),
        null=True,
        blank=True,
        help_text=_("Made public automatically at this time."),
    )
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    default_language = models.CharField(
        _("default language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    accepts_organizations = models.BooleanField(_("organizations may sign"), default=True)
    accepts_individuals = models.BooleanField(_("individuals may sign"), default=True)
    goal_organizations = models.PositiveIntegerField(
        _("goal: organizations"), null=True, blank=True
    )
    goal_individuals = models.PositiveIntegerField(_("goal: individuals"), null=True, blank=True)
    moderate_organizations = models.BooleanField(
        _("approve organizations before listing"), default=True
    )
    moderate_individuals = models.BooleanField(
        _("approve individuals before listing"), default=False
    )
    current_version = models.ForeignKey(
        "StatementVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_sample = models.BooleanField(
        _("sample data"), default=False, help_text=_("Demo content, marked as such wherever shown.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("statement")
        verbose_name_plural = _("statements")

    def __str__(self) -> str:
        return self.title()

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        from undersigned.statements.selectors import forget_cached_pages

        forget_cached_pages(self)

    # Visibility and signing rules for one row ------------------------------------------------
    @property
    def is_public(self) -> bool:
        """Listed, indexed, with a public signatory list."""
        return self.status in {
            StatementStatus.RELEASED,
            StatementStatus.CLOSED,
            StatementStatus.DELIVERED,
        }

    @property
    def is_reachable(self) -> bool:
        """Reachable through its link (a collecting statement is, but is not listed)."""
        return self.status != StatementStatus.DRAFT

    def is_open_for_signing(self, now: Any = None) -> bool:
        now = now or timezone.now()
        if self.status not in {StatementStatus.COLLECTING, StatementStatus.RELEASED}:
            return False
        if self.opens_at and now < self.opens_at:
            return False
        return not (self.closes_at and now >= self.closes_at)

    def accepts(self, kind: str) -> bool:
        if kind == Kind.ORGANIZATION:
            return self.accepts_organizations
        return kind == Kind.INDIVIDUAL and self.accepts_individuals

    def is_moderated(self, kind: str) -> bool:
        return (
            self.moderate_organizations if kind == Kind.ORGANIZATION else self.moderate_individuals
        )

    def goal(self, kind: str) -> int | None:
        return self.goal_organizations if kind == Kind.ORGANIZATION else self.goal_individuals

    # Text --------------------------------------------------------------------------------
    def text(self, language: str | None = None) -> StatementText:
        if self.current_version is None:
            return {}
        return self.current_version.text(
            language or get_language() or self.default_language, self.default_language
        )

    def title(self, language: str | None = None) -> str:
        return self.text(language).get("title") or self.slug

    @property
    def languages(self) -> list[str]:
        return self.current_version.languages if self.current_version else [self.default_language]


class StatementVersion(models.Model):
    """The statement's text in every language, frozen once the statement opens.

    `content` maps a language code to its text: {"en": {"title", "summary", "preamble", "body",
    "demands": [...]}, "ko": {...}}. A correction is a new version; every signature keeps the
    version (and its hash) its signer saw.
    """

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    content = models.JSONField()
    content_hash = models.CharField(max_length=64, editable=False)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    frozen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["statement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["statement", "number"], name="statement_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.statement.slug} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.content_hash = self.hash_content(self.content)
        super().save(*args, **kwargs)

    @staticmethod
    def hash_content(content: dict[str, Any]) -> str:
        canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def languages(self) -> list[str]:
        return list(self.content.keys())

    def has_language(self, language: str) -> bool:
        return language in self.content

    def text(self, language: str, fallback: str) -> StatementText:
        content: dict[str, StatementText] = self.content
        empty: StatementText = {}
        return content.get(language) or content.get(fallback) or next(iter(content.values()), empty)


class Demand(models.Model):
    """A numbered demand; a stable object the tracker links to. Its words live in the versions."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="demands")
    number = models.PositiveSmallIntegerField()
    addressees: models.ManyToManyField[Target, Any] = models.ManyToManyField(
        "Target", blank=True, related_name="demands"
    )

    class Meta:
        ordering = ["statement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["statement", "number"], name="demand_number")
        ]

    def __str__(self) -> str:
        return f"{self.statement.slug} #{self.number}"

    def text(self, language: str | None = None) -> str:
        demands = self.statement.text(language).get("demands") or []
        return demands[self.number - 1] if 0 < self.number <= len(demands) else ""


class Target(models.Model):
    """Who the statement is addressed to. `contact` is private (for delivery)."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="targets")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("name"), max_length=200)
    name_alt = models.CharField(_("name in another script"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    organization = models.CharField(_("organization"), max_length=200, blank=True)
    contact = models.TextField(_("contact (private)"), blank=True)

    class Meta:
        ordering = ["statement", "position", "id"]

    def __str__(self) -> str:
        return self.name
