"""The audit log: every change of the defenses is recorded, no entry holds an email address,
and the console shows entries in words, filtered and paged."""

from __future__ import annotations

import json
from importlib import import_module

from django.apps import apps
from django.utils import translation

from tests.console.base import EMAIL, ConsoleTestCase, person
from undersigned.audit.actions import ACTION_LABELS, action_label, describe_data
from undersigned.audit.models import AuditEntry
from undersigned.audit.services import audit_log


class AuditTests(ConsoleTestCase):
    def assertNoEmailInAnyRow(self) -> None:
        for entry in AuditEntry.objects.all():
            row = json.dumps(
                [entry.actor_label, entry.data, entry.object_id, entry.object_type],
                ensure_ascii=False,
            )
            self.assertIsNone(EMAIL.search(row), f"{entry.action}: {row}")

    def test_every_change_of_the_defenses_is_audited_without_an_email(self) -> None:
        self.client.force_login(self.owner)
        base = {"kind": "email_address", "action": "block", "note": "tell grace@example.org"}
        self.client.post(self.url("defenses_rule_add"), {**base, "value": "bot@spam.example"})
        self.client.post(
            self.url("defenses_rule_add"),
            {"kind": "ip_range", "action": "allow", "value": "192.0.2.0/24", "note": ""},
        )
        self.client.post(
            self.url("defenses_limits"),
            {"per_minute": "3", "per_hour": "", "min_fill_seconds": "4"},
        )
        rule = self.statement.screening_rules.first()
        assert rule is not None
        self.client.post(self.url("defenses_rule_remove", pk=rule.pk))
        # Other console work of the same session, and a signer's own steps.
        signature = self.signon(person(1))
        self.client.force_login(self.moderator)
        self.client.post(self.url("moderation"), {"row": f"release:{signature.pk}"})
        self.client.force_login(self.owner)
        self.client.post(self.url("team"), {"email": "new@coalition.example", "role": "editor"})
        actions = list(
            AuditEntry.objects.filter(action__startswith="screening.").values_list(
                "action", flat=True
            )
        )
        self.assertEqual(
            sorted(actions),
            [
                "screening.limits_changed",
                "screening.rule_added",
                "screening.rule_added",
                "screening.rule_removed",
            ],
        )
        entry = AuditEntry.objects.get(action="screening.limits_changed")
        self.assertEqual(
            entry.data["after"], {"per_minute": 3, "per_hour": None, "min_fill_seconds": 4}
        )
        self.assertEqual(entry.actor, self.owner)
        self.assertEqual(entry.actor_label, f"organizer #{self.owner.pk}")
        self.assertTrue(AuditEntry.objects.filter(action="organizer.invited").exists())
        self.assertNoEmailInAnyRow()

    def test_an_organizers_name_is_the_label_when_they_gave_one(self) -> None:
        self.owner.first_name, self.owner.last_name = "Grace", "Lim"
        self.owner.save()
        entry = audit_log(action="statement.updated", obj=self.statement, actor=self.owner)
        self.assertEqual(entry.actor_label, "Grace Lim")

    def test_the_migration_rewrites_labels_that_hold_an_address(self) -> None:
        old = AuditEntry.objects.create(
            action="statement.updated",
            actor=self.owner,
            actor_label="owner@coalition.example",
            object_type="statement",
            object_id=str(self.statement.pk),
        )
        orphan = AuditEntry.objects.create(
            action="statement.updated",
            actor_label="gone@coalition.example",
            object_type="statement",
            object_id="1",
        )
        signer = AuditEntry.objects.create(
            action="signature.confirmed",
            actor_label="signer",
            object_type="signature",
            object_id="1",
        )
        migration = import_module("undersigned.audit.migrations.0002_actor_labels_without_emails")
        migration.relabel(apps, None)
        labels = dict(
            AuditEntry.objects.filter(pk__in=[old.pk, orphan.pk, signer.pk]).values_list(
                "pk", "actor_label"
            )
        )
        self.assertEqual(
            labels,
            {old.pk: f"organizer #{self.owner.pk}", orphan.pk: "organizer", signer.pk: "signer"},
        )

    def test_the_page_shows_actions_in_words_and_who_by_role(self) -> None:
        self.client.force_login(self.owner)
        self.client.post(
            self.url("defenses_limits"), {"per_minute": "3", "per_hour": "", "min_fill_seconds": ""}
        )
        audit_log(action="mystery.code", obj=self.statement, statement_id=self.statement.pk)
        page = self.client.get(self.url("audit")).content.decode()
        self.assertIn("Abuse limits changed", page)
        self.assertNotIn("screening.limits_changed", page.split("<tbody>")[1])
        self.assertIn(f"organizer #{self.owner.pk} (Owner)", page)
        self.assertIn("Sign-ons a minute from one address: (site default) → 3", page)
        self.assertIn("mystery.code", page)  # an unknown code is shown as it is
        self.assertIsNone(EMAIL.search(page.split("<main")[1].split("</nav>", 1)[1]))

    def test_it_filters_by_action_and_keeps_the_filter_across_pages(self) -> None:
        for i in range(60):
            audit_log(
                action="partner.created",
                obj=self.statement,
                statement_id=self.statement.pk,
                data={"name": f"P{i}"},
            )
        audit_log(action="statement.closed", obj=self.statement, statement_id=self.statement.pk)
        self.client.force_login(self.moderator)
        page = self.client.get(self.url("audit"), {"action": "statement.closed"})
        self.assertEqual([r.entry.action for r in page.context["rows"]], ["statement.closed"])
        page = self.client.get(self.url("audit"), {"action": "partner.created"})
        self.assertEqual(len(page.context["rows"]), 50)
        self.assertContains(page, "?action=partner.created&amp;page=2")
        second = self.client.get(self.url("audit"), {"action": "partner.created", "page": "2"})
        self.assertEqual(len(second.context["rows"]), 10)
        # An unknown filter shows everything rather than failing.
        self.assertEqual(self.client.get(self.url("audit"), {"action": "<x>"}).status_code, 200)

    def test_every_label_is_translated_to_korean(self) -> None:
        for code in ACTION_LABELS:
            with translation.override("en"):
                english = action_label(code)
            with translation.override("ko"):
                self.assertNotEqual(action_label(code), english, code)

    def test_details_read_as_before_and_after(self) -> None:
        with translation.override("en"):
            rows = describe_data({"before": "confirmed", "after": "approved", "reason": "ok"})
        self.assertEqual(rows, [("Change", "Confirmed → Approved"), ("Reason", "ok")])
