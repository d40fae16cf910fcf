"""The statement's dashboard (a chart drawn as SVG on the server, counts by group, the
backlog), partners' referral links with their counts, and the audit log."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from tests.console.base import ConsoleTestCase, org, person
from undersigned.moderation.models import Partner
from undersigned.signatures.models import Signature


class DashboardTests(ConsoleTestCase):
    def test_it_draws_sign_ons_over_time_as_svg_without_script_or_style(self) -> None:
        earlier = [self.signon(person(1)), self.signon(person(2), confirm=False)]
        Signature.objects.filter(pk__in=[s.pk for s in earlier]).update(
            created_at=timezone.now() - timedelta(days=3)
        )
        self.signon(person(3))
        self.signon(org(4), approve=True, networks=[self.network])
        self.signon(org(5))
        self.signon(person(6), hold="honeypot")
        self.client.force_login(self.moderator)
        page = self.client.get(self.url("dashboard"))
        html = page.content.decode()
        svg = html[html.index("<svg") : html.index("</svg>")]
        self.assertEqual(len(re.findall(r"<g>", svg)), 4)  # four days, two of them empty
        self.assertIn('fill="#1d4ed8"', svg)
        self.assertNotIn("style=", html.lower())
        self.assertNotIn("<script", html.lower())
        self.assertIn("default-src 'self'", page["Content-Security-Policy"])
        self.assertRegex(html, r"2 sign-ons, 1 counted")
        self.assertRegex(html, r"4 sign-ons, 2 counted")
        # Counts and groups come from the counters.
        self.assertContains(page, "Peace Network")
        self.assertContains(page, "Local")
        self.assertContains(page, "United States of America")
        self.assertContains(page, "WA, United States of America")
        self.assertContains(page, "1 sign-on</a> waits for approval.")
        self.assertContains(page, "1 sign-on is held for review.")

    def test_an_empty_statement_has_no_chart(self) -> None:
        self.client.force_login(self.owner)
        page = self.client.get(self.url("dashboard"))
        self.assertContains(page, "No sign-ons yet.")
        self.assertContains(page, "Link to share")
        self.assertContains(page, f"/s/{self.statement.slug}/")

    def test_partners_get_a_link_and_a_count_of_what_it_brought(self) -> None:
        self.client.force_login(self.editor)
        response = self.client.post(self.url("partners"), {"name": "Women Cross DMZ", "code": ""})
        self.assertRedirects(response, self.url("partners"))
        partner = Partner.objects.get()
        self.assertEqual(partner.code, "women-cross-dmz")
        again = self.client.post(self.url("partners"), {"name": "WCDMZ", "code": "women-cross-dmz"})
        self.assertContains(again, "already uses this code", status_code=400)

        self.signon(person(1), referral="women-cross-dmz")
        self.signon(person(2), referral="women-cross-dmz")
        self.signon(person(3), referral="women-cross-dmz", confirm=False)  # not counted
        self.signon(org(4), referral="women-cross-dmz")  # waiting for approval: not counted
        self.signon(person(5), referral="newsletter")
        # Through the public form: the ?ref= of the shared link lands on the sign-on.
        self.client.post(
            f"/s/{self.statement.slug}/sign/",
            {**self.form_data(person(6)), "ref": "women-cross-dmz"},
        )
        self.run_worker()
        self.client.post(self.link(self.mail_to(person(6)["email"])[0], "confirm"))

        page = self.client.get(self.url("partners"))
        html = page.content.decode()
        self.assertIn(f"/s/{self.statement.slug}/?ref=women-cross-dmz", html)
        row = html[html.index("Women Cross DMZ") :]
        self.assertRegex(row, r'<td class="num">3</td>')
        self.assertContains(page, "newsletter")

        self.client.post(self.url("partner_remove", pk=partner.pk))
        self.assertFalse(Partner.objects.exists())

    def test_the_audit_log_shows_the_statements_entries_and_no_email(self) -> None:
        signature = self.signon(org(1))
        self.client.force_login(self.owner)
        self.client.post(self.url("moderation"), {"row": f"approve:{signature.pk}"})
        self.signon(org(2), statement=self.other)
        page = self.client.get(self.url("audit"))
        rows = page.content.decode().split("<tbody>")[1]
        self.assertIn("<td>Sign-on approved</td>", rows)
        self.assertIn("<td>Sign-on confirmed by email</td>", rows)
        self.assertIn(f"Sign-on #{signature.pk}</a>", rows)
        self.assertNotContains(page, "info@group1.example")
        self.assertEqual(rows.count("Sign-on confirmed by email"), 1)
