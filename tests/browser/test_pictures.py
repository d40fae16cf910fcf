"""The pictures of issue #10 in Debian's Chromium: sign-ons over time, the US state tile
map, the goal bars, the ledger's timeline, the share image, and the pages on paper (print
media). Each picture is saved under test-artifacts/screenshots/<test>/, the printed pages
as PDFs under test-artifacts/print/."""

from __future__ import annotations

import io

from PIL import Image
from playwright.sync_api import Locator, Page, expect

from tests.browser.base import ARTIFACTS, LAPTOP, PHONE, BrowserTestCase
from undersigned.statements.demo import demo_load

PRINTS = ARTIFACTS / "print"


class PictureTests(BrowserTestCase):
    def picture(self, locator: Locator, step: str) -> None:
        """A screenshot of one element, next to the test's full-page shots."""
        self._shot_dir.mkdir(parents=True, exist_ok=True)
        self._shots += 1
        locator.scroll_into_view_if_needed()
        locator.screenshot(path=self._shot_dir / f"{self._shots:02d}-{step}.png")

    def test_it_draws_the_pictures_on_the_statement_page(self) -> None:
        demo = demo_load(organizations=40, individuals=80)
        page = self.new_page(**LAPTOP)
        page.goto(f"/s/{demo.slug}/")
        over_time = page.get_by_role("img", name="Sign-ons over time")
        expect(over_time).to_be_visible()
        box = over_time.bounding_box()
        assert box is not None
        self.assertGreater(box["width"], 500)
        self.picture(page.locator("figure.chart"), "sign-ons-over-time")

        tile_map = page.get_by_role("img", name="Map of the United States", exact=False)
        expect(tile_map).to_be_visible()
        self.assertEqual(tile_map.locator("rect").count(), 51)
        self.picture(page.locator("figure.tile-map"), "us-state-tile-map")
        # The table behind the map, for those who do not see it.
        page.get_by_text("The same figures as a table").last.click()
        expect(page.get_by_role("cell", name="California", exact=True)).to_be_visible()

        bars = page.get_by_role("progressbar")
        expect(bars).to_have_count(2)
        for i in range(2):
            self.assertRegex(bars.nth(i).get_attribute("aria-labelledby") or "", r"^meter-")
            self.assertRegex(bars.nth(i).evaluate("el => el.max + ':' + el.value"), r"^\d+:\d+$")
        self.picture(page.locator("section.progress"), "goals")

        phone = self.new_page(**PHONE)
        phone.goto(f"/ko/s/{demo.slug}/")
        expect(phone.get_by_role("img", name="기간별 서명 추이")).to_be_visible()
        self.picture(phone.locator("section.pictures"), "pictures-ko-phone")

    def test_it_draws_the_ledger_as_a_timeline(self) -> None:
        demo_load(organizations=1, individuals=1)
        page = self.new_page(**LAPTOP)
        page.goto("/ledger/")
        timeline = page.get_by_role("img", name="The steps on a time line, one row per party")
        expect(timeline).to_be_visible()
        self.assertGreater(timeline.locator("path.mark-back").count(), 3)
        self.assertGreater(timeline.locator("path.mark-forward").count(), 3)
        self.picture(page.locator("figure.timeline"), "ledger-timeline")
        phone = self.new_page(**PHONE)
        phone.goto("/ko/ledger/")
        self.picture(phone.locator("figure.timeline"), "ledger-timeline-ko-phone")

    def test_it_serves_the_share_image_the_page_names(self) -> None:
        demo = demo_load(organizations=10, individuals=10)
        for language, prefix in (("en", ""), ("ko", "/ko")):
            page = self.new_page(**LAPTOP)
            page.goto(f"{prefix}/s/{demo.slug}/")
            image_url = page.locator('meta[property="og:image"]').get_attribute("content")
            self.assertEqual(
                page.locator('meta[name="twitter:card"]').get_attribute("content"),
                "summary_large_image",
            )
            assert image_url is not None
            path = image_url.split("://", 1)[1].split("/", 1)[1]
            self.assertEqual(f"/{path}", f"{prefix}/s/{demo.slug}/share.png")
            response = page.request.get(f"/{path}")
            self.assertEqual(response.status, 200)
            self.assertIn("max-age=300", response.headers["cache-control"])
            image = Image.open(io.BytesIO(response.body()))
            self.assertEqual(image.size, (1200, 630))
            self._shot_dir.mkdir(parents=True, exist_ok=True)
            (self._shot_dir / f"share-image-{language}.png").write_bytes(response.body())

    def test_it_prints_the_statement_and_the_list_without_navigation_or_forms(self) -> None:
        demo = demo_load(organizations=40, individuals=20)
        PRINTS.mkdir(parents=True, exist_ok=True)
        page = self.new_page(**LAPTOP)
        page.emulate_media(media="print")
        page.goto(f"/s/{demo.slug}/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        self.assert_hidden(page, "nav.languages", "#sign", "form", "button", "footer.site")
        # Links print their address.
        after = page.evaluate(
            "getComputedStyle(document.querySelector('section.progress a'), '::after').content"
        )
        self.assertIn("signatories", after)
        self.shot(page, "statement-print")
        page.pdf(path=PRINTS / "statement.pdf", format="A4")

        page.goto(f"/s/{demo.slug}/signatories/")
        self.assert_hidden(page, "nav.languages", "form.search", "button")
        lists = page.locator("ul.signatories")
        self.assertEqual(lists.first.evaluate("el => getComputedStyle(el).columnCount"), "2")
        groups = page.locator("section.group")
        self.assertGreater(groups.count(), 1)
        self.assertEqual(groups.nth(1).evaluate("el => getComputedStyle(el).breakBefore"), "page")
        self.shot(page, "list-print")
        page.pdf(path=PRINTS / "signatories.pdf", format="A4")
        self.assertGreater((PRINTS / "signatories.pdf").stat().st_size, 10_000)

        # On screen nothing is hidden.
        screen = self.new_page(**LAPTOP)
        screen.goto(f"/s/{demo.slug}/")
        expect(screen.locator("#sign")).to_be_visible()

    def assert_hidden(self, page: Page, *selectors: str) -> None:
        for selector in selectors:
            found = page.locator(selector)
            self.assertGreater(found.count(), 0, selector)
            for i in range(found.count()):
                expect(found.nth(i)).to_be_hidden()
