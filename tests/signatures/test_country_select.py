"""The country list is written out directly (CountrySelect); it must say what Django's
template-rendered select would say, in the page's language, with the signer's choice kept."""

from __future__ import annotations

import re

from django import forms
from django.test import SimpleTestCase
from django.utils import translation

from undersigned.signatures.forms import CountrySelect, SignatureForm, _CountryOptions


def options(html: str) -> list[tuple[str, bool, str]]:
    return [
        (value, bool(selected), label.strip())
        for value, selected, label in re.findall(
            r'<option value="([^"]*)"( selected)?>([^<]*)</option>', html
        )
    ]


class CountrySelectTests(SimpleTestCase):
    def test_it_renders_the_options_djangos_select_would(self) -> None:
        for language in ("en", "ko"):
            with translation.override(language):
                attrs = {"id": "id_country", "aria-describedby": "hint"}
                ours = CountrySelect(choices=_CountryOptions()).render("country", "KR", attrs)
                theirs = forms.Select(choices=_CountryOptions()).render("country", "KR", attrs)
                self.assertEqual(options(ours), options(theirs))
                self.assertGreater(len(options(ours)), 240)
                self.assertIn('id="id_country"', ours)
                self.assertIn('aria-describedby="hint"', ours)
                self.assertEqual([o[0] for o in options(ours) if o[1]], ["KR"])
        with translation.override("ko"):
            self.assertIn(">한국<", CountrySelect(choices=_CountryOptions()).render("c", ""))

    def test_a_refused_form_keeps_the_country_the_signer_chose(self) -> None:
        form = SignatureForm(
            {"ind-kind": "individual", "ind-name": "", "ind-country": "US"}, prefix="ind"
        )
        self.assertFalse(form.is_valid())
        html = str(form["country"])
        self.assertEqual([o[0] for o in options(html) if o[1]], ["US"])
        self.assertIn('name="ind-country"', html)
