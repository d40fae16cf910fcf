"""Backup and restore of the whole database, for `undersigned backup FILE` and `restore FILE`.

Formats, chosen by the database and detected again on restore from the file's first bytes:

- SQLite: a copy made with SQLite's online backup API (consistent while the site runs; a
  plain file copy of a WAL database is not). The backup is itself a SQLite database.
- PostgreSQL: `pg_dump --format=custom`, restored with `pg_restore`: exact (types,
  constraints, sequences), compressed, and fast at millions of rows. When `pg_dump` is not
  installed, the portable format below is used instead.
- Portable (`--format json`): every object as Django's serializers write it (dumpdata's
  format), one JSON line each, gzipped. Slower, but it crosses engines: back up the SQLite
  demo, restore on PostgreSQL.

A restore replaces everything and refuses a database that holds data unless forced, then
migrates, so a backup from an older release comes up to date. Primary keys are kept, so the
links already emailed to signers still work, as long as SECRET_KEY stays the same.
"""

from __future__ import annotations

import datetime
import gzip
import itertools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
GZIP_MAGIC = b"\x1f\x8b"
# Rebuilt by `migrate` (or never worth keeping); everything else is in the backup.
JSON_EXCLUDE = ("contenttypes", "auth.permission", "sessions")
OWN_APPS = ("auth", "admin", "django_tasks_db")


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is one line for the terminal."""


class Progress:
    """A bar on a terminal, plain lines otherwise (as undersigned.lib.progress, for work that
    reports its own progress instead of being iterated). Starts at the first update, when
    the total may only then be known."""

    def __init__(self, label: str, total: int = 0, stream: Any = None) -> None:
        self.label, self.total, self.done = label, total, 0
        self.stream = stream or sys.stderr
        self.bar: Any = None
        self.started = False

    def _start(self) -> None:
        self.started = True
        self.total = max(self.total, 1)
        if self.stream.isatty():
            from rich.progress import Progress as Bar

            self.bar = Bar(transient=False)
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=self.total)

    def update(self, done: int, total: int | None = None) -> None:
        if total:
            self.total = total
        if not self.started:
            self._start()
        done = min(done, self.total)
        step = max(1, self.total // 10)
        if self.bar is not None:
            self.bar.update(self.task, total=self.total, completed=done)
        elif done // step != self.done // step or done == self.total:
            self.stream.write(f"{self.label}: {done}/{self.total}\n")
            self.stream.flush()
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=self.total)
            self.bar.stop()


# What is there --------------------------------------------------------------------------------
def file_format(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    if head.startswith(GZIP_MAGIC):
        return "json"
    raise BackupError(f"{path} is not an undersigned backup")


def _models() -> list[Any]:
    return [
        m
        for m in apps.get_models()
        if m._meta.managed
        and not m._meta.proxy
        and (m._meta.app_label in OWN_APPS or m.__module__.startswith("undersigned."))
    ]


def database_has_data() -> bool:
    """True when any table of ours (or a user account) holds a row."""
    tables = set(connection.introspection.table_names())
    return any(m._meta.db_table in tables and m._base_manager.exists() for m in _models())


def database_summary() -> dict[str, int]:
    """Rows per table, for the command's closing line and for comparing two databases."""
    tables = set(connection.introspection.table_names())
    return {m._meta.label: m._base_manager.count() for m in _models() if m._meta.db_table in tables}


def _replace(tmp: Path, dest: Path) -> None:
    os.replace(tmp, dest)


# SQLite ---------------------------------------------------------------------------------------
def _sqlite_callback(bar: Progress) -> Callable[[int, int, int], None]:
    def callback(status: int, remaining: int, total: int) -> None:
        bar.update(total - remaining, total)

    return callback


def sqlite_backup(dest: Path, *, stream: Any = None) -> None:
    connection.ensure_connection()
    source: sqlite3.Connection = connection.connection
    tmp = dest.with_name(f".{dest.name}.part")
    tmp.unlink(missing_ok=True)
    bar = Progress("backup", stream=stream)
    try:
        with closing(sqlite3.connect(tmp)) as target:
            source.backup(target, pages=4096, progress=_sqlite_callback(bar))
        # One self-contained file: no WAL beside it.
        with closing(sqlite3.connect(tmp)) as copy:
            copy.execute("PRAGMA journal_mode=DELETE")
            result = copy.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"the copy failed its integrity check: {result}")
    except (sqlite3.Error, OSError) as exc:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"backup failed: {exc}") from None
    finally:
        bar.close()
    _replace(tmp, dest)


def sqlite_restore(path: Path, *, stream: Any = None) -> None:
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as source:
            found = source.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='django_migrations'"
            ).fetchone()
            if not found:
                raise BackupError(f"{path} is a SQLite database, but not an undersigned one")
            connection.ensure_connection()
            bar = Progress("restore", stream=stream)
            try:
                source.backup(connection.connection, pages=4096, progress=_sqlite_callback(bar))
            finally:
                bar.close()
    except sqlite3.Error as exc:
        raise BackupError(f"restore failed: {exc}") from None
    connection.close()


# PostgreSQL -------------------------------------------------------------------------------------
def _pg_env() -> dict[str, str]:
    """libpq's variables for the configured database, so no password shows in `ps`."""
    db: dict[str, Any] = dict(settings.DATABASES["default"])
    env = dict(os.environ)
    for key, variable in (
        ("NAME", "PGDATABASE"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
    ):
        if db.get(key):
            env[variable] = str(db[key])
    for option in ("sslmode", "sslrootcert", "sslcert", "sslkey"):
        if option in db.get("OPTIONS", {}):
            env[f"PG{option.upper()}"] = str(db["OPTIONS"][option])
    return env


def pg_tool(name: str) -> str | None:
    return shutil.which(name)


def _run_pg(command: list[str], *, marker: str, total: int, label: str, stream: Any) -> None:
    """Run pg_dump or pg_restore --verbose, advancing a bar per table it reports."""
    bar = Progress(label, total, stream)
    errors: list[str] = []
    try:
        process = subprocess.Popen(
            command, env=_pg_env(), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
        )
        assert process.stderr is not None
        done = 0
        for line in process.stderr:
            if marker in line:
                done += 1
                bar.update(done)
            elif "error" in line.lower() or "fatal" in line.lower():
                errors.append(line.strip())
        code = process.wait()
    finally:
        bar.close()
    if code != 0:
        reason = errors[0] if errors else f"exit status {code}"
        raise BackupError(f"{Path(command[0]).name} failed: {reason}")


def postgres_backup(dest: Path, *, stream: Any = None) -> None:
    pg_dump = pg_tool("pg_dump")
    assert pg_dump is not None
    tmp = dest.with_name(f".{dest.name}.part")
    tables = len(connection.introspection.table_names())
    try:
        _run_pg(
            [
                pg_dump,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                "--verbose",
                "--file",
                str(tmp),
            ],
            marker="dumping contents of table",
            total=tables,
            label="backup",
            stream=stream,
        )
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _replace(tmp, dest)


def _drop_tables_not_in(kept: set[str]) -> None:
    """Drop the tables the backup does not hold (a newer release's): the migrations that
    follow the restore would otherwise find them in their way."""
    quote = connection.ops.quote_name
    extra = [t for t in connection.introspection.table_names() if t not in kept]
    if extra:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS " + ", ".join(map(quote, extra)) + " CASCADE")


def postgres_restore(path: Path, *, stream: Any = None) -> None:
    """pg_restore in one transaction, dropping what it replaces first: if anything fails,
    the database is as it was."""
    pg_restore = pg_tool("pg_restore")
    if pg_restore is None:
        raise BackupError("pg_restore is not installed (Debian: apt-get install postgresql-client)")
    listing = subprocess.run(
        [pg_restore, "--list", str(path)], capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        raise BackupError(f"pg_restore cannot read {path}: {listing.stderr.strip()[:200]}")
    # Entries read "<id>; <oid> <oid> TABLE <schema> <name> <owner>" (or "TABLE DATA ...").
    entries = [line.split() for line in listing.stdout.splitlines() if not line.startswith(";")]
    tables = {e[5] for e in entries if len(e) > 5 and e[3] == "TABLE" and e[4] != "DATA"}
    total = sum(1 for e in entries if len(e) > 4 and e[3:5] == ["TABLE", "DATA"])
    _drop_tables_not_in(tables)
    db_name = str(settings.DATABASES["default"]["NAME"])
    _run_pg(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--verbose",
            "--dbname",
            db_name,
            str(path),
        ],
        marker="processing data for table",
        total=total,
        label="restore",
        stream=stream,
    )
    connection.close()


# Portable (JSON lines) --------------------------------------------------------------------------
# The objects as Django's serializers see them (dumpdata's format), one JSON object a line,
# gzipped; written and read a chunk at a time. Not dumpdata itself: its JSON cuts times to
# the millisecond, and a restored list must sort exactly as the original did.
JSON_HEADER = {"format": "undersigned-backup", "version": 1}
JSON_CHUNK = 2000


class _ExactEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, (datetime.datetime, datetime.time)):
            return o.isoformat()  # with its microseconds
        return super().default(o)


def _portable_models() -> list[Any]:
    excluded = {label for label in JSON_EXCLUDE if "." not in label}
    excluded_models = {label for label in JSON_EXCLUDE if "." in label}
    app_list = {
        config: None
        for config in apps.get_app_configs()
        if config.models_module is not None and config.label not in excluded
    }
    return [
        model
        for model in serializers.sort_dependencies(app_list.items(), allow_cycles=True)
        if model._meta.managed
        and not model._meta.proxy
        and model._meta.label_lower not in excluded_models
    ]


def json_backup(dest: Path, *, stream: Any = None) -> None:
    models = _portable_models()
    tables = set(connection.introspection.table_names())
    models = [m for m in models if m._meta.db_table in tables]
    bar = Progress("backup", sum(m._base_manager.count() for m in models), stream)
    tmp = dest.with_name(f".{dest.name}.part")
    encoder = _ExactEncoder(ensure_ascii=False)
    done = 0
    try:
        with gzip.open(tmp, "wt", encoding="utf-8") as out:
            out.write(json.dumps(JSON_HEADER) + "\n")
            for model in models:
                rows = model._base_manager.order_by(model._meta.pk.name).iterator(
                    chunk_size=JSON_CHUNK
                )
                while chunk := list(itertools.islice(rows, JSON_CHUNK)):
                    for item in serializers.serialize(
                        "python", chunk, use_natural_foreign_keys=True
                    ):
                        out.write(encoder.encode(item) + "\n")
                    done += len(chunk)
                    bar.update(done)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        bar.close()
    _replace(tmp, dest)


def _json_objects(path: Path, *, parse: bool = True) -> Iterator[Any]:
    """The objects of a portable backup, after checking its first line says it is one."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        try:
            header = json.loads(next(lines, "") or "{}")
        except ValueError:
            header = {}
        if not isinstance(header, dict) or header.get("format") != JSON_HEADER["format"]:
            raise BackupError(f"{path} is not an undersigned backup")
        if header.get("version", 0) > JSON_HEADER["version"]:
            raise BackupError(f"{path} was made by a newer undersigned; upgrade first")
        for line in lines:
            if line.strip():
                yield json.loads(line) if parse else line


def json_restore(path: Path, *, force: bool, stream: Any = None) -> None:
    try:
        total = sum(1 for _item in _json_objects(path, parse=False))
    except (OSError, EOFError, ValueError) as exc:
        raise BackupError(f"cannot read {path}: {exc}") from None
    if not connection.introspection.table_names():
        migrate(stream=stream)
    bar = Progress("restore", total, stream)
    loaded: set[Any] = set()
    try:
        with transaction.atomic(), connection.constraint_checks_disabled():
            if force:
                # In the restore's transaction: a restore that fails leaves the data as it was.
                call_command("flush", interactive=False, verbosity=0)
            deferred = []
            objects = serializers.deserialize(
                "python", _json_objects(path), handle_forward_references=True
            )
            for done, item in enumerate(objects, 1):
                item.save()
                loaded.add(type(item.object))
                if item.deferred_fields:
                    deferred.append(item)
                if done % JSON_CHUNK == 0:
                    bar.update(done)
            for item in deferred:
                item.save_deferred_fields()
            bar.update(total)
            connection.check_constraints(table_names=[m._meta.db_table for m in loaded])
    except (serializers.base.DeserializationError, ValueError, EOFError, OSError) as exc:
        # Nothing was written: the whole load is one transaction.
        raise BackupError(f"cannot restore {path}: {str(exc).splitlines()[0]}") from None
    finally:
        bar.close()
    # Ids were restored as they were: the sequences must continue after them.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(loaded)):
            cursor.execute(sql)


# Both -------------------------------------------------------------------------------------------
def migrate(*, stream: Any = None) -> None:
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)


def database_backup(dest: Path, *, portable: bool = False, stream: Any = None) -> str:
    """Back up the whole database to `dest`; returns the format used."""
    if not dest.parent.is_dir():
        raise BackupError(f"no folder {dest.parent}")
    vendor = connection.vendor
    if portable:
        json_backup(dest, stream=stream)
        return "json"
    if vendor == "sqlite":
        sqlite_backup(dest, stream=stream)
        return "sqlite"
    if vendor == "postgresql" and pg_tool("pg_dump"):
        postgres_backup(dest, stream=stream)
        return "postgresql"
    json_backup(dest, stream=stream)
    return "json"


def database_restore(path: Path, *, force: bool = False, stream: Any = None) -> str:
    """Replace the database with the backup at `path`; returns the format found."""
    fmt = file_format(path)
    vendor = connection.vendor
    if database_has_data() and not force:
        raise BackupError(
            "the database already holds data; restore into an empty database, "
            "or add --force to replace everything in it"
        )
    if fmt == "sqlite":
        if vendor != "sqlite":
            raise BackupError(
                "this is a SQLite backup and the database is PostgreSQL; make a portable "
                "backup (`undersigned backup --format json FILE`) and restore that"
            )
        sqlite_restore(path, stream=stream)
    elif fmt == "postgresql":
        if vendor != "postgresql":
            raise BackupError(
                "this is a PostgreSQL backup and the database is SQLite; make a portable "
                "backup (`undersigned backup --format json FILE`) and restore that"
            )
        postgres_restore(path, stream=stream)
    else:
        json_restore(path, force=force, stream=stream)
    migrate(stream=stream)
    return fmt
