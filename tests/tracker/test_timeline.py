"""The reciprocity ledger as a timeline: a lane per party, a mark per step, its effect told
by shape as well as colour."""

from __future__ import annotations

import re
from typing import ClassVar

from django.test import Client

from tests.base import BaseTestCase
from undersigned.console.charts import EFFECT_MARKS
from undersigned.statements.demo import demo_load
from undersigned.statements.models import Statement
from undersigned.tracker.selectors import ledger


class LedgerTimelineTests(BaseTestCase):
    demo: ClassVar[Statement]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.demo = demo_load(organizations=1, individuals=1)

    def test_it_draws_every_step_in_each_party_lane_with_its_effect(self) -> None:
        rows = ledger()
        page = Client().get("/ledger/").content.decode()
        (svg,) = re.findall(
            r'<svg viewBox="0 0 \d+ \d+" width="100%" role="img".*?</svg>', page, re.S
        )
        self.assertIn('<title id="timeline-title">', svg)
        self.assertIn('<desc id="timeline-desc">', svg)
        self.assertNotIn("style=", svg)
        marks = re.findall(
            r'<path class="mark-(\w+)" transform="[^"]+" d="([^"]+)" fill="([^"]+)"', svg
        )
        expected = sum(len(row.parties) for row in rows.rows)
        self.assertEqual(len(marks), expected)
        # Shape and colour go together, so the effect does not rest on colour alone.
        for effect, shape, fill in marks:
            self.assertEqual((fill, shape), EFFECT_MARKS[effect])
        effects = {effect for effect, _shape, _fill in marks}
        self.assertEqual(effects, {"forward", "back", "context"})
        reversals = [row for row in rows.rows if row.is_reversal]
        self.assertTrue(reversals)
        self.assertTrue(all(row.effect == "back" for row in reversals))
        for year in ("2018", "2019"):
            self.assertIn(f">{year}</text>", svg)
        self.assertIn("step back (reverses or contradicts)", page)

    def test_the_korean_ledger_names_the_lanes_in_korean(self) -> None:
        page = Client().get("/ko/ledger/").content.decode()
        (svg,) = re.findall(
            r'<svg viewBox="0 0 \d+ \d+" width="100%" role="img".*?</svg>', page, re.S
        )
        self.assertIn("미국", svg)
        self.assertNotIn("The steps on a time line", svg)
