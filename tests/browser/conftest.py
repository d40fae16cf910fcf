"""Debian's Chromium, driven by Playwright's sync API, started once for the browser tests.
Without it they skip with a reason on a laptop and fail in CI."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from unittest import mock

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.browser.base import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ROOT, need_installed

STARTED = time.time()


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    need_installed(CHROMIUM, "Chromium", "run `apt-get install chromium fonts-nanum`")
    # Playwright's sync API keeps an asyncio loop running in this thread, and Django refuses
    # database calls from a thread with a running loop. The test thread's calls stay
    # synchronous, so allow them, and only while the browser is up.
    with (
        mock.patch.dict(os.environ, {"DJANGO_ALLOW_ASYNC_UNSAFE": "true"}),
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(autouse=True, scope="class")
def _browser_for_test_class(request: pytest.FixtureRequest, chromium: Browser) -> None:
    if request.cls is not None:
        request.cls.browser = chromium


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Where this run's screenshots, axe-core results and page weights are."""
    fresh = [p for p in ARTIFACTS.rglob("*") if p.is_file() and p.stat().st_mtime >= STARTED]
    if not fresh:
        return
    write = terminalreporter.write_line
    shots = [p for p in fresh if p.suffix == ".png"]
    write(f"browser tests: {len(shots)} screenshots in {ARTIFACTS.relative_to(ROOT)}/screenshots/")
    axe = sorted(p for p in fresh if p.parent.name == "axe")
    if axe:
        impacts: dict[str, int] = {}
        for path in axe:
            for violation in json.loads(path.read_text())["violations"]:
                impacts[violation["impact"]] = impacts.get(violation["impact"], 0) + 1
        found = ", ".join(f"{n} {impact}" for impact, n in sorted(impacts.items())) or "none"
        write(
            f"axe-core on {len(axe)} pages ({', '.join(p.stem for p in axe)}): violations {found}"
        )
    weight = ARTIFACTS / "page-weight.json"
    if weight in fresh:
        pages = json.loads(weight.read_text())
        write(
            "page weight: " + ", ".join(f"{k} {v['bytes'] / 1024:.0f} KB" for k, v in pages.items())
        )
