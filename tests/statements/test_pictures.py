"""The pictures on the statement page: sign-ons over time, the US state tile map and the
progress bars, drawn as SVG/HTML on the server from cheap reads."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.core.cache import caches
from django.utils import timezone

from tests.base import PERSON, BaseTestCase
from undersigned.console.charts import STATE_TILES, cumulative_chart, shade_of, tile_map
from undersigned.lib.us_states import US_STATES, state_code
from undersigned.signatures.models import Signature
from undersigned.signatures.selectors import counted_by_us_state, counted_per_day
from undersigned.signatures.services import signature_confirm, signature_create


class TileMapTests(BaseTestCase):
    def test_it_places_every_state_and_dc_once(self) -> None:
        self.assertEqual(set(STATE_TILES), set(US_STATES))
        self.assertEqual(len(STATE_TILES), 51)
        self.assertEqual(len(set(STATE_TILES.values())), 51, "two states share a tile")
        drawn = tile_map({"CA": 10, "WA": 1})
        self.assertEqual(len(drawn.tiles), 51)
        by_code = {t.code: t for t in drawn.tiles}
        self.assertEqual((by_code["CA"].count, by_code["CA"].shade), (10, 4))
        self.assertEqual((by_code["TX"].count, by_code["TX"].shade), (0, 0))
        self.assertEqual(shade_of(1, 10), 1)

    def test_it_reads_the_states_signers_type(self) -> None:
        for typed, code in [
            ("WA", "WA"),
            ("wa", "WA"),
            (" California ", "CA"),
            ("new  york", "NY"),
            ("D.C.", "DC"),
            ("Washington, D.C.", "DC"),
            ("Gyeonggi", ""),
            ("", ""),
        ]:
            self.assertEqual(state_code(typed), code, typed)


class StatementPicturesTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        caches["default"].clear()

    def confirmed(self, n: int, **fields: Any) -> Signature:
        data: Any = {**PERSON, "email": f"p{n}@example.org", **fields}
        created = signature_create(statement=self.statement, data=data)
        signature, _ = signature_confirm(
            signature_id=created.signature.pk, nonce=created.signature.nonce
        )
        return signature

    def test_it_counts_signers_by_state_from_the_counters(self) -> None:
        self.confirmed(1, region="WA")
        self.confirmed(2, region="Washington")
        self.confirmed(3, region="california")
        self.confirmed(4, region="Gyeonggi")  # in the US by country, but no state
        self.confirmed(5, region="")
        self.confirmed(6, region="Seoul", country="KR")
        signature_create(statement=self.statement, data={**PERSON, "email": "unconfirmed@x.org"})  # type: ignore[arg-type]
        self.assertEqual(
            counted_by_us_state(self.statement), {"states": {"WA": 2, "CA": 1}, "unplaced": 2}
        )

    def test_it_adds_up_counted_sign_ons_day_by_day(self) -> None:
        today = timezone.localdate()
        old = [self.confirmed(i) for i in range(3)]
        Signature.objects.filter(pk__in=[old[0].pk, old[1].pk]).update(
            confirmed_at=timezone.now() - timedelta(days=3)
        )
        self.confirmed(9)
        self.assertEqual(
            counted_per_day(self.statement), [(today - timedelta(days=3), 2), (today, 2)]
        )
        # The earlier days are cached; today's figure follows the counters at once.
        self.confirmed(10)
        self.assertEqual(
            counted_per_day(self.statement), [(today - timedelta(days=3), 2), (today, 3)]
        )
        chart = cumulative_chart(counted_per_day(self.statement))
        assert chart is not None
        self.assertEqual([p.total for p in chart.points], [2, 5])
        self.assertEqual(chart.top, 5)

    def test_the_statement_page_shows_the_pictures_with_text_alternatives(self) -> None:
        self.confirmed(1, region="WA")
        self.confirmed(2, region="CA")
        self.confirmed(3, region="CA")
        page = self.client.get("/s/end-the-war/").content.decode()
        svgs = re.findall(r"<svg[^>]*>.*?</svg>", page, re.S)
        self.assertEqual(len(svgs), 2)
        for svg in svgs:
            self.assertIn('role="img"', svg)
            self.assertRegex(svg, r"<title id=\"[\w-]+\">[^<]+</title>")
            self.assertRegex(svg, r"<desc id=\"[\w-]+\">[^<]+</desc>")
            self.assertNotIn("style=", svg)  # the CSP forbids style attributes
        self.assertIn("Sign-ons over time", svgs[0])
        self.assertIn("3 counted sign-ons from", svgs[0])
        self.assertIn(">CA</text>", svgs[1])
        self.assertRegex(svgs[1], r">CA</text><text [^>]*>2</text>")
        self.assertIn("California: 2; Washington: 1", svgs[1])
        self.assertIn('<td>California</td><td class="num">2</td>', page)
        # No private field reaches the page through the pictures.
        self.assertNotIn("p1@example.org", page)

    def test_the_pictures_speak_korean_on_the_korean_page(self) -> None:
        self.confirmed(1, region="WA")
        page = self.client.get("/ko/s/end-the-war/").content.decode()
        self.assertIn("기간별 서명 추이", page)
        self.assertIn("워싱턴", page)
        month_day = timezone.localdate()
        self.assertIn(f"{month_day.month}월 {month_day.day}일", page)

    def test_the_goals_are_progress_bars_with_their_values(self) -> None:
        for i in range(3):
            self.confirmed(i)
        page = self.client.get("/s/end-the-war/").content.decode()
        self.assertIn('<progress max="1000" value="3" aria-labelledby="meter-individual">', page)
        self.assertIn('id="meter-individual"><strong>3 individuals</strong>', page)
        self.assertIn("goal: 1000 (0% reached)", page)

    def test_a_statement_no_one_has_signed_has_no_pictures(self) -> None:
        page = self.client.get("/s/end-the-war/").content.decode()
        self.assertNotIn("<svg", page)
