"""The benchmark's database helper: seeds rows fast and answers questions between runs.

bench/run.py starts it once per phase, with the same environment as the server it measures
(UNDERSIGNED_DATA_DIR, DATABASE_URL, REDIS_URL), and talks to it in JSON lines: one command
on stdin, one answer on stdout. It never runs while a measurement is under way.

Rows are written with bulk inserts (executemany on SQLite, COPY on PostgreSQL), not through
HTTP or the services, but every derived column comes from the app's own `_derive`, so the
rows look exactly like sign-ons the app stored itself; counters are then rebuilt with the
app's own `statement_recount`.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from undersigned.lib.emails import email_key  # noqa: E402
from undersigned.lib.tokens import make_token  # noqa: E402
from undersigned.signatures import samples  # noqa: E402
from undersigned.signatures.models import EmailOwed, Signature, Source, Status  # noqa: E402
from undersigned.signatures.services import _derive, statement_recount  # noqa: E402
from undersigned.statements.models import Statement  # noqa: E402
from undersigned.statements.services import statement_create, statement_open  # noqa: E402

CONTENT = json.loads(
    (
        Path(__import__("undersigned").__file__).parent
        / "statements"
        / "data"
        / "korea-peace-2018.json"
    ).read_text()
)
TABLE = Signature._meta.db_table
FIELDS = [f for f in Signature._meta.concrete_fields if not f.primary_key]
COLUMNS = [f.column for f in FIELDS]
EMAIL, EMAIL_KEY, NONCE = (COLUMNS.index(c) for c in ("email", "email_key", "nonce"))
BATCH = 20_000


def log(message: str) -> None:
    print(f"seed: {message}", file=sys.stderr, flush=True)


# Commands --------------------------------------------------------------------------------
def cmd_migrate() -> dict[str, Any]:
    call_command("migrate", "--no-input", verbosity=0)
    call_command("createcachetable", verbosity=0)
    return {"vendor": connection.vendor}


def cmd_statement(slug: str) -> dict[str, Any]:
    """A released statement with the demo text, individuals counted once confirmed."""
    existing = Statement.objects.filter(slug=slug).first()
    if existing is None:
        existing = statement_create(
            slug=slug,
            content=CONTENT["content"],
            default_language=CONTENT["default_language"],
            targets=CONTENT["targets"],
            goal_organizations=CONTENT.get("goal_organizations"),
            goal_individuals=CONTENT.get("goal_individuals"),
        )
        statement_open(statement=existing, public=True)
    return {"id": existing.pk}


def _templates(statement: Statement, status: str) -> list[list[Any]]:
    """Database-ready rows for a pool of realistic sample records, derived by the app.

    Organizations are stored approved, individuals `status` (confirmed or pending); each
    generated row takes one of these and gets its own email, email key and nonce."""
    version = statement.current_version
    assert version is not None
    records = samples.sample_individuals(count=1800) + samples.sample_organizations(count=200)
    now = timezone.now()
    rows = []
    for i, record in enumerate(records):
        record = dict(record)
        record.pop("networks", None)
        is_org = record["kind"] == "organization"
        if status == Status.PENDING and is_org:
            continue
        signature = Signature(
            statement=statement,
            version=version,
            version_hash=version.content_hash,
            status=(Status.APPROVED if is_org and status != Status.PENDING else status),
            source=Source.IMPORT,
            email_owed=EmailOwed.NONE,
            confirmed_at=None if status == Status.PENDING else now,
            decided_at=now if is_org and status != Status.PENDING else None,
            **record,
        )
        signature.created_at = now
        signature.nonce = f"seed{i}"
        _derive(signature, statement)
        rows.append([f.get_db_prep_save(getattr(signature, f.attname), connection) for f in FIELDS])
    # Interleave so every stretch of ids has both kinds in their real proportion.
    random.Random(1).shuffle(rows)
    return rows


def _insert(rows: list[tuple[Any, ...]]) -> None:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                sql = f"COPY {TABLE} ({', '.join(COLUMNS)}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:  # type: ignore[attr-defined]
                    for row in rows:
                        copy.write_row(row)
        else:
            connection.ensure_connection()
            marks = ", ".join("?" for _ in COLUMNS)
            # Table and column names come from the model, not from input.
            sql = f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({marks})"  # noqa: S608
            connection.connection.executemany(sql, rows)


def cmd_add(
    slug: str, count: int, status: str = Status.CONFIRMED, tokens_file: str = ""
) -> dict[str, Any]:
    """Add `count` sign-ons to a statement by bulk insert; pending ones get confirm tokens."""
    statement = Statement.objects.select_related("current_version").get(slug=slug)
    templates = _templates(statement, status)
    first_id = (
        Signature.objects.filter(statement=statement).order_by("-id").values_list("id", flat=True)
    ).first() or 0
    start = Signature.objects.filter(statement=statement).count()
    started = time.monotonic()
    done = 0
    while done < count:
        n = min(BATCH, count - done)
        rows = []
        for i in range(start + done, start + done + n):
            row = list(templates[i % len(templates)])
            address = f"seed-{slug}-{i}@bench.example.org"
            row[EMAIL], row[EMAIL_KEY], row[NONCE] = address, email_key(address), f"s{i}"
            rows.append(tuple(row))
        _insert(rows)
        done += n
        if done % 200_000 == 0 or done == count:
            log(f"{slug}: {done:,}/{count:,} rows")
    seconds = time.monotonic() - started
    tokens = 0
    if tokens_file:
        with open(tokens_file, "w") as out:
            for pk, nonce in (
                Signature.objects.filter(
                    statement=statement, status=Status.PENDING, id__gt=first_id
                )
                .order_by("id")
                .values_list("id", "nonce")
                .iterator(chunk_size=10_000)
            ):
                out.write(make_token("confirm", pk, nonce) + "\n")
                tokens += 1
    if status != Status.PENDING:
        statement_recount(statement=statement)
    if connection.vendor == "postgresql":
        # What autovacuum does on a real site within a minute of a load like this (PostgreSQL
        # 13+ vacuums insert-only tables too): statistics, and the visibility map index-only scans
        # need to skip reading rows. A bulk load is otherwise measured in a state a running
        # site is not in (and autovacuum is off on the PostgreSQL of this benchmark machine).
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {TABLE}")
    return {
        "added": count,
        "seconds": round(seconds, 1),
        "tokens": tokens,
        "stored": Signature.objects.filter(statement=statement).count(),
    }


def cmd_count(slug: str, prefix: str = "", status: str = "") -> dict[str, Any]:
    """Sign-ons of a statement (by email prefix, by status), and how many of them the app's
    screening held for review: a benchmark should measure the normal path, not the held one."""
    rows = Signature.objects.filter(statement__slug=slug)
    if prefix:
        rows = rows.filter(email__startswith=prefix)
    if status:
        rows = rows.filter(status=status)
    held = rows.exclude(hold_reason="").count() if hasattr(Signature, "hold_reason") else 0
    return {"count": rows.count(), "held": held}


def cmd_max_id(slug: str) -> dict[str, Any]:
    last = (
        Signature.objects.filter(statement__slug=slug).order_by("-id").values_list("id", flat=True)
    ).first()
    return {"max_id": last or 0}


def cmd_trim(slug: str, above_id: int, purge_jobs: bool = False) -> dict[str, Any]:
    """Delete the sign-ons a growth run added, so the next run starts at the same size, and
    (purge_jobs) the email jobs still queued for them, which could only answer "nothing
    owed" but would keep the email worker busy into the next run."""
    added = Signature.objects.filter(statement__slug=slug, id__gt=above_id)
    with transaction.atomic():
        deleted = added._raw_delete(connection.alias)  # type: ignore[attr-defined]
    purged = 0
    if purge_jobs:
        if settings.REDIS_URL:
            import redis

            client = redis.Redis.from_url(settings.REDIS_URL)
            purged = int(client.llen("rq:queue:default"))  # type: ignore[arg-type]
            client.delete("rq:queue:default")
        else:
            from django_tasks_db.models import DBTaskResult

            purged, _ = DBTaskResult.objects.filter(status="READY").delete()
    return {"deleted": deleted, "purged_jobs": purged}


def cmd_backlog() -> dict[str, Any]:
    """Emails still owed to signers, and jobs still waiting in the queue."""
    owed = Signature.objects.exclude(email_owed="").count()
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        queued = int(client.llen("rq:queue:default"))  # type: ignore[arg-type]
    else:
        from django_tasks_db.models import DBTaskResult

        queued = DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).count()
    return {"owed": owed, "queued": queued}


def cmd_stats() -> dict[str, Any]:
    rows = Signature.objects.count()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            size = cursor.fetchone()[0]
        else:
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute("PRAGMA page_size")
            size = pages * cursor.fetchone()[0]
    return {"rows": rows, "db_bytes": int(size)}


def cmd_durability() -> dict[str, Any]:
    """How a commit is made durable, as the app's own connection sees it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW synchronous_commit")
            sync = cursor.fetchone()[0]
            cursor.execute("SHOW fsync")
            text = f"PostgreSQL synchronous_commit={sync}, fsync={cursor.fetchone()[0]}"
        else:
            cursor.execute("PRAGMA journal_mode")
            journal = cursor.fetchone()[0]
            cursor.execute("PRAGMA synchronous")
            level = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[cursor.fetchone()[0]]
            text = f"SQLite journal_mode={journal}, synchronous={level}"
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        aof = client.config_get("appendonly").get("appendonly", "?")
        text += f"; Redis appendonly={aof}"
    return {"text": text}


COMMANDS = {
    "durability": cmd_durability,
    "migrate": cmd_migrate,
    "statement": cmd_statement,
    "add": cmd_add,
    "count": cmd_count,
    "max_id": cmd_max_id,
    "trim": cmd_trim,
    "backlog": cmd_backlog,
    "stats": cmd_stats,
}


def main() -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            result = {"ok": True, **COMMANDS[request.pop("cmd")](**request)}
        except Exception as exc:  # reported to run.py, which stops the benchmark
            result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
