"""Who may open which console page: every URL of the console is checked, for every method."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from django.urls import URLPattern, reverse
from django.utils import translation

from tests.console.base import ConsoleTestCase, org, person
from undersigned.api.services import api_token_create
from undersigned.audit.models import AuditEntry
from undersigned.console import urls as console_urls
from undersigned.delivery.services import delivery_record, snapshot_freeze
from undersigned.moderation.models import Partner, RuleAction, RuleKind
from undersigned.moderation.selectors import Criteria
from undersigned.moderation.services import screening_rule_add, signature_invalidate_bulk
from undersigned.signatures.models import Signature, Status
from undersigned.statements.models import Statement


class PermissionTests(ConsoleTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.signature = self.signon(org(1))
        self.batch = signature_invalidate_bulk(
            statement=self.statement,
            criteria=Criteria(ids=(self.signon(person(2)).pk,)),
            actor=self.moderator,
        )
        self.partner = Partner.objects.create(statement=self.statement, name="P", code="p")
        self.role_id = self.statement.roles.get(user=self.moderator).pk
        self.rule = screening_rule_add(
            statement=self.statement,
            kind=RuleKind.EMAIL_DOMAIN,
            action=RuleAction.BLOCK,
            value="spam.example",
            actor=self.owner,
        )
        self.snapshot = snapshot_freeze(statement=self.statement)
        self.delivery = delivery_record(
            snapshot=self.snapshot,
            delivered_on=datetime.date(2026, 1, 5),
            method="email",
            recipients="The office",
            files=[("receipt.txt", b"received")],
        )
        self.api_token, _key = api_token_create(statement=self.statement, user=self.owner)

    def console_urls(self, statement: Statement, language: str = "en") -> Iterator[tuple[str, str]]:
        """Every console URL pattern, reversed for the statement with real ids."""
        ids = {
            "signature": self.signature.pk,
            "merge": self.signature.pk,
            "erase": self.signature.pk,
            "invalidation_revert": self.batch.pk,
            "partner_remove": self.partner.pk,
            "team_remove": self.role_id,
            "defenses_rule_remove": self.rule.pk,
            "delivery_file": self.delivery.files.get().pk,
            "api_token_revoke": self.api_token.pk,
        }
        params = {"number": self.snapshot.number, "fmt": "csv", "token": "no-such-upload"}
        patterns = [p for p in console_urls.urlpatterns if isinstance(p, URLPattern)]
        self.assertGreater(len(patterns), 15)
        for pattern in patterns:
            kwargs: dict[str, Any] = {}
            for name in pattern.pattern.converters:
                if name == "slug":
                    kwargs[name] = statement.slug
                elif name in params:
                    kwargs[name] = params[name]
                else:
                    kwargs[name] = ids[str(pattern.name)]
            with translation.override(language):
                yield str(pattern.name), reverse(f"console:{pattern.name}", kwargs=kwargs)

    def test_it_refuses_an_outsider_on_every_console_url(self) -> None:
        self.client.force_login(self.outsider)
        before = AuditEntry.objects.count()
        for language in ("en", "ko"):
            for _name, url in self.console_urls(self.statement, language):
                with self.subTest(url):
                    self.assertEqual(self.client.get(url).status_code, 403, url)
                    response = self.client.post(
                        url, {"action": "approve", "ids": [self.signature.pk], "row": ""}
                    )
                    self.assertEqual(response.status_code, 403, url)
        self.assertEqual(AuditEntry.objects.count(), before)
        self.assertEqual(Signature.objects.get(pk=self.signature.pk).status, Status.CONFIRMED)

    def test_it_sends_anonymous_visitors_to_the_console_login(self) -> None:
        for _name, url in self.console_urls(self.statement):
            with self.subTest(url):
                for response in (self.client.get(url), self.client.post(url)):
                    self.assertEqual(response.status_code, 302, url)
                    self.assertTrue(
                        response["Location"].startswith("/console/login/?next="), response
                    )

    def test_it_answers_a_missing_statement_with_403_not_404(self) -> None:
        self.client.force_login(self.owner)
        response = self.client.get("/console/s/no-such-statement/")
        self.assertEqual(response.status_code, 403)

    def test_the_owner_can_open_every_console_page(self) -> None:
        self.client.force_login(self.owner)
        post_only = {
            "status",
            "merge",
            "erase",
            "invalidation_revert",
            "partner_remove",
            "team_remove",
            "defenses_limits",
            "defenses_rule_add",
            "defenses_rule_remove",
            "snapshot_pdf",
            "api_token_revoke",
        }
        # An upload that has expired (or never was) sends the organizer back to upload it.
        redirects = {"import_file"}
        for name, url in self.console_urls(self.statement):
            with self.subTest(url):
                expected = 405 if name in post_only else 302 if name in redirects else 200
                self.assertEqual(self.client.get(url).status_code, expected, url)

    def test_a_moderator_cannot_edit_the_text_or_settings(self) -> None:
        self.client.force_login(self.moderator)
        version = self.statement.current_version
        response = self.client.post(
            self.url("text"), {"en-title": "Hijacked", "note": "x"}, follow=False
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.client.get(self.url("settings")).status_code, 403)
        self.assertEqual(self.client.post(self.url("targets"), {}).status_code, 403)
        self.statement.refresh_from_db()
        self.assertEqual(self.statement.current_version, version)
        self.assertEqual(self.statement.title("en"), "End the Korean War")
        # What a moderator is for still works.
        self.assertEqual(self.client.get(self.url("moderation")).status_code, 200)

    def test_an_editor_cannot_moderate_or_change_the_team(self) -> None:
        self.client.force_login(self.editor)
        self.assertEqual(self.client.get(self.url("text")).status_code, 200)
        response = self.client.post(self.url("moderation"), {"row": f"approve:{self.signature.pk}"})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.client.get(self.url("team")).status_code, 403)
        self.assertEqual(self.client.post(self.url("status"), {"action": "close"}).status_code, 403)
        self.assertEqual(Signature.objects.get(pk=self.signature.pk).status, Status.CONFIRMED)

    def test_an_editor_of_one_statement_cannot_touch_another(self) -> None:
        self.client.force_login(self.other_editor)
        self.assertEqual(self.client.get(self.url("text", self.other)).status_code, 200)
        urls = [url for _name, url in self.console_urls(self.statement) if "/s/end-the-war/" in url]
        self.assertEqual(len(urls), len(list(self.console_urls(self.statement))) - 2)
        for url in urls:
            with self.subTest(url):
                self.assertEqual(self.client.get(url).status_code, 403)
                self.assertEqual(self.client.post(url, {"en-title": "X"}).status_code, 403)
        self.statement.refresh_from_db()
        self.assertEqual(self.statement.title("en"), "End the Korean War")

    def test_a_moderator_cannot_decide_on_another_statements_sign_ons(self) -> None:
        foreign = self.signon(org(9), statement=self.other)
        self.client.force_login(self.moderator)
        response = self.client.post(
            self.url("moderation"), {"action": "approve", "ids": [foreign.pk]}
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Signature.objects.get(pk=foreign.pk).status, Status.CONFIRMED)
        for name in ("signature", "merge"):
            response = self.client.get(self.url(name, pk=foreign.pk))
            self.assertIn(response.status_code, {404, 405})
        self.assertEqual(
            self.client.post(
                self.url("merge", pk=self.signature.pk), {"other": foreign.pk, "keep": "this"}
            ).status_code,
            302,
        )
        self.assertEqual(Signature.objects.get(pk=foreign.pk).status, Status.CONFIRMED)

    def test_the_home_page_lists_only_my_statements(self) -> None:
        self.client.force_login(self.other_editor)
        page = self.client.get("/console/")
        self.assertContains(page, "/console/s/another-statement/")
        self.assertNotContains(page, "/console/s/end-the-war/")
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get("/console/").status_code, 403)
