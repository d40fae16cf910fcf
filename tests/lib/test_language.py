"""Which language a shared link opens in, and how a choice is remembered."""

from __future__ import annotations

from tests.base import BaseTestCase


class LanguageChoiceTests(BaseTestCase):
    def url(self) -> str:
        return f"/s/{self.statement.slug}/"

    def test_a_shared_link_opens_in_english_by_default(self) -> None:
        response = self.client.get(self.url())
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "End the Korean War")
        self.assertIn("Accept-Language", response["Vary"])

    def test_a_korean_browser_is_sent_to_the_korean_page(self) -> None:
        response = self.client.get(
            self.url() + "?ref=partner1", HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9,en;q=0.8"
        )
        self.assertRedirects(
            response, f"/ko{self.url()}?ref=partner1", fetch_redirect_response=False
        )
        self.assertContains(self.client.get(response["Location"]), "한국전쟁을 끝내라")

    def test_an_english_choice_on_the_switcher_is_remembered_over_the_browser(self) -> None:
        korean_browser = {"HTTP_ACCEPT_LANGUAGE": "ko"}
        page = self.client.get(self.url() + "?lang=en", **korean_browser)
        self.assertEqual(page.status_code, 200)
        self.assertEqual(page.cookies["undersigned_language"].value, "en")
        again = self.client.get(self.url(), **korean_browser)
        self.assertEqual(again.status_code, 200)
        self.assertContains(again, "End the Korean War")

    def test_visiting_a_korean_page_remembers_korean(self) -> None:
        self.client.get(f"/ko{self.url()}")
        response = self.client.get(self.url())
        self.assertRedirects(response, f"/ko{self.url()}", fetch_redirect_response=False)

    def test_the_switcher_links_to_both_languages(self) -> None:
        page = self.client.get(self.url())
        self.assertContains(page, f'href="{self.url()}?lang=en"')
        self.assertContains(page, f'href="/ko{self.url()}?lang=ko"')

    def test_the_api_is_never_redirected(self) -> None:
        response = self.client.get(
            f"/api/v1/statements/{self.statement.slug}", HTTP_ACCEPT_LANGUAGE="ko"
        )
        self.assertEqual(response.status_code, 200)

    def test_the_api_answers_in_the_language_asked_for(self) -> None:
        url = f"/api/v1/statements/{self.statement.slug}/signatures"
        korean = self.client.post(
            url, "{}", content_type="application/json", HTTP_ACCEPT_LANGUAGE="ko"
        )
        english = self.client.post(url, "{}", content_type="application/json")
        self.assertEqual(korean.status_code, 400)
        self.assertEqual(korean["Content-Language"], "ko")
        self.assertNotEqual(korean.json(), english.json())
        self.assertEqual(english["Content-Language"], "en")
