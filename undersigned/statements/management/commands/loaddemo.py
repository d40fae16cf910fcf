from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from undersigned.statements.demo import demo_load


class Command(BaseCommand):
    help = "Load the demo campaign (the 2018 Korea peace statement with sample signatories)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organizations", type=int, default=150)
        parser.add_argument("--individuals", type=int, default=300)

    def handle(self, *args: Any, organizations: int, individuals: int, **options: Any) -> None:
        statement = demo_load(
            organizations=organizations, individuals=individuals, stream=self.stderr._out
        )
        self.stdout.write(f"Demo statement ready: /s/{statement.slug}/")
