"""The assessment history is append-only: entries are never edited or deleted, only
superseded; every write goes through a service that demands a source and audits."""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db.models.deletion import ProtectedError

from tests.base import BaseTestCase
from undersigned.audit.models import AuditEntry
from undersigned.statements.models import Demand
from undersigned.tracker.models import (
    Action,
    Actor,
    ActorKind,
    AppendOnlyError,
    Assessment,
    Evidence,
    Source,
    Status,
)
from undersigned.tracker.services import action_record, assessment_add, source_get_or_create

DAY = datetime.date(2019, 2, 28)


class HistoryTests(BaseTestCase):
    demand: ClassVar[Demand]
    source: ClassVar[Source]
    us: ClassVar[Actor]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.demand = Demand.objects.get(statement=cls.statement, number=1)
        cls.source = source_get_or_create(
            url="https://news.example/hanoi", title="Hanoi summit ends without a deal"
        )
        cls.us = Actor.objects.create(key="US", name="United States", kind=ActorKind.STATE)

    def add(self, **kwargs: Any) -> Assessment:
        fields: dict[str, Any] = {
            "subject": self.demand,
            "status": Status.IN_PROGRESS,
            "as_of": DAY,
            "event": "Talks under way.",
            "sources": [self.source],
            "user": self.owner,
        }
        return assessment_add(**{**fields, **kwargs})

    def test_it_refuses_to_edit_an_assessment(self) -> None:
        entry = self.add()
        entry.status = Status.MET
        with self.assertRaises(AppendOnlyError):
            entry.save()
        with self.assertRaises(AppendOnlyError):
            entry.save(update_fields=["status"])
        with self.assertRaises(AppendOnlyError):
            Assessment.objects.filter(pk=entry.pk).update(status=Status.MET)
        with self.assertRaises(AppendOnlyError):
            Assessment.objects.bulk_update([entry], ["status"])
        with self.assertRaises(AppendOnlyError):
            self.demand.assessments.update(status=Status.MET)
        with self.assertRaises(AppendOnlyError):
            Assessment.objects.bulk_create(
                [entry], update_conflicts=True, unique_fields=["id"], update_fields=["status"]
            )
        self.assertEqual(Assessment.objects.get(pk=entry.pk).status, Status.IN_PROGRESS)

    def test_it_refuses_to_delete_an_assessment(self) -> None:
        entry = self.add()
        with self.assertRaises(AppendOnlyError):
            entry.delete()
        with self.assertRaises(AppendOnlyError):
            Assessment.objects.filter(pk=entry.pk).delete()
        with self.assertRaises(AppendOnlyError):
            Assessment.objects.all().delete()
        with self.assertRaises(AppendOnlyError):
            self.demand.assessments.all().delete()
        # Nor can a cascade take it away with the demand, or its evidence with the source.
        with self.assertRaises(ProtectedError):
            self.demand.delete()
        with self.assertRaises(ProtectedError):
            self.source.delete()
        self.assertTrue(Assessment.objects.filter(pk=entry.pk).exists())

    def test_it_keeps_the_evidence_append_only_too(self) -> None:
        evidence = self.add().evidence.get()
        with self.assertRaises(AppendOnlyError):
            evidence.delete()
        with self.assertRaises(AppendOnlyError):
            Evidence.objects.filter(pk=evidence.pk).update(kind="context")

    def test_a_new_assessment_supersedes_the_current_one(self) -> None:
        first = self.add()
        second = self.add(status=Status.STALLED, as_of=DAY + datetime.timedelta(days=1))
        third = self.add(status=Status.STALLED, as_of=second.as_of, event="Correction.")
        self.assertIsNone(first.supersedes)
        self.assertEqual(second.supersedes, first)
        self.assertEqual(third.supersedes, second)
        self.assertEqual(first.superseded_by, second)
        # The earlier entries are still there, unchanged.
        self.assertEqual(
            list(Assessment.objects.filter(demand=self.demand).values_list("status", flat=True)),
            [Status.IN_PROGRESS, Status.STALLED, Status.STALLED],
        )
        entries = AuditEntry.objects.filter(action="tracker.assessment_added").order_by("id")
        self.assertEqual(entries.count(), 3)
        self.assertEqual(entries[1].data["before"], Status.IN_PROGRESS)
        self.assertEqual(entries[1].data["after"], Status.STALLED)
        self.assertEqual(entries[1].data["supersedes"], first.pk)
        self.assertEqual(entries[0].actor, self.owner)

    def test_it_refuses_an_entry_dated_before_the_history_runs(self) -> None:
        self.add()
        with self.assertRaises(ValidationError) as caught:
            self.add(as_of=DAY - datetime.timedelta(days=1))
        self.assertIn("as_of", caught.exception.message_dict)
        self.assertEqual(Assessment.objects.count(), 1)

    def test_it_requires_a_source(self) -> None:
        with self.assertRaises(ValidationError) as caught:
            self.add(sources=[])
        self.assertIn("sources", caught.exception.message_dict)
        self.assertFalse(Assessment.objects.exists())
        entry = self.add(
            sources=[],
            new_sources=[{"url": "https://un.example/res", "title": "Resolution", "type": "un"}],
        )
        self.assertEqual(entry.evidence.get().source.title, "Resolution")

    def test_it_records_an_action_only_with_a_source_and_audits_it(self) -> None:
        fields: dict[str, Any] = {
            "date": DAY,
            "description": "Summit ended without an agreement.",
            "kind": "meeting",
            "actors": [self.us],
            "links": [{"demand": self.demand, "effect": "context"}],
            "user": self.owner,
        }
        with self.assertRaises(ValidationError):
            action_record(**fields, sources=[])
        self.assertFalse(Action.objects.exists())
        action = action_record(**fields, sources=[self.source])
        self.assertEqual(list(action.sources.all()), [self.source])
        self.assertTrue(action.key.startswith("act-2019-02-28-summit-ended"))
        entry = AuditEntry.objects.get(action="tracker.action_recorded")
        self.assertEqual(entry.actor, self.owner)
        self.assertEqual(
            entry.data["links"], [{"target": f"demand:{self.statement.pk}#1", "effect": "context"}]
        )
        with self.assertRaises(ValidationError):
            action_record(**{**fields, "links": [{"effect": "context"}]}, sources=[self.source])

    def test_the_same_address_is_one_source(self) -> None:
        again = source_get_or_create(url="https://news.example/hanoi", title="Other title")
        self.assertEqual(again, self.source)
        self.assertEqual(Source.objects.count(), 1)
        with self.assertRaises(ValidationError):
            source_get_or_create(url="javascript:alert(1)", title="x")

    def test_a_draft_is_not_public(self) -> None:
        self.add(status=Status.IN_PROGRESS)
        self.add(status=Status.MET, review_state="draft", event="Draft: met?")
        page = self.client.get(f"/s/{self.statement.slug}/demands/")
        self.assertContains(page, "In progress")
        self.assertNotContains(page, "Draft: met?")
        (demand, _second) = self.client.get(
            f"/api/v1/statements/{self.statement.slug}/demands"
        ).json()
        self.assertEqual(demand["status"], Status.IN_PROGRESS)
        self.assertEqual(len(demand["history"]), 1)
