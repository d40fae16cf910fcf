"""The journeys of issue #10 in Debian's Chromium: an organization on a laptop, an individual
on a phone in Korean, an organizer approving a batch, a browser without JavaScript, and a
keyboard without a mouse. Each step is photographed into test-artifacts/screenshots/."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.base import ORG, PERSON
from tests.browser.base import LAPTOP, PHONE, BrowserTestCase
from undersigned.signatures.models import Signature, Status


def contrast_with_white(css_color: str) -> float:
    """WCAG contrast ratio of an `rgb(r, g, b)` colour against white."""
    channels = [int(c) / 255 for c in re.findall(r"\d+", css_color)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


class JourneyTests(BrowserTestCase):
    def test_it_takes_an_organization_from_the_form_to_the_public_list(self) -> None:
        page = self.new_page(**LAPTOP)
        page.goto(self.statement_url())
        expect(page.get_by_role("heading", level=1)).to_have_text("End the Korean War")
        self.shot(page, "statement")

        form = self.sign_form(page, "organization")
        if not form.is_visible():
            page.get_by_text("Sign for an organization").click()
        self.field(form, "Organization name").fill(ORG["name"])
        self.field(form, "Name in another script").fill(ORG["name_alt"])
        self.field(form, "Type of organization").select_option(ORG["category"])
        self.field(form, "Website").fill(ORG["website"])
        self.field(form, "City").fill(ORG["city"])
        self.field(form, "State or region").fill(ORG["region"])
        self.field(form, "Country").select_option(ORG["country"])
        self.field(form, "Korea Peace Network").check()
        self.field(form, "Contact person").fill(ORG["contact_name"])
        self.field(form, "Contact person's title").fill(ORG["contact_title"])
        self.field(form, "Email").fill(ORG["email"])
        self.field(form, "Phone").fill(ORG["phone"])
        self.shot(page, "form-filled")
        form.get_by_role("button", name="Sign").click()

        self.expect_heading(page, "Check your inbox")
        self.shot(page, "check-your-inbox")

        page.goto(self.emailed_link(ORG["email"]))
        self.expect_heading(page, "Confirm your signature")
        self.shot(page, "confirm")
        page.get_by_role("button", name="Confirm my signature").click()
        self.expect_heading(page, "Thank you, your signature is confirmed")
        expect(page.get_by_text("The organizers check each organization")).to_be_visible()
        self.shot(page, "confirmed-awaits-approval")

        page.goto(f"/s/{self.statement.slug}/signatories/")
        expect(page.get_by_text(ORG["name"])).to_have_count(0)

        admin = self.organizer()
        self.approve_in_admin(
            admin,
            lambda p: p.get_by_role("row", name=ORG["name"]).get_by_role("checkbox").check(),
        )
        expect(admin.get_by_text("1 sign-on approved.")).to_be_visible()
        self.shot(admin, "admin-approved")

        page.goto(f"/s/{self.statement.slug}/signatories/")
        expect(page.locator(".signatories").get_by_text(ORG["name"])).to_be_visible()
        self.shot(page, "listed")
        self.assertEqual(Signature.objects.get().status, Status.APPROVED)

    def test_it_lets_an_individual_sign_in_korean_on_a_phone(self) -> None:
        page = self.new_page(**PHONE)
        page.goto(self.statement_url("ko"))
        expect(page.get_by_role("heading", level=1)).to_have_text("한국전쟁을 끝내라")
        self.assert_no_sideways_scrolling(page)
        self.shot(page, "statement")

        page.get_by_text("개인으로 서명하기").tap()
        form = self.sign_form(page, "individual")
        self.field(form, "이름").fill(PERSON["name_alt"])
        self.field(form, "다른 문자로 쓴 이름").fill(PERSON["name"])
        self.field(form, "도시").fill("서울")
        self.field(form, "국가").select_option("KR")
        self.field(form, "이메일").fill(PERSON["email"])
        self.assert_no_sideways_scrolling(page)
        self.shot(page, "form-filled")
        form.get_by_role("button", name="서명하기").tap()

        self.expect_heading(page, "받은편지함을 확인해 주십시오")
        self.assertTrue(page.url.endswith(f"/ko/s/{self.statement.slug}/thanks/"), page.url)
        self.shot(page, "check-your-inbox")

        link = self.emailed_link(PERSON["email"])
        self.assertTrue(link.startswith("/ko/"), link)
        page.goto(link)
        page.get_by_role("button", name="서명 확인하기").tap()
        self.expect_heading(page, "감사합니다. 서명이 확인되었습니다")
        self.shot(page, "confirmed")

        page.goto(f"/ko/s/{self.statement.slug}/signatories/")
        expect(page.locator(".signatories").get_by_text(PERSON["name_alt"])).to_be_visible()
        self.assert_no_sideways_scrolling(page)
        self.shot(page, "listed")

    def test_it_lets_an_organizer_approve_a_batch_at_once(self) -> None:
        names = ["Bay Area Peace Action", "Pax Christi Chicago", "Veterans For Peace Ch. 69"]
        for n, name in enumerate(names):
            self.confirmed(ORG, name=name, name_alt="", email=f"contact{n}@org{n}.example")

        admin = self.organizer()
        admin.goto("/admin/signatures/signature/?kind__exact=organization&status__exact=confirmed")
        self.shot(admin, "queue")
        self.approve_in_admin(admin, lambda p: p.locator("#action-toggle").check())
        expect(admin.get_by_text("3 sign-ons approved.")).to_be_visible()
        self.shot(admin, "approved")

        page = self.new_page(**LAPTOP)
        page.goto(f"/s/{self.statement.slug}/signatories/")
        for name in names:
            expect(page.locator(".signatories").get_by_text(name)).to_be_visible()
        self.shot(page, "listed")
        self.assertEqual(Signature.objects.filter(status=Status.APPROVED).count(), 3)

    def test_it_signs_and_confirms_without_javascript(self) -> None:
        page = self.new_page(java_script_enabled=False, **LAPTOP)
        page.goto(self.statement_url())
        page.get_by_text("Sign as an individual").click()
        form = self.sign_form(page, "individual")
        self.field(form, "Your name").fill(PERSON["name"])
        self.field(form, "Email").fill(PERSON["email"])
        self.field(form, "Show my name").select_option("initials")
        self.shot(page, "form-filled")
        form.get_by_role("button", name="Sign").click()
        self.expect_heading(page, "Check your inbox")
        self.shot(page, "check-your-inbox")

        page.goto(self.emailed_link(PERSON["email"]))
        page.get_by_role("button", name="Confirm my signature").click()
        self.expect_heading(page, "Thank you, your signature is confirmed")
        self.shot(page, "confirmed")
        self.assertEqual(Signature.objects.get().status, Status.CONFIRMED)

    def test_it_signs_with_the_keyboard_alone_and_shows_where_the_focus_is(self) -> None:
        page = self.new_page(**LAPTOP)
        page.goto(self.statement_url())

        page.keyboard.press("Tab")
        self.assert_focus_visible(page, "a.skip")
        self.shot(page, "skip-link")

        self.tab_to(page, "summary", text="Sign as an individual")
        page.keyboard.press("Enter")  # opens the individual's form
        self.tab_to(page, "#id_ind-name")
        page.keyboard.type(PERSON["name"])
        self.tab_to(page, "#id_ind-affiliation")
        page.keyboard.type(PERSON["affiliation"])
        self.tab_to(page, "#id_ind-country")
        page.keyboard.type("South Korea")  # a closed select picks by typing
        self.tab_to(page, "#id_ind-email")
        page.keyboard.type(PERSON["email"])
        self.shot(page, "form-filled")
        page.keyboard.press("Enter")

        self.expect_heading(page, "Check your inbox")
        self.shot(page, "check-your-inbox")
        signature = Signature.objects.get()
        self.assertEqual(
            (signature.name, signature.affiliation, signature.country, signature.email),
            (PERSON["name"], PERSON["affiliation"], "KR", PERSON["email"]),
        )

    # Helpers -------------------------------------------------------------------------
    def tab_to(self, page: Page, selector: str, *, text: str = "", limit: int = 80) -> None:
        """Press Tab until `selector` has the focus, checking that each stop shows it."""
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(
                "([sel, text]) => document.activeElement.matches(sel)"
                " && document.activeElement.textContent.includes(text)",
                [selector, text],
            ):
                self.assert_focus_visible(page, selector)
                return
            self.assert_focus_visible(page)
        self.fail(f"{selector} {text!r} not reached in {limit} presses of Tab")

    def assert_focus_visible(self, page: Page, selector: str = "*") -> None:
        focused = page.evaluate(
            """sel => {
                const el = document.activeElement;
                const style = getComputedStyle(el);
                return {
                    tag: el.outerHTML.slice(0, 80),
                    matches: el.matches(sel),
                    outline: style.outlineStyle,
                    color: style.outlineColor,
                    width: parseFloat(style.outlineWidth),
                    visible: el.getBoundingClientRect().right > 0,
                };
            }""",
            selector,
        )
        self.assertTrue(focused["matches"], focused)
        self.assertNotEqual(focused["outline"], "none", f"no focus outline on {focused['tag']}")
        self.assertGreaterEqual(focused["width"], 2, f"thin focus outline on {focused['tag']}")
        self.assertTrue(focused["visible"], f"focused element off screen: {focused['tag']}")
        # WCAG 1.4.11: a focus indicator needs 3:1 against the page around it (white).
        self.assertGreaterEqual(
            contrast_with_white(focused["color"]), 3, f"faint focus outline on {focused['tag']}"
        )

    def assert_no_sideways_scrolling(self, page: Page) -> None:
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        self.assertLessEqual(widths[0], widths[1], "the page scrolls sideways on a phone")
