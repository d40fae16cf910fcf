"""Statements (and screening settings) kept in the process between requests, unpickled."""

from __future__ import annotations

from tests.base import BaseTestCase
from undersigned.statements.models import Statement
from undersigned.statements.selectors import forget_cached_pages, statement_by_slug


class KeptStatementTests(BaseTestCase):
    def test_it_reads_the_database_once_and_gives_each_caller_its_own_copy(self) -> None:
        forget_cached_pages(self.statement)
        first = statement_by_slug(self.statement.slug)
        with self.assertNumQueries(0):
            second = statement_by_slug(self.statement.slug)
        self.assertIsNot(first, second)
        self.assertEqual(first.pk, second.pk)
        first.slug = "changed-by-one-caller"
        self.assertEqual(statement_by_slug(self.statement.slug).slug, self.statement.slug)

    def test_a_change_made_here_is_seen_at_once(self) -> None:
        statement_by_slug(self.statement.slug)
        Statement.objects.filter(pk=self.statement.pk).update(default_language="ko")
        self.assertEqual(statement_by_slug(self.statement.slug).default_language, "en")
        forget_cached_pages(self.statement)
        self.assertEqual(statement_by_slug(self.statement.slug).default_language, "ko")
