#!/usr/bin/env python3
"""CPU cost of one confirmation email in the email worker, in process: the demo's sign-ons
sent by `send_signature_emails` in jobs of 100, to the outbox backend (files), on SQLite.
For comparing two versions of the worker's code on a busy machine.

    cd CHECKOUT && UNDERSIGNED_DATA_DIR=/tmp/email-cpu \\
        /path/to/bench/email_cpu.py [--rounds 5]

Runs the code of the folder it is started in (so an older checkout can be measured with
this script), loading the demo into the data folder the first time. Each round marks every
sign-on as owed its confirmation again and sends them all; prints the median CPU ms per
email over the rounds (`time.process_time`, after one round to warm up). Alternate two
checkouts several times and compare the medians round by round: the figures in
bench/RESULTS.md's reading were made that way.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from undersigned.signatures import tasks  # noqa: E402
from undersigned.signatures.models import EmailOwed, Signature  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if "UNDERSIGNED_DATA_DIR" not in os.environ:
        parser.error("set UNDERSIGNED_DATA_DIR to a folder of its own (the demo is loaded there)")
    call_command("migrate", verbosity=0)
    if not Signature.objects.exists():
        from undersigned.statements.demo import demo_load

        demo_load(stream=sys.stderr)
    ids = list(Signature.objects.order_by("pk").values_list("pk", flat=True))

    def one_round() -> float:
        Signature.objects.filter(pk__in=ids).update(email_owed=EmailOwed.CONFIRM)
        start = time.process_time()
        for first in range(0, len(ids), 100):
            tasks.send_signature_emails.func(ids[first : first + 100])
        return (time.process_time() - start) / len(ids) * 1000

    one_round()
    rounds = [one_round() for _ in range(args.rounds)]
    print(
        f"{statistics.median(rounds):.3f} CPU ms per email (median of {args.rounds} rounds, "
        f"{len(ids)} emails each; {min(rounds):.3f}-{max(rounds):.3f})"
    )


if __name__ == "__main__":
    main()
