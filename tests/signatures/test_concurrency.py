"""Races: many identical sign-ons at once, and confirmations racing withdrawals."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test import TransactionTestCase

from tests.base import CONTENT, PERSON
from undersigned.lib.tokens import read_token
from undersigned.signatures.models import Signature, Status, Tally
from undersigned.signatures.services import (
    StaleLink,
    signature_confirm,
    signature_create,
    signature_withdraw,
    statement_recount,
)
from undersigned.statements.services import statement_create, statement_open


def run_at_once(n: int, work: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    """Start n threads at the same instant; collect results and unexpected errors."""
    barrier = threading.Barrier(n)
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def target(i: int) -> None:
        try:
            barrier.wait()
            result = work(i)
            with lock:
                results.append(result)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors


class ConcurrencyTests(TransactionTestCase):
    def setUp(self) -> None:
        self.statement = statement_create(slug="race", content=CONTENT)
        statement_open(statement=self.statement, public=True)

    def test_it_makes_one_row_from_50_identical_concurrent_sign_ons(self) -> None:
        data: Any = {k: v for k, v in PERSON.items()}

        results, errors = run_at_once(
            50, lambda i: signature_create(statement=self.statement, data=data)
        )
        self.assertEqual(errors, [])
        self.assertEqual(len(results), 50)
        self.assertEqual(Signature.objects.filter(statement=self.statement).count(), 1)
        self.assertEqual(sum(1 for r in results if r.created), 1)

    def test_concurrent_confirmations_and_withdrawals_leave_it_consistent(self) -> None:
        from undersigned.lib.tokens import make_token

        created = signature_create(statement=self.statement, data=dict(PERSON))  # type: ignore[arg-type]
        signature = created.signature
        token = make_token("confirm", signature.pk, signature.nonce)
        signature_id, nonce = read_token("confirm", token, 3600)

        def work(i: int) -> str:
            try:
                if i % 2:
                    signature_withdraw(signature_id=signature_id, nonce=nonce)
                    return "withdrawn"
                signature_confirm(signature_id=signature_id, nonce=nonce)
                return "confirmed"
            except StaleLink:
                return "stale"

        results, errors = run_at_once(40, work)
        self.assertEqual(errors, [])
        final = Signature.objects.get(pk=signature_id)
        # Exactly one withdrawal can succeed; after it, every link is stale.
        self.assertEqual(results.count("withdrawn"), 1)
        self.assertEqual(final.status, Status.WITHDRAWN)
        self.assertFalse(final.counted)
        report = statement_recount(statement=self.statement)
        self.assertEqual(report.differences, {})
        self.assertEqual(
            sum(
                Tally.objects.filter(statement=self.statement, dimension="kind").values_list(
                    "value", flat=True
                )
            ),
            0,
        )
