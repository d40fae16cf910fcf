from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from undersigned.statements.models import Statement
from undersigned.tracker.demo import tracker_load_demo

DEMO_SLUG = "korea-peace-2018"


class Command(BaseCommand):
    help = (
        "Load the demo's tracker data (agreements, provisions, actions, demand histories) for "
        "a demo statement loaded before the tracker existed. Loading twice changes nothing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        statement = Statement.objects.filter(slug=DEMO_SLUG).first()
        if statement is None:
            raise CommandError(f"No demo statement {DEMO_SLUG!r}; run `undersigned demo` first.")
        report = tracker_load_demo(statement=statement)
        loaded = ", ".join(f"{n} {name}" for name, n in vars(report).items() if n)
        self.stdout.write(f"Tracker demo data: {loaded or 'already loaded'}")
