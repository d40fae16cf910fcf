"""undersigned.lib.paths: a kept path is what reverse() gives for the same view, arguments,
language and script prefix, whichever of them was kept first."""

from __future__ import annotations

from django.test import SimpleTestCase
from django.urls import reverse, set_script_prefix
from django.utils import translation

from undersigned.lib.paths import kept_path


class KeptPathTests(SimpleTestCase):
    def tearDown(self) -> None:
        set_script_prefix("/")

    def test_each_language_and_script_prefix_keeps_its_own_path(self) -> None:
        # Alternating, so a path kept for one is never handed to another.
        for prefix in ("/", "/sub/", "/", "/sub/"):
            set_script_prefix(prefix)
            for language in ("en", "ko", "en"):
                with self.subTest(prefix=prefix, language=language):
                    with translation.override(language):
                        expected = reverse("signatures:thanks", kwargs={"slug": "paths"})
                        # The active language, and the one asked for while another is active.
                        self.assertEqual(kept_path("signatures:thanks", slug="paths"), expected)
                    with translation.override("ko" if language == "en" else "en"):
                        self.assertEqual(
                            kept_path("signatures:thanks", language=language, slug="paths"),
                            expected,
                        )
                    self.assertTrue(expected.startswith(prefix))
