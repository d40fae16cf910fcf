"""Abuse screening: floods, bots and hurried forms are held quietly, not refused."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.test import override_settings
from django.utils import timezone

from tests.base import PERSON, BaseTestCase
from undersigned.lib import microcache
from undersigned.signatures.models import Signature, Status
from undersigned.signatures.screening import form_started_token


@override_settings(RATE_LIMITS=True, RATE_LIMIT_PER_MINUTE=5, RATE_LIMIT_PER_HOUR=8)
class RateLimitTests(BaseTestCase):
    def burst(self, n: int, *, address: str = "203.0.113.9") -> list[int]:
        statuses = []
        for i in range(n):
            response = self.sign({**PERSON, "email": f"burst{i}@example.org"}, REMOTE_ADDR=address)
            statuses.append(response.status_code)
        return statuses

    def confirm_all(self) -> None:
        self.run_worker()
        for message in self.smtp.messages:
            self.client.post(self.link(message, "confirm"))

    def test_a_burst_past_the_limit_is_held_not_counted_and_looks_the_same(self) -> None:
        statuses = self.burst(8)
        self.assertEqual(set(statuses), {302}, "every signer sees the same answer")
        self.assertTrue(
            all(r == self.sign({**PERSON, "email": "x@example.org"}).status_code for r in statuses)
        )
        held = Signature.objects.filter(statement=self.statement).exclude(hold_reason="")
        self.assertEqual(held.count(), 3)
        self.assertIn("a minute", held.first().hold_reason)  # type: ignore[union-attr]
        self.confirm_all()
        counts = self.client.get(f"/api/v1/statements/{self.statement.slug}/count").json()
        # 5 from the burst within the limit, plus the one from another address.
        self.assertEqual(counts["individuals"], 6)
        self.assertEqual(held.filter(status=Status.CONFIRMED).count(), 3)
        self.assertFalse(held.filter(counted=True).exists())

    def test_the_hourly_limit_holds_a_slow_flood(self) -> None:
        start = timezone.now()
        for minute in range(9):
            with time_machine.travel(start + timedelta(minutes=2 * minute)):
                self.sign(
                    {**PERSON, "email": f"slow{minute}@example.org"}, REMOTE_ADDR="203.0.113.7"
                )
        held = Signature.objects.exclude(hold_reason="")
        self.assertEqual(held.count(), 1)
        self.assertIn("an hour", held.get().hold_reason)

    def test_other_addresses_are_not_affected(self) -> None:
        self.burst(6, address="203.0.113.1")
        self.sign({**PERSON, "email": "neighbour@example.org"}, REMOTE_ADDR="203.0.113.2")
        self.assertEqual(Signature.objects.get(email="neighbour@example.org").hold_reason, "")

    @override_settings(RATE_LIMITS=False)
    def test_rate_limits_can_be_turned_off_for_benchmarks(self) -> None:
        self.burst(8)
        self.assertFalse(Signature.objects.exclude(hold_reason="").exists())


class FormScreeningTests(BaseTestCase):
    def test_a_filled_honeypot_is_held_quietly(self) -> None:
        data = self.form_data(PERSON)
        data["ind-homepage"] = "http://spam.example"
        response = self.client.post(f"/s/{self.statement.slug}/sign/", data)
        self.assertRedirects(response, f"/s/{self.statement.slug}/thanks/")
        self.assertEqual(Signature.objects.get().hold_reason, "filled in the hidden field")

    @override_settings(MIN_FILL_SECONDS=3)
    def test_a_form_sent_faster_than_a_person_can_fill_it_is_held(self) -> None:
        self.sign(PERSON)
        self.assertIn("form filled in", Signature.objects.get().hold_reason)

    @override_settings(MIN_FILL_SECONDS=3)
    def test_a_form_filled_at_human_speed_is_not_held(self) -> None:
        data = self.form_data(PERSON)
        with time_machine.travel(timezone.now() + timedelta(seconds=20)):
            self.client.post(f"/s/{self.statement.slug}/sign/", data)
        self.assertEqual(Signature.objects.get().hold_reason, "")

    def test_a_post_without_the_forms_start_time_is_held(self) -> None:
        data = self.form_data(PERSON)
        data["ind-started"] = "forged"
        self.client.post(f"/s/{self.statement.slug}/sign/", data)
        self.assertEqual(Signature.objects.get().hold_reason, "no valid form start time")

    def test_a_start_time_older_than_a_week_is_held_though_it_was_good_before(self) -> None:
        url = f"/s/{self.statement.slug}/sign/"
        data = self.form_data(PERSON)
        with time_machine.travel(timezone.now() + timedelta(seconds=20)):
            self.client.post(url, data)
        # The same start time (checked once and kept), sent again eight days on.
        later = {**self.form_data({**PERSON, "email": "later@example.org"})}
        later["ind-started"] = data["ind-started"]
        with time_machine.travel(timezone.now() + timedelta(days=8)):
            self.client.post(url, later)
        self.assertEqual(Signature.objects.get(email=PERSON["email"]).hold_reason, "")
        self.assertEqual(
            Signature.objects.get(email="later@example.org").hold_reason,
            "no valid form start time",
        )

    def test_the_statement_page_hands_out_a_fresh_start_time_each_time(self) -> None:
        first = self.client.get(f"/s/{self.statement.slug}/").content.decode()
        # A second later, once this process's finished copy of the page has expired
        # (MICRO_CACHE_SECONDS, undersigned.lib.microcache): a new start time.
        microcache.clear()
        with time_machine.travel(timezone.now() + timedelta(seconds=1)):
            second = self.client.get(f"/s/{self.statement.slug}/").content.decode()
        token = 'name="ind-started" value="'
        self.assertIn(token, first)
        self.assertNotEqual(first.split(token)[1][:40], second.split(token)[1][:40])
        self.assertTrue(form_started_token())

    def test_a_held_sign_on_is_released_by_nothing_but_a_moderator(self) -> None:
        data = self.form_data(PERSON)
        data["ind-homepage"] = "x"
        self.client.post(f"/s/{self.statement.slug}/sign/", data)
        self.run_worker()
        self.client.post(self.link(self.mail_to(PERSON["email"])[0], "confirm"))
        signature = Signature.objects.get()
        self.assertEqual(signature.status, Status.CONFIRMED)
        self.assertFalse(signature.counted)
        self.assertNotIn(
            "Jiyoung Park",
            self.client.get(f"/s/{self.statement.slug}/signatories/").content.decode(),
        )
