"""`undersigned demo`'s campaign: the 2018 statement in two languages with sample signers."""

from __future__ import annotations

from django.core.cache import caches
from django.test import TestCase, override_settings

from undersigned.signatures.models import Network, Signature
from undersigned.signatures.selectors import statement_counts
from undersigned.statements.demo import demo_load
from undersigned.statements.models import Statement


class DemoTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.statement = demo_load()

    def setUp(self) -> None:
        caches["local"].clear()

    def test_it_loads_the_statement_in_english_and_korean(self) -> None:
        self.assertEqual(self.statement.slug, "korea-peace-2018")
        self.assertTrue(self.statement.is_public)
        self.assertEqual(set(self.statement.languages), {"en", "ko"})
        for language in ("en", "ko"):
            self.assertEqual(len(self.statement.text(language)["demands"]), 4)
        self.assertEqual(self.statement.demands.count(), 4)
        self.assertGreaterEqual(self.statement.targets.count(), 1)
        self.assertEqual(
            set(Network.objects.values_list("slug", flat=True)),
            {"korea-peace-network", "peace-treaty-now"},
        )

    def test_it_loads_sample_signatories_counted_and_marked(self) -> None:
        signatures = Signature.objects.filter(statement=self.statement)
        self.assertEqual(signatures.filter(kind="organization").count(), 150)
        self.assertEqual(signatures.filter(kind="individual").count(), 300)
        self.assertFalse(signatures.filter(is_sample=False).exists())
        self.assertEqual(
            statement_counts(self.statement),
            {"organizations": 150, "individuals": 300, "total": 450},
        )

    def test_it_is_idempotent(self) -> None:
        demo_load()
        self.assertEqual(Statement.objects.filter(slug="korea-peace-2018").count(), 1)
        self.assertEqual(Signature.objects.filter(statement=self.statement).count(), 450)

    @override_settings(DEMO=True)
    def test_it_serves_the_statement_in_both_languages_marked_as_sample(self) -> None:
        english = self.client.get("/s/korea-peace-2018/")
        self.assertContains(english, self.statement.title("en"))
        self.assertContains(english, "fictional sample data")
        self.assertContains(english, "150 organizations")
        korean = self.client.get("/ko/s/korea-peace-2018/")
        self.assertContains(korean, self.statement.title("ko"))
        self.assertContains(korean, 'lang="ko"')
        listing = self.client.get("/s/korea-peace-2018/signatories/?lang=en")
        self.assertContains(listing, "Sample")
        self.assertContains(listing, "Organizations")
