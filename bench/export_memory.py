"""Peak memory of `undersigned export` over a million sign-ons (issue #5: under 200 MB).

Seeds the sign-ons with bench/seed.py (bulk inserts whose derived columns come from the app's
own code, as for the load benchmark) into a scratch database, then runs `undersigned export`
in a child process per format, as an operator would, and reads that child's peak resident
memory from the kernel (wait4's ru_maxrss): the whole process, Python and Django included.

    .venv/bin/python bench/export_memory.py                       # SQLite, 1,000,000 sign-ons
    .venv/bin/python bench/export_memory.py --backend postgres    # PostgreSQL on 127.0.0.1
    .venv/bin/python bench/export_memory.py --rows 100000 --formats csv,json

Progress and one line per export go to stderr; the last line on stdout is one JSON object
for bench/run.py to read:

    {"backend": "sqlite", "rows": 1000000, "limit_mb": 200, "passed": true,
     "exports": [{"format": "csv", "private": false, "rows": 999..., "seconds": 41.2,
                  "peak_mb": 71.3, "bytes": 123456789, "ok": true}, ...]}

The exit status is 0 when every export finished and stayed under the limit. The seeded
database is kept (bench/out/export-memory/) and reused by the next run with as many rows;
--fresh seeds again.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "export-memory"
VENV_BIN = Path(sys.executable).parent
UNDERSIGNED = VENV_BIN / "undersigned"
SEED = ROOT / "bench" / "seed.py"
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PG_DB = "undersigned_export_bench"
SLUG = "bench-export"
LIMIT_MB = 200
# (format, private): the public list in each format, and the organizers' private CSV.
EXPORTS = {
    "csv": [("csv", False), ("csv", True)],
    "json": [("json", False)],
    "xlsx": [("xlsx", False)],
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def environment(backend: str, data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["UNDERSIGNED_DATA_DIR"] = str(data_dir)
    env["SECRET_KEY"] = "export-memory-benchmark-" + "x" * 40
    env["PYTHONPATH"] = str(ROOT)
    if backend == "postgres":
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
    return env


def recreate_postgres_database() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{PG_DB}"')


class Seeder:
    """bench/seed.py, in its own process, one JSON command per line."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.log = log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, str(SEED)],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )

    def __call__(self, cmd: str, **args: Any) -> dict[str, Any]:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"bench/seed.py stopped; see {self.log.name}")
        answer: dict[str, Any] = json.loads(line)
        if not answer.pop("ok"):
            raise RuntimeError(f"bench/seed.py {cmd}: {answer['error']}")
        return answer

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=60)
        self.log.close()


def seed(env: dict[str, str], rows: int, data_dir: Path) -> int:
    seeder = Seeder(env, data_dir / "seed.log")
    try:
        seeder("migrate")
        seeder("statement", slug=SLUG)
        stored = int(seeder("count", slug=SLUG)["count"])
        if stored < rows:
            log(f"seeding {rows - stored:,} sign-ons (bench/seed.py)")
            started = time.monotonic()
            seeder("add", slug=SLUG, count=rows - stored)
            log(f"seeded in {time.monotonic() - started:.0f} s")
            stored = int(seeder("count", slug=SLUG)["count"])
        else:
            log(f"reusing {stored:,} sign-ons already seeded")
        return stored
    finally:
        seeder.close()


def measure(
    env: dict[str, str],
    fmt: str,
    private: bool,
    out_dir: Path,
    slug: str = SLUG,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Run one export in a child process; its peak RSS comes from wait4 on that child alone.
    An export still running after `timeout` seconds is killed and reported as such."""
    out = out_dir / f"export{'-private' if private else ''}.{fmt}"
    out.unlink(missing_ok=True)
    command = [str(UNDERSIGNED), "export", slug, "--format", fmt, "--out", str(out)]
    if private:
        command.append("--private")
    started = time.monotonic()
    with (out_dir / "export.log").open("a") as errors:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        timer = threading.Timer(timeout, process.kill) if timeout else None
        if timer:
            timer.start()
        _pid, status, usage = os.wait4(process.pid, 0)
        timed_out = timer is not None and timer.finished.is_set()
        if timer:
            timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    timed_out = timed_out and process.returncode < 0
    peak_mb = usage.ru_maxrss / 1024  # Linux reports kilobytes
    size = out.stat().st_size if out.exists() else 0
    rows = 0
    if process.returncode == 0 and fmt == "csv":
        with out.open("rb") as handle:
            rows = sum(1 for _line in handle) - 1
    result = {
        "format": fmt,
        "private": private,
        "rows": rows or None,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_mb": round(peak_mb, 1),
        "bytes": size,
        "ok": process.returncode == 0 and peak_mb < LIMIT_MB,
        "exit": process.returncode,
        "timed_out": timed_out,
        "command": " ".join(["undersigned", *command[1:]]).replace(str(out), out.name),
    }
    out.unlink(missing_ok=True)  # a million rows is a large file; the figures are what count
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--formats",
        default="csv,json,xlsx",
        help="comma-separated, from csv (public and private), json, xlsx",
    )
    parser.add_argument("--fresh", action="store_true", help="seed a new database")
    args = parser.parse_args()
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = [f for f in formats if f not in EXPORTS]
    if unknown:
        parser.error(f"unknown format(s): {', '.join(unknown)}")

    data_dir = OUT / args.backend
    if args.fresh and data_dir.exists():
        shutil.rmtree(data_dir)
    fresh_postgres = args.backend == "postgres" and (args.fresh or not data_dir.exists())
    data_dir.mkdir(parents=True, exist_ok=True)
    if fresh_postgres:
        recreate_postgres_database()
    env = environment(args.backend, data_dir)
    stored = seed(env, args.rows, data_dir)

    results = []
    for fmt in formats:
        for export_format, private in EXPORTS[fmt]:
            log(f"export --format {export_format}{' --private' if private else ''} ...")
            result = measure(env, export_format, private, data_dir)
            results.append(result)
            log(
                f"{export_format}{' private' if private else ''}: peak {result['peak_mb']} MB, "
                f"{result['seconds']} s, {result['bytes'] / 1e6:.0f} MB written"
                + ("" if result["exit"] == 0 else f", FAILED (exit {result['exit']})")
            )
    passed = all(r["ok"] for r in results)
    print(
        json.dumps(
            {
                "backend": args.backend,
                "rows": stored,
                "limit_mb": LIMIT_MB,
                "passed": passed,
                "exports": results,
            }
        ),
        flush=True,
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
