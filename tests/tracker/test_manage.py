"""The organizer screens: staff only, and nothing goes on the record without a source."""

from __future__ import annotations

from typing import Any, ClassVar

from tests.base import BaseTestCase
from undersigned.audit.models import AuditEntry
from undersigned.statements.models import Demand
from undersigned.tracker.models import Action, Actor, ActorKind, Assessment, Source, Status
from undersigned.tracker.services import source_get_or_create

ACTION_URL = "/tracker/manage/actions/new/"
ASSESSMENT_URL = "/tracker/manage/assessments/new/"


class ManageTests(BaseTestCase):
    dprk: ClassVar[Actor]
    demand: ClassVar[Demand]
    source: ClassVar[Source]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.dprk = Actor.objects.create(key="DPRK", name="DPRK", kind=ActorKind.STATE)
        cls.demand = Demand.objects.get(statement=cls.statement, number=2)
        cls.source = source_get_or_create(url="https://news.example/a", title="A report")

    def action_data(self, **extra: Any) -> dict[str, Any]:
        return {
            "date": "2020-06-16",
            "date_precision": "day",
            "actors": [self.dprk.pk],
            "kind": "reversal",
            "description": "Blew up the liaison office.",
            "provision_effect": "reverses",
            "demand": self.demand.pk,
            "demand_effect": "context",
            "new_source_type": "news",
            **extra,
        }

    def test_it_sends_anonymous_visitors_to_log_in(self) -> None:
        for url in ("/tracker/manage/", ACTION_URL, ASSESSMENT_URL):
            response = self.client.get(url)
            self.assertEqual(response.status_code, 302, url)
            self.assertIn("/console/login/?next=", response["Location"])
        self.client.post(ACTION_URL, self.action_data(sources=[self.source.pk]))
        self.assertFalse(Action.objects.exists())

    def test_it_refuses_users_who_are_not_organizers(self) -> None:
        self.client.force_login(self.outsider)
        for url in ("/tracker/manage/", ACTION_URL, ASSESSMENT_URL):
            self.assertContains(self.client.get(url), "Not allowed", status_code=403)
        response = self.client.post(ACTION_URL, self.action_data(sources=[self.source.pk]))
        self.assertEqual(response.status_code, 403)
        self.assertFalse(Action.objects.exists())

    def test_staff_record_an_action_only_with_a_source(self) -> None:
        self.client.force_login(self.owner)
        self.assertContains(self.client.get(ACTION_URL), "Record an action")

        refused = self.client.post(ACTION_URL, self.action_data())
        self.assertContains(refused, "Cite at least one source", status_code=400)
        self.assertContains(refused, "Blew up the liaison office.", status_code=400)
        self.assertFalse(Action.objects.exists())

        half = self.client.post(ACTION_URL, self.action_data(new_source_url="https://x.example/"))
        self.assertContains(half, "Give the new source a title.", status_code=400)

        done = self.client.post(
            ACTION_URL,
            self.action_data(
                new_source_url="https://news.example/demolition",
                new_source_title="North Korea blows up liaison office",
                new_source_publisher="Example News",
            ),
        )
        self.assertRedirects(done, "/tracker/manage/")
        action = Action.objects.get()
        self.assertEqual(action.recorded_by, self.owner)
        self.assertEqual(action.sources.get().publisher, "Example News")
        self.assertEqual(action.links.get().demand, self.demand)
        self.assertTrue(AuditEntry.objects.filter(action="tracker.action_recorded").exists())
        self.assertContains(self.client.get("/tracker/manage/"), action.key)

        again = self.client.post(ACTION_URL, self.action_data(sources=[self.source.pk]))
        self.assertEqual(again.status_code, 302)
        self.assertEqual(Source.objects.count(), 2)

    def test_staff_add_an_assessment_only_with_a_source(self) -> None:
        self.client.force_login(self.moderator)
        data = {
            "demand": self.demand.pk,
            "status": Status.STALLED,
            "as_of": "2019-02-28",
            "as_of_precision": "day",
            "event": "Hanoi ended without a deal.",
            "evidence_kind": "supports",
            "review_state": "provisional",
            "new_source_type": "news",
        }
        refused = self.client.post(ASSESSMENT_URL, data)
        self.assertContains(refused, "Cite at least one source", status_code=400)
        both = self.client.post(
            ASSESSMENT_URL, {**data, "provision": "", "sources": [self.source.pk], "demand": ""}
        )
        self.assertContains(both, "Choose either a demand or a provision.", status_code=400)
        self.assertFalse(Assessment.objects.exists())

        done = self.client.post(ASSESSMENT_URL, {**data, "sources": [self.source.pk]})
        self.assertRedirects(done, "/tracker/manage/")
        entry = Assessment.objects.get()
        self.assertEqual(entry.assessor, self.moderator)
        self.assertEqual(entry.demand, self.demand)

        earlier = self.client.post(
            ASSESSMENT_URL, {**data, "as_of": "2018-01-01", "sources": [self.source.pk]}
        )
        self.assertContains(earlier, "cannot be dated earlier", status_code=400)
        self.assertEqual(Assessment.objects.count(), 1)

    def test_the_screens_speak_korean(self) -> None:
        self.client.force_login(self.owner)
        page = self.client.get("/ko" + ACTION_URL)
        self.assertContains(page, "조치 기록하기")
        self.assertContains(page, "행위 주체")
