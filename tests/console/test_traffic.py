"""The hourly report: sign-ons per hour by address hash and by email domain, with spikes
flagged by a documented rule and linked to the bulk invalidation, filled in."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import time_machine
from django.utils import timezone

from tests.console.base import ConsoleTestCase, person
from undersigned.lib.http import ip_hash
from undersigned.moderation.selectors import SPIKE_MIN, signons_per_hour

FLOOD_IP = "203.0.113.50"


class TrafficReportTests(ConsoleTestCase):
    def setUp(self) -> None:
        super().setUp()
        # A day after the statement opened (statements cannot be signed before), at half past.
        self.now = NOW = (timezone.now() + timedelta(days=1)).replace(minute=30, second=0)
        n = 0
        # A big, steady domain: 12 an hour for four hours, each from its own address.
        for hours_ago in range(1, 5):
            for _i in range(12):
                n += 1
                with time_machine.travel(NOW - timedelta(hours=hours_ago, minutes=-5 - _i)):
                    self.signon(person(n), confirm=False, ip=f"198.51.100.{n}")
        # Two neighbours on one connection, in the same hour: shown, not a spike.
        for _i in range(2):
            n += 1
            with time_machine.travel(NOW - timedelta(hours=3, minutes=-40)):
                self.signon(person(n, email=f"p{n}@home.example"), confirm=False, ip="192.0.2.9")
        # A flood: 12 in one hour from one address with a domain seen nowhere else.
        for i in range(12):
            with time_machine.travel(NOW - timedelta(hours=2, minutes=-10 - i)):
                self.signon(person(100 + i, email=f"x{i}@spam.example"), confirm=False, ip=FLOOD_IP)
        self.traveller = time_machine.travel(NOW)
        self.traveller.start()

    def tearDown(self) -> None:
        self.traveller.stop()
        super().tearDown()

    def test_it_flags_the_flood_and_not_a_steady_busy_hour(self) -> None:
        with self.assertNumQueries(3):
            report = signons_per_hour(self.statement)
        flagged = [(r.key, r.count) for r in (*report.by_address, *report.by_domain) if r.spike]
        self.assertEqual(flagged, [(ip_hash(FLOOD_IP), 12), ("spam.example", 12)])
        steady = [r for r in report.by_domain if r.key == "mail.example"]
        self.assertEqual([r.count for r in steady], [12, 12, 12, 12])
        self.assertFalse(any(r.spike for r in steady))
        self.assertGreaterEqual(12, SPIKE_MIN)
        neighbours = [r for r in report.by_address if r.key == ip_hash("192.0.2.9")]
        self.assertEqual([(r.count, r.spike) for r in neighbours], [(2, False)])
        # Single sign-ons from an address are left out.
        self.assertFalse([r for r in report.by_address if r.count == 1])
        self.assertEqual(sum(n for _h, n in report.hours), 62)

    def test_the_page_shows_hash_prefixes_and_links_spikes_to_the_invalidation(self) -> None:
        flood_hour = timezone.localtime(self.now - timedelta(hours=2)).replace(minute=0)
        since, until = (
            f"{t:%Y-%m-%dT%H:%M}" for t in (flood_hour, flood_hour + timedelta(hours=1))
        )
        self.client.force_login(self.moderator)
        page = self.client.get(self.url("traffic")).content.decode()
        full = ip_hash(FLOOD_IP)
        self.assertIn(f"<code>{full[:8]}…</code>", page)
        # The whole hash appears only inside the link's query, never as text on the page.
        text = re.sub(r'href="[^"]*"', "", page)
        self.assertNotIn(full, text)
        self.assertNotIn(FLOOD_IP, page)
        self.assertIn("at least 10 sign-ons and at least 3 times its usual hour", page)
        links = [unescape(u) for u in re.findall(r'href="([^"]*invalidate/\?[^"]*)"', page)]
        self.assertEqual(len(links), 2)
        response = self.client.get(links[0])
        self.assertContains(response, f'value="{full}"')
        self.assertContains(response, f'value="{since}"')
        self.assertContains(response, f'value="{until}"')
        # Counting with the filled-in criteria finds the flood's twelve.
        form = {"ip_hash": full, "since": since, "until": until}
        response = self.client.post(self.url("invalidate"), {**form, "dry_run": "1"})
        self.assertEqual(response.context["count"], 12)
        domain = self.client.get(links[1])
        self.assertContains(domain, 'value="spam.example"')

    def test_an_editor_sees_the_report_without_the_invalidation_links(self) -> None:
        self.client.force_login(self.editor)
        page = self.client.get(self.url("traffic"))
        self.assertContains(page, "Spike")
        self.assertNotContains(page, "/invalidate/?")

    def test_an_hour_outside_the_report_is_left_out(self) -> None:
        with time_machine.travel(self.now + timedelta(hours=60)):
            report = signons_per_hour(self.statement)
        self.assertEqual(report.hours, [])
        self.assertEqual(report.by_address, [])
