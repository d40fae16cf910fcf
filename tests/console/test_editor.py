"""The statement editor: text in versions (frozen once open), settings, targets and the
status buttons, each through a service that audits it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import caches

from tests.base import CONTENT, PERSON
from tests.console.base import ConsoleTestCase, org, person
from undersigned.accounts.models import Role, StatementRole
from undersigned.audit.models import AuditEntry
from undersigned.signatures.models import Signature, Status
from undersigned.signatures.selectors import statement_counts
from undersigned.signatures.services import statement_recount
from undersigned.statements.models import Statement, StatementStatus, StatementVersion


def text_form(content: dict[str, Any], note: str = "") -> dict[str, str]:
    data = {"note": note}
    for code, text in content.items():
        for key, value in text.items():
            data[f"{code}-{key}"] = "\n".join(value) if key == "demands" else value
    return data


class EditorTests(ConsoleTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.client.force_login(self.editor)

    def test_a_text_edit_after_opening_makes_version_2_and_earlier_signers_keep_version_1(
        self,
    ) -> None:
        self.sign(PERSON)
        earlier = self.signature(PERSON["email"])
        first = self.statement.current_version
        assert first is not None and first.frozen_at is not None
        self.assertEqual(first.number, 1)

        corrected = {
            "en": {**CONTENT["en"], "body": "First paragraph, corrected.\n\nSecond paragraph."},
            "ko": CONTENT["ko"],
        }
        page = self.client.get(self.url("text"))
        self.assertContains(page, "saving makes a new version")
        response = self.client.post(self.url("text"), text_form(corrected, "Corrected a date"))
        self.assertRedirects(response, self.url("text"))

        self.statement.refresh_from_db()
        second = self.statement.current_version
        assert second is not None
        self.assertEqual(second.number, 2)
        self.assertIsNotNone(second.frozen_at)
        self.assertEqual(second.note, "Corrected a date")
        self.assertIn("corrected", second.content["en"]["body"])
        first.refresh_from_db()
        self.assertNotIn("corrected", first.content["en"]["body"])

        earlier.refresh_from_db()
        self.assertEqual(earlier.version, first)
        self.assertEqual(earlier.version_hash, first.content_hash)
        self.sign(org(7))
        later = Signature.objects.get(email=org(7)["email"])
        self.assertEqual((later.version, later.version_hash), (second, second.content_hash))
        self.assertContains(
            self.client.get(f"/s/{self.statement.slug}/"), "First paragraph, corrected."
        )
        self.assertTrue(AuditEntry.objects.filter(action="statement.version_created").exists())
        versions = self.client.get(self.url("text"))
        self.assertContains(versions, "Corrected a date")

    def test_an_open_statement_keeps_its_demands(self) -> None:
        fewer = {code: {**text, "demands": text["demands"][:1]} for code, text in CONTENT.items()}
        response = self.client.post(self.url("text"), text_form(fewer))
        self.assertContains(response, "Demands cannot be removed", status_code=400)
        more = {
            code: {**text, "demands": [*text["demands"], f"Third ({code})."]}
            for code, text in CONTENT.items()
        }
        self.client.post(self.url("text"), text_form(more))
        self.assertEqual(self.statement.demands.count(), 3)

    def test_it_refuses_text_whose_languages_disagree(self) -> None:
        broken = {"en": CONTENT["en"], "ko": {**CONTENT["ko"], "demands": ["하나"]}}
        response = self.client.post(self.url("text"), text_form(broken))
        self.assertContains(response, "same number of demands", status_code=400)
        missing_title = text_form(CONTENT)
        missing_title["ko-title"] = ""
        response = self.client.post(self.url("text"), missing_title)
        self.assertContains(response, "Give the title in this language too.", status_code=400)
        self.assertEqual(StatementVersion.objects.filter(statement=self.statement).count(), 1)

    def test_a_new_draft_is_edited_in_place_until_it_opens(self) -> None:
        staff = get_user_model().objects.create_user(
            "staff@coalition.example", "staff@coalition.example", "x" * 12, is_staff=True
        )
        self.client.force_login(staff)
        response = self.client.post(
            "/console/new/",
            {"title": "Lift the travel ban", "slug": "travel-ban", "default_language": "en"},
        )
        self.assertRedirects(response, "/console/s/travel-ban/text/")
        draft = Statement.objects.get(slug="travel-ban")
        self.assertEqual(draft.status, StatementStatus.DRAFT)
        self.assertTrue(StatementRole.objects.filter(user=staff, role=Role.OWNER).exists())
        self.assertEqual(self.client.get("/s/travel-ban/").status_code, 404)

        content = {"en": {"title": "Lift the travel ban", "demands": ["Lift it.", "Now."]}}
        self.client.post("/console/s/travel-ban/text/", text_form(content))
        content = {"en": {"title": "Lift the travel ban", "demands": ["Lift it."]}}
        self.client.post("/console/s/travel-ban/text/", text_form(content))
        draft.refresh_from_db()
        self.assertEqual(draft.versions.count(), 1)
        self.assertEqual(draft.text("en")["demands"], ["Lift it."])
        self.assertEqual(draft.demands.count(), 1)
        self.assertTrue(AuditEntry.objects.filter(action="statement.text_edited").exists())

        self.client.post("/console/s/travel-ban/status/", {"action": "open"})
        draft.refresh_from_db()
        self.assertEqual(draft.status, StatementStatus.COLLECTING)
        self.assertIsNotNone(draft.current_version and draft.current_version.frozen_at)
        response = self.client.post("/console/s/travel-ban/status/", {"action": "open"})
        self.assertEqual(response.status_code, 400)
        self.client.post("/console/s/travel-ban/status/", {"action": "release"})
        draft.refresh_from_db()
        self.assertEqual(draft.status, StatementStatus.RELEASED)

        # Someone without the right to start statements cannot.
        self.client.force_login(self.editor)
        self.assertEqual(self.client.get("/console/new/").status_code, 403)
        self.assertContains(
            self.client.get("/console/s/travel-ban/"), "Not allowed", status_code=403
        )

    def test_owners_close_and_reopen_and_it_is_audited(self) -> None:
        self.assertEqual(self.client.post(self.url("status"), {"action": "close"}).status_code, 403)
        self.client.force_login(self.owner)
        self.assertContains(self.client.get(self.url("dashboard")), "Close signing")
        self.client.post(self.url("status"), {"action": "close"})
        self.statement.refresh_from_db()
        self.assertEqual(self.statement.status, StatementStatus.CLOSED)
        self.assertFalse(self.statement.is_open_for_signing())
        self.client.post(self.url("status"), {"action": "reopen"})
        self.statement.refresh_from_db()
        self.assertEqual(self.statement.status, StatementStatus.RELEASED)
        actions = list(
            AuditEntry.objects.filter(statement=self.statement).values_list("action", flat=True)
        )
        self.assertIn("statement.closed", actions)
        self.assertIn("statement.reopened", actions)

    def test_it_saves_dates_and_who_may_sign(self) -> None:
        response = self.client.post(
            self.url("settings"),
            {
                "opens_at": "2026-12-01T09:00",
                "closes_at": "2026-11-30T09:00",
                "default_language": "en",
                "accepts_organizations": "on",
                "accepts_individuals": "on",
                "moderate_organizations": "on",
            },
        )
        self.assertContains(response, "must come after the opening", status_code=400)
        response = self.client.post(
            self.url("settings"),
            {
                "opens_at": "2026-01-01T09:00",
                "closes_at": "2030-01-01T09:00",
                "default_language": "ko",
                "accepts_organizations": "on",
                "goal_organizations": "150",
                "moderate_organizations": "on",
            },
        )
        self.assertRedirects(response, self.url("settings"))
        self.statement.refresh_from_db()
        self.assertFalse(self.statement.accepts_individuals)
        self.assertEqual(self.statement.goal_organizations, 150)
        self.assertEqual(self.statement.default_language, "ko")
        self.assertEqual(self.statement.closes_at.year, 2030)  # type: ignore[union-attr]
        entry = AuditEntry.objects.get(action="statement.updated")
        self.assertIn("accepts_individuals", entry.data["fields"])

    def test_changing_the_approval_rule_moves_the_counts(self) -> None:
        waiting = self.signon(org(1))
        counted = self.signon(person(2))
        self.assertEqual(statement_counts(self.statement)["organizations"], 0)
        base = {
            "default_language": "en",
            "accepts_organizations": "on",
            "accepts_individuals": "on",
        }
        # Organizations no longer need approval: the one waiting counts at once.
        self.client.post(self.url("settings"), base)
        waiting.refresh_from_db()
        self.assertTrue(waiting.counted)
        self.assertEqual(self.statement_counts(), (1, 1))
        # Individuals now need approval: those already counted stay counted (as approved).
        self.client.post(self.url("settings"), {**base, "moderate_individuals": "on"})
        counted.refresh_from_db()
        self.assertEqual((counted.status, counted.counted), (Status.APPROVED, True))
        self.assertEqual(self.statement_counts(), (1, 1))
        self.assertEqual(statement_recount(statement=self.statement).differences, {})
        entry = AuditEntry.objects.filter(action="statement.updated").first()
        assert entry is not None
        self.assertIn("sign_ons_moved", entry.data)

    def statement_counts(self) -> tuple[int, int]:
        caches["local"].clear()
        counts = statement_counts(self.statement)
        return counts["organizations"], counts["individuals"]

    def test_it_edits_targets_and_keeps_their_identity(self) -> None:
        target = self.statement.targets.get()
        data = {
            "targets-TOTAL_FORMS": "2",
            "targets-INITIAL_FORMS": "1",
            "targets-0-id": str(target.pk),
            "targets-0-name": "President of the United States",
            "targets-0-title": "President",
            "targets-0-contact": "Delivery via the White House mailroom",
            "targets-1-name": "Secretary of State",
        }
        response = self.client.post(self.url("targets"), data)
        self.assertRedirects(response, self.url("targets"))
        targets = list(self.statement.targets.order_by("position"))
        self.assertEqual(
            [t.name for t in targets], ["President of the United States", "Secretary of State"]
        )
        self.assertEqual(targets[0].pk, target.pk)
        self.assertEqual(targets[0].title, "President")
        public = self.client.get(f"/s/{self.statement.slug}/").content.decode()
        self.assertNotIn("White House mailroom", public)
        data = {
            **data,
            "targets-1-DELETE": "on",
            "targets-1-id": str(targets[1].pk),
            "targets-INITIAL_FORMS": "2",
        }
        self.client.post(self.url("targets"), data)
        self.assertEqual(self.statement.targets.count(), 1)

    def test_the_console_renders_in_korean(self) -> None:
        self.client.force_login(self.owner)
        for name in ("dashboard", "text", "moderation", "invalidate", "audit"):
            page = self.client.get(f"/ko{self.url(name)}")
            self.assertContains(page, '<html lang="ko">')
            self.assertContains(page, f'href="/ko/console/s/{self.statement.slug}/text/"')
        # The language switcher stays on the same console page.
        page = self.client.get(self.url("moderation") + "?lang=en")
        self.assertContains(page, f'href="/ko/console/s/{self.statement.slug}/moderation/?lang=ko"')
