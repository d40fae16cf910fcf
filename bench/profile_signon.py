"""CPU cost of one request, in process: the app's WSGI handler called directly, no server,
no network, no load generator. For comparing two versions of the code quickly on a busy
machine (process CPU time moves far less with other load than wrk's rates do).

    .venv/bin/python bench/profile_signon.py [--n 2000] [--threads 1] [--profile] [what ...]

`what` is any of ping, count, page, sign_api, sign_form (default: all). With --threads N, N threads
share the requests, as a server process's request threads do, so sign-ons commit in
batches. Uses a fresh SQLite database in a temporary data folder unless DATABASE_URL is
set (then a database named undersigned_profile, dropped and made again). Prints CPU ms per
request (median of 5 rounds) of the whole process, and its ratio to /ping's in the same
round (median of the rounds); with --profile, the 25 costliest functions (PROFILE_LINES,
PROFILE_SORT) of one more round, in one thread.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

os.environ.setdefault("UNDERSIGNED_DATA_DIR", tempfile.mkdtemp(prefix="undersigned-profile-"))
os.environ.setdefault("RATE_LIMITS", "off")
os.environ.setdefault("EMAIL_URL", "outbox:")
if os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = (
        os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/undersigned_profile"
    )
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "undersigned.settings")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The code of the checkout this script is in, not whichever the virtualenv installed.
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection  # noqa: E402

from undersigned.signatures.screening import _started_token  # noqa: E402

SLUG = "profile"


def setup_database() -> None:
    if connection.vendor == "postgresql":
        from django.db import connections

        name = connection.settings_dict["NAME"]
        with connections["default"]._nodb_cursor() as cursor:  # type: ignore[attr-defined]
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
    import seed

    seed.cmd_migrate()
    seed.cmd_statement(SLUG)


# Copied once, as granian copies it once at start (reading os.environ decodes every entry).
BASE_ENVIRON = dict(os.environ)


class Call:
    """One WSGI call, built once, replayed with a counter in the body."""

    def __init__(
        self,
        method: str,
        path: str,
        body: str = "",
        ctype: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.method, self.path, self.body, self.ctype = method, path, body, ctype
        self.headers = headers or {}
        self.app = get_wsgi_application()
        self.cookies = ""

    def __call__(self, i: int) -> int:
        body = self.body.replace("{i}", str(i)).encode()
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.method,
            "PATH_INFO": self.path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": self.ctype,
            "HTTP_COOKIE": self.cookies,
            **self.headers,
        }
        # A WSGI server's environ starts from the process's environment (granian's does).
        environ = {**BASE_ENVIRON, **environ}
        status: list[str] = []
        result = self.app(environ, lambda s, h, *a: status.append(s))
        for _chunk in result:
            pass
        if hasattr(result, "close"):
            result.close()
        return int(status[0].split()[0])


def calls() -> dict[str, tuple[Call, set[int]]]:
    api_body = json.dumps(
        {"kind": "individual", "name": "Profile Signer {i}", "email": "p-{i}@bench.example.org"}
    )
    return {
        "ping": (Call("GET", "/ping"), {200}),
        "count": (Call("GET", f"/api/v1/statements/{SLUG}/count"), {200}),
        "page": (Call("GET", f"/s/{SLUG}/"), {200}),
        "sign_api": (
            Call("POST", f"/api/v1/statements/{SLUG}/signatures", api_body, "application/json"),
            {202},
        ),
        # As bench/lua/sign_form.lua sends it: from the statement page, with its start time
        # handed out an hour before (a real one, so the screening takes the form's usual path).
        "sign_form": (
            Call(
                "POST",
                f"/s/{SLUG}/sign/",
                urlencode(
                    {
                        "ind-started": _started_token(int(time.time()) - 3600, settings.SECRET_KEY),
                        "ind-kind": "individual",
                        "ind-name": "Profile Signer {i}",
                        "ind-email": "f-{i}@bench.example.org",
                    },
                    safe="{}",
                ),
                "application/x-www-form-urlencoded",
                {"HTTP_SEC_FETCH_SITE": "same-origin", "HTTP_ORIGIN": "http://127.0.0.1:8000"},
            ),
            {302},
        ),
    }


def measure(call: Call, ok: set[int], n: int, offset: int, threads: int = 1) -> float:
    """CPU ms per request of the whole process (every thread), `threads` callers at once."""

    def run(start: int) -> None:
        for i in range(start, offset + n, threads):
            status = call(i)
            if status not in ok:
                raise SystemExit(f"{call.path}: answered {status}")

    start = time.process_time()
    if threads == 1:
        run(offset)
    else:
        with ThreadPoolExecutor(threads) as pool:
            for future in [pool.submit(run, offset + t) for t in range(threads)]:
                future.result()
    return (time.process_time() - start) * 1000 / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="*")
    parser.add_argument("--n", type=int, default=2000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="callers at once, as a server's request threads (sign-ons then commit in batches)",
    )
    args = parser.parse_args()
    setup_database()
    table = calls()
    names = args.what or list(table)
    if "ping" not in names:
        names.insert(0, "ping")
    offset = 0
    for name in names:  # warm up: imports, caches, first queries
        measure(*table[name], 50, offset)
        offset += 50
    # Rounds interleave the requests, so each round's ratio to /ping compares like with like
    # on a machine whose speed moves with its other load.
    per: dict[str, list[float]] = {name: [] for name in names}
    for _round in range(args.rounds):
        for name in names:
            per[name].append(measure(*table[name], args.n, offset, args.threads))
            offset += args.n
    for name in names:
        ratios = [a / b for a, b in zip(per[name], per["ping"], strict=True)]
        print(
            f"{name:10} {statistics.median(per[name]):6.3f} CPU ms/request "
            f"(min {min(per[name]):.3f}, max {max(per[name]):.3f}), "
            f"{statistics.median(ratios):5.2f} x /ping; {connection.vendor}, "
            f"n={args.n}x{args.rounds}, {args.threads} thread(s)"
        )
    if args.profile:
        for name in names:
            if name == "ping":
                continue
            profiler = cProfile.Profile()
            profiler.enable()
            measure(*table[name], args.n, offset)
            profiler.disable()
            offset += args.n
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
            stats.print_stats(int(os.environ.get("PROFILE_LINES", "25")))
            print(f"== {name}\n{out.getvalue()}")


if __name__ == "__main__":
    main()
