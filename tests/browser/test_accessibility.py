"""axe-core (from the npm registry) on every public page a signer sees: no serious or critical
violation. Each page's full results go to test-artifacts/axe/<page>.json."""

from __future__ import annotations

import json
from typing import Any

from django.test import override_settings
from playwright.sync_api import Page

from tests.base import PERSON
from tests.browser.base import AXE, AXE_RESULTS, LAPTOP, PHONE, BrowserTestCase, need_installed
from undersigned.lib.tokens import make_token
from undersigned.signatures.services import signature_create
from undersigned.statements.demo import demo_load

FAILING = {"serious", "critical"}


# The demo banner is on every page of a demo install: check it too.
@override_settings(DEMO=True, SIGNATORIES_PAGE_SIZE=25)
class AccessibilityTests(BrowserTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        need_installed(AXE, "axe-core", "run `make install` (it runs `npm ci` in tests/browser)")
        super().setUpClass()

    def setUp(self) -> None:
        super().setUp()
        self.failures: list[str] = []

    def test_it_finds_no_serious_violation_on_the_statement_pages(self) -> None:
        demo = demo_load(organizations=5, individuals=5)
        page = self.axe_page(**LAPTOP)
        page.goto(f"/s/{demo.slug}/")
        self.open_sign_forms(page)
        self.check(page, "statement-en")

        phone = self.axe_page(**PHONE)
        phone.goto(f"/ko/s/{demo.slug}/")
        self.open_sign_forms(phone)
        self.check(phone, "statement-ko-phone")

        # Refused with every error shown next to its field.
        page.goto(f"/s/{demo.slug}/")
        form = self.sign_form(page, "organization")
        form.get_by_role("button").click()
        page.locator(".errorlist").first.wait_for()
        self.open_sign_forms(page)
        self.check(page, "statement-with-errors")

        page.goto("/")
        self.check(page, "index")
        self.assert_clean()

    def test_it_finds_no_serious_violation_on_the_signatory_lists(self) -> None:
        demo = demo_load(organizations=30, individuals=30)
        page = self.axe_page(**LAPTOP)
        page.goto(f"/s/{demo.slug}/signatories/")
        page.locator(".pager").wait_for()
        self.check(page, "list-en")
        phone = self.axe_page(**PHONE)
        phone.goto(f"/ko/s/{demo.slug}/signatories/")
        self.check(phone, "list-ko-phone")
        self.assert_clean()

    def test_it_finds_no_serious_violation_on_the_tracker_pages(self) -> None:
        demo = demo_load(organizations=3, individuals=3)
        page = self.axe_page(**LAPTOP)
        for name, path in (
            ("ledger", "/ledger/"),
            ("agreements", "/agreements/"),
            ("agreement", "/agreements/PMJ/"),
            ("demands", f"/s/{demo.slug}/demands/"),
        ):
            page.goto(path)
            self.check(page, f"tracker-{name}")
        phone = self.axe_page(**PHONE)
        phone.goto("/ko/ledger/")
        self.check(phone, "tracker-ledger-ko-phone")
        self.assert_clean()

    def test_it_finds_no_serious_violation_on_the_sign_on_confirmation_pages(self) -> None:
        slug = self.statement.slug
        signature = signature_create(statement=self.statement, data=dict(PERSON)).signature  # type: ignore[arg-type]
        page = self.axe_page(**LAPTOP)
        page.goto(f"/s/{slug}/thanks/")
        self.check(page, "thanks")

        page.goto(f"/s/{slug}/confirm/{make_token('confirm', signature.pk, signature.nonce)}/")
        self.check(page, "confirm")
        page.get_by_role("button", name="Confirm my signature").click()
        self.expect_heading(page, "Thank you, your signature is confirmed")
        self.check(page, "confirmed")

        page.goto(f"/s/{slug}/withdraw/{make_token('withdraw', signature.pk, signature.nonce)}/")
        self.check(page, "withdraw")
        page.get_by_role("button", name="Withdraw my signature").click()
        self.expect_heading(page, "Your signature is withdrawn")
        self.check(page, "withdrawn")

        page.goto(f"/s/{slug}/confirm/not-a-token/")
        self.check(page, "link-invalid")
        page.goto("/s/no-such-statement/")
        self.check(page, "not-found")
        self.assert_clean()

    def test_it_labels_every_field_and_ties_its_help_and_errors_to_it(self) -> None:
        page = self.axe_page(**LAPTOP)
        page.goto(self.statement_url())
        self.sign_form(page, "organization").get_by_role("button").click()
        page.locator(".errorlist").first.wait_for()
        self.open_sign_forms(page)
        fields = page.evaluate(
            """() => [...document.querySelectorAll(
                    '#sign input:not([type=hidden]), #sign select, #sign textarea')]
                .map(el => ({
                    name: el.name,
                    label: [...el.labels].map(l => l.textContent.trim()).join(' '),
                    describedby: (el.getAttribute('aria-describedby') || '').split(' ')
                        .filter(Boolean)
                        .map(id => [id, !!document.getElementById(id)]),
                }))"""
        )
        self.assertGreaterEqual(len(fields), 20)
        self.assertEqual(
            [f["name"] for f in fields if not f["label"]], [], "fields without a label"
        )
        described = [ref for f in fields for ref in f["describedby"]]
        self.assertIn(["id_org-name_error", True], described)
        self.assertIn(["id_ind-name_alt_helptext", True], described)
        self.assertEqual(
            [ref for ref in described if not ref[1]], [], "aria-describedby to nothing"
        )

    # Helpers -------------------------------------------------------------------------
    def axe_page(self, **options: Any) -> Page:
        # The app's Content-Security-Policy forbids inline scripts, axe's included.
        return self.new_page(bypass_csp=True, **options)

    def open_sign_forms(self, page: Page) -> None:
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")

    def check(self, page: Page, name: str) -> None:
        """Run axe on the page as it is; keep its results; note what is serious or worse."""
        page.add_script_tag(path=AXE)
        results = page.evaluate("axe.run()")
        AXE_RESULTS.mkdir(parents=True, exist_ok=True)
        (AXE_RESULTS / f"{name}.json").write_text(
            json.dumps(
                {
                    "url": page.url,
                    "axe": results["testEngine"]["version"],
                    "violations": results["violations"],
                    "incomplete": [i["id"] for i in results["incomplete"]],
                    "passes": len(results["passes"]),
                },
                indent=1,
                ensure_ascii=False,
            )
        )
        for violation in results["violations"]:
            if violation["impact"] in FAILING:
                nodes = "\n".join(
                    f"      {', '.join(map(str, n['target']))}: {' '.join(n['html'].split())[:120]}"
                    for n in violation["nodes"][:5]
                )
                self.failures.append(
                    f"{name} ({page.url}): {violation['impact']} {violation['id']}: "
                    f"{violation['help']}\n{nodes}"
                )

    def assert_clean(self) -> None:
        if self.failures:
            self.fail("axe-core found:\n" + "\n".join(self.failures))
