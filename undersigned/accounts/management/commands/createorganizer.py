from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from undersigned.accounts.services import organizer_create


class Command(BaseCommand):
    help = "Create an organizer account (a staff user who can sign in to /admin/)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--superuser", action="store_true", help="Give every permission.")
        parser.add_argument(
            "--password-stdin", action="store_true", help="Read the password from standard input."
        )

    def handle(
        self, *args: Any, email: str, superuser: bool, password_stdin: bool, **options: Any
    ) -> None:
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        elif sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        else:
            raise CommandError("No terminal to ask for a password: use --password-stdin.")
        try:
            from django.contrib.auth.password_validation import validate_password

            validate_password(password)
            user = organizer_create(email=email, password=password, superuser=superuser)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"Created organizer {user.email}. Sign in at /admin/.")
