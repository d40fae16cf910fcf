"""Abuse defenses in the console: limits and allow/block lists, edited without a deploy,
read by the sign-on path at once, and held sign-ons that look normal to their signer."""

from __future__ import annotations

import json
from typing import Any

from django.test import override_settings
from django.utils import translation

from tests.base import PERSON
from tests.console.base import ConsoleTestCase
from undersigned.audit.models import AuditEntry
from undersigned.lib.http import ip_hash
from undersigned.moderation.models import RuleAction, RuleKind, ScreeningLimits, ScreeningRule
from undersigned.moderation.services import screening_rule_add
from undersigned.signatures.models import Signature, Status


class DefensesTestCase(ConsoleTestCase):
    def add_rule(self, kind: str, value: str, action: str = "block", **extra: Any) -> Any:
        self.client.force_login(self.owner)
        return self.client.post(
            self.url("defenses_rule_add"),
            {"kind": kind, "action": action, "value": value, "note": "", **extra},
        )

    def set_limits(self, **values: Any) -> Any:
        self.client.force_login(self.owner)
        data = {"per_minute": "", "per_hour": "", "min_fill_seconds": "", **values}
        return self.client.post(self.url("defenses_limits"), data)

    def sign_as(self, email: str, *, ip: str = "198.51.100.20", **fields: Any) -> Any:
        self.client.logout()
        return self.sign({**PERSON, "email": email, **fields}, REMOTE_ADDR=ip)

    def signature(self, email: str) -> Signature:
        return Signature.objects.get(statement=self.statement, email__iexact=email)

    def counts(self) -> dict[str, Any]:
        return dict(self.client.get(f"/api/v1/statements/{self.statement.slug}/count").json())


class PermissionTests(DefensesTestCase):
    def test_every_role_can_look_but_only_owners_and_editors_change(self) -> None:
        for user in (self.owner, self.editor, self.moderator):
            self.client.force_login(user)
            with self.subTest(user.username):
                self.assertEqual(self.client.get(self.url("defenses")).status_code, 200)
                self.assertEqual(self.client.get(self.url("traffic")).status_code, 200)
        self.client.force_login(self.moderator)
        page = self.client.get(self.url("defenses")).content.decode()
        self.assertNotIn('action="' + self.url("defenses_rule_add"), page)
        self.assertIn("Owners and editors of this statement can change these defenses.", page)
        for name in ("defenses_limits", "defenses_rule_add"):
            response = self.client.post(
                self.url(name), {"kind": "email_domain", "action": "block", "value": "x.example"}
            )
            self.assertEqual(response.status_code, 403)
        rule = screening_rule_add(
            statement=self.statement,
            kind=RuleKind.EMAIL_DOMAIN,
            action=RuleAction.BLOCK,
            value="spam.example",
            actor=self.owner,
        )
        response = self.client.post(self.url("defenses_rule_remove", pk=rule.pk))
        self.assertEqual(response.status_code, 403)
        self.assertTrue(ScreeningRule.objects.filter(pk=rule.pk).exists())
        self.client.force_login(self.editor)
        self.assertEqual(
            self.client.post(self.url("defenses_rule_remove", pk=rule.pk)).status_code, 302
        )
        self.assertFalse(ScreeningRule.objects.exists())

    def test_an_outsider_and_another_statements_owner_get_403(self) -> None:
        rule = screening_rule_add(
            statement=self.statement,
            kind=RuleKind.EMAIL_DOMAIN,
            action=RuleAction.BLOCK,
            value="spam.example",
            actor=self.owner,
        )
        urls = [
            self.url("defenses"),
            self.url("traffic"),
            self.url("defenses_limits"),
            self.url("defenses_rule_add"),
            self.url("defenses_rule_remove", pk=rule.pk),
        ]
        for user in (self.outsider, self.other_editor):
            self.client.force_login(user)
            for url in urls:
                with self.subTest(user=user.username, url=url):
                    self.assertEqual(self.client.get(url).status_code, 403)
                    self.assertEqual(
                        self.client.post(url, {"per_minute": "1", "value": "x"}).status_code, 403
                    )
        self.assertTrue(ScreeningRule.objects.filter(pk=rule.pk).exists())
        self.assertFalse(ScreeningLimits.objects.exists())

    def test_a_rule_of_another_statement_cannot_be_removed_through_this_one(self) -> None:
        foreign = screening_rule_add(
            statement=self.other,
            kind=RuleKind.EMAIL_DOMAIN,
            action=RuleAction.BLOCK,
            value="spam.example",
            actor=self.other_editor,
        )
        self.client.force_login(self.owner)
        response = self.client.post(self.url("defenses_rule_remove", pk=foreign.pk))
        self.assertEqual(response.status_code, 404)
        self.assertTrue(ScreeningRule.objects.filter(pk=foreign.pk).exists())


class BlockListTests(DefensesTestCase):
    def assert_held_and_looks_normal(self, blocked: Any, normal: Any, email: str) -> None:
        self.assertEqual(blocked.status_code, normal.status_code)
        self.assertEqual(blocked["Location"], normal["Location"])
        signature = self.signature(email)
        self.assertTrue(signature.hold_reason.startswith("blocked "), signature.hold_reason)
        # The signer gets the usual email and confirms as usual; the sign-on is not counted.
        self.run_worker()
        self.assertEqual(len(self.mail_to(email)), 1)
        self.client.post(self.link(self.mail_to(email)[0], "confirm"))
        signature.refresh_from_db()
        self.assertEqual(signature.status, Status.CONFIRMED)
        self.assertFalse(signature.counted)

    def test_a_blocked_domain_and_its_subdomains_are_held_not_counted(self) -> None:
        response = self.add_rule("email_domain", "Spam.Example")
        self.assertRedirects(response, self.url("defenses"))
        normal = self.sign_as("fine@good.example")
        blocked = self.sign_as("bot@mail.spam.example", ip="198.51.100.21")
        self.assert_held_and_looks_normal(blocked, normal, "bot@mail.spam.example")
        self.sign_as("BOT2@SPAM.EXAMPLE", ip="198.51.100.22")
        self.assertTrue(self.signature("BOT2@SPAM.EXAMPLE").hold_reason)
        # A domain that merely ends in the same letters is another domain.
        self.sign_as("person@notspam.example", ip="198.51.100.23")
        self.assertEqual(self.signature("person@notspam.example").hold_reason, "")
        self.run_worker()
        self.client.post(self.link(self.mail_to("fine@good.example")[0], "confirm"))
        self.assertEqual(self.counts()["individuals"], 1)

    def test_a_blocked_international_domain_matches_in_either_spelling(self) -> None:
        self.add_rule("email_domain", "예시.kr")
        rule = ScreeningRule.objects.get()
        self.assertEqual(rule.value, "xn--vv4b11d.kr")
        self.assertEqual(rule.label, "예시.kr")
        # The sign-on form stores the domain in Unicode whichever way it was typed.
        self.sign_as("someone@xn--vv4b11d.kr")
        self.assertEqual(
            self.signature("someone@예시.kr").hold_reason, "blocked email domain xn--vv4b11d.kr"
        )
        self.sign_as("other@sub.예시.kr", ip="198.51.100.30")
        self.assertTrue(self.signature("other@sub.예시.kr").hold_reason)

    def test_a_blocked_address_matches_as_email_keys_do_and_is_never_stored(self) -> None:
        self.add_rule("email_address", "J.Park+petitions@GMail.com")
        rule = ScreeningRule.objects.get()
        self.assertNotIn("park", rule.value.lower())
        self.assertEqual(rule.label, "J…@gmail.com")
        normal = self.sign_as("someone@example.org")
        blocked = self.sign_as("jpark@googlemail.com", ip="198.51.100.31")
        self.assert_held_and_looks_normal(blocked, normal, "jpark@googlemail.com")
        self.sign_as("jpark2@gmail.com", ip="198.51.100.32")
        self.assertEqual(self.signature("jpark2@gmail.com").hold_reason, "")
        page = self.client.get(self.url("defenses"))
        self.client.force_login(self.owner)
        page = self.client.get(self.url("defenses")).content.decode()
        self.assertIn("J…@gmail.com", page)
        self.assertNotIn("J.Park", page)
        self.assertNotIn("petitions", json.dumps([e.data for e in AuditEntry.objects.all()]))
        self.assertNoEmailInAudit()

    def test_a_blocked_ip_range_holds_ipv4_and_ipv6_senders(self) -> None:
        self.add_rule("ip_range", "203.0.113.77/24")
        self.add_rule("ip_range", "2001:db8::/32")
        self.assertEqual(
            sorted(ScreeningRule.objects.values_list("label", flat=True)),
            ["2001:db8::/32", "203.0.113.0/24"],
        )
        normal = self.sign_as("a@example.org", ip="198.51.100.40")
        blocked = self.sign_as("b@example.org", ip="203.0.113.200")
        self.assert_held_and_looks_normal(blocked, normal, "b@example.org")
        self.sign_as("c@example.org", ip="2001:db8:1::5")
        self.sign_as("d@example.org", ip="::ffff:203.0.113.9")
        self.sign_as("e@example.org", ip="2001:db9::1")
        held = dict(Signature.objects.values_list("email", "hold_reason"))
        self.assertEqual(held["c@example.org"], "blocked IP range 2001:db8::/32")
        self.assertEqual(held["d@example.org"], "blocked IP range 203.0.113.0/24")
        self.assertEqual(held["e@example.org"], "")
        # Only the hash of the address is kept on the sign-on.
        self.assertEqual(self.signature("b@example.org").ip_hash, ip_hash("203.0.113.200"))

    def test_a_blocked_sign_on_through_the_api_answers_like_any_other(self) -> None:
        self.add_rule("email_domain", "spam.example")
        self.client.logout()
        answers = []
        for email in ("fine@good.example", "bot@spam.example"):
            response = self.client.post(
                f"/api/v1/statements/{self.statement.slug}/signatures",
                {"kind": "individual", "name": "A Person", "email": email},
                content_type="application/json",
            )
            answers.append((response.status_code, response.json()))
        self.assertEqual(answers[0], answers[1])
        self.assertTrue(self.signature("bot@spam.example").hold_reason)
        self.assertEqual(self.signature("fine@good.example").hold_reason, "")

    def test_removing_an_entry_takes_effect_at_once(self) -> None:
        self.add_rule("email_domain", "spam.example")
        self.sign_as("one@spam.example")
        rule = ScreeningRule.objects.get()
        self.client.force_login(self.owner)
        self.client.post(self.url("defenses_rule_remove", pk=rule.pk))
        self.sign_as("two@spam.example", ip="198.51.100.50")
        self.assertTrue(self.signature("one@spam.example").hold_reason)
        self.assertEqual(self.signature("two@spam.example").hold_reason, "")
        actions = list(
            AuditEntry.objects.filter(object_type="screeningrule").values_list("action", flat=True)
        )
        self.assertEqual(sorted(actions), ["screening.rule_added", "screening.rule_removed"])

    def test_rules_are_per_statement(self) -> None:
        self.add_rule("email_domain", "spam.example")
        self.client.logout()
        self.client.post(
            f"/s/{self.other.slug}/sign/", self.form_data({**PERSON, "email": "x@spam.example"})
        )
        self.assertEqual(Signature.objects.get(statement=self.other).hold_reason, "")


class EntryValidationTests(DefensesTestCase):
    def test_bad_entries_are_refused_with_a_message_and_kept_on_the_form(self) -> None:
        cases = [
            ("ip_range", "203.0.113.300", "Enter an IP address or a range"),
            ("ip_range", "0.0.0.0/0", "This range is too wide"),
            ("email_domain", "not a domain", "Enter a domain such as example.org"),
            ("email_address", "nobody-at-example.org", "Enter a whole email address."),
            ("planet", "mars", "Select a valid choice."),
        ]
        for kind, value, message in cases:
            with self.subTest(value):
                response = self.add_rule(kind, value)
                self.assertContains(response, message, status_code=400)
                self.assertContains(response, f'value="{value}"', status_code=400)
        self.assertFalse(ScreeningRule.objects.exists())
        self.assertFalse(AuditEntry.objects.filter(action__startswith="screening.").exists())

    def test_the_same_entry_twice_is_refused(self) -> None:
        self.add_rule("email_domain", "spam.example")
        response = self.add_rule("email_domain", "SPAM.example.", action="allow")
        self.assertContains(response, "already on the allow or block list", status_code=400)
        self.assertEqual(ScreeningRule.objects.count(), 1)

    def test_messages_are_in_korean_on_the_korean_console(self) -> None:
        self.client.force_login(self.owner)
        with translation.override("ko"):
            from django.urls import reverse

            url = reverse("console:defenses_rule_add", kwargs={"slug": self.statement.slug})
            limits = reverse("console:defenses_limits", kwargs={"slug": self.statement.slug})
        response = self.client.post(url, {"kind": "ip_range", "action": "block", "value": "nope"})
        self.assertEqual(response.status_code, 400)
        self.assertNotIn("Enter an IP address", response.content.decode())
        response = self.client.post(limits, {"per_minute": "0"})
        self.assertEqual(response.status_code, 400)
        self.assertNotIn("Ensure this value", response.content.decode())


@override_settings(RATE_LIMITS=True, RATE_LIMIT_PER_MINUTE=5, RATE_LIMIT_PER_HOUR=30)
class LimitTests(DefensesTestCase):
    def burst(self, n: int, *, ip: str = "198.51.100.60", start: int = 0) -> None:
        for i in range(start, start + n):
            self.sign_as(f"burst{i}@example.org", ip=ip)

    def held(self) -> int:
        return Signature.objects.exclude(hold_reason="").count()

    def test_the_site_defaults_apply_until_the_console_changes_them(self) -> None:
        self.burst(6)
        self.assertEqual(self.held(), 1)
        page = self.client.get(self.url("defenses"))
        self.client.force_login(self.owner)
        page = self.client.get(self.url("defenses"))
        self.assertContains(page, "at most 5 sign-ons a minute and 30 an hour")
        self.assertContains(page, "Leave empty for the site&#x27;s default: 5.")

    def test_a_limit_changed_in_the_console_applies_to_the_next_sign_on(self) -> None:
        self.burst(2)
        self.assertEqual(self.held(), 0)
        # The sign-on path has read (and cached) the limits; the change must still apply.
        response = self.set_limits(per_minute="2")
        self.assertRedirects(response, self.url("defenses"))
        self.burst(1, start=2)
        self.assertEqual(self.held(), 1)
        self.assertIn(
            "over 2 sign-ons a minute", Signature.objects.exclude(hold_reason="").get().hold_reason
        )
        # Back to the default: empty fields.
        self.set_limits()
        self.burst(1, start=3, ip="198.51.100.61")
        self.assertEqual(self.held(), 1)
        entries = AuditEntry.objects.filter(action="screening.limits_changed").order_by("id")
        self.assertEqual([e.data["after"]["per_minute"] for e in entries], [2, None])

    def test_an_allowed_range_skips_the_burst_limit_and_the_fill_time(self) -> None:
        self.set_limits(min_fill_seconds="30")
        self.add_rule("ip_range", "198.51.100.0/28", action="allow")
        self.burst(8, ip="198.51.100.5")
        self.assertEqual(self.held(), 0)
        # The same burst from elsewhere is held: by the fill time here, the form being fast.
        self.burst(2, ip="192.0.2.1", start=10)
        self.assertEqual(self.held(), 2)
        self.assertIn(
            "form filled in", Signature.objects.exclude(hold_reason="").first().hold_reason
        )  # type: ignore[union-attr]

    def test_an_allowed_domain_still_fails_the_honeypot_and_a_block_wins(self) -> None:
        self.add_rule("email_domain", "campus.example", action="allow")
        self.add_rule("ip_range", "192.0.2.0/24")
        self.client.logout()
        data = self.form_data({**PERSON, "email": "a@campus.example"})
        data["ind-homepage"] = "http://spam.example"
        self.client.post(f"/s/{self.statement.slug}/sign/", data)
        self.assertEqual(
            self.signature("a@campus.example").hold_reason, "filled in the hidden field"
        )
        self.sign_as("b@campus.example", ip="192.0.2.8")
        self.assertEqual(
            self.signature("b@campus.example").hold_reason, "blocked IP range 192.0.2.0/24"
        )

    @override_settings(RATE_LIMITS=False)
    def test_rate_limits_off_in_settings_still_switches_the_address_limits_off(self) -> None:
        self.set_limits(per_minute="1", per_hour="1")
        self.burst(4)
        self.assertEqual(self.held(), 0)
        page = self.client.get(self.url("defenses"))
        self.client.force_login(self.owner)
        page = self.client.get(self.url("defenses"))
        self.assertContains(page, "switched off for this whole site")

    def test_bad_limits_are_refused(self) -> None:
        for values in ({"per_minute": "0"}, {"per_hour": "lots"}, {"min_fill_seconds": "-1"}):
            with self.subTest(values):
                response = self.set_limits(**values)
                self.assertEqual(response.status_code, 400)
                self.assertContains(
                    response, "Please correct the fields marked below.", status_code=400
                )
        self.assertFalse(ScreeningLimits.objects.exists())


class HotPathTests(DefensesTestCase):
    def test_the_sign_on_path_reads_the_lists_once_and_not_on_every_sign_on(self) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        self.add_rule("email_domain", "spam.example")
        self.add_rule("ip_range", "192.0.2.0/24", action="allow")
        self.client.logout()
        with CaptureQueriesContext(connection) as first:
            self.sign({**PERSON, "email": "one@example.org"})
        with CaptureQueriesContext(connection) as second:
            self.sign({**PERSON, "email": "two@spam.example"})

        def reads(queries: Any) -> int:
            return sum("moderation_screening" in q["sql"] for q in queries.captured_queries)

        self.assertEqual(reads(first), 2)  # the limits and the lists, then kept for a moment
        self.assertEqual(reads(second), 0)
        self.assertTrue(self.signature("two@spam.example").hold_reason)
