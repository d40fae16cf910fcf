"""The console in Debian's Chromium: an organizer logs in and moderates with the keyboard
alone, every stop showing where the focus is; axe-core finds no serious violation on any
console page. Screenshots go to test-artifacts/screenshots/, axe results to test-artifacts/axe/."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect, sync_playwright

from tests.browser.base import (
    AXE,
    AXE_RESULTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    LAPTOP,
    BrowserTestCase,
    need_installed,
)
from tests.browser.test_journeys import contrast_with_white
from tests.console.base import org, person
from undersigned.accounts.models import Role, StatementRole
from undersigned.moderation.models import RuleAction, RuleKind
from undersigned.moderation.services import screening_rule_add
from undersigned.signatures.models import Signature, Status
from undersigned.signatures.services import signature_confirm, signature_create

PASSWORD = "a long organizer password"
FAILING = {"serious", "critical"}


@pytest.fixture(autouse=True, scope="class")
def _chromium(request: pytest.FixtureRequest) -> Iterator[None]:
    """Chromium for this module's classes only, as tests/browser/conftest.py starts it there:
    Playwright's loop must not outlive these tests, or Django refuses the next tests' queries."""
    need_installed(CHROMIUM, "Chromium", "run `apt-get install chromium fonts-nanum`")
    with (
        mock.patch.dict(os.environ, {"DJANGO_ALLOW_ASYNC_UNSAFE": "true"}),
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        request.cls.browser = browser
        try:
            yield
        finally:
            browser.close()


class ConsoleBrowserTests(BrowserTestCase):
    def setUp(self) -> None:
        super().setUp()
        user = get_user_model().objects.create_user(
            "owner@coalition.example", "owner@coalition.example", PASSWORD
        )
        StatementRole.objects.create(statement=self.statement, user=user, role=Role.OWNER)
        self.failures: list[str] = []

    def signon(self, fields: dict[str, Any], hold: str = "") -> Signature:
        result = signature_create(
            statement=self.statement,
            data={"display": "full", **fields},  # type: ignore[arg-type]
            ip_hash="ab" * 16,
            suspicion=hold,
        )
        signature, _outcome = signature_confirm(
            signature_id=result.signature.pk, nonce=result.signature.nonce
        )
        return signature

    def log_in(self, **options: Any) -> Page:
        page = self.new_page(**options)
        page.goto("/console/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Organizers: log in")
        page.get_by_label("Email").fill("owner@coalition.example")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("My statements")
        return page

    def test_it_moderates_with_the_keyboard_alone(self) -> None:
        first, second, third = (self.signon(org(n)) for n in (1, 2, 3))
        page = self.log_in(**LAPTOP)
        page.goto(f"/console/s/{self.statement.slug}/moderation/")
        self.shot(page, "queue")

        self.tab_to(page, "input[type=checkbox]", label="Select Peace Group 1")
        page.keyboard.press("Space")
        self.tab_to(page, "input[type=checkbox]", label="Select Peace Group 3")
        page.keyboard.press("Space")
        self.shot(page, "two-ticked")
        self.tab_to(page, "button", text="Approve selected")
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text("2 sign-ons approved.")
        self.shot(page, "approved")
        statuses = dict(Signature.objects.values_list("pk", "status"))
        self.assertEqual(statuses[first.pk], Status.APPROVED)
        self.assertEqual(statuses[second.pk], Status.CONFIRMED)
        self.assertEqual(statuses[third.pk], Status.APPROVED)

        # A row's own button, reached by Tab, decides for that row alone.
        self.tab_to(page, "button", text="Reject Peace Group 2")
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text("1 sign-on rejected.")
        self.assertEqual(Signature.objects.get(pk=second.pk).status, Status.REJECTED)

    def test_it_finds_no_serious_violation_on_the_console_pages(self) -> None:
        need_installed(AXE, "axe-core", "run `make install` (it runs `npm ci` in tests/browser)")
        waiting = self.signon(org(1))
        self.signon(person(2))
        self.signon(person(3), hold="over 5 sign-ons a minute from one address")
        screening_rule_add(
            statement=self.statement,
            kind=RuleKind.EMAIL_ADDRESS,
            action=RuleAction.BLOCK,
            value="bot@spam.example",
            note="A test entry",
            actor=None,
        )
        page = self.log_in(bypass_csp=True, **LAPTOP)  # axe is an inline script
        base = f"/console/s/{self.statement.slug}"
        for name, path in [
            ("console-home", "/console/"),
            ("console-overview", f"{base}/"),
            ("console-text", f"{base}/text/"),
            ("console-settings", f"{base}/settings/"),
            ("console-targets", f"{base}/targets/"),
            ("console-moderation", f"{base}/moderation/"),
            ("console-sign-ons", f"{base}/signatures/"),
            ("console-sign-on", f"{base}/signatures/{waiting.pk}/"),
            ("console-invalidate", f"{base}/invalidate/"),
            ("console-partners", f"{base}/partners/"),
            ("console-team", f"{base}/team/"),
            ("console-audit", f"{base}/audit/"),
            ("console-defenses", f"{base}/defenses/"),
            ("console-traffic", f"{base}/traffic/"),
        ]:
            page.goto(path)
            self.check(page, name)
        self.shot(page, "audit")
        page.goto(f"{base}/")
        self.shot(page, "overview")
        page.goto(f"{base}/invalidate/")
        page.get_by_label("Email domain").fill("mail.example")
        page.get_by_role("button", name="Count matching sign-ons").click()
        expect(page.get_by_role("heading", name="2 sign-ons match")).to_be_visible()
        self.check(page, "console-invalidate-dry-run")
        self.shot(page, "dry-run")
        anonymous = self.new_page(bypass_csp=True, **LAPTOP)
        anonymous.goto("/console/login/")
        self.check(anonymous, "console-login")
        anonymous.goto("/ko/console/password-reset/")
        self.check(anonymous, "console-password-reset-ko")
        if self.failures:
            self.fail("axe-core found:\n" + "\n".join(self.failures))

    # Helpers -------------------------------------------------------------------------
    def check(self, page: Page, name: str) -> None:
        page.add_script_tag(path=AXE)
        results = page.evaluate("axe.run()")
        AXE_RESULTS.mkdir(parents=True, exist_ok=True)
        (AXE_RESULTS / f"{name}.json").write_text(
            json.dumps(
                {"url": page.url, "violations": results["violations"]},
                indent=1,
                ensure_ascii=False,
            )
        )
        for violation in results["violations"]:
            if violation["impact"] in FAILING:
                targets = "; ".join(
                    f"{', '.join(map(str, n['target']))}: {' '.join(n['html'].split())[:100]}"
                    for n in violation["nodes"][:3]
                )
                self.failures.append(
                    f"{name}: {violation['impact']} {violation['id']}: {violation['help']} "
                    f"({targets})"
                )

    def tab_to(
        self, page: Page, selector: str, *, text: str = "", label: str = "", limit: int = 80
    ) -> None:
        """Press Tab until `selector` (with this text, or this label) has the focus, checking
        that every stop on the way shows it."""
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(
                """([sel, text, label]) => {
                    const el = document.activeElement;
                    const labels = Array.from(el.labels || []).map(l => l.textContent).join(" ");
                    return el.matches(sel) && el.textContent.includes(text)
                        && labels.includes(label);
                }""",
                [selector, text, label],
            ):
                self.assert_focus_visible(page)
                return
            self.assert_focus_visible(page)
        self.fail(f"{selector} {text or label!r} not reached in {limit} presses of Tab")

    def assert_focus_visible(self, page: Page) -> None:
        focused = page.evaluate(
            """() => {
                const el = document.activeElement;
                const style = getComputedStyle(el);
                return {
                    tag: el.outerHTML.slice(0, 80),
                    outline: style.outlineStyle,
                    color: style.outlineColor,
                    width: parseFloat(style.outlineWidth),
                };
            }"""
        )
        self.assertNotEqual(focused["outline"], "none", f"no focus outline on {focused['tag']}")
        self.assertGreaterEqual(focused["width"], 2, f"thin focus outline on {focused['tag']}")
        self.assertGreaterEqual(
            contrast_with_white(focused["color"]), 3, f"faint focus outline on {focused['tag']}"
        )
