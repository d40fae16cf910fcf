"""Instructions per request, counted by valgrind (callgrind): the same figure for the same code
whatever else the machine is doing, where CPU time and rates move by ±20% from one minute
to the next. For comparing two versions of the request path; it says nothing of waits
(locks, the GIL, fsync), which bench/run.py measures.

    .venv/bin/python bench/instructions.py [--n 400] [--threads 8] [what ...]

`what` is any of profile_signon.py's requests (ping, count, page, sign_api; default ping and
sign_api). The database is made once, at full speed (a fresh SQLite database in a temporary
folder, as profile_signon.py makes it); each request kind then runs in its own process under
valgrind, which copies it, warms up, and counts only the N measured requests (collection is
switched on inside the one call to `sorted` that runs them). With DATABASE_URL set, the
requests run against that PostgreSQL server instead (profile_signon.py's database beside
it, made again for each kind); only this process's instructions are counted, not the
database's. Needs valgrind (Debian's `valgrind` package); about a minute per kind.
"""

from __future__ import annotations

import argparse
import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
# The C function that wraps the measured requests (and nothing else): the toggle.
TOGGLE = "builtin_sorted"
POSTGRES = bool(os.environ.get("DATABASE_URL"))


def environment(**extra: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    if not POSTGRES:
        env.pop("DATABASE_URL", None)
    return env


def inner(what: str, n: int, threads: int, template: str) -> None:
    """Under valgrind: copy the database, warm up, then run the N requests inside sorted()."""
    folder = tempfile.mkdtemp(prefix="undersigned-instructions-")
    atexit.register(shutil.rmtree, folder, True)
    for name in os.listdir(template):
        shutil.copy(os.path.join(template, name), folder)
    os.environ["UNDERSIGNED_DATA_DIR"] = folder
    sys.argv = [sys.argv[0]]
    sys.path.insert(0, str(BENCH))
    import profile_signon

    call, ok = profile_signon.calls()[what]
    profile_signon.measure(call, ok, 30, 10_000_000)  # imports, caches, connections

    def run(start: int) -> int:
        for i in range(start, 20_000_000 + n, threads):
            status = call(i)
            if status not in ok:
                raise SystemExit(f"{call.path}: answered {status}")
        return 0

    if threads == 1:
        sorted([20_000_000], key=run)
        return
    from concurrent.futures import ThreadPoolExecutor

    # Each thread's own requests run inside its own sorted(): callgrind's toggle is per thread.
    with ThreadPoolExecutor(threads) as pool:
        futures = [
            pool.submit(lambda t=t: sorted([20_000_000 + t], key=run)) for t in range(threads)
        ]
        for future in futures:
            future.result()


def make_template() -> str:
    folder = tempfile.mkdtemp(prefix="undersigned-instructions-db-")
    code = (
        f"import sys; sys.argv = [sys.argv[0]]; sys.path.insert(0, {str(BENCH)!r}); "
        "import profile_signon; profile_signon.setup_database()"
    )
    subprocess.run(
        [sys.executable, "-c", code], env=environment(UNDERSIGNED_DATA_DIR=folder), check=True
    )
    return folder


def count(what: str, n: int, threads: int, template: str) -> int:
    command = [
        "valgrind",
        "--tool=callgrind",
        "--collect-atstart=no",
        f"--toggle-collect={TOGGLE}",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--inner",
        what,
        "--n",
        str(n),
        "--threads",
        str(threads),
        "--template",
        template,
    ]
    result = subprocess.run(
        command, env=environment(PYTHONHASHSEED="0"), capture_output=True, text=True
    )
    found = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or not found:
        raise SystemExit(f"valgrind failed for {what}:\n{result.stdout}\n{result.stderr[-3000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="*")
    parser.add_argument("--n", type=int, default=400, help="measured requests per kind")
    parser.add_argument("--threads", type=int, default=8, help="callers at once")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--template", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner(args.what[0], args.n, args.threads, args.template)
        return
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    names = args.what or ["ping", "sign_api"]
    counted = {}
    template = make_template()
    try:
        for name in names:
            if POSTGRES and counted:
                # One database server for every kind: made again, or a kind's sign-ons
                # would be repeats of the last kind's.
                shutil.rmtree(template, ignore_errors=True)
                template = make_template()
            counted[name] = count(name, args.n, args.threads, template)
    finally:
        shutil.rmtree(template, ignore_errors=True)
    floor = counted.get("ping")
    for name, total in counted.items():
        ratio = f", {total / floor:5.2f} x /ping" if floor else ""
        print(
            f"{name:10} {total / args.n / 1e6:6.3f} M instructions/request{ratio}; "
            f"{'postgresql' if POSTGRES else 'sqlite'}, n={args.n}, {args.threads} thread(s)"
        )


if __name__ == "__main__":
    main()
