"""`make chaos`: crash, race and hostile input against real `undersigned serve` processes.

For each database (SQLite; PostgreSQL with Redis when both run, and always in CI) it starts
an SMTP server in this process (tests/smtp.py), seeds a data folder under chaos/out/ with the
demo statement, starts `undersigned serve --workers 2` as an operator would (granian
workers plus the email worker, in their own process group), and then:

- crash: drives JSON sign-ons from several threads, `kill -9`s the whole process group
  mid-run, starts the server again, and checks in the database (read-only) that every
  sign-on answered 202 is there exactly once and that every email owed at the restart
  reaches the SMTP server;
- race: 50 concurrent identical sign-ons (form and API), concurrent confirmations and
  withdrawals of one sign-on, then counters against a recount;
- hostile: the corpus in chaos/corpus.py through the HTML form and the API.

It prints the figures at the end and exits 1 when a check fails. See chaos/README.md.

    .venv/bin/python chaos/run.py                   # what `make chaos` runs
    .venv/bin/python chaos/run.py --backend sqlite  # one database only
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import datetime as dt
import html
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import EmailMessage
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chaos.corpus import (  # noqa: E402
    FIELD_CASES,
    REQUEST_CASES,
    VERBATIM_FIELDS,
    FieldCase,
    RequestCase,
)
from tests.smtp import SMTPServer  # noqa: E402

OUT = ROOT / "chaos" / "out"
UNDERSIGNED = Path(sys.executable).parent / "undersigned"
HOST = "127.0.0.1"
WORKERS = 2
SLUG = "korea-peace-2018"  # the demo statement that `loaddemo` creates
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_DB = "undersigned_chaos"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
# The Redis database chaos runs in. Other runs on the same machine (the tests use 15, the
# benchmarks 14) must not share it: a second RQ worker on the queue would take our jobs.
# CHAOS_REDIS_URL names one; otherwise the first of these that is empty (or was ours) is used.
REDIS_HOST_URL = "redis://127.0.0.1:6379"
REDIS_DBS = (13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1)
REDIS_MARK = "undersigned-chaos"
SIGN_API = f"/api/v1/statements/{SLUG}/signatures"
SIGN_FORM = f"/s/{SLUG}/sign/"
JSON_HEADERS = {"Content-Type": "application/json"}
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}

# The crash scenario.
LOAD_THREADS = 8
# Sign-ons per second across the threads, at most: enough that the kill falls on requests in
# flight and a backlog of email, few enough that RQ's forking worker (about 2 emails a second
# on a busy two-core machine) drains the backlog inside the time budget.
LOAD_RATE = 50
LOAD_SECONDS = 5.0
KILL_AT = 2.5
# The email worker's start-up sweep queues again what has been owed for longer than this
# (undersigned/signatures/management/commands/emailworker.py); a margin for clocks.
STARTUP_SWEEP_AGE = 60 + 2
# The queue counts as drained when no job waits in it and no email came for this long.
QUEUE_IDLE = 10.0
QUEUE_CAP = 240.0

# Markers of markup that must never come back unescaped, whatever the page.
RAW_MARKUP = re.compile(r"<(script|img src=x|svg|iframe|style>\*|a href=\"javascript)", re.I)
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STARTED_INPUT = re.compile(r'name="((?:ind|org)-started)" value="([^"]+)"')
# Sign-on forms sent sooner than this after the page was handed out are held quietly as
# automated (settings.MIN_FILL_SECONDS); chaos waits like a person, plus a margin.
MIN_FILL_SECONDS = 3 + 0.3
LINK = re.compile(r"https?://([^/\s]+)(/(?:[a-z]{2}/)?s/[^/\s]+/(confirm|withdraw)/([^/\s]+)/)")


class OverBudget(Exception):
    """The run took longer than --budget (not an OSError, which the HTTP code absorbs)."""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def fold(value: str) -> str:
    """What a one-line field keeps of typed text: NFC, runs of white space as one space."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", value)).strip()


# HTTP --------------------------------------------------------------------------------------
@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class Client:
    """One keep-alive HTTP/1.1 connection and a cookie jar, as a browser tab has."""

    def __init__(self, port: int, timeout: float = 30) -> None:
        self.port, self.timeout = port, timeout
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.started: dict[str, str] = {}
        self.opened = 0.0

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def connect(self) -> None:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            self.conn.connect()

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        *,
        chunked: bool = False,
        retry: bool = True,
    ) -> Response:
        """Send one request. A keep-alive connection the server closed is reopened once when
        `retry` (never for the crash load, which decides itself what to send again)."""
        for attempt in (1, 2):
            fresh = self.conn is None
            self.connect()
            assert self.conn is not None
            try:
                return self._send(method, path, body, dict(headers or {}), chunked)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if not retry or fresh or attempt == 2:
                    raise
            except (OSError, http.client.HTTPException):
                self.close()
                raise
        raise AssertionError("unreachable")

    def _send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str], chunked: bool
    ) -> Response:
        assert self.conn is not None
        if self.cookies and not any(k.lower() == "cookie" for k in headers):
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        host = next((v for k, v in headers.items() if k.lower() == "host"), None)
        self.conn.putrequest(method, path, skip_host=host is not None, skip_accept_encoding=True)
        if host is not None:
            self.conn.putheader("Host", host)
        for key, value in headers.items():
            if key.lower() != "host":
                self.conn.putheader(key, value)
        try:
            if chunked:
                self.conn.putheader("Transfer-Encoding", "chunked")
                self.conn.endheaders()
                data = body or b""
                for i in range(0, len(data), 4096):
                    piece = data[i : i + 4096]
                    self.conn.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                self.conn.send(b"0\r\n\r\n")
            else:
                if body is not None or method in {"POST", "PUT", "PATCH"}:
                    self.conn.putheader("Content-Length", str(len(body or b"")))
                self.conn.endheaders(body)
        except (BrokenPipeError, ConnectionResetError) as exc:
            # A server may answer a body it will not take (too large, or chunked: 400 after
            # the headers) before reading it all, then close: the answer may be waiting to
            # be read, as a browser would read it. Whether the close comes before the rest
            # of the body is sent is a race; no answer to read is still no answer.
            try:
                response = self.conn.getresponse()
            except (OSError, http.client.HTTPException):
                raise exc from None
        else:
            response = self.conn.getresponse()
        data = response.read()
        for cookie in response.msg.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        result = Response(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
        if response.will_close:
            self.close()
        return result

    def get_csrf(self, path: str = f"/s/{SLUG}/") -> str:
        """Open a page with a form, as a browser would, for its CSRF cookie and token (the
        confirmation and withdrawal forms; the sign-on form has none: it is checked by
        Sec-Fetch-Site/Origin) and the sign-on form's signed start time, which tells the
        server a person filled it."""
        page = self.request("GET", path)
        match = CSRF_INPUT.search(page.text)
        if page.status != 200 or (match is None and path != f"/s/{SLUG}/"):
            raise RuntimeError(
                f"GET {path} gave {page.status} without a CSRF token: {page.text[-300:]!r}"
            )
        self.csrf = match.group(1) if match else ""
        self.started = dict(STARTED_INPUT.findall(page.text))
        self.opened = time.monotonic()
        return self.csrf

    def form_fields(self, prefix: str) -> dict[str, str]:
        """What a browser adds to a sign-on form it sends: the start time (and a CSRF token,
        had the page one). Waits until a person could have filled the form (MIN_FILL_SECONDS)."""
        time.sleep(max(0.0, self.opened + MIN_FILL_SECONDS - time.monotonic()))
        fields = {"csrfmiddlewaretoken": self.csrf} if self.csrf else {}
        if f"{prefix}-started" in self.started:
            fields[f"{prefix}-started"] = self.started[f"{prefix}-started"]
        return fields


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port() -> int:
    """A free port below the kernel's ephemeral range (and above the usual fixed ones, 8000
    for `make demo`): a port the kernel hands out for bind(0) — a browser test's live server,
    a test's SMTP server — could be taken by someone else while the server is down between
    its kill -9 and its restart, and chaos would then measure someone else's server."""
    low, _high = _ephemeral_range()
    candidates = list(range(20000, min(low, 32000)))
    random.shuffle(candidates)
    for port in candidates[:200]:
        if port_open(port):
            continue
        with socket.socket() as s:
            try:
                s.bind((HOST, port))
            except OSError:
                continue
            return port
    with socket.socket() as s:  # no luck: let the kernel choose
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


# Email -------------------------------------------------------------------------------------
@dataclass
class Mail:
    index: int
    signature_id: int | None
    to: str
    html: str
    links: dict[str, str]  # purpose -> path


def _token_signature_id(token: str) -> int | None:
    """The sign-on id inside a link token (django.core.signing: base64 JSON, then the MAC)."""
    payload = token.split(":", 1)[0]
    try:
        value = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error):
        return None
    if isinstance(value, list) and value and isinstance(value[0], int):
        return value[0]
    return None


class MailIndex:
    """What the SMTP server received from one server (known by the address in its links),
    read incrementally: by sign-on id and arrival order."""

    def __init__(self, smtp: SMTPServer, netloc: str) -> None:
        self.smtp, self.netloc = smtp, netloc
        self.seen = 0
        self.mails: list[Mail] = []
        self.by_id: dict[int, list[Mail]] = {}
        self.lock = threading.Lock()

    def refresh(self) -> None:
        with self.lock:
            messages = self.smtp.messages
            for index in range(self.seen, len(messages)):
                self._add(index, messages[index])
            self.seen = len(messages)

    def _add(self, index: int, message: EmailMessage) -> None:
        plain = message.get_body(preferencelist=("plain",))
        rich = message.get_body(preferencelist=("html",))
        text = plain.get_content() if plain is not None else ""
        found = [m for m in LINK.finditer(text) if m.group(1) == self.netloc]
        if not found:
            return  # another server's email (an earlier database in this run)
        links = {m.group(3): m.group(2) for m in found}
        confirm = next((m for m in found if m.group(3) == "confirm"), found[0])
        signature_id = _token_signature_id(confirm.group(4))
        mail = Mail(
            index, signature_id, str(message["To"]), rich.get_content() if rich else "", links
        )
        self.mails.append(mail)
        if signature_id is not None:
            self.by_id.setdefault(signature_id, []).append(mail)

    def count(self) -> int:
        """How many messages the SMTP server holds (from any server): an arrival mark."""
        self.refresh()
        return self.seen

    def for_id(self, signature_id: int, since: int = 0) -> list[Mail]:
        self.refresh()
        return [m for m in self.by_id.get(signature_id, []) if m.index >= since]

    def wait_for(self, ids: set[int], backlog: Callable[[], int], cap: float = 180) -> set[int]:
        """Wait until every sign-on in `ids` has an email. Gives up when the queue is empty
        and no email has come for QUEUE_IDLE seconds (or after `cap`); returns those still
        without one. The queue's backlog, not a fixed time, says whether more is coming: a
        busy machine sends slowly, not never."""
        started = progress = time.monotonic()
        missing = set(ids)
        while missing and time.monotonic() - started < cap:
            before = len(missing)
            missing = {i for i in missing if not self.for_id(i)}
            if len(missing) < before:
                progress = time.monotonic()
            elif time.monotonic() - progress > QUEUE_IDLE and backlog() == 0:
                break
            if missing:
                time.sleep(0.25)
        return missing


# Database (read-only) ------------------------------------------------------------------------
class Database:
    """Read-only access to the app's database, to check what the HTTP answers claimed."""

    def __init__(self, *, sqlite_path: Path | None = None, url: str | None = None) -> None:
        self.sqlite_path, self.url = sqlite_path, url
        self._pg: Any = None

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        if self.sqlite_path is not None:
            uri = f"file:{self.sqlite_path}?mode=ro"
            with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=20)) as conn:
                return conn.execute(sql.replace("%s", "?"), params).fetchall()
        import psycopg

        if self._pg is None:
            assert self.url is not None
            self._pg = psycopg.connect(self.url, autocommit=True)
            self._pg.read_only = True
        with self._pg.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    def value(self, sql: str, *params: Any) -> Any:
        rows = self.rows(sql, *params)
        return rows[0][0] if rows else None

    def close(self) -> None:
        if self._pg is not None:
            self._pg.close()


# Processes ----------------------------------------------------------------------------------
def _group_pids(pgid: int) -> list[int]:
    """Live processes (not zombies) whose process group is `pgid`."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(entry))
    return pids


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


class Server:
    """`undersigned serve` in its own process group, as a supervisor would start it."""

    def __init__(self, env: dict[str, str], port: int, logfile: Path) -> None:
        self.env, self.port, self.logfile = env, port, logfile
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90) -> float:
        with self.logfile.open("ab") as out:
            out.write(f"\n==== start {dt.datetime.now():%H:%M:%S.%f}\n".encode())
            self.proc = subprocess.Popen(
                [
                    str(UNDERSIGNED),
                    "serve",
                    "--host",
                    HOST,
                    "--port",
                    str(self.port),
                    "--workers",
                    str(WORKERS),
                    "--no-migrate",
                ],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started = time.monotonic()
        client = Client(self.port, timeout=5)
        while time.monotonic() - started < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited at start; see {self.logfile}")
            try:
                if client.request("GET", "/healthz").status == 200:
                    client.close()
                    return time.monotonic() - started
            except (OSError, http.client.HTTPException):
                client.close()
            time.sleep(0.1)
        raise RuntimeError(f"the server did not answer /healthz in {timeout:.0f} s")

    def processes(self) -> list[str]:
        assert self.proc is not None
        names = []
        for pid in _group_pids(self.proc.pid):
            cmd = _cmdline(pid)
            if "granian" in cmd:
                names.append("granian")
            elif cmd.endswith(" worker"):
                names.append("email worker")
            elif " serve " in f"{cmd} ":
                names.append("serve")
            else:
                names.append(cmd[:40])
        return sorted(names)

    def kill9(self) -> list[str]:
        """SIGKILL to the whole process group: serve, the granian workers, the email worker."""
        assert self.proc is not None
        victims = self.processes()
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        deadline = time.monotonic() + 10
        while _group_pids(self.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _group_pids(self.proc.pid):
            raise RuntimeError("processes of the killed server are still alive")
        while port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)
        return victims

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except (subprocess.TimeoutExpired, OverBudget):
                # The budget ran out while waiting: the processes still go, by SIGKILL below,
                # and the run is reported over budget by main().
                pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if _group_pids(self.proc.pid):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.proc = None


def server_errors(logfile: Path, limit: int = 8) -> list[str]:
    """Errors in the server log: 5xx answers (Django's django.request at ERROR, or granian's
    "Application callable raised an exception") and any other ERROR except django.security's
    reports of refused requests (bad Host, body too large), which are 4xx; nor WARNINGs."""
    if not logfile.exists():
        return []
    text = logfile.read_text(errors="replace")
    found = []
    blocks = re.split(r"\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ |\[[A-Z]+\] )", text)
    for block in blocks:
        head = block.strip().splitlines()[0] if block.strip() else ""
        logged = re.match(r"\d{4}-\S+ \S+ (\w+) (\S+)", head)
        if (
            head.startswith("[ERROR]")
            or (
                logged
                and logged[1] in {"ERROR", "CRITICAL"}
                and not logged[2].startswith("django.security")
            )
            or (not logged and "Traceback" in block)
        ):
            lines = block.strip().splitlines()
            last = next((ln for ln in reversed(lines) if ln.strip()), "")
            found.append(f"{head[:160]} … {last[:220]}")
    return found[:limit] + ([f"… and {len(found) - limit} more"] if len(found) > limit else [])


# Backends -----------------------------------------------------------------------------------
@dataclass
class Backend:
    name: str
    env: dict[str, str]
    folder: Path
    db: Database
    port: int = 0
    server: Server | None = None

    def manage(self, *args: str, timeout: float = 180) -> str:
        """Run `undersigned ARGS` with this backend's environment; its standard output."""
        result = subprocess.run(
            [str(UNDERSIGNED), *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"`undersigned {' '.join(args)}` failed ({result.returncode}): "
                f"{(result.stderr or result.stdout).strip()[-2000:]}"
            )
        return result.stdout

    @contextlib.contextmanager
    def batch_worker(self) -> Iterator[None]:
        """`undersigned worker --batch` beside the server, its output in the server log. It
        sends what is queued and exits; if the queue is long it is stopped when the block ends
        (SIGTERM lets the job in hand finish)."""
        assert self.server is not None
        with self.server.logfile.open("ab") as out:
            out.write(b"\n==== undersigned worker --batch\n")
            out.flush()
            worker = subprocess.Popen(
                [str(UNDERSIGNED), "worker", "--batch"],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            yield
        finally:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait()
            with contextlib.suppress(ProcessLookupError, PermissionError):
                if _group_pids(worker.pid):
                    os.killpg(worker.pid, signal.SIGKILL)


def claim_redis(redis: Any) -> str:
    """A Redis database for this run alone: empty, or marked as chaos's by an earlier run."""
    wanted = os.environ.get("CHAOS_REDIS_URL")
    urls = [wanted] if wanted else [f"{REDIS_HOST_URL}/{n}" for n in REDIS_DBS]
    for url in urls:
        r = redis.Redis.from_url(url)
        if r.dbsize() == 0 or r.exists(REDIS_MARK):
            r.flushdb()
            r.set(REDIS_MARK, "chaos/run.py")
            return url
    raise RuntimeError(
        f"no free Redis database among {', '.join(urls)}: each holds someone else's keys; "
        "set CHAOS_REDIS_URL=redis://127.0.0.1:6379/<a free one>"
    )


def services_up() -> bool:
    return port_open(5432) and port_open(6379)


def make_backend(name: str, run_dir: Path, smtp_port: int) -> Backend:
    folder = run_dir / name.replace("+", "-")
    folder.mkdir(parents=True)
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "SECRET_KEY", "BASE_URL"}
    }
    env.update(
        UNDERSIGNED_DATA_DIR=str(folder / "data"),
        EMAIL_URL=f"smtp://{HOST}:{smtp_port}",
        BASE_URL=f"http://{HOST}:{port}",
        RATE_LIMITS="off",  # one client address drives all the load
        DEBUG="off",
        PYTHONUNBUFFERED="1",
    )
    if name == "sqlite":
        db = Database(sqlite_path=folder / "data" / "undersigned.sqlite3")
    else:
        import psycopg
        import redis

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_DB}")
        redis_url = claim_redis(redis)
        env.update(DATABASE_URL=PG_URL, REDIS_URL=redis_url)
        db = Database(url=PG_URL)
    backend = Backend(name, env, folder, db, port)
    backend.manage("manage", "migrate", "--no-input", "--verbosity", "0")
    backend.manage("manage", "createcachetable")
    backend.manage("manage", "loaddemo", "--organizations", "5", "--individuals", "5")
    backend.server = Server(env, port, folder / "server.log")
    return backend


# Checks -------------------------------------------------------------------------------------
@dataclass
class Report:
    backend: str
    figures: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)  # worth knowing, not failures
    server_errors: list[str] = field(default_factory=list)

    def check(self, ok: bool, message: str) -> bool:
        if not ok:
            self.failures.append(message)
        return ok


def signature_ids(db: Database, pattern: str) -> dict[str, list[int]]:
    """Sign-on ids by email, for the emails that match a LIKE pattern."""
    found: dict[str, list[int]] = {}
    for email, pk in db.rows(
        "SELECT email, id FROM signatures_signature WHERE email LIKE %s", pattern
    ):
        found.setdefault(email, []).append(pk)
    return found


def queue_backlog(backend: Backend) -> int:
    """Email jobs waiting in the queue (not the one running, if any)."""
    if "REDIS_URL" in backend.env:
        import redis

        return int(redis.Redis.from_url(backend.env["REDIS_URL"]).llen("rq:queue:default"))
    return int(
        backend.db.value(
            "SELECT COUNT(*) FROM django_tasks_database_dbtaskresult WHERE status = 'READY'"
        )
    )


# Crash --------------------------------------------------------------------------------------
@dataclass
class Load:
    """Sign-on load from several threads. A request that got no answer is sent again with the
    same address, as a phone would on a flaky network: the retry must not make a second row."""

    port: int
    threads: int
    acked: set[str] = field(default_factory=set)
    unanswered: set[str] = field(default_factory=set)
    answers: Counter[int] = field(default_factory=Counter)
    no_answer: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, worker: int) -> None:
        client = Client(self.port, timeout=15)
        n, email = 0, ""
        interval = self.threads / LOAD_RATE
        next_at = time.monotonic()
        while not self.stop.is_set():
            if not email:
                time.sleep(max(0.0, next_at - time.monotonic()))
                next_at = max(next_at + interval, time.monotonic() - interval)
                n += 1
                email = f"crash.{worker}.{n}@example.org"
            body = json.dumps(
                {"kind": "individual", "name": f"Crash Test {worker}-{n}", "email": email}
            ).encode()
            try:
                response = client.request("POST", SIGN_API, body, JSON_HEADERS, retry=False)
            except (OSError, http.client.HTTPException):
                with self.lock:
                    self.no_answer += 1
                time.sleep(0.05)
                continue
            with self.lock:
                self.answers[response.status] += 1
                if response.status == 202:
                    self.acked.add(email)
            email = ""
        if email:
            with self.lock:
                self.unanswered.add(email)
        client.close()


def crash(backend: Backend, mail: MailIndex, report: Report) -> Callable[[], None]:
    """Kill -9 under load and restart. Returns the last step (the start-up sweep check), which
    the caller runs after the race scenario, to let most of the minute pass usefully."""
    server = backend.server
    assert server is not None
    db = backend.db
    load = Load(backend.port, LOAD_THREADS)
    threads = [
        threading.Thread(target=load.run, args=(i,), name=f"load-{i}", daemon=True)
        for i in range(load.threads)
    ]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    try:
        time.sleep(KILL_AT)
        acked_before_kill = len(load.acked)
        victims = server.kill9()
        killed_at = time.monotonic()
        log(f"  kill -9 after {killed_at - t0:.1f} s: {', '.join(victims)}")
        report.check(
            "email worker" in victims and victims.count("granian") >= WORKERS + 1,
            f"the kill missed processes: {victims}",
        )
        # Nothing writes while the server is down: this is what the restarted server owes.
        owed_at_restart = {
            pk
            for (pk,) in db.rows(
                "SELECT id FROM signatures_signature "
                "WHERE email LIKE 'crash.%%' AND email_owed <> ''"
            )
        }
        rows_at_kill = db.value(
            "SELECT COUNT(*) FROM signatures_signature WHERE email LIKE 'crash.%%'"
        )
        mail_index_at_restart = mail.count()
        boot = server.start()
        restarted_at = time.monotonic()
        log(f"  restarted in {boot:.1f} s; {len(owed_at_restart)} emails owed")
        time.sleep(max(0.0, LOAD_SECONDS - (time.monotonic() - t0), 1.0))
    finally:
        load.stop.set()
        for t in threads:
            t.join(timeout=30)

    rows = signature_ids(db, "crash.%")
    acked = load.acked
    found = {e for e in acked if e in rows}
    duplicates = sum(len(ids) - 1 for ids in rows.values() if len(ids) > 1)
    all_ids = {pk for ids in rows.values() for pk in ids}
    f = report.figures
    f["crash: sign-ons acknowledged (202)"] = len(acked)
    f["crash: acknowledged before the kill"] = acked_before_kill
    f["crash: found after the crash"] = len(found)
    f["crash: lost (must be 0)"] = len(acked - found)
    f["crash: duplicates (must be 0)"] = duplicates
    f["crash: stored, answer lost in the kill"] = len(set(rows) - acked)
    f["crash: attempts refused while down"] = load.no_answer
    f["crash: sent, never answered (not acknowledged)"] = len(load.unanswered)
    f["crash: 5xx answers (must be 0)"] = sum(n for s, n in load.answers.items() if s >= 500)
    f["crash: rows at the kill"] = rows_at_kill
    report.check(not (acked - found), f"{len(acked - found)} acknowledged sign-ons lost")
    report.check(duplicates == 0, f"{duplicates} duplicate sign-ons")
    report.check(
        set(load.answers) <= {202},
        f"answers other than 202 under load: {dict(load.answers)}",
    )
    if acked - found:
        report.findings.append(f"lost sign-ons, e.g. {sorted(acked - found)[:5]}")

    # The durable queue: what was owed at the kill is sent after the restart; what was signed
    # after the restart is sent as usual.
    def satisfied(pk: int) -> bool:
        since = mail_index_at_restart if pk in owed_at_restart else 0
        return bool(mail.for_id(pk, since))

    arrival: dict[int, float] = {}
    last_progress = started = time.monotonic()
    while time.monotonic() - started < QUEUE_CAP:
        for pk in all_ids - set(arrival):
            if satisfied(pk):
                arrival[pk] = last_progress = time.monotonic()
        if set(arrival) >= all_ids:
            break
        if time.monotonic() - last_progress > QUEUE_IDLE and queue_backlog(backend) == 0:
            break
        time.sleep(0.25)
    by_queue = {pk for pk in owed_at_restart if pk in arrival}
    leftover = all_ids - set(arrival)
    f["crash: emails owed at restart"] = len(owed_at_restart)
    f["crash: sent after restart by the queue"] = len(by_queue)
    if by_queue:
        f["crash: seconds from restart to the last of them"] = round(
            max(arrival[pk] for pk in by_queue) - restarted_at, 1
        )
    log(
        f"  queue after restart: {len(by_queue)}/{len(owed_at_restart)} owed emails sent; "
        f"{len(leftover)} left"
    )
    if leftover:
        report.findings.append(
            f"{len(leftover)} email(s) not sent by the restarted worker's queue "
            f"(jobs by sign-on: {queue_state(backend, set(sorted(leftover)[:5]))}): a job "
            "RUNNING when the worker was killed is never retried, and a sign-on committed "
            "just before the kill may have no job; the restarted worker's start-up sweep only "
            "takes emails owed for over 60 s, so they wait for the periodic sweep (every "
            "60 s, emails owed over 120 s): up to three minutes"
        )

    def finish() -> None:
        """The safety net: a worker that starts once the leftovers are owed for over 60 s
        (`undersigned worker --batch`, as a second worker or a supervisor restart would)."""
        swept: set[int] = set()
        if leftover:
            wait = STARTUP_SWEEP_AGE - youngest_age(db, leftover)
            if wait > 0:
                log(f"  waiting {wait:.0f} s until the leftovers are owed for over 60 s")
                time.sleep(wait)
            log("  starting `undersigned worker --batch` (its start-up sweep)")
            with backend.batch_worker():
                deadline = time.monotonic() + 60
                missing = {pk for pk in leftover if not satisfied(pk)}
                while missing and time.monotonic() < deadline:
                    time.sleep(0.25)
                    missing = {pk for pk in missing if not satisfied(pk)}
            swept = leftover - missing
        still = all_ids - set(arrival) - swept
        sent = len(by_queue) + len(swept & owed_at_restart)
        f["crash: sent after restart by a later worker's start-up sweep"] = len(
            swept & owed_at_restart
        )
        f["crash: emails sent after restart"] = sent
        f["crash: emails never sent (must be 0)"] = len(still)
        report.check(
            sent == len(owed_at_restart) and not still,
            f"{len(still)} sign-ons never got their confirmation email (ids {sorted(still)[:5]})",
        )

    return finish


def youngest_age(db: Database, ids: set[int]) -> float:
    """Seconds since the youngest of these sign-ons was created, by the database's clock."""
    marks = ", ".join(str(int(pk)) for pk in ids)  # integers: nothing to escape
    sql = f"SELECT MAX(created_at) FROM signatures_signature WHERE id IN ({marks})"  # noqa: S608
    newest = db.value(sql)
    if isinstance(newest, str):  # SQLite keeps UTC as text
        newest = dt.datetime.fromisoformat(newest).replace(tzinfo=dt.UTC)
    return (dt.datetime.now(dt.UTC) - newest).total_seconds()


def queue_state(backend: Backend, ids: set[int]) -> str:
    """What became of the leftovers' jobs: still RUNNING in the database queue, started or
    failed in RQ (a killed RQ job is marked failed later and never retried), or no job at
    all (the kill fell between the sign-on's COMMIT and the enqueue to Redis)."""
    jobs: dict[int, list[str]] = {pk: [] for pk in ids}
    if "REDIS_URL" not in backend.env:
        for status, args_kwargs in backend.db.rows(
            "SELECT status, args_kwargs FROM django_tasks_database_dbtaskresult"
        ):
            for pk in _job_signatures(args_kwargs):
                if pk in jobs:
                    jobs[pk].append(str(status))
    else:
        import redis

        r = redis.Redis.from_url(backend.env["REDIS_URL"], decode_responses=True)
        for key in r.scan_iter("rq:job:*"):
            description, status = r.hmget(key, "description", "status")
            # "...send_signature_emails([3, 4])" or, queued one by one, "...(3)"
            inside = str(description or "").partition("(")[2].rstrip(")")
            try:
                args = json.loads(f"[{inside}]")
            except ValueError:
                continue
            for pk in _job_signatures({"args": args}):
                if pk in jobs:
                    jobs[pk].append(str(status or "?"))
    return "; ".join(
        f"{pk}: {', '.join(states) if states else 'no job'}" for pk, states in sorted(jobs.items())
    )


def _job_signatures(args_kwargs: Any) -> list[int]:
    """The sign-on ids an email job is for: a batch job's list, or an older job's one id."""
    if isinstance(args_kwargs, str):
        args_kwargs = json.loads(args_kwargs)
    first = (args_kwargs.get("args") or [None])[0]
    if isinstance(first, list):
        return [int(i) for i in first]
    return [] if first is None else [int(first)]


# Race ---------------------------------------------------------------------------------------
def together(actions: list[Callable[[], Any]]) -> list[Any]:
    """Run the actions in threads released at the same instant; exceptions are results."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = actions[i]()
        except Exception as exc:  # the answer we record, not an error of the harness
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(actions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def status_of(result: Any) -> int:
    return result.status if isinstance(result, Response) else 0


def sign_api(client: Client, email: str, **fields: str) -> Response:
    body = {"kind": "individual", "name": "Race Test", "email": email, **fields}
    return client.request("POST", SIGN_API, json.dumps(body).encode(), JSON_HEADERS)


def confirm_links(mail: MailIndex, pk: int) -> dict[str, str]:
    mails = mail.for_id(pk)
    return mails[-1].links if mails else {}


def race(backend: Backend, mail: MailIndex, report: Report) -> None:
    db, port = backend.db, backend.port
    f = report.figures

    # 50 identical sign-ons at once, half through the form and half through the API.
    email = "race.same@example.org"
    form_client = Client(port)
    form_client.get_csrf()
    clients = [Client(port) for _ in range(50)]
    for c in clients:
        c.connect()
        c.cookies = dict(form_client.cookies)
    form_body = urlencode(
        {
            "ind-kind": "individual",
            "ind-name": "Race Same",
            "ind-email": email,
            **form_client.form_fields("ind"),
        }
    ).encode()
    actions: list[Callable[[], Any]] = []
    for i, c in enumerate(clients):
        if i % 2:
            actions.append(partial(sign_api, c, email, name="Race Same"))
        else:
            actions.append(partial(c.request, "POST", SIGN_FORM, form_body, FORM_HEADERS))
    answers = Counter(status_of(r) for r in together(actions))
    rows = signature_ids(db, email)
    ids = [pk for pks in rows.values() for pk in pks]
    f["race: identical sign-ons sent at once"] = len(actions)
    f["race: rows they made (must be 1)"] = len(ids)
    report.check(
        set(answers) <= {202, 302}, f"identical sign-ons: answers {dict(sorted(answers.items()))}"
    )
    report.check(len(ids) == 1, f"50 identical sign-ons made {len(ids)} rows")
    if ids:
        mail.wait_for({ids[0]}, lambda: queue_backlog(backend))
        time.sleep(2)  # room for a second email, which must not come
        n = len(mail.for_id(ids[0]))
        f["race: emails to that signer (must be 1)"] = n
        report.check(n == 1, f"50 identical sign-ons sent {n} emails (one expected)")

    # Concurrent confirmations and withdrawals of one sign-on; and confirmations alone.
    signer = Client(port)
    mixed = [f"race.mixed.{i}@example.org" for i in range(5)]
    confirms = [f"race.confirm.{i}@example.org" for i in range(5)]
    for address in mixed + confirms:
        sign_api(signer, address)
    pks = {e: signature_ids(db, e)[e][0] for e in mixed + confirms}
    missing = mail.wait_for(set(pks.values()), lambda: queue_backlog(backend))
    report.check(not missing, f"race sign-ons without a confirmation email: {sorted(missing)}")
    csrf_client = Client(port)
    link = confirm_links(mail, pks[mixed[0]]).get("confirm", "")
    token = csrf_client.get_csrf(link)
    post = urlencode({"csrfmiddlewaretoken": token}).encode()
    jobs: list[tuple[str, str, Client]] = []
    for address in mixed:
        for purpose in ("confirm", "withdraw") * 6:
            jobs.append((address, purpose, Client(port)))
    for address in confirms:
        for _ in range(10):
            jobs.append((address, "confirm", Client(port)))
    actions = []
    for address, purpose, c in jobs:
        c.cookies = dict(csrf_client.cookies)
        c.connect()
        path = confirm_links(mail, pks[address]).get(purpose, "")
        referer = {**FORM_HEADERS, "Referer": f"http://{HOST}:{port}{path}"}
        actions.append(partial(c.request, "POST", path, post, referer))
    results = together(actions)
    bad: Counter[str] = Counter()
    for (address, purpose, _c), result in zip(jobs, results, strict=True):
        allowed = {200, 410} if purpose == "confirm" and address in mixed else {200}
        if status_of(result) not in allowed:
            bad[f"{purpose} {status_of(result) or type(result).__name__}"] += 1
    f["race: confirm/withdraw POSTs sent at once"] = len(actions)
    report.check(not bad, f"confirm/withdraw race answers: {dict(bad)}")
    inconsistent = []
    for address in mixed + confirms:
        pk = pks[address]
        status, counted, listed, withdrawn_at = db.rows(
            "SELECT status, counted, listed, withdrawn_at FROM signatures_signature WHERE id = %s",
            pk,
        )[0]
        audit = Counter(
            a
            for (a,) in db.rows(
                "SELECT action FROM audit_auditentry WHERE object_type = 'signature' "
                "AND object_id = %s",
                str(pk),
            )
        )
        if address in mixed:
            ok = (
                status == "withdrawn"
                and not counted
                and not listed
                and withdrawn_at is not None
                and audit["signature.withdrawn"] == 1
                and audit["signature.confirmed"] <= 1
            )
        else:
            ok = status == "confirmed" and bool(counted) and audit["signature.confirmed"] == 1
        if not ok:
            inconsistent.append(f"{address}: {status} counted={counted} audit={dict(audit)}")
    f["race: sign-ons left inconsistent (must be 0)"] = len(inconsistent)
    report.check(not inconsistent, f"inconsistent after the race: {inconsistent}")
    counters_match(backend, report, "race")


def counters_match(backend: Backend, report: Report, when: str) -> None:
    """The counters the pages read, against a count of the rows, then `undersigned recount`."""
    db = backend.db
    statement = db.value("SELECT id FROM statements_statement WHERE slug = %s", SLUG)
    tallies = dict(
        db.rows(
            "SELECT key, SUM(value) FROM signatures_tally WHERE statement_id = %s "
            "AND dimension = 'kind' GROUP BY key",
            statement,
        )
    )
    rows = dict(
        db.rows(
            "SELECT kind, COUNT(*) FROM signatures_signature WHERE statement_id = %s "
            "AND counted = %s GROUP BY kind",
            statement,
            True,
        )
    )
    same = {k: int(v) for k, v in tallies.items() if v} == {k: int(v) for k, v in rows.items()}
    output = backend.manage("recount", SLUG)
    matched = "counters matched" in output
    report.figures[f"{when}: counters = rows counted"] = "yes" if same else f"no {tallies} {rows}"
    last = output.strip().splitlines()[-1]
    report.figures[f"{when}: `undersigned recount`"] = "matched" if matched else last
    report.check(same, f"after {when}: counters {tallies} but counted rows {rows}")
    report.check(matched, f"after {when}: recount corrected counters: {output.strip()}")


# Hostile input ------------------------------------------------------------------------------
@dataclass
class Outcome:
    case: FieldCase | RequestCase
    door: str
    status: int  # 0: no answer
    body: str
    ref: str = ""
    sent: dict[str, str] = field(default_factory=dict)  # field -> value as sent
    error: str = ""
    allow: str = ""  # the Allow header of a 405


def marker_field(case: FieldCase) -> str:
    """The field that carries a case's mark on the public list: city, or region when the case
    is about the city; none when the case fills every field itself."""
    if case.extra:
        return ""
    return "region" if case.field == "city" else "city"


class Doors:
    """Sends cases through the form and the API, one keep-alive client per thread."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.local = threading.local()

    def client(self) -> Client:
        c: Client | None = getattr(self.local, "client", None)
        if c is None:
            c = self.local.client = Client(self.port)
            c.get_csrf()
        return c

    def field_case(self, case: FieldCase, door: str) -> Outcome:
        unique = f"{door[0]}{FIELD_CASES.index(case)}"
        ref = f"chaos-{unique}"
        values = {
            "kind": case.kind,
            "name": "Chaos Organization" if case.kind == "organization" else "Chaos Person",
            "email": f"hostile.{unique}@example.org",
        }
        if case.kind == "organization":
            values.update(category="local", contact_name="Grace Lim")
        # A plain field carries the case's mark, to find its line on the public list.
        spare = marker_field(case)
        if spare:
            values[spare] = f"Chaos Mark {unique}"
        values.update(case.extra)
        values[case.field] = case.value.replace("{u}", unique)
        client = self.client()
        if door == "form":
            prefix = "org" if case.kind == "organization" else "ind"
            # The view picks the form by the presence of org-kind, as the page's two forms do.
            fields = {f"{prefix}-{k}": v for k, v in values.items()}
            if case.field == "kind":
                fields.pop("org-kind", None)
            body = urlencode(
                {**fields, "ref": ref, **client.form_fields(prefix)}, encoding="utf-8"
            ).encode()
            response = client.request("POST", SIGN_FORM, body, FORM_HEADERS)
        else:
            body = json.dumps({**values, "ref": ref}).encode()
            response = client.request("POST", SIGN_API, body, JSON_HEADERS)
        return Outcome(case, door, response.status, response.text, ref, values)

    def request_case(self, case: RequestCase) -> Outcome:
        client = self.client() if case.csrf else Client(self.port)
        n = REQUEST_CASES.index(case)
        email = f"request.{n}@example.org"
        body = case.body(email) if case.body else None
        headers = dict(case.headers)
        path = case.path.replace("{slug}", SLUG)
        if case.csrf:
            urlencoded = headers.get("Content-Type", "").startswith(FORM_HEADERS["Content-Type"])
            if case.csrf_in_body and urlencoded and body is not None:
                body += f"&csrfmiddlewaretoken={client.csrf}".encode()
            else:
                headers["X-CSRFToken"] = client.csrf
        response = client.request(case.method, path, body, headers, chunked=case.chunked)
        if client is not getattr(self.local, "client", None):
            client.close()
        return Outcome(
            case,
            case.door,
            response.status,
            response.text,
            sent={"email": email},
            allow=response.headers.get("allow", ""),
        )

    def run(self, job: tuple[FieldCase | RequestCase, str]) -> Outcome:
        case, door = job
        try:
            if isinstance(case, FieldCase):
                return self.field_case(case, door)
            return self.request_case(case)
        except (OSError, http.client.HTTPException) as exc:
            self.local.client = None
            return Outcome(case, door, 0, "", error=f"{type(exc).__name__}: {exc}")


# Requests no person makes by hand (a bad Host header, a path no page links to, a 4 MB
# body): any 4xx from the site or the HTTP server is a clear enough refusal.
PROTOCOL_CATEGORIES = {"headers", "path", "method", "size"}


def clear_refusal(outcome: Outcome) -> bool:
    """A 4xx a person or a program can act on: field errors from the API, the form shown
    again with its alert, or one of the site's own error pages."""
    if isinstance(outcome.case, RequestCase) and outcome.case.server_refusal:
        return outcome.status == 400
    if isinstance(outcome.case, RequestCase) and outcome.case.category in PROTOCOL_CATEGORIES:
        return True
    if outcome.status == 405:
        return bool(outcome.allow)
    if outcome.door in {"api", "api-list"} and api_errors(outcome):
        return True
    return 'role="alert"' in outcome.body or 'class="message"' in outcome.body


def api_errors(outcome: Outcome) -> bool:
    data = None
    with contextlib.suppress(ValueError):
        data = json.loads(outcome.body)
    return isinstance(data, dict) and isinstance(data.get("errors"), dict) and bool(data["errors"])


def hostile(backend: Backend, mail: MailIndex, report: Report, *, show: bool) -> None:
    """The corpus through both doors; with `show`, also confirm what was accepted and look
    for it on the public list, the API's list and the emails (what a page shows does not
    depend on the database, so by default only the first database does this)."""
    db, port = backend.db, backend.port
    f = report.figures
    probe = Client(port)
    baseline = probe.request("GET", f"/s/{SLUG}/signatories/?kind=individual").text
    scripts_on_list = len(re.findall(r"<script", baseline, re.I))
    markup_baseline = max(
        len(RAW_MARKUP.findall(probe.request("GET", path).text))
        for path in (f"/s/{SLUG}/", f"/s/{SLUG}/signatories/")
    )
    probe.close()
    jobs: list[tuple[FieldCase | RequestCase, str]] = [
        (case, door) for case in FIELD_CASES for door in ("form", "api")
    ]
    jobs += [(case, case.door) for case in REQUEST_CASES]
    doors = Doors(port)
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(doors.run, jobs))

    with (backend.folder / "hostile.jsonl").open("w") as out:
        for o in outcomes:
            record = {
                "case": o.case.id,
                "door": o.door,
                "category": o.case.category,
                "field": getattr(o.case, "field", ""),
                "value": getattr(o.case, "value", ""),
                "status": o.status,
                "error": o.error,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    fivexx = [o for o in outcomes if o.status >= 500]
    unanswered = [o for o in outcomes if o.status == 0]
    refused = [o for o in outcomes if 400 <= o.status < 500]
    unclear = [o for o in refused if not clear_refusal(o)]
    accepted = [o for o in outcomes if o.status in {200, 201, 202, 302, 303}]
    f["hostile: cases tried"] = len(FIELD_CASES) + len(REQUEST_CASES)
    f["hostile: requests sent"] = len(outcomes)
    f["hostile: 5xx (must be 0)"] = len(fivexx)
    f["hostile: no answer (must be 0)"] = len(unanswered)
    f["hostile: refused with a clear 4xx"] = len(refused) - len(unclear)
    f["hostile: 4xx without a clear message (must be 0)"] = len(unclear)
    for o in fivexx:
        report.findings.append(f"5xx: {describe(o)}")
    for o in unanswered:
        report.findings.append(f"no answer: {describe(o)} ({o.error})")
    for o in unclear:
        report.findings.append(f"unclear {o.status}: {describe(o)}: {o.body[:120]!r}")
    # Every refusal the application makes under /api/ is JSON, down to the 400 for a foreign
    # Host and the 404 for an address nothing matches (undersigned.lib.errors); only what the
    # HTTP server refuses before the application runs (server_refusal) cannot be.
    not_json = [
        o
        for o in refused
        if o.door in {"api", "api-list"}
        and o.status != 405
        and not (isinstance(o.case, RequestCase) and o.case.server_refusal)
        and not api_errors(o)
    ]
    f["hostile: API refusals not in JSON (must be 0)"] = len(not_json)
    for o in not_json:
        kind = "an HTML page" if "<html" in o.body else f"{o.body[:40]!r}"
        report.findings.append(f"API refusal without JSON errors ({kind}): {describe(o)}")
    report.check(not fivexx, f"{len(fivexx)} hostile requests got a 5xx")
    report.check(not unanswered, f"{len(unanswered)} hostile requests got no answer")
    report.check(not unclear, f"{len(unclear)} hostile requests got a 4xx without a message")
    report.check(not not_json, f"{len(not_json)} API refusals were not JSON errors")

    # Refused form cases: the page comes back with the typed text kept, escaped.
    not_kept, unescaped = [], []
    for o in outcomes:
        selects = {"kind", "country", "display", "category"}  # a <select> keeps only choices
        if (
            isinstance(o.case, FieldCase)
            and o.door == "form"
            and 400 <= o.status < 500
            and o.case.field not in selects
        ):
            typed = o.sent.get(o.case.field, "")
            if typed and "\x00" not in typed and html.escape(typed) not in o.body:
                not_kept.append(o)
        if o.door in {"api", "api-list"}:
            continue  # JSON, not HTML: escaping is the reader's business
        if isinstance(o.case, FieldCase):
            typed = o.sent.get(o.case.field, "")
            if "<" in typed and typed in o.body:
                unescaped.append(o)
        elif len(RAW_MARKUP.findall(o.body)) > markup_baseline:
            unescaped.append(o)
    f["hostile: refused forms not keeping the typed text"] = len(not_kept)
    for o in not_kept[:10]:
        report.findings.append(f"typed text not kept on the re-rendered form: {describe(o)}")

    # Accepted cases: stored as typed (NFC), then shown escaped once confirmed.
    sign_ons = [o for o in accepted if o.door in {"form", "api"}]
    f["hostile: accepted"] = len(sign_ons)
    stored: dict[str, tuple[int, dict[str, Any]]] = {}
    columns = (
        "id",
        "kind",
        "status",
        "display",
        "referral",
        "hold_reason",
        *VERBATIM_FIELDS,
        "website",
        "email",
    )
    for raw in db.rows(
        f"SELECT {', '.join(columns)} FROM signatures_signature "  # noqa: S608 - constant
        "WHERE referral LIKE 'chaos-%%' OR email LIKE 'request.%%'"
    ):
        data = dict(zip(columns, raw, strict=True))
        key = data["referral"] if data["referral"].startswith("chaos-") else data["email"]
        stored[key] = (data["id"], data)
    mismatched, exact, folded, dangerous, missing_rows = [], 0, 0, [], []
    # outcome, sign-on id, field, stored value, the case's mark on the list
    listed_checks: list[tuple[Outcome, int, str, str, str]] = []
    held: list[str] = []
    for o in sign_ons:
        key = o.ref if o.ref else o.sent.get("email", "")
        if key not in stored:
            if isinstance(o.case, FieldCase) and o.case.field == "email":
                continue  # an address that normalises to one seen before: a repeat, no new row
            missing_rows.append(o)
            continue
        pk, row = stored[key]
        if not isinstance(o.case, FieldCase):
            continue  # request cases post like a script (no start time): held, rightly
        if row["hold_reason"]:
            held.append(f"{describe(o)}: {row['hold_reason']}")
        case = o.case
        checks = {case.field: o.sent[case.field], **case.extra}
        for name, typed in checks.items():
            if name not in VERBATIM_FIELDS:
                continue
            if row[name] == unicodedata.normalize("NFC", typed):
                exact += 1
            elif row[name] == fold(typed):
                folded += 1
            else:
                mismatched.append(f"{describe(o)}: {name} typed {typed!r}, stored {row[name]!r}")
            shown = row["kind"] == "individual" and row["display"] == "full"
            if shown and row[name] and marker_field(case) and not row["hold_reason"]:
                listed_checks.append((o, pk, name, row[name], o.ref.removeprefix("chaos-")))
        if case.field == "website" and row["website"]:
            if not re.match(r"(?i)(https?|ftps?)://", row["website"]):
                dangerous.append(f"{describe(o)}: website stored as {row['website']!r}")
    f["hostile: accepted but held for review (must be 0)"] = len(held)
    report.findings.extend(f"held quietly: {line}" for line in held[:10])
    report.check(not held, f"{len(held)} accepted hostile sign-ons were held for review")
    f["hostile: stored exactly as typed (NFC)"] = exact
    f["hostile: stored as typed, spaces folded"] = folded
    f["hostile: stored differently (must be 0)"] = len(mismatched)
    report.findings.extend(mismatched[:10])
    report.findings.extend(dangerous)
    for o in missing_rows:
        report.findings.append(f"accepted but no row found: {describe(o)}")
    report.check(not mismatched, f"{len(mismatched)} accepted values stored differently")
    report.check(not dangerous, f"{len(dangerous)} dangerous website addresses stored")
    report.check(not missing_rows, f"{len(missing_rows)} accepted sign-ons without a row")

    if not show:
        counters_match(backend, report, "hostile")
        return

    # Confirm the accepted individuals through their emailed links, as the signer would.
    individuals = {
        pk
        for pk, row in stored.values()
        if row["kind"] == "individual" and row["status"] == "pending"
    }
    no_mail = mail.wait_for(individuals, lambda: queue_backlog(backend))
    f["hostile: accepted sign-ons without their email (must be 0)"] = len(no_mail)
    report.check(not no_mail, f"{len(no_mail)} accepted hostile sign-ons never got their email")
    for pk in sorted(no_mail)[:5]:
        address = next(r["email"] for p, r in stored.values() if p == pk)
        report.findings.append(f"no confirmation email for sign-on {pk}: email {address!r}")
    to_confirm = sorted(individuals - no_mail)
    confirm_answers: Counter[int] = Counter()
    answers_lock = threading.Lock()

    def confirm(pk: int) -> None:
        c = Client(port)
        path = confirm_links(mail, pk).get("confirm", "")
        token = c.get_csrf(path)
        r = c.request(
            "POST", path, urlencode({"csrfmiddlewaretoken": token}).encode(), FORM_HEADERS
        )
        with answers_lock:
            confirm_answers[r.status] += 1
        c.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(confirm, to_confirm))
    f["hostile: confirmed through the emailed link"] = confirm_answers.get(200, 0)
    report.check(
        set(confirm_answers) <= {200}, f"confirming hostile sign-ons: {dict(confirm_answers)}"
    )

    # Every page of the public list and of the API's list, and the emails' HTML.
    pages, api_results = public_list(port)
    page_text = "\n".join(pages)
    if len(re.findall(r"<script", page_text, re.I)) > scripts_on_list * len(pages):
        report.check(False, "the public list has more <script> tags than before the corpus")
    items = {}  # a case's mark -> its line on the public list
    for item in re.findall(r"<li>(.*?)</li>", page_text, re.S):
        if found := re.search(r"Chaos Mark ([a-z]\d+)", item):
            items[found.group(1)] = item
    entries = {}  # a case's mark -> its entry in the API's list
    for entry in api_results:
        for value in (entry.get("city"), entry.get("region")):
            if isinstance(value, str) and value.startswith("Chaos Mark "):
                entries[value.removeprefix("Chaos Mark ")] = entry
    not_shown, raw_shown, api_missing, mail_raw = [], [], [], []
    checked = 0
    for o, pk, name, value, mark in listed_checks:
        if pk not in to_confirm:
            continue
        checked += 1
        item = items.get(mark)
        if item is None or html.escape(value) not in item:
            not_shown.append(f"{describe(o)}: {name} {value[:60]!r}")
        if item is not None and "<" in value and value in item:
            raw_shown.append(f"{describe(o)}: {name} {value[:60]!r}")
        if (entries.get(mark) or {}).get(name) != value:
            api_missing.append(f"{describe(o)}: {name} {value[:60]!r}")
        for m in mail.for_id(pk):
            if name == "name" and "<" in value and value in m.html:
                mail_raw.append(f"{describe(o)}: {value[:60]!r}")
    unescaped_pages = [describe(o) for o in unescaped]
    f["hostile: values checked on the public list"] = checked
    f["hostile: shown unescaped (must be 0)"] = (
        len(raw_shown) + len(mail_raw) + len(unescaped_pages)
    )
    f["hostile: missing from the list or the API (must be 0)"] = len(not_shown) + len(api_missing)
    for line in raw_shown + mail_raw + unescaped_pages:
        report.findings.append(f"unescaped: {line}")
    for line in (not_shown + api_missing)[:10]:
        report.findings.append(f"not listed as stored: {line}")
    report.check(
        not (raw_shown or mail_raw or unescaped_pages),
        f"{len(raw_shown) + len(mail_raw) + len(unescaped_pages)} values shown unescaped",
    )
    report.check(
        not (not_shown or api_missing),
        f"{len(not_shown) + len(api_missing)} confirmed values missing from the list or the API",
    )
    counters_match(backend, report, "hostile")


def public_list(port: int) -> tuple[list[str], list[dict[str, Any]]]:
    client = Client(port)
    pages: list[str] = []
    results: list[dict[str, Any]] = []
    for n in range(1, 50):
        r = client.request("GET", f"/s/{SLUG}/signatories/?kind=individual&page={n}")
        pages.append(r.text)
        if 'rel="next"' not in r.text:
            break
    for n in range(1, 50):
        r = client.request("GET", f"/api/v1/statements/{SLUG}/signatories?kind=individual&page={n}")
        data = r.json() or {}
        results.extend(data.get("results") or [])
        if n >= int(data.get("pages") or 0):
            break
    client.close()
    return pages, results


def describe(o: Outcome) -> str:
    case = o.case
    if isinstance(case, FieldCase):
        return f"{o.door} {case.id} {case.field}={case.value[:50]!r} -> {o.status or 'no answer'}"
    return f"{case.door} {case.id} {case.method} {case.path[:60]} -> {o.status or 'no answer'}"


# Main ---------------------------------------------------------------------------------------
def run_backend(
    name: str, run_dir: Path, smtp: SMTPServer, scenarios: set[str], *, show: bool
) -> Report:
    report = Report(name)
    log(f"== {name}: setting up")
    backend: Backend | None = None
    try:
        backend = make_backend(name, run_dir, smtp.port)
        assert backend.server is not None
        mail = MailIndex(smtp, f"{HOST}:{backend.port}")
        backend.server.start()
        log(f"== {name}: serving on port {backend.port}; data in {backend.folder}")
        finish = None
        if "crash" in scenarios:
            log(f"== {name}: crash (load, kill -9, restart)")
            finish = crash(backend, mail, report)
        if "race" in scenarios:
            log(f"== {name}: race")
            race(backend, mail, report)
        if finish is not None:
            # Before the corpus fills the queue: a later worker's start-up sweep queues the
            # leftovers again, behind whatever waits in the queue then.
            finish()
        if "hostile" in scenarios:
            log(
                f"== {name}: hostile input ({len(FIELD_CASES)} field cases through two doors, "
                f"{len(REQUEST_CASES)} request cases)"
            )
            hostile(backend, mail, report, show=show)
    except Exception as exc:  # reported with the figures gathered so far
        report.failures.append(f"the run stopped: {type(exc).__name__}: {exc}")
        log("".join(traceback.format_exception(exc)).rstrip())
    finally:
        if backend is not None and backend.server is not None:
            backend.server.stop()
            backend.db.close()
            report.server_errors = server_errors(backend.server.logfile)
            if report.server_errors:
                report.failures.append(
                    f"the server logged errors; see {backend.server.logfile.relative_to(ROOT)}"
                )
    return report


def print_figures(reports: list[Report], seconds: float) -> None:
    names = [r.backend for r in reports]
    keys: list[str] = []
    for r in reports:
        keys += [k for k in r.figures if k not in keys]
    sections = list(dict.fromkeys(k.partition(": ")[0] for k in keys))
    keys.sort(key=lambda k: sections.index(k.partition(": ")[0]))  # stable within a section
    width = max(len(k) for k in keys) + 2 if keys else 20
    print()
    print("=" * (width + 18 * len(names)))
    print("chaos figures".ljust(width) + "".join(n.rjust(18) for n in names))
    print("-" * (width + 18 * len(names)))
    section = ""
    for key in keys:
        head, _, label = key.partition(": ")
        if head != section:
            section = head
            print(head)
        cells = "".join(str(r.figures.get(key, "-")).rjust(18) for r in reports)
        print(f"  {label}".ljust(width) + cells)
    print("-" * (width + 18 * len(names)))
    for r in reports:
        for line in r.findings:
            print(f"[{r.backend}] finding: {line}")
        for line in r.server_errors:
            print(f"[{r.backend}] server log: {line}")
        for line in r.failures:
            print(f"[{r.backend}] FAILED: {line}")
    ok = all(not r.failures for r in reports)
    print(f"chaos: {'passed' if ok else 'FAILED'} in {seconds:.0f} s")


def prune(keep: int = 2) -> None:
    runs = sorted(p for p in OUT.glob("run-*") if p.is_dir())
    for old in runs[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--backend",
        action="append",
        choices=["sqlite", "postgres"],
        help="database to run on (repeatable); default: SQLite, and PostgreSQL + Redis when "
        "both answer on 127.0.0.1 (always in CI)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=["crash", "race", "hostile"],
        help="run only these scenarios (repeatable)",
    )
    parser.add_argument(
        "--budget",
        type=int,
        default=600,
        help="seconds the whole run may take before it stops and fails (default 600)",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="check the public list and emails on every database, not only the first",
    )
    args = parser.parse_args()
    started = time.monotonic()
    log(f"load average before the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    in_ci = os.environ.get("CI") == "true"
    backends = args.backend or ["sqlite", "postgres"]
    names = []
    for b in backends:
        if b == "sqlite":
            names.append("sqlite")
        elif services_up():
            names.append("postgres+redis")
        elif in_ci or args.backend:
            print("chaos: PostgreSQL (5432) or Redis (6379) is not running", file=sys.stderr)
            return 1
        else:
            log("SKIPPED PostgreSQL + Redis: start both on 127.0.0.1 to run it")
    scenarios = set(args.only or ["crash", "race", "hostile"])
    OUT.mkdir(parents=True, exist_ok=True)
    prune()
    run_dir = OUT / f"run-{dt.datetime.now():%Y%m%d-%H%M%S}"
    run_dir.mkdir()
    smtp = SMTPServer().start()
    reports: list[Report] = []

    def over_budget(signum: int, frame: object) -> None:
        raise OverBudget(f"chaos ran over its budget of {args.budget} s")

    signal.signal(signal.SIGALRM, over_budget)
    signal.alarm(args.budget)
    try:
        for name in names:
            if time.monotonic() - started > args.budget:
                reports.append(Report(name, failures=["not run: the budget was spent"]))
                continue
            show = args.full or not reports
            reports.append(run_backend(name, run_dir, smtp, scenarios, show=show))
    except OverBudget as exc:  # outside a scenario (setting up, stopping): still print figures
        reports.append(Report("(budget)", failures=[str(exc)]))
    finally:
        signal.alarm(0)
        smtp.stop()
    spent = time.monotonic() - started
    if reports and spent > args.budget and not any("budget" in f for f in reports[-1].failures):
        reports[-1].failures.append(f"chaos ran over its budget of {args.budget} s ({spent:.0f} s)")
    (run_dir / "figures.json").write_text(
        json.dumps(
            {
                r.backend: {**r.figures, "failures": r.failures, "findings": r.findings}
                for r in reports
            },
            indent=2,
            ensure_ascii=False,
            default=str,
        )
    )
    print_figures(reports, time.monotonic() - started)
    return 0 if reports and all(not r.failures for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
