"""The statement's share image (Open Graph): a 1200 x 630 PNG with its title in a font that
has every letter of it (Hangul included), its count and who speaks; cached, and named in
the page's meta tags in the page's language."""

from __future__ import annotations

import io
import re
from typing import Any

from django.core.cache import caches
from django.test import Client, override_settings
from PIL import Image, ImageChops, ImageDraw, ImageFont

from tests.base import PERSON, BaseTestCase
from undersigned.signatures.services import signature_confirm, signature_create
from undersigned.statements import share
from undersigned.statements.share import covers, font_candidates, font_for

KOREAN_TITLE = "한국전쟁을 끝내라"
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def glyph(path: str, ch: str) -> Image.Image:
    image = Image.new("L", (80, 80), 0)
    ImageDraw.Draw(image).text((8, 8), ch, font=ImageFont.truetype(path, 48), fill=255)
    return image


class ShareImageTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        caches["default"].clear()

    def png(self, url: str) -> tuple[Any, Image.Image]:
        # A client per image, as a crawler comes: no language remembered from a /ko/ page.
        response = Client().get(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "image/png")
        image = Image.open(io.BytesIO(response.content))
        image.load()  # decodes every pixel: a broken file raises here
        return response, image

    def test_it_is_a_1200_by_630_png_cached_for_five_minutes(self) -> None:
        response, image = self.png("/s/end-the-war/share.png")
        self.assertEqual((image.format, image.size), ("PNG", (1200, 630)))
        self.assertEqual(response["Cache-Control"], "public, max-age=300")
        etag = response["ETag"]
        again = self.client.get("/s/end-the-war/share.png", headers={"If-None-Match": etag})
        self.assertEqual(again.status_code, 304)
        self.assertEqual(again["ETag"], etag)
        self.assertEqual(self.client.get("/s/no-such-thing/share.png").status_code, 404)

    def test_it_is_drawn_again_only_after_the_cache_expires(self) -> None:
        first, _image = self.png("/s/end-the-war/share.png")
        data: Any = {**PERSON}
        created = signature_create(statement=self.statement, data=data)
        signature_confirm(signature_id=created.signature.pk, nonce=created.signature.nonce)
        cached, _image = self.png("/s/end-the-war/share.png")
        self.assertEqual(cached.content, first.content)
        caches["default"].clear()  # as after SHARE_TTL seconds
        fresh, _image = self.png("/s/end-the-war/share.png")
        self.assertNotEqual(fresh.content, first.content)  # "Signed by 1 individual"

    def test_a_korean_title_is_drawn_in_a_font_with_hangul_never_as_boxes(self) -> None:
        fonts = font_candidates("bold")
        if not any(covers(path, KOREAN_TITLE) for path in fonts):
            self.skipTest("no Korean font installed: apt-get install fonts-nanum")
        chosen = font_for(KOREAN_TITLE)
        assert chosen is not None
        self.assertTrue(covers(chosen, KOREAN_TITLE))
        self.assertFalse(covers(DEJAVU, KOREAN_TITLE), "DejaVu should lack Hangul")
        # A missing letter is drawn as the font's empty box (.notdef): the same picture as a
        # private-use code point. Each Hangul letter of the title must look different.
        tofu = glyph(chosen, "\ue000")
        for ch in set(KOREAN_TITLE.replace(" ", "")):
            self.assertIsNotNone(
                ImageChops.difference(glyph(chosen, ch), tofu).getbbox(), f"{ch} is a box"
            )
        # DejaVu, by contrast, draws them all as the same box.
        dejavu_tofu = glyph(DEJAVU, "\ue000")
        self.assertIsNone(ImageChops.difference(glyph(DEJAVU, "한"), dejavu_tofu).getbbox())

        # The Korean page's image differs from the English one, and has ink where the title is.
        _r, korean = self.png("/ko/s/end-the-war/share.png")
        _r, english = self.png("/s/end-the-war/share.png")
        self.assertIsNotNone(ImageChops.difference(korean, english).getbbox())
        title_band = korean.crop((72, 72, 1128, 300)).convert("L")
        self.assertLess(title_band.getextrema()[0], 80, "no dark title pixels")

    def test_letters_no_font_has_are_left_out_not_drawn_as_boxes(self) -> None:
        path = font_for("평화 \U0001f54a")  # a dove: no Korean font has emoji
        assert path is not None
        self.assertEqual(share._drawable(path, "평화 \U0001f54a"), "평화 ")

    @override_settings(COALITION_NAME="Korea Peace Network", BASE_URL="https://sign.example.org")
    def test_the_statement_page_names_it_in_its_meta_tags_in_the_page_language(self) -> None:
        page = self.client.get("/ko/s/end-the-war/").content.decode()
        meta = dict(re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">', page))
        self.assertEqual(meta["og:image"], "https://sign.example.org/ko/s/end-the-war/share.png")
        self.assertEqual(meta["og:title"], KOREAN_TITLE)
        self.assertEqual(meta["og:description"], "시험용 성명.")
        self.assertEqual(meta["og:url"], "https://sign.example.org/ko/s/end-the-war/")
        self.assertEqual(meta["og:locale"], "ko_KR")
        self.assertEqual((meta["og:image:width"], meta["og:image:height"]), ("1200", "630"))
        self.assertEqual(meta["twitter:card"], "summary_large_image")
        self.assertEqual(meta["twitter:image"], meta["og:image"])
        english = Client().get("/s/end-the-war/").content.decode()
        self.assertIn('content="https://sign.example.org/s/end-the-war/share.png"', english)
        self.assertIn('<meta property="og:title" content="End the Korean War">', english)
        self.assertEqual(share.speaker_name(), "Korea Peace Network")
