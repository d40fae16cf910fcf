"""Gathering items from many threads into few calls (undersigned.lib.gather)."""

from __future__ import annotations

import threading
import time

from django.test import SimpleTestCase

from tests.lib.test_groupcommit import wait_for
from undersigned.lib.gather import Gather


class Calls:
    def __init__(self, fail_first: bool = False) -> None:
        self.calls: list[list[int]] = []
        self.fail_first = fail_first

    def __call__(self, items: list[int]) -> None:
        self.calls.append(list(items))
        if self.fail_first and len(self.calls) == 1:
            raise ConnectionError("the queue is away")


class GatherTests(SimpleTestCase):
    def test_items_from_many_threads_within_the_window_go_in_one_call(self) -> None:
        calls = Calls()
        gather: Gather[int] = Gather(calls, window=0.3, most=100)
        threads = [threading.Thread(target=gather.add, args=([i, i + 100],)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(5)
        self.assertEqual(calls.calls, [], "nothing is passed on before the window ends")
        wait_for(lambda: calls.calls)
        time.sleep(0.1)
        self.assertEqual(len(calls.calls), 1)
        self.assertEqual(sorted(calls.calls[0]), sorted([*range(20), *range(100, 120)]))

    def test_a_lone_item_is_passed_on_after_the_window_and_the_next_starts_another(self) -> None:
        calls = Calls()
        gather: Gather[int] = Gather(calls, window=0.02)
        gather.add([1])
        wait_for(lambda: calls.calls == [[1]])
        gather.add([2])
        wait_for(lambda: calls.calls == [[1], [2]])

    def test_at_most_most_items_a_call(self) -> None:
        calls = Calls()
        gather: Gather[int] = Gather(calls, window=10, most=4)
        gather.add(range(10))
        gather.flush()
        self.assertEqual(calls.calls, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])

    def test_flush_passes_on_at_once_and_leaves_nothing_for_the_window(self) -> None:
        calls = Calls()
        gather: Gather[int] = Gather(calls, window=0.2)
        gather.add([5, 6])
        gather.flush()
        self.assertEqual(calls.calls, [[5, 6]])
        time.sleep(0.3)
        self.assertEqual(calls.calls, [[5, 6]])

    def test_a_failed_call_is_logged_and_later_items_still_go(self) -> None:
        calls = Calls(fail_first=True)
        gather: Gather[int] = Gather(calls, window=10)
        gather.add([1])
        with self.assertLogs("undersigned.lib.gather", "ERROR"):
            gather.flush()
        gather.add([2])
        gather.flush()
        self.assertEqual(calls.calls, [[1], [2]])
