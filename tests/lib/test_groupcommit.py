"""The group commit on its own: who writes what, when each caller returns, errors."""

from __future__ import annotations

import threading
import time

from django.test import SimpleTestCase

from undersigned.lib.groupcommit import GroupCommit, Slot


class Recorder:
    """A write function that records its batches; the first can be held until released."""

    def __init__(self, hold_first: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.written: set[int] = set()
        self.release = threading.Event()
        if not hold_first:
            self.release.set()
        self.fail_items: set[int] = set()
        self.fail_batch_with: int | None = None

    def __call__(self, slots: list[Slot[int]]) -> None:
        items = [slot.item for slot in slots]
        if not self.batches:
            self.release.wait(10)
        self.batches.append(items)
        if self.fail_batch_with in items:
            raise RuntimeError("the database went away")
        for slot in slots:
            if slot.item in self.fail_items:
                slot.error = ValueError(f"item {slot.item} refused")
            else:
                self.written.add(slot.item)


def submit_all(group: GroupCommit[int], items: list[int]) -> dict[int, object]:
    """Submit each item from its own thread; what each call returned or raised."""
    outcome: dict[int, object] = {}
    lock = threading.Lock()

    def run(item: int) -> None:
        try:
            group.submit(item)
            result: object = "ok"
        except Exception as exc:
            result = exc
        with lock:
            outcome[item] = result

    threads = [threading.Thread(target=run, args=(i,)) for i in items]
    for t in threads:
        t.start()
        time.sleep(0.001)
    for t in threads:
        t.join(10)
    return outcome


def wait_for(predicate, seconds: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.001)


def behind_a_held_write(
    group: GroupCommit[int], write: Recorder, items: list[int]
) -> dict[int, object]:
    """Item 0 starts a write that is held; `items` queue behind it, each from its own
    thread; then the write goes on. What each of `items` returned or raised."""
    first = threading.Thread(target=group.submit, args=(0,))
    first.start()
    wait_for(lambda: group._busy)
    outcome: dict[int, object] = {}
    others = threading.Thread(target=lambda: outcome.update(submit_all(group, items)))
    others.start()
    wait_for(lambda: len(group._waiting) == len(items))
    write.release.set()
    first.join(10)
    others.join(10)
    return outcome


class GroupCommitTests(SimpleTestCase):
    def test_a_lone_item_is_written_at_once_in_a_batch_of_its_own(self) -> None:
        write = Recorder()
        group = GroupCommit(write)
        group.submit(7)
        self.assertEqual(write.batches, [[7]])
        group.submit(8)
        self.assertEqual(write.batches, [[7], [8]])

    def test_items_arriving_during_a_write_share_the_next_one(self) -> None:
        write = Recorder(hold_first=True)
        group = GroupCommit(write)
        behind_a_held_write(group, write, list(range(1, 11)))
        self.assertEqual(write.batches, [[0], list(range(1, 11))])
        self.assertEqual(write.written, set(range(11)))

    def test_a_batch_holds_at_most_max_batch_items(self) -> None:
        write = Recorder(hold_first=True)
        group = GroupCommit(write, max_batch=4)
        behind_a_held_write(group, write, list(range(1, 11)))
        self.assertEqual([len(b) for b in write.batches], [1, 4, 4, 2])
        self.assertEqual(sorted(i for b in write.batches for i in b), list(range(11)))

    def test_each_caller_returns_only_once_its_item_is_written(self) -> None:
        write = Recorder()
        group = GroupCommit(write)
        returned_unwritten: list[int] = []

        def run(item: int) -> None:
            group.submit(item)
            if item not in write.written:
                returned_unwritten.append(item)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        self.assertEqual(returned_unwritten, [])
        self.assertEqual(write.written, set(range(50)))

    def test_an_item_refused_fails_only_its_own_caller(self) -> None:
        write = Recorder(hold_first=True)
        write.fail_items = {3}
        group = GroupCommit(write)
        outcome = behind_a_held_write(group, write, [1, 2, 3, 4])
        self.assertEqual(write.batches, [[0], [1, 2, 3, 4]])
        self.assertIsInstance(outcome.pop(3), ValueError)
        self.assertEqual(outcome, {1: "ok", 2: "ok", 4: "ok"})

    def test_a_failed_write_fails_its_whole_batch_and_the_next_goes_on(self) -> None:
        write = Recorder(hold_first=True)
        write.fail_batch_with = 1
        group = GroupCommit(write, max_batch=2)
        outcome = behind_a_held_write(group, write, [1, 2, 3])
        self.assertEqual(write.batches, [[0], [1, 2], [3]])
        for item in (1, 2):
            self.assertIsInstance(outcome[item], RuntimeError)
            # Each caller raises its own copy, chained to the leader's original.
            self.assertIsInstance(outcome[item].__cause__, RuntimeError)  # type: ignore[union-attr]
        self.assertIsNot(outcome[1], outcome[2])
        self.assertEqual(outcome[3], "ok")
        self.assertEqual(write.written, {0, 3})
        # Nobody is left leading: the next item is written at once.
        group.submit(9)
        self.assertEqual(write.batches[-1], [9])
