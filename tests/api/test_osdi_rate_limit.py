"""OSDI writes are limited per organizer API token and minute (OSDI_RATE_LIMIT_PER_MINUTE),
counted in the shared cache: past the limit, a 429 in OSDI's error shape with Retry-After."""

from __future__ import annotations

import datetime

import time_machine
from django.core.cache import caches
from django.test import override_settings

from tests.api.test_osdi import HAL, OsdiTestCase
from undersigned.api.services import api_token_create
from undersigned.signatures.models import Signature

# Fifteen seconds into a minute of tomorrow (the statement opened today).
START = datetime.datetime.now(datetime.UTC).replace(second=15, microsecond=0) + datetime.timedelta(
    days=1
)


def body(n: int) -> dict[str, object]:
    return {"person": {"name": f"Signer {n}", "email_addresses": [{"address": f"s{n}@x.org"}]}}


@override_settings(OSDI_RATE_LIMIT_PER_MINUTE=3)
class OsdiRateLimitTests(OsdiTestCase):
    def setUp(self) -> None:
        super().setUp()
        caches["default"].clear()

    def test_it_answers_429_with_retry_after_past_the_limit_per_token(self) -> None:
        with time_machine.travel(START, tick=False):
            for n in range(3):
                self.assertEqual(self.record(body(n)).status_code, 202)
            refused = self.record(body(3))
            self.assertEqual(refused.status_code, 429)
            self.assertEqual(refused["Content-Type"], HAL)
            self.assertEqual(refused["Retry-After"], "45")
            self.assertIn("at most 3 a minute", refused.json()["error"])
            self.assertIn("no-store", refused["Cache-Control"])
            self.assertFalse(Signature.objects.filter(email="s3@x.org").exists())
            # Another organizer's token has its own allowance.
            _token, other_key = api_token_create(statement=self.statement, user=self.owner)
            self.assertEqual(self.record(body(4), key=other_key).status_code, 202)
        with time_machine.travel(START + datetime.timedelta(seconds=46), tick=False):
            self.assertEqual(self.record(body(3)).status_code, 202)
        self.assertEqual(Signature.objects.filter(statement=self.statement).count(), 5)

    def test_reads_and_refused_tokens_do_not_spend_the_allowance(self) -> None:
        with time_machine.travel(START, tick=False):
            for _n in range(5):
                self.get(f"/osdi/v1/petitions/{self.statement.slug}/signatures", key=self.key)
            self.assertEqual(self.record(body(1), key="usk_wrong").status_code, 401)
            for n in range(3):
                self.assertEqual(self.record(body(n)).status_code, 202)
