"""Debian's Chromium for the embed's browser test, started for its test class only (so the
environment the browser needs does not outlive it), as tests/browser/conftest.py does."""

from __future__ import annotations

import os
from collections.abc import Iterator
from unittest import mock

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.browser.base import CHROMIUM, CHROMIUM_ARGS, need_installed


@pytest.fixture(scope="class")
def class_chromium(request: pytest.FixtureRequest) -> Iterator[Browser]:
    need_installed(CHROMIUM, "Chromium", "run `apt-get install chromium fonts-nanum`")
    # See tests/browser/conftest.py: Playwright's loop and Django's async-safety check.
    with (
        mock.patch.dict(os.environ, {"DJANGO_ALLOW_ASYNC_UNSAFE": "true"}),
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        request.cls.browser = browser
        try:
            yield browser
        finally:
            browser.close()
