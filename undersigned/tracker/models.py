"""The tracker: who agreed to what (agreements, provisions), what each party did (actions),
and where every demand and provision stands (an append-only history of assessments).

Every row from the data file keeps its own id in `key` ("PMJ", "PYD-2.3/2.4",
"act-2020-06-16-liaison-office-demolished"): the public pages, the API and the exports use
it, so links and spreadsheets outlive a database rebuild. Agreements keep their PA-X id.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from undersigned.statements.models import Demand

# Vocabularies -------------------------------------------------------------------------------


class DatePrecision(models.TextChoices):
    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")
    APPROX = "approx", _("Approximate")


class SourceType(models.TextChoices):
    OFFICIAL_TEXT = "official_text", _("Official text")
    GAZETTE = "gazette", _("Gazette or Federal Register")
    LEGISLATURE = "legislature", _("Legislature")
    UN = "un", _("United Nations")
    NEWS = "news", _("News")
    NGO = "ngo", _("NGO")
    SATELLITE = "satellite_analysis", _("Satellite analysis")
    DATABASE = "database", _("Database")
    OTHER = "other", _("Other")


class ActorKind(models.TextChoices):
    STATE = "state", _("State")
    GOVERNMENT_BODY = "government_body", _("Government body")
    LEGISLATURE = "legislature", _("Legislature or member")
    ARMED_GROUP = "armed_group", _("Armed group")
    IGO = "igo", _("Intergovernmental organization")
    CSO = "cso", _("Civil-society organization")
    COALITION = "coalition", _("Coalition")
    PERSON = "person", _("Person")


class AgreementStatus(models.TextChoices):
    SIGNED = "signed", _("Signed")
    UNILATERAL = "unilateral", _("Unilateral")
    UNCLEAR = "unclear", _("Unclear")
    SUSPENDED = "suspended", _("Suspended")
    REPUDIATED = "repudiated", _("Repudiated")
    SUPERSEDED = "superseded", _("Superseded")


class PartyRole(models.TextChoices):
    PARTY = "party", _("Party")
    SIGNATORY = "signatory", _("Signatory")
    THIRD_PARTY = "third_party", _("Third party")
    WITNESS = "witness", _("Witness")
    GUARANTOR = "guarantor", _("Guarantor")
    INVITED = "invited", _("Invited")


class Relation(models.TextChoices):
    REAFFIRMS = "reaffirms", _("reaffirms")
    ANNEXES = "annexes", _("is an annex to")
    IMPLEMENTS = "implements", _("implements")
    SUPERSEDES = "supersedes", _("supersedes")
    REFERENCES = "references", _("refers to")


class ProvisionKind(models.TextChoices):
    COMMITMENT = "commitment", _("Commitment")
    PRINCIPLE = "principle", _("Principle")
    PROCESS = "process", _("Process")
    CBM = "cbm", _("Confidence-building measure")


class ActionKind(models.TextChoices):
    IMPLEMENTATION = "implementation", _("Implementation step")
    REVERSAL = "reversal", _("Reversal")
    STATEMENT = "statement", _("Statement or announcement")
    LEGISLATION = "legislation", _("Legislation")
    REGULATION = "regulation", _("Regulation or renewal")
    SANCTION = "sanction", _("Sanction designation or exemption")
    MEETING = "meeting", _("Meeting")
    SIGNATURE = "signature", _("Signature of an agreement")


class Effect(models.TextChoices):
    ADVANCES = "advances", _("advances")
    FULFILS = "fulfils", _("fulfils")
    PARTIAL = "partial", _("partly advances")
    CONTRADICTS = "contradicts", _("contradicts")
    REVERSES = "reverses", _("reverses")
    CONTEXT = "context", _("context")


class Status(models.TextChoices):
    NOT_ASSESSED = "not_assessed", _("Not assessed")
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    STALLED = "stalled", _("Stalled")
    PARTIALLY_MET = "partially_met", _("Partially met")
    MET = "met", _("Met")
    NOT_MET = "not_met", _("Not met")
    REVERSED = "reversed", _("Reversed")


class ReviewState(models.TextChoices):
    DRAFT = "draft", _("Draft (not public)")
    PROVISIONAL = "provisional", _("Provisional")
    CONFIRMED = "confirmed", _("Reviewed and confirmed")


class EvidenceType(models.TextChoices):
    SUPPORTS = "supports", _("supports")
    CONTRADICTS = "contradicts", _("contradicts")
    CONTEXT = "context", _("context")


class Confidence(models.TextChoices):
    UNSTATED = "", _("Not stated")
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


# Shared behaviour ---------------------------------------------------------------------------


class Localized:
    """Text fields with a Korean twin (`summary` / `summary_ko`): the twin on Korean pages."""

    def localized(self, field: str, language: str | None = None) -> str:
        language = language or get_language() or "en"
        if language == "ko":
            korean = getattr(self, f"{field}_ko", "")
            if korean:
                return str(korean)
        return str(getattr(self, field, "") or "")


class Verifiable(models.Model):
    """A fact we have not yet checked against a primary source is published, marked as such."""

    unverified = models.BooleanField(_("unverified"), default=False)
    unverified_note = models.CharField(_("what needs checking"), max_length=300, blank=True)

    class Meta:
        abstract = True


class Source(models.Model):
    key = models.CharField(max_length=80, unique=True)
    url = models.URLField(_("address"), max_length=500)
    archived_url = models.URLField(_("archived copy"), max_length=500, blank=True)
    title = models.CharField(_("title"), max_length=300)
    publisher = models.CharField(_("publisher"), max_length=200, blank=True)
    type = models.CharField(
        _("type"), max_length=20, choices=SourceType.choices, default=SourceType.NEWS
    )
    language = models.CharField(_("language"), max_length=8, default="en")
    published_on = models.DateField(_("published on"), null=True, blank=True)
    accessed_on = models.DateField(_("accessed on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["publisher", "title"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self) -> str:
        return f"{self.title} ({self.publisher})" if self.publisher else self.title


class Actor(Localized, models.Model):
    """A state, a body inside it, an organization or a person. `parent` places a body in its
    state (US DoD in the US), so the ledger can put each step in its party's column."""

    key = models.CharField(max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_ko = models.CharField(_("name in Korean"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=ActorKind.choices)
    iso3 = models.CharField(_("ISO 3166 alpha-3"), max_length=3, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    pax_actor_id = models.CharField(_("PA-X actor id"), max_length=40, blank=True)
    wikidata = models.CharField(_("Wikidata id"), max_length=20, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("actor")
        verbose_name_plural = _("actors")

    def __str__(self) -> str:
        return self.name


class Agreement(Localized, Verifiable):
    key = models.CharField(max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=300)
    title_ko = models.CharField(_("title in Korean"), max_length=300, blank=True)
    short_name = models.CharField(_("short name"), max_length=100)
    short_name_ko = models.CharField(_("short name in Korean"), max_length=100, blank=True)
    date_signed = models.DateField(_("signed on"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=AgreementStatus.choices, default=AgreementStatus.SIGNED
    )
    status_note = models.CharField(_("about the status"), max_length=500, blank=True)
    text_url = models.URLField(_("text"), max_length=500, blank=True)
    # The Peace Agreements Database (PA-X) id, kept in every export so records can be joined.
    pax_agt_id = models.PositiveIntegerField(_("PA-X agreement id"), null=True, blank=True)
    pax_source_version = models.CharField(_("PA-X data version"), max_length=40, blank=True)
    pam_accord_id = models.CharField(_("PAM accord id"), max_length=40, blank=True)
    parties: models.ManyToManyField[Actor, Any] = models.ManyToManyField(
        Actor, through="AgreementParty", related_name="agreements"
    )
    sources: models.ManyToManyField[Source, Any] = models.ManyToManyField(
        Source, blank=True, related_name="agreements"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date_signed", "key"]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")

    def __str__(self) -> str:
        return self.short_name


class AgreementParty(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="party_roles")
    actor = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="party_roles")
    role = models.CharField(_("role"), max_length=12, choices=PartyRole.choices)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["agreement", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "actor", "role"], name="agreement_party")
        ]

    def __str__(self) -> str:
        return f"{self.agreement.key}: {self.actor.key} ({self.role})"


class AgreementLink(models.Model):
    """`source` reaffirms / annexes / implements / supersedes / refers to `target`."""

    source = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="links_in")
    relation = models.CharField(_("relation"), max_length=12, choices=Relation.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["source", "target"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "target", "relation"], name="agreement_link_once"
            ),
            models.CheckConstraint(
                condition=~Q(source=models.F("target")), name="agreement_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source.key} {self.relation} {self.target.key}"


class Provision(Localized, Verifiable):
    key = models.CharField(max_length=40, unique=True)
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="provisions")
    position = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(_("label"), max_length=20)
    summary = models.TextField(_("summary (our words)"))
    summary_ko = models.TextField(_("summary in Korean"), blank=True)
    quoted_text = models.TextField(_("quoted text"), blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=ProvisionKind.choices)
    topics = models.CharField(_("PA-X topic codes"), max_length=200, blank=True)
    obligors: models.ManyToManyField[Actor, Any] = models.ManyToManyField(
        Actor, blank=True, related_name="obligations"
    )
    obligor_note = models.CharField(_("about the obligors"), max_length=300, blank=True)
    beneficiary = models.CharField(_("beneficiary"), max_length=200, blank=True)
    # A date when the text gives one ("within 2018" is 31 Dec 2018), and the words it uses.
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    deadline_text = models.CharField(_("deadline as worded"), max_length=200, blank=True)
    condition = models.CharField(_("condition"), max_length=300, blank=True)
    condition_provision = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conditioned",
        verbose_name=_("conditional on provision"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["agreement", "position", "id"]
        verbose_name = _("provision")
        verbose_name_plural = _("provisions")

    def __str__(self) -> str:
        return self.key


class TrackedDemand(Localized, models.Model):
    """What the tracker knows about one of a statement's demands: to whom it is addressed,
    the provisions it cites, what would count as met, and the instruments that could meet it.
    The demand's own words stay in the statement's versions."""

    demand = models.OneToOneField(Demand, on_delete=models.CASCADE, related_name="tracking")
    title = models.CharField(_("short title"), max_length=200)
    title_ko = models.CharField(_("short title in Korean"), max_length=200, blank=True)
    addressees: models.ManyToManyField[Actor, Any] = models.ManyToManyField(
        Actor, blank=True, related_name="demands_addressed"
    )
    cited_provisions: models.ManyToManyField[Provision, Any] = models.ManyToManyField(
        Provision, blank=True, related_name="cited_by"
    )
    cited_note = models.CharField(_("about the cited provisions"), max_length=300, blank=True)
    success_criteria = models.TextField(_("what counts as met"), blank=True)
    success_criteria_ko = models.TextField(_("what counts as met, in Korean"), blank=True)
    vehicles = models.JSONField(_("instruments that could meet it"), default=list, blank=True)

    class Meta:
        verbose_name = _("tracked demand")
        verbose_name_plural = _("tracked demands")

    def __str__(self) -> str:
        return f"{self.demand}: {self.title}"


class Action(Localized, Verifiable):
    """Something an actor did, on a date known to a stated precision, with its sources."""

    key = models.CharField(max_length=100, unique=True)
    date = models.DateField(_("date"))
    date_precision = models.CharField(
        _("date precision"), max_length=8, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    date_text = models.CharField(_("date as reported"), max_length=60, blank=True)
    actors: models.ManyToManyField[Actor, Any] = models.ManyToManyField(
        Actor, related_name="actions"
    )
    counterparts: models.ManyToManyField[Actor, Any] = models.ManyToManyField(
        Actor, blank=True, related_name="actions_received"
    )
    description = models.TextField(_("what happened (our words)"))
    description_ko = models.TextField(_("what happened, in Korean"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ActionKind.choices)
    sources: models.ManyToManyField[Source, Any] = models.ManyToManyField(
        Source, related_name="actions"
    )
    # Reciprocity: the other party's step this one answers ("US exercise suspension" answers
    # the DPRK test moratorium), and the earlier step this one undoes.
    in_response_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responses",
        verbose_name=_("in response to"),
    )
    reverses = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    effect_text = models.CharField(_("effect as first logged"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        indexes = [models.Index(fields=["date", "id"], name="tracker_action_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.key}"


class ActionLink(models.Model):
    """What an action does to exactly one agreement, provision or demand."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="links")
    agreement = models.ForeignKey(
        Agreement, null=True, blank=True, on_delete=models.CASCADE, related_name="action_links"
    )
    provision = models.ForeignKey(
        Provision, null=True, blank=True, on_delete=models.CASCADE, related_name="action_links"
    )
    demand = models.ForeignKey(
        Demand, null=True, blank=True, on_delete=models.CASCADE, related_name="action_links"
    )
    effect = models.CharField(_("effect"), max_length=12, choices=Effect.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["action", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(agreement__isnull=False, provision__isnull=True, demand__isnull=True)
                    | Q(agreement__isnull=True, provision__isnull=False, demand__isnull=True)
                    | Q(agreement__isnull=True, provision__isnull=True, demand__isnull=False)
                ),
                name="action_link_one_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.action.key} {self.effect} {self.target_label}"

    @property
    def target_label(self) -> str:
        if self.provision_id:
            return self.provision.key  # type: ignore[union-attr]
        if self.agreement_id:
            return self.agreement.key  # type: ignore[union-attr]
        return str(self.demand)


# The append-only history ----------------------------------------------------------------------


class AppendOnlyError(Exception):
    """History is never edited or deleted; a new entry supersedes the current one."""


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Assessments cannot be edited; add a new one that supersedes it.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AppendOnlyError("Assessments cannot be edited; add a new one that supersedes it.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Assessments cannot be deleted; add a new one that supersedes it.")

    def update_or_create(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Assessments cannot be edited; add a new one that supersedes it.")

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("update_conflicts"):
            raise AppendOnlyError("Assessments cannot be edited; add a new one that supersedes it.")
        return super().bulk_create(objs, *args, **kwargs)


class AppendOnly(models.Model):
    """Rows that are written once. save() inserts only, delete() refuses; the same holds for
    queryset updates and deletes. Rows that point here do so with PROTECT, so a cascade
    cannot remove history either."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or kwargs.get("update_fields"):
            raise AppendOnlyError(
                f"{self._meta.verbose_name} #{self.pk} cannot be edited; add a new one."
            )
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{self._meta.verbose_name} #{self.pk} cannot be deleted.")


class Assessment(Localized, Verifiable, AppendOnly):
    """Where a demand or a provision stood as of a date, and why. Entries are never changed:
    each new one supersedes the one that was current, so the history reads in order and
    every past judgement stays visible."""

    demand = models.ForeignKey(
        Demand, null=True, blank=True, on_delete=models.PROTECT, related_name="assessments"
    )
    provision = models.ForeignKey(
        Provision, null=True, blank=True, on_delete=models.PROTECT, related_name="assessments"
    )
    status = models.CharField(_("status"), max_length=14, choices=Status.choices)
    status_text = models.CharField(_("status as worded"), max_length=100, blank=True)
    as_of = models.DateField(_("as of"))
    as_of_precision = models.CharField(
        _("date precision"), max_length=8, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    event = models.TextField(_("what happened (our words)"))
    event_ko = models.TextField(_("what happened, in Korean"), blank=True)
    rationale = models.TextField(_("why this status"), blank=True)
    action = models.ForeignKey(
        Action,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assessments",
        verbose_name=_("action"),
    )
    review_state = models.CharField(
        _("review"), max_length=12, choices=ReviewState.choices, default=ReviewState.PROVISIONAL
    )
    confidence = models.CharField(
        _("confidence"), max_length=8, choices=Confidence.choices, blank=True, default=""
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assessor_label = models.CharField(_("assessed by"), max_length=100, blank=True)
    # One entry supersedes at most one, and is superseded at most once: a straight line.
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    sources: models.ManyToManyField[Source, Any] = models.ManyToManyField(
        Source, through="Evidence", related_name="assessments"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["as_of", "id"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(demand__isnull=False, provision__isnull=True)
                    | Q(demand__isnull=True, provision__isnull=False)
                ),
                name="assessment_one_subject",
            )
        ]

    def __str__(self) -> str:
        subject = self.provision.key if self.provision_id else str(self.demand)  # type: ignore[union-attr]
        return f"{subject} {self.status} as of {self.as_of}"

    @property
    def is_public(self) -> bool:
        return self.review_state != ReviewState.DRAFT


class Evidence(AppendOnly):
    """A source cited by an assessment, and whether it supports the status or speaks against it."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="evidence")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(
        _("evidence"), max_length=12, choices=EvidenceType.choices, default=EvidenceType.SUPPORTS
    )

    class Meta:
        ordering = ["assessment", "id"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "source"], name="evidence_once")
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}: {self.source_id} ({self.kind})"


class StatusEmail(models.Model):
    """One signer told of one change of a demand's status: the job that sends these skips the
    ones already sent, so running it twice (after a crash) does not email anyone twice."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="emails")
    signature = models.ForeignKey(
        "signatures.Signature", on_delete=models.CASCADE, related_name="status_emails"
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "signature"], name="status_email_once")
        ]

    def __str__(self) -> str:
        return f"assessment {self.assessment_id} -> signature {self.signature_id}"
