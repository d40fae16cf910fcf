"""The `undersigned` command: demo, serve, worker, recount, retention, createorganizer,
import-signers, export, backup, restore, manage."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

USAGE_ERROR = 2


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")
    try:
        import django

        django.setup()
        from django.conf import settings

        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    except ValueError as exc:  # ConfigError: a bad environment variable
        sys.exit(f"undersigned: configuration error: {exc}")


def _manage(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args)


def _prepare_database(*, demo: bool) -> None:
    from django.conf import settings

    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    _manage("migrate", "--no-input", "--verbosity", "0")
    _manage("createcachetable")
    if demo:
        from undersigned.statements.demo import demo_load

        statement = demo_load(stream=sys.stderr)
        base = settings.BASE_URL
        print(
            f"Demo statement: {base}/s/{statement.slug}/  (한국어: {base}/ko/s/{statement.slug}/)"
        )
        print(f"Emails the demo sends: {settings.BASE_URL}/outbox/")


# Request threads per server process. One thread runs Python at a time (the GIL), but while
# one commits, the others gather the next batch of sign-ons (undersigned.lib.groupcommit).
THREADS = 8
# How far the email worker lowers its CPU priority (nice), below the web servers'.
WORKER_NICE = 10


def _serve(host: str, port: int, workers: int, threads: int, email_worker: bool) -> int:
    """Run granian (WSGI) and the email worker as child processes until Ctrl-C or SIGTERM."""
    server = [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        "--backlog",
        "2048",
        "--no-ws",
        "--log-level",
        "warning",
        "undersigned.wsgi:application",
    ]
    children = {"server": subprocess.Popen(server)}
    if email_worker:
        children["email worker"] = subprocess.Popen(
            [sys.executable, "-m", "undersigned.cli", "worker"]
        )
    print(f"Serving on http://{host}:{port} with {workers} worker(s); Ctrl-C stops.", flush=True)

    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                print(
                    f"undersigned: the {name} exited ({child.returncode}); stopping.",
                    file=sys.stderr,
                )
                code = child.returncode or 1
                stopping = True
        time.sleep(0.2)
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="undersigned",
        description="Joint statements for coalitions: sign-on, moderation, delivery, tracking.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def server_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
        )
        p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
        p.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="server processes (default: one per core)",
        )
        p.add_argument(
            "--threads",
            type=int,
            default=THREADS,
            help=f"request threads per server process (default {THREADS}): sign-ons that "
            "arrive together are written in one transaction",
        )

    demo = sub.add_parser(
        "demo", help="create the data folder, load the demo campaign and serve it"
    )
    server_options(demo)
    serve = sub.add_parser("serve", help="serve the site (granian) and send email (worker)")
    server_options(serve)
    serve.add_argument(
        "--no-migrate", action="store_true", help="do not apply database migrations first"
    )
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="do not start the email worker (run `undersigned worker` elsewhere)",
    )
    worker = sub.add_parser("worker", help="send queued email until stopped")
    worker.add_argument("--batch", action="store_true", help="send what is queued, then exit")
    recount = sub.add_parser("recount", help="rebuild counters from the sign-ons")
    recount.add_argument("slug", nargs="?")
    retention = sub.add_parser(
        "retention",
        help="delete old unconfirmed sign-ons, anonymize signers of long-closed statements",
    )
    retention.add_argument("--apply", action="store_true", help="do it (default: only show)")
    create = sub.add_parser("createorganizer", help="create an organizer account")
    create.add_argument("email")
    create.add_argument("--superuser", action="store_true")
    create.add_argument("--password-stdin", action="store_true")
    imp = sub.add_parser(
        "import-signers", help="import sign-ons from a form tool's CSV export (Google Forms)"
    )
    imp.add_argument("slug", help="the statement's address")
    imp.add_argument("file", metavar="FILE.csv")
    imp.add_argument(
        "--map",
        action="append",
        metavar="COL=FIELD",
        help="what a column holds (header or number); repeat for several",
    )
    imp.add_argument("--dry-run", action="store_true", help="report every row; write nothing")
    imp.add_argument(
        "--send-confirmation", action="store_true", help="store pending; email a confirm link"
    )
    imp.add_argument("--approve", action="store_true", help="approve the imported sign-ons")
    export = sub.add_parser("export", help="export the signatories (CSV, XLSX, JSON) or the PDF")
    export.add_argument("slug", help="the statement's address")
    export.add_argument("--format", required=True, choices=["csv", "xlsx", "json", "pdf"])
    export.add_argument("--out", metavar="FILE", help="file to write (default: standard output)")
    export.add_argument(
        "--private", action="store_true", help="every sign-on with contacts, for organizers"
    )
    export.add_argument("--status", action="append", help="with --private: only this status")
    export.add_argument("--language", help="language of group names and of the PDF")
    export.add_argument("--snapshot", metavar="N", help="a frozen snapshot, as delivered")
    backup = sub.add_parser("backup", help="back up the whole database to a file")
    backup.add_argument("file", metavar="FILE")
    backup.add_argument(
        "--format", choices=["native", "json"], help="json: portable between SQLite and PostgreSQL"
    )
    backup.add_argument("--force", action="store_true", help="overwrite FILE")
    restore = sub.add_parser("restore", help="restore the database from a backup file")
    restore.add_argument("file", metavar="FILE")
    restore.add_argument("--force", action="store_true", help="replace a database holding data")
    sub.add_parser("manage", help="run any Django management command (`undersigned manage help`)")
    return parser


# Subcommands that are management commands of the same options: the arguments go through as
# typed, so the command line and `manage` parse them the same way.
PASSTHROUGH = {
    "import-signers": "import_signers",
    "export": "export",
    "backup": "backup",
    "restore": "restore",
    "retention": "retention",
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["manage"]:
        # Everything after `manage` is Django's, `--help` included.
        _setup()
        from django.core.management import execute_from_command_line

        execute_from_command_line(["undersigned manage", *argv[1:]])
        return 0
    args = _parser().parse_args(argv)
    if args.command == "demo":
        os.environ["UNDERSIGNED_DEMO"] = "1"
        os.environ.setdefault("BASE_URL", f"http://{args.host}:{args.port}")
    _setup()
    from django.core.management.base import CommandError
    from django.db import DatabaseError

    try:
        if args.command in {"demo", "serve"}:
            if args.command == "demo" or not args.no_migrate:
                _prepare_database(demo=args.command == "demo")
            return _serve(
                args.host,
                args.port,
                args.workers,
                args.threads,
                email_worker=not getattr(args, "no_worker", False),
            )
        if args.command == "worker":
            # Email can wait; a signer waiting for the page cannot. Where the worker shares
            # the cores with the web servers, it gives way to them in a flood and sends the
            # backlog after (docs/deployment.md).
            os.nice(WORKER_NICE)
            _manage("emailworker", *(["--batch"] if args.batch else []))
        elif args.command == "recount":
            _manage("recount", *([args.slug] if args.slug else []))
        elif args.command in PASSTHROUGH:
            _manage(PASSTHROUGH[args.command], *argv[1:])
        elif args.command == "createorganizer":
            _manage(
                "createorganizer",
                args.email,
                *(["--superuser"] if args.superuser else []),
                *(["--password-stdin"] if args.password_stdin else []),
            )
    except CommandError as exc:
        print(f"undersigned: {exc}", file=sys.stderr)
        return 1
    except DatabaseError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(
            f"undersigned: database error: {first_line} "
            "(is the database running, and migrated with `undersigned manage migrate`?)",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
