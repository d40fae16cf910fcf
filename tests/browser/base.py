"""The browser tests' base class: the app served over real HTTP (Django's live server, static
files through WhiteNoise as in production), a real SMTP server and the email worker's own code
(tests/base.py), and Debian's Chromium driven by Playwright (started in conftest.py)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest
from django.contrib.auth import get_user_model
from django.test import LiveServerTestCase, override_settings
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.base import CONTENT, MailTestMixin
from undersigned.signatures.models import Network, Signature
from undersigned.signatures.services import signature_confirm, signature_create
from undersigned.statements.models import Statement
from undersigned.statements.services import statement_create, statement_open

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
AXE_RESULTS = ARTIFACTS / "axe"

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking flags Chromium keeps calling Google's hosts, which a
# closed network refuses; the sandbox cannot start as root (CI runs as root).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# axe-core from the npm registry: make install runs `npm ci` in this folder.
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"

LAPTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}, "locale": "en-US"}
# A common phone size; Chromium's own user agent, with touch and the mobile viewport rules.
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "ko-KR",
}

ORGANIZER_PASSWORD = "organizer-password"


def need_installed(path: Path, what: str, how: str) -> None:
    """Skip with a reason on a laptop, fail in CI (tests/conftest.py's need_service rule)."""
    if path.exists():
        return
    message = f"{what} is not installed ({path} is missing)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}, and CI must run every test", pytrace=False)
    pytest.skip(f"{message}; {how} to run this test")


def _whitenoise_serves_static(application: Any) -> Any:
    return application


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class BrowserTestCase(MailTestMixin, LiveServerTestCase):
    """Each test gets a released statement and fresh browser contexts; every page a test
    photographs with `shot` is saved under test-artifacts/screenshots/<test name>/."""

    host = "127.0.0.1"
    # The live server's own static handler would answer /static/ before the app; let the
    # app's WhiteNoise middleware do it, so the browser sees production's headers and bytes.
    static_handler = staticmethod(_whitenoise_serves_static)
    browser: ClassVar[Browser]  # set by the `chromium` fixture in conftest.py
    statement: Statement

    def setUp(self) -> None:
        super().setUp()
        self.statement = statement_create(
            slug="end-the-war",
            content=CONTENT,
            targets=[{"name": "President of the United States"}],
            goal_organizations=100,
            goal_individuals=1000,
        )
        statement_open(statement=self.statement, public=True)
        Network.objects.create(name="Korea Peace Network", name_alt="코리아피스네트워크")
        self._shots = 0
        self._shot_dir = SCREENSHOTS / re.sub(r"^test_it_", "", self._testMethodName)
        if self._shot_dir.exists():
            for old in self._shot_dir.glob("*.png"):
                old.unlink(missing_ok=True)

    # Browser -------------------------------------------------------------------------
    def new_context(self, **options: Any) -> BrowserContext:
        context = self.browser.new_context(base_url=self.live_server_url, **options)
        context.set_default_timeout(10_000)
        self.addCleanup(context.close)
        return context

    def new_page(self, **options: Any) -> Page:
        return self.new_context(**options).new_page()

    def shot(self, page: Page, step: str) -> None:
        self._shot_dir.mkdir(parents=True, exist_ok=True)
        self._shots += 1
        page.screenshot(path=self._shot_dir / f"{self._shots:02d}-{step}.png", full_page=True)

    def statement_url(self, language: str = "en") -> str:
        return ("" if language == "en" else f"/{language}") + f"/s/{self.statement.slug}/"

    def sign_form(self, page: Page, kind: str) -> Locator:
        prefix = "org" if kind == "organization" else "ind"
        return page.locator("form", has=page.locator(f"input[name='{prefix}-kind']"))

    def field(self, scope: Page | Locator, name: str) -> Locator:
        """A form control found by its accessible name (its label, without the required star),
        as assistive technology finds it."""
        roles = ("textbox", "combobox", "checkbox")
        found = scope.get_by_role(roles[0], name=name, exact=True)
        for role in roles[1:]:
            found = found.or_(scope.get_by_role(role, name=name, exact=True))  # type: ignore[arg-type]
        return found

    def expect_heading(self, page: Page, text: str | re.Pattern[str]) -> None:
        expect(page.get_by_role("heading", level=1)).to_have_text(text)

    # The email worker and the inbox --------------------------------------------------
    def emailed_link(self, address: str, purpose: str = "confirm") -> str:
        """Run the worker, then the path of the link in the one email sent to `address`."""
        self.assertGreaterEqual(self.run_worker(), 1)
        (message,) = self.mail_to(address)
        return self.link(message, purpose)

    # Data made without the browser ---------------------------------------------------
    def confirmed(self, fields: dict[str, Any], **changes: Any) -> Signature:
        data: Any = {**fields, **changes}
        result = signature_create(statement=self.statement, data=data)
        signature, _outcome = signature_confirm(
            signature_id=result.signature.pk, nonce=result.signature.nonce
        )
        return signature

    def organizer(self) -> Page:
        """A staff superuser signed in to the Django admin, where organizations are approved
        until the organizer console exists."""
        get_user_model().objects.create_superuser(
            "organizer@coalition.example", "organizer@coalition.example", ORGANIZER_PASSWORD
        )
        page = self.new_page(**LAPTOP)
        page.goto("/admin/")
        page.get_by_label("Username").fill("organizer@coalition.example")
        page.get_by_label("Password").fill(ORGANIZER_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
        return page

    def approve_in_admin(self, page: Page, select: Callable[[Page], None]) -> None:
        page.goto("/admin/signatures/signature/?kind__exact=organization&status__exact=confirmed")
        select(page)
        page.get_by_label("Action:").select_option(label="Approve selected sign-ons")
        page.get_by_role("button", name="Go").click()
