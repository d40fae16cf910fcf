"""`make bench`: load and scale figures for undersigned, written to bench/RESULTS.md.

For each database (SQLite; PostgreSQL with Redis) it starts `undersigned serve` as a user
would (two granian workers plus the email worker), seeds data with bench/seed.py, drives
load with wrk from a separate process on 127.0.0.1 only, and measures every figure several
times next to the trivial `/ping` endpoint on the same server; exports the million sign-ons
the growth phase stored; then measures the scale-out profile (nginx in front of two app
servers and a separate email worker) the same way. See bench/README.md.

    .venv/bin/python bench/run.py                  # the full run, 25-40 minutes
    .venv/bin/python bench/run.py --only scaleout  # some parts; the others' figures are kept
    .venv/bin/python bench/run.py --quick          # a smoke run, 5-10 minutes
    .venv/bin/python bench/run.py --report         # rewrite RESULTS.md from bench/out/results.json
"""

# ruff: noqa: RUF001
# RUF001: the report is prose for people: en dashes, multiplication signs.

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
LUA = BENCH / "lua"
VENV_BIN = Path(sys.executable).parent
UNDERSIGNED = VENV_BIN / "undersigned"
HOST = "127.0.0.1"  # the only address any load goes to
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
# Overridable so that two people can benchmark on one machine without sharing a database.
PG_DB = os.environ.get("BENCH_PG_DB", "undersigned_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
WORKERS = 2
# The parts of a run, in the order they run; `--only` picks some of them.
PARTS = ("figures", "growth", "export", "scaleout")

SIGN, LIST, CONFIRM, GROW = "bench-sign", "bench-list", "bench-confirm", "bench-grow"
SCALEOUT_LABEL = "Scale-out (nginx, two app servers, PostgreSQL + Redis)"

# Targets from the issue. Rates in requests per second, latencies in milliseconds.
SIGN_RATE, SIGN_P99 = 1000, 200
READ_RATIO = 0.8
LIST_P99 = 100
FLAT = 0.20
EXPORT_SECONDS, EXPORT_MB = 60, 200


@dataclass
class Mode:
    quick: bool
    runs: int
    duration: float  # seconds per measured run at 16 connections
    light_duration: float  # seconds per run at 1 connection
    growth_duration: float
    growth_points: list[int]
    list_size: int
    confirm_pool: int
    drain_cap: float
    profile: bool
    export_rows: int = 1_000_000  # when the growth phase has not grown a statement already
    export_timeout: float = 120  # twice the target: an export still running is stopped
    profile_duration: float = 5
    retries: int = 1  # a read run is repeated once when other processes were busy during it
    quiet_budget: float = 60
    quiet_cap: float = 15  # seconds to wait, before a run, for other processes to quiet down
    connections: int = 16


def mode_from(args: argparse.Namespace) -> Mode:
    if args.quick:
        mode = Mode(
            quick=True,
            runs=3,
            duration=2,
            light_duration=2,
            growth_duration=2,
            growth_points=[1_000, 10_000, 100_000],
            list_size=100_000,
            confirm_pool=30_000,
            drain_cap=5,
            profile=False,
            export_rows=100_000,
            export_timeout=60,
            quiet_cap=3,
            quiet_budget=20,
            retries=0,
        )
    else:
        mode = Mode(
            quick=False,
            runs=3,
            duration=6,
            light_duration=3,
            growth_duration=3,
            growth_points=[1_000, 10_000, 100_000, 1_000_000],
            list_size=100_000,
            confirm_pool=60_000,
            drain_cap=20,
            profile=True,
        )
    if args.runs:
        mode.runs = args.runs
    if args.duration:
        mode.duration = args.duration
    if args.no_profile:
        mode.profile = False
    if args.export_timeout:
        mode.export_timeout = args.export_timeout
    return mode


def log(message: str) -> None:
    stamp = time.strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", flush=True)


# Processes -------------------------------------------------------------------------------
def _proc_stat(pid: int) -> tuple[int, int, int] | None:
    """(ppid, own cpu ticks, reaped children's cpu ticks) of a process, or None if gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def _all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid in _all_pids():
        stat = _proc_stat(pid)
        if stat:
            children.setdefault(stat[0], []).append(pid)
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _busy_ticks() -> int:
    parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in parts[:8])
    return user + nice + system + irq + softirq + steal


TICK = os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """Where the machine's CPU went during one run: server workers, email worker, database
    and Redis processes, the load generator, and everything else on the machine."""

    def __init__(self, server: Server | Cluster | None) -> None:
        self.server = server

    def _groups(self) -> dict[str, dict[int, int]]:
        groups: dict[str, dict[int, int]] = {
            "server": {},
            "email_worker": {},
            "proxy": {},
            "db": {},
            "redis": {},
        }
        ours = self.server.family() if self.server and self.server.alive() else set()
        for pid in _all_pids():
            stat = _proc_stat(pid)
            if stat is None:
                continue
            cmd = _cmdline(pid)
            if pid in ours and "granian" in cmd:
                groups["server"][pid] = stat[1]
            elif pid in ours and cmd.startswith("nginx:"):
                groups["proxy"][pid] = stat[1]
            elif pid in ours and "worker" in cmd:
                groups["email_worker"][pid] = stat[1] + stat[2]
            elif cmd.startswith("postgres:") and PG_DB in cmd:
                groups["db"][pid] = stat[1]
            elif cmd.startswith("redis-server"):
                groups["redis"][pid] = stat[1]
        return groups

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.busy0 = _busy_ticks()
        self.g0 = self._groups()

    def stop(self, wrk_seconds: float) -> dict[str, float]:
        wall = time.monotonic() - self.t0
        busy = (_busy_ticks() - self.busy0) / TICK
        g1 = self._groups()
        cores: dict[str, float] = {}
        for name, now in g1.items():
            before = self.g0.get(name, {})
            ticks = sum(v - before.get(pid, 0) for pid, v in now.items())
            cores[name] = ticks / TICK / wall
        cores["wrk"] = wrk_seconds / wall
        cores["other"] = max(0.0, busy / wall - sum(cores.values()))
        cores["machine"] = busy / wall
        return {k: round(v, 2) for k, v in cores.items()}


class Server:
    """`undersigned serve` with two workers and the email worker, as a user starts it (or,
    for the scale-out profile, one app server: `--workers 1 --no-worker --no-migrate`)."""

    def __init__(
        self,
        env: dict[str, str],
        port: int,
        logfile: Path,
        workers: int = WORKERS,
        extra: tuple[str, ...] = (),
    ) -> None:
        self.env, self.port, self.logfile = env, port, logfile
        self.command = [
            str(UNDERSIGNED),
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            str(workers),
            *extra,
        ]
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def family(self) -> set[int]:
        """This server's processes (the supervisor's children and theirs)."""
        return set(descendants(self.pid)) if self.alive() else set()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        self.log = self.logfile.open("ab")
        self.proc = subprocess.Popen(
            self.command, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"the server exited at start; see {self.logfile}")
            try:
                if http_get(self.port, "/ping")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the server did not answer /ping within 90 s; see {self.logfile}")

    def pids(self, word: str) -> list[int]:
        return [p for p in descendants(self.pid) if word in _cmdline(p)] if self.alive() else []

    def crash(self) -> list[int]:
        """kill -9 every granian process (master and workers) of this server, by pid."""
        victims = self.pids("granian")
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return victims

    def stop(self) -> None:
        if self.proc is None:
            return
        family = descendants(self.pid)
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=25)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pid in family:  # anything the supervisor left behind, by its pid
            if _proc_stat(pid) is not None and str(self.port) in _cmdline(pid) + " ":
                os.kill(pid, signal.SIGKILL)
            elif _proc_stat(pid) is not None and "undersigned.cli worker" in _cmdline(pid):
                os.kill(pid, signal.SIGKILL)
        self.log.close()


NGINX_CONF = """\
# Written by bench/run.py for the scale-out profile: docs/deploy/nginx.conf on loopback,
# without TLS, run in the foreground as the benchmark's own process.
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;

events {{
    worker_connections 1024;
}}

http {{
    access_log off;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;

    upstream undersigned {{
{servers}
        keepalive 32;
    }}

    proxy_cache_path {prefix}/cache levels=1:2 keys_zone=undersigned_cache:10m
                     max_size=100m inactive=10m use_temp_path=off;

    server {{
        listen {host}:{port};
        client_max_body_size 1m;

        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_connect_timeout 5s;
        proxy_read_timeout 60s;

        location / {{
            proxy_pass http://undersigned;
        }}

        location /static/ {{
            proxy_cache undersigned_cache;
            proxy_pass http://undersigned;
        }}

        location ~ ^/(api|osdi|embed)/ {{
            proxy_cache undersigned_cache;
            proxy_cache_lock on;
            proxy_cache_use_stale updating error timeout;
            proxy_cache_background_update on;
            proxy_cache_bypass $http_authorization $http_osdi_api_token;
            proxy_no_cache $http_authorization $http_osdi_api_token;
            # Only in the benchmark: a request with this header skips the cache, so the
            # count endpoint is measured both through the app and from nginx's copy.
            proxy_cache_bypass $http_x_bench_no_cache;
            proxy_no_cache $http_x_bench_no_cache;
            add_header X-Cache-Status $upstream_cache_status;
            proxy_pass http://undersigned;
        }}
    }}
}}
"""


class Cluster:
    """The scale-out profile on loopback: nginx in front of two app servers (`undersigned
    serve --workers 1 --no-worker --no-migrate`, one per core, as the single server has two
    workers), and the email worker as a process of its own (`undersigned worker`), all on
    one PostgreSQL and one Redis. Duck-types Server for the CPU meter and the runs."""

    def __init__(self, env: dict[str, str], port: int, folder: Path, app_servers: int = 2):
        self.env, self.port, self.folder = env, port, folder
        self.prefix = folder / "nginx"
        self.servers = [
            Server(
                env,
                free_port(),
                folder / f"scaleout-app{i + 1}.log",
                workers=1,
                extra=("--no-worker", "--no-migrate"),
            )
            for i in range(app_servers)
        ]
        self.worker: subprocess.Popen[bytes] | None = None
        self.nginx: subprocess.Popen[bytes] | None = None
        self.worker_command = [str(UNDERSIGNED), "worker"]
        self.nginx_command = [
            "nginx",
            "-p",
            str(self.prefix),
            "-c",
            str(self.prefix / "nginx.conf"),
        ]

    @property
    def pid(self) -> int:
        assert self.nginx is not None
        return self.nginx.pid

    def alive(self) -> bool:
        procs = [self.nginx, self.worker]
        return all(p is not None and p.poll() is None for p in procs) and all(
            s.alive() for s in self.servers
        )

    def family(self) -> set[int]:
        pids: set[int] = set()
        for server in self.servers:
            pids |= server.family()
        for proc in (self.nginx, self.worker):
            if proc is not None and proc.poll() is None:
                pids |= {proc.pid, *descendants(proc.pid)}
        return pids

    def config(self) -> str:
        servers = "\n".join(f"        server {HOST}:{s.port};" for s in self.servers)
        return NGINX_CONF.format(prefix=self.prefix, servers=servers, host=HOST, port=self.port)

    def start(self) -> None:
        nginx = shutil.which("nginx") or (
            "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
        )
        if nginx is None:
            raise RuntimeError("nginx is not installed (apt-get install nginx-light)")
        self.nginx_command[0] = nginx
        for server in self.servers:
            server.start()
        self.log = (self.folder / "scaleout-worker.log").open("ab")
        self.worker = subprocess.Popen(
            self.worker_command, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT
        )
        if self.prefix.exists():
            shutil.rmtree(self.prefix)
        (self.prefix / "tmp").mkdir(parents=True)
        (self.prefix / "nginx.conf").write_text(self.config())
        self.nginx = subprocess.Popen(
            self.nginx_command, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.nginx.poll() is not None:
                raise RuntimeError(f"nginx exited at start; see {self.prefix / 'error.log'}")
            try:
                if http_get(self.port, "/ping")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("nginx did not answer /ping within 30 s")

    def pids(self, word: str) -> list[int]:
        return [p for s in self.servers for p in s.pids(word)]

    def crash_one(self) -> list[int]:
        """kill -9 every granian process of the first app server; nginx carries on with the
        second."""
        return self.servers[0].crash()

    def stop(self) -> None:
        for proc in (self.nginx, self.worker):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # nginx: fast shutdown; worker: finish job
        for proc in (self.nginx, self.worker):
            if proc is not None:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        for server in self.servers:
            if server.proc is not None:
                server.stop()
        if self.worker is not None:
            self.log.close()


class Agent:
    """bench/seed.py, started with the server's environment; one JSON command per line."""

    def __init__(self, env: dict[str, str], logfile: Path) -> None:
        self.log = logfile.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, str(BENCH / "seed.py")],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            cwd=ROOT,
            text=True,
        )

    def __call__(self, cmd: str, **kwargs: Any) -> dict[str, Any]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps({"cmd": cmd, **kwargs}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"bench/seed.py stopped; see {self.log.name}")
        answer: dict[str, Any] = json.loads(line)
        if not answer.pop("ok"):
            raise RuntimeError(f"bench/seed.py {cmd}: {answer['error']}")
        return answer

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.log.close()


def http_get(port: int, path: str) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read().decode(errors="replace")
        headers = {k.lower(): v for k, v in response.getheaders() if k.lower() != "set-cookie"}
        headers["set-cookie"] = "; ".join(response.headers.get_all("Set-Cookie") or [])
        return response.status, headers, body
    finally:
        conn.close()


def form_tokens(port: int, slug: str, confirm_path: str) -> tuple[str, str, str]:
    """As a browser gets them: the sign-on form's start-time token from a real GET of the
    statement page (the form needs no CSRF cookie: it is checked by Sec-Fetch-Site/Origin),
    and the csrftoken cookie and csrfmiddlewaretoken the confirmation page's form carries
    (from a GET of a confirmation link, which changes nothing)."""
    status, _headers, body = http_get(port, f"/s/{slug}/")
    started = re.search(r'name="ind-started" value="([^"]*)"', body)
    if status != 200 or not started:
        raise RuntimeError(f"GET /s/{slug}/ gave {status} without the form's start time")
    status, headers, body = http_get(port, confirm_path)
    cookie = re.search(r"csrftoken=([^;]+)", headers["set-cookie"])
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or not cookie or not token:
        raise RuntimeError(f"GET {confirm_path} gave {status} without a CSRF cookie and token")
    return cookie.group(1), token.group(1), started.group(1)


def code_fingerprint() -> str:
    """A short hash of the app's source as the server loaded it: other engineers edit the
    working tree, so each backend's figures name the code they measured."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((ROOT / "undersigned").rglob("*")):
        if path.suffix in {".py", ".html", ".txt"} and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def shown(command: list[str]) -> str:
    """A command as a person would type it: programs by name, paths from the checkout."""
    return shlex.join([Path(command[0]).name, *(a.replace(f"{ROOT}/", "") for a in command[1:])])


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


# Load ------------------------------------------------------------------------------------
@dataclass
class Load:
    """One wrk invocation: what to hit, with how many connections."""

    figure: str
    path: str
    script: str = "get.lua"
    args: list[str] = field(default_factory=list)
    connections: int = 16
    headers: list[str] = field(default_factory=list)


def wrk_command(load: Load, port: int, duration: float) -> list[str]:
    url = f"http://{HOST}:{port}{load.path}"
    assert url.startswith("http://127.0.0.1:"), "load only ever goes to 127.0.0.1"
    command = [
        "wrk",
        "-t1",
        f"-c{load.connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "10s",
        *[arg for header in load.headers for arg in ("-H", header)],
        "-s",
        str((LUA / load.script).relative_to(ROOT)),
        url,
    ]
    if load.args:
        command += ["--", *load.args]
    return command


def settle(server: Server | Cluster | None, quiet_cap: float) -> dict[str, float]:
    """Before a run: wait until the server has finished what earlier runs left queued (wrk
    closes its connections at the end of a run, but granian still answers the requests
    already read), then until the rest of the machine is quiet (other people's test suites
    share these two cores). Both waits are bounded; what was waited is recorded."""
    started = time.monotonic()
    while time.monotonic() - started < 120:
        meter = CpuMeter(server)
        meter.start()
        time.sleep(0.5)
        if meter.stop(0)["server"] < 0.1:
            break
    busy_wait = time.monotonic() - started
    started = time.monotonic()
    other = 0.0
    while quiet_cap > 0:
        meter = CpuMeter(server)
        meter.start()
        time.sleep(1)
        cpu = meter.stop(0)
        other = cpu["machine"] - cpu["server"] - cpu["email_worker"] - cpu["proxy"] - cpu["db"]
        if other < 0.25 or time.monotonic() - started > quiet_cap:
            break
    return {
        "server_busy_s": round(busy_wait, 1),
        "quiet_wait_s": round(time.monotonic() - started, 1),
        "other_before": round(other, 2),
    }


def run_wrk(
    load: Load,
    port: int,
    duration: float,
    server: Server | Cluster | None,
    quiet_cap: float = 0,
    settle_first: bool = True,
) -> dict[str, Any]:
    waited = settle(server, quiet_cap) if server and settle_first else {}
    command = wrk_command(load, port, duration)
    _children_cpu()
    meter = CpuMeter(server)
    meter.start()
    proc = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        out, _ = proc.communicate(timeout=duration + 60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    usage = _children_cpu()
    cpu = meter.stop(usage)
    match = re.search(r"^BENCH_JSON (.*)$", out, re.MULTILINE)
    if not match:
        raise RuntimeError(f"wrk gave no result for {load.figure}:\n{out}")
    result: dict[str, Any] = json.loads(match.group(1))
    seconds = result["duration_us"] / 1e6
    result.update(
        figure=load.figure,
        command=shlex.join(command),
        seconds=round(seconds, 3),
        rate=round(result["requests"] / seconds, 1),
        cpu=cpu,
        connections=load.connections,
        waited=waited,
    )
    # CPU the request path cost: server workers, nginx (scale-out only), database and Redis.
    spent = (cpu["server"] + cpu["proxy"] + cpu["db"] + cpu["redis"]) * seconds
    result["cpu_ms_per_request"] = round(1000 * spent / max(1, result["requests"]), 2)
    return result


_children_seen = 0.0


def _children_cpu() -> float:
    """CPU seconds of the wrk process just reaped (children's rusage grows by it)."""
    global _children_seen
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = usage.ru_utime + usage.ru_stime
    spent, _children_seen = total - _children_seen, total
    return spent


# Phases ----------------------------------------------------------------------------------
@dataclass
class Backend:
    name: str  # "sqlite", "postgres", or "scaleout" (PostgreSQL + Redis behind nginx)
    label: str
    data_dir: Path

    @property
    def postgres(self) -> bool:
        return self.name in {"postgres", "scaleout"}

    def env(self, port: int) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "SECRET_KEY", "DEBUG"}
        }
        env.update(
            UNDERSIGNED_DATA_DIR=str(self.data_dir),
            RATE_LIMITS="off",
            BASE_URL=f"http://{HOST}:{port}",
            PYTHONUNBUFFERED="1",
        )
        if self.postgres:
            env.update(
                DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{PG_DB}", REDIS_URL=REDIS_URL
            )
        return env

    def reset(self) -> None:
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)
        self.data_dir.mkdir(parents=True)
        if self.postgres:
            import psycopg
            import redis

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
                conn.execute(f"CREATE DATABASE {PG_DB}")
            redis.Redis.from_url(REDIS_URL).flushdb()


class Bench:
    def __init__(self, mode: Mode) -> None:
        self.mode = mode
        self.records: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.info: dict[str, Any] = {}
        # Seconds, over the whole run, that may be spent waiting for other processes to
        # quiet down or repeating a run they disturbed; once spent, runs go ahead regardless.
        self.quiet_left = mode.quiet_budget

    def record(self, backend: Backend, phase: str, result: dict[str, Any], **extra: Any) -> None:
        result = {"backend": backend.name, "phase": phase, **result, **extra}
        self.records.append(result)
        lat = result["latency_us"]
        accepted = result.get("accepted")
        shown = f"{accepted['rate']:.0f} accepted/s" if accepted else f"{result['rate']:.0f} req/s"
        log(
            f"  {backend.name} {result['figure']}: {shown}, p50 {lat['p50'] / 1000:.1f} ms, "
            f"p99 {lat['p99'] / 1000:.1f} ms, cpu {result['cpu']}"
        )

    def quiet_cap(self) -> float:
        return max(0.0, min(self.mode.quiet_cap, self.quiet_left))

    def spend(self, waited: dict[str, float]) -> None:
        self.quiet_left -= waited.get("quiet_wait_s", 0)

    def run(
        self, load: Load, port: int, duration: float, server: Server | Cluster
    ) -> dict[str, Any]:
        """A measured run, after waiting (within the budget) for the machine to be quiet."""
        result = run_wrk(load, port, duration, server, self.quiet_cap())
        self.spend(result["waited"])
        return result

    def measure(
        self, load: Load, port: int, duration: float, server: Server | Cluster
    ) -> dict[str, Any]:
        """A read run, repeated (up to twice) when something else on the machine took more
        than a third of a core during it; the quietest attempt is kept."""
        attempts = []
        for _ in range(1 + self.mode.retries):
            result = self.run(load, port, duration, server)
            attempts.append(result)
            if result["cpu"]["other"] <= 0.35 or self.quiet_left <= 0:
                break
            log(f"  {load.figure}: other processes took {result['cpu']['other']} cores; again")
        best = min(attempts, key=lambda r: r["cpu"]["other"])
        best["attempts"] = len(attempts)
        return best

    def drain(self, agent: Agent) -> dict[str, Any]:
        """Wait until the email worker has sent what the last run queued (bounded)."""
        started = time.monotonic()
        while True:
            backlog = agent("backlog")
            waited = time.monotonic() - started
            if (backlog["owed"] == 0 and backlog["queued"] == 0) or waited > self.mode.drain_cap:
                return {"seconds": round(waited, 1), **backlog}
            time.sleep(0.5)

    # Figures on one server: reads, sign-ons, confirmations, the list, then a crash. --------
    def figures(self, backend: Backend) -> None:
        mode = self.mode
        backend.reset()
        port = free_port()
        env = backend.env(port)
        agent = Agent(env, backend.data_dir.parent / f"{backend.name}-seed.log")
        server = Server(env, port, backend.data_dir.parent / f"{backend.name}-serve.log")
        try:
            log(f"{backend.label}: migrating and seeding")
            agent("migrate")
            for slug in (SIGN, LIST, CONFIRM):
                agent("statement", slug=slug)
            agent("add", slug=SIGN, count=1_000)
            seeded = agent("add", slug=LIST, count=mode.list_size)
            log(f"  {mode.list_size:,} listed sign-ons in {seeded['seconds']} s")
            tokens_file = backend.data_dir.parent / f"{backend.name}-confirm-tokens.txt"
            agent(
                "add",
                slug=CONFIRM,
                count=mode.confirm_pool,
                status="pending",
                tokens_file=str(tokens_file),
            )
            self.info.setdefault("durability", {})[backend.name] = agent("durability")
            server.start()
            self.info.setdefault("code", {})[backend.name] = code_fingerprint()
            log(f"{backend.label}: serving on {HOST}:{port} (pid {server.pid})")
            first_link = tokens_file.read_text().split("\n", 1)[0].strip()
            cookie, token, started = form_tokens(port, SIGN, f"/s/{CONFIRM}/confirm/{first_link}/")
            c = mode.connections
            reads = [
                Load("ping", "/ping", connections=c),
                Load("statement_page", f"/s/{SIGN}/", connections=c),
                # A visitor with a cookie is never handed the process's finished copy
                # (undersigned.lib.microcache): this is the page through the whole stack.
                Load(
                    "statement_page_cookie",
                    f"/s/{SIGN}/",
                    connections=c,
                    headers=["Cookie: undersigned_language=en"],
                ),
                Load("count", f"/api/v1/statements/{SIGN}/count", connections=c),
                Load("list_first", f"/s/{LIST}/signatories/", connections=c),
            ]
            light = [
                Load("ping_c1", "/ping", connections=1),
                Load("list_first_c1", f"/s/{LIST}/signatories/", connections=1),
                Load("list_deep_c1", f"/s/{LIST}/signatories/?page=500", connections=1),
                # A page read twice within 2 s comes from the server's copy: pages spread over
                # the whole list are read from the database.
                Load(
                    "list_spread_c1",
                    f"/s/{LIST}/signatories/",
                    "list_pages.lua",
                    ["1000"],
                    connections=1,
                ),
            ]
            # Warm each path (templates, connections, caches) without recording it.
            for load in reads:
                run_wrk(load, port, 1, server)
            run_wrk(
                Load(
                    "warm",
                    f"/api/v1/statements/{SIGN}/signatures",
                    "sign_api.lua",
                    [SIGN, "warm"],
                    c,
                ),
                port,
                1,
                server,
            )
            self.drain(agent)
            next_token = 0
            for round_no in range(1, mode.runs + 1):
                log(f"{backend.label}: round {round_no}/{mode.runs}")
                for load in reads:
                    self.record(
                        backend,
                        "figures",
                        self.measure(load, port, mode.duration, server),
                        round=round_no,
                    )
                for kind in ("sign_api", "sign_form"):
                    run_id = f"{kind.replace('_', '')}{round_no}"
                    if kind == "sign_api":
                        load = Load(
                            kind,
                            f"/api/v1/statements/{SIGN}/signatures",
                            "sign_api.lua",
                            [SIGN, run_id],
                            c,
                        )
                        acked_key = "2xx"
                    else:
                        load = Load(
                            kind,
                            f"/s/{SIGN}/sign/",
                            "sign_form.lua",
                            [SIGN, run_id, started],
                            c,
                        )
                        acked_key = "3xx"
                    backlog = agent("backlog")
                    result = self.run(load, port, mode.duration, server)
                    settle(server, 0)  # requests still in flight finish before counting
                    acked = result["status"][acked_key]
                    counted = agent("count", slug=SIGN, prefix=f"{run_id}-")
                    stored = counted["count"]
                    drained = self.drain(agent)
                    self.record(
                        backend,
                        "figures",
                        result,
                        round=round_no,
                        accepted={"count": acked, "rate": round(acked / result["seconds"], 1)},
                        durability={
                            "acked": acked,
                            "stored": stored,
                            "missing": max(0, acked - stored),
                            "held": counted.get("held", 0),
                        },
                        backlog_before=backlog,
                        drain=drained,
                    )
                before = agent("count", slug=CONFIRM, status="confirmed")["count"]
                load = Load(
                    "confirm",
                    f"/s/{CONFIRM}/confirm/",
                    "confirm.lua",
                    [CONFIRM, str(tokens_file.relative_to(ROOT)), str(next_token), cookie, token],
                    c,
                )
                result = self.run(load, port, mode.duration, server)
                settle(server, 0)
                next_token += result["sent"] + 1
                after = agent("count", slug=CONFIRM, status="confirmed")["count"]
                acked = result["status"]["2xx"]
                self.record(
                    backend,
                    "figures",
                    result,
                    round=round_no,
                    accepted={"count": acked, "rate": round(acked / result["seconds"], 1)},
                    durability={
                        "acked": acked,
                        "stored": after - before,
                        "missing": max(0, acked - (after - before)),
                    },
                )
                for load in light:
                    self.record(
                        backend,
                        "figures",
                        self.measure(load, port, mode.light_duration, server),
                        round=round_no,
                    )
            if mode.profile:
                self.profile(backend, server, port, cookie, token, started, tokens_file, next_token)
            self.info.setdefault("tables", {})[backend.name] = agent("stats")
            self.crash(backend, server, agent, port)
        finally:
            server.stop()
            agent.close()

    def profile(
        self,
        backend: Backend,
        server: Server,
        port: int,
        cookie: str,
        token: str,
        started: str,
        tokens_file: Path,
        next_token: int,
        only: set[str] | None = None,
    ) -> None:
        """Sample the two server workers (and the email worker) with py-spy during one extra,
        unrecorded run of each figure: where the time inside a request goes."""
        spy = VENV_BIN / "py-spy"
        if not spy.exists():
            self.notes.append("py-spy is not installed (pip install -e '.[dev]'): no profiles.")
            return
        c = self.mode.connections
        loads = [
            Load(
                "sign_api",
                f"/api/v1/statements/{SIGN}/signatures",
                "sign_api.lua",
                [SIGN, "prof"],
                c,
            ),
            Load(
                "sign_form",
                f"/s/{SIGN}/sign/",
                "sign_form.lua",
                [SIGN, "profform", started],
                c,
            ),
            Load(
                "confirm",
                f"/s/{CONFIRM}/confirm/",
                "confirm.lua",
                [CONFIRM, str(tokens_file.relative_to(ROOT)), str(next_token), cookie, token],
                c,
            ),
            Load("statement_page", f"/s/{SIGN}/", connections=c),
            Load("count", f"/api/v1/statements/{SIGN}/count", connections=c),
            Load("list_deep", f"/s/{LIST}/signatories/?page=500", connections=2),
            Load("ping", "/ping", connections=c),
        ]
        if only:
            loads = [load for load in loads if load.figure in only]
        folder = OUT / "profiles"
        folder.mkdir(parents=True, exist_ok=True)
        duration = self.mode.profile_duration
        granian = min(server.pids("granian"))  # the master; --subprocesses takes the workers
        email_worker = server.pids("undersigned.cli worker")
        for load in loads:
            waited = settle(server, self.quiet_cap())
            self.spend(waited)
            target = folder / f"{backend.name}-{load.figure}.txt"
            spies = [
                subprocess.Popen(
                    [
                        str(spy),
                        "record",
                        "--pid",
                        str(granian),
                        "--subprocesses",
                        "--idle",
                        "--nonblocking",
                        "--rate",
                        "200",
                        "--duration",
                        f"{duration + 2:g}",
                        "--format",
                        "raw",
                        "-o",
                        str(target),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            ]
            if load.figure == "sign_api" and email_worker:
                spies.append(
                    subprocess.Popen(
                        [
                            str(spy),
                            "record",
                            "--pid",
                            str(email_worker[0]),
                            "--subprocesses",
                            "--nonblocking",
                            "--rate",
                            "100",
                            "--duration",
                            f"{duration + 2:g}",
                            "--format",
                            "raw",
                            "-o",
                            str(folder / f"{backend.name}-email_worker.txt"),
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )
            time.sleep(1)
            result = run_wrk(load, port, duration, server, settle_first=False)
            for proc in spies:
                proc.wait(timeout=60)
            self.info.setdefault("profiles", {}).setdefault(backend.name, {})[load.figure] = {
                "file": str(target.relative_to(ROOT)),
                "command": shlex.join(spies[0].args),  # type: ignore[arg-type]
                "rate": result["rate"],
            }
            log(
                f"  profiled {backend.name} {load.figure} ({result['rate']:.0f} req/s under "
                f"py-spy; before it {waited})"
            )

    def _killed_mid_run(
        self, agent: Agent, port: int, kill: Callable[[], list[int]], settle: float = 0
    ) -> dict[str, Any]:
        """A sign-on run with `kill` called 3 s in, then the sign-ons acknowledged compared
        with the rows in the database (after `settle` seconds)."""
        load = Load(
            "crash",
            f"/api/v1/statements/{SIGN}/signatures",
            "sign_api.lua",
            [SIGN, "crash"],
            self.mode.connections,
        )
        command = wrk_command(load, port, 6)
        proc = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        time.sleep(3)
        killed = kill()
        out, _ = proc.communicate(timeout=60)
        _children_cpu()
        match = re.search(r"^BENCH_JSON (.*)$", out, re.MULTILINE)
        result = json.loads(match.group(1)) if match else {"status": {"2xx": 0}, "errors": {}}
        acked = result["status"]["2xx"]
        time.sleep(settle)
        stored = agent("count", slug=SIGN, prefix="crash-")["count"]
        return {
            "command": shlex.join(command),
            "killed": len(killed),
            "acked": acked,
            "stored": stored,
            "missing": max(0, acked - stored),
            "errors": result.get("errors", {}),
            "status": result.get("status", {}),
        }

    def crash(self, backend: Backend, server: Server, agent: Agent, port: int) -> None:
        """kill -9 the server's processes in the middle of a sign-on run, then compare the
        sign-ons it acknowledged with the rows in the database."""
        check = self._killed_mid_run(agent, port, server.crash)
        self.info.setdefault("crash", {})[backend.name] = check
        log(
            f"  crash check: {check['acked']} acknowledged, {check['stored']} stored after "
            f"kill -9 of {check['killed']} server processes"
        )

    # Sign-on cost as the stored sign-ons grow ------------------------------------------------
    def growth(self, backend: Backend) -> None:
        mode = self.mode
        backend.reset()
        port = free_port()
        env = backend.env(port)
        agent = Agent(env, backend.data_dir.parent / f"{backend.name}-growth-seed.log")
        server = Server(env, port, backend.data_dir.parent / f"{backend.name}-growth-serve.log")
        try:
            agent("migrate")
            agent("statement", slug=GROW)
            server.start()
            log(f"{backend.label}: growth, serving on {HOST}:{port}")
            c = mode.connections
            run_wrk(Load("ping", "/ping", connections=c), port, 1, server)
            for round_no in range(1, mode.runs + 1):
                self.record(
                    backend,
                    "growth",
                    self.measure(
                        Load("ping", "/ping", connections=c), port, mode.growth_duration, server
                    ),
                    round=round_no,
                )
            warm = Load(
                "warm", f"/api/v1/statements/{GROW}/signatures", "sign_api.lua", [GROW, "warm"], c
            )
            stored = 0
            for point in mode.growth_points:
                if point > stored:
                    added = agent("add", slug=GROW, count=point - stored)
                    log(f"  grew {GROW} to {added['stored']:,} sign-ons in {added['seconds']} s")
                    stored = added["stored"]
                base = agent("max_id", slug=GROW)["max_id"]
                run_wrk(warm, port, 1, server)
                settle(server, 0)
                agent("trim", slug=GROW, above_id=base, purge_jobs=True)
                self.drain(agent)
                for round_no in range(1, mode.runs + 1):
                    run_id = f"grow{point}r{round_no}"
                    load = Load(
                        "sign_api",
                        f"/api/v1/statements/{GROW}/signatures",
                        "sign_api.lua",
                        [GROW, run_id],
                        c,
                    )
                    result = self.run(load, port, mode.growth_duration, server)
                    settle(server, 0)
                    acked = result["status"]["2xx"]
                    rows = agent("count", slug=GROW, prefix=f"{run_id}-")["count"]
                    trimmed = agent("trim", slug=GROW, above_id=base, purge_jobs=True)
                    drained = self.drain(agent)
                    self.record(
                        backend,
                        "growth",
                        result,
                        round=round_no,
                        stored=point,
                        accepted={"count": acked, "rate": round(acked / result["seconds"], 1)},
                        durability={
                            "acked": acked,
                            "stored": rows,
                            "missing": max(0, acked - rows),
                        },
                        trimmed=trimmed["deleted"],
                        drain=drained,
                    )
            self.info.setdefault("growth_tables", {})[backend.name] = agent("stats")
        finally:
            server.stop()
            agent.close()

    # Export of the grown statement ------------------------------------------------------------
    def export(self, backend: Backend, grown: bool) -> None:
        """Time and peak memory of `undersigned export` (every format) over the statement the
        growth phase grew to its largest size; seeded here only when growth did not run."""
        import export_memory

        mode = self.mode
        env = backend.env(free_port())
        seed_log = backend.data_dir.parent / f"{backend.name}-export-seed.log"
        if not grown:
            # A statement grown by an earlier run (growth, or this part) is used again.
            stored = 0
            if backend.data_dir.exists():
                agent = Agent(env, seed_log)
                try:
                    stored = agent("count", slug=GROW)["count"]
                except RuntimeError:
                    stored = 0
                finally:
                    agent.close()
            if stored >= mode.export_rows:
                log(f"  reusing the {stored:,} sign-ons an earlier run stored")
            else:
                backend.reset()
                agent = Agent(env, seed_log)
                try:
                    agent("migrate")
                    agent("statement", slug=GROW)
                    added = agent("add", slug=GROW, count=mode.export_rows)
                    log(
                        f"  seeded {added['stored']:,} sign-ons for the export in "
                        f"{added['seconds']} s"
                    )
                finally:
                    agent.close()
        folder = backend.data_dir.parent / "export"
        folder.mkdir(parents=True, exist_ok=True)
        results = []
        for fmt, private in [pair for pairs in export_memory.EXPORTS.values() for pair in pairs]:
            result = export_memory.measure(
                env, fmt, private, folder, slug=GROW, timeout=mode.export_timeout
            )
            results.append(result)
            log(
                f"  {backend.name} export {fmt}{' --private' if private else ''}: "
                f"{result['seconds']} s (cpu {result['cpu_seconds']} s), "
                f"peak {result['peak_mb']} MB, "
                f"{result['bytes'] / 1e6:.0f} MB written"
                + ("" if result["exit"] == 0 else f", FAILED ({result['exit']})")
            )
        agent = Agent(env, seed_log)
        try:
            stored = agent("count", slug=GROW)["count"]
        finally:
            agent.close()
        self.info.setdefault("export", {})[backend.name] = {
            "stored": stored,
            "reused": grown,
            "exports": results,
            "command": shlex.join(
                ["undersigned", "export", GROW, "--format", "FORMAT", "--out", "FILE"]
            ),
        }

    # Scale-out: nginx, two app servers, one email worker, PostgreSQL + Redis ------------------
    def scaleout(self) -> None:
        mode = self.mode
        backend = Backend("scaleout", SCALEOUT_LABEL, OUT / "scaleout" / "data")
        backend.reset()
        port = free_port()
        env = backend.env(port)
        # nginx is on this machine: believe its X-Forwarded-For and X-Forwarded-Proto.
        env["TRUSTED_PROXIES"] = "127.0.0.1/32"
        folder = backend.data_dir.parent
        agent = Agent(env, folder / "scaleout-seed.log")
        cluster = Cluster(env, port, folder)
        try:
            log(f"{backend.label}: migrating and seeding")
            agent("migrate")
            for slug in (SIGN, LIST):
                agent("statement", slug=slug)
            agent("add", slug=SIGN, count=1_000)
            agent("add", slug=LIST, count=mode.list_size)
            self.info.setdefault("durability", {})[backend.name] = agent("durability")
            cluster.start()
            self.info.setdefault("code", {})[backend.name] = code_fingerprint()
            self.info["scaleout"] = {
                "nginx": cluster.nginx_command,
                "app_servers": [shown(s.command) for s in cluster.servers],
                "worker": shown(cluster.worker_command),
                "nginx_version": subprocess.run(
                    [cluster.nginx_command[0], "-v"], capture_output=True, text=True
                ).stderr.strip(),
                "config": (cluster.prefix / "nginx.conf").read_text().replace(f"{ROOT}/", ""),
            }
            log(
                f"{backend.label}: nginx on {HOST}:{port} in front of "
                + ", ".join(str(s.port) for s in cluster.servers)
            )
            c = mode.connections
            skip_cache = ["X-Bench-No-Cache: 1"]
            count_path = f"/api/v1/statements/{SIGN}/count"
            reads = [
                Load("ping", "/ping", connections=c),
                Load("statement_page", f"/s/{SIGN}/", connections=c),
                Load("count", count_path, connections=c, headers=skip_cache),
                Load("count_cached", count_path, connections=c),
                Load("list_first", f"/s/{LIST}/signatories/", connections=c),
            ]
            light = [
                Load("ping_c1", "/ping", connections=1),
                Load("list_first_c1", f"/s/{LIST}/signatories/", connections=1),
                Load("list_deep_c1", f"/s/{LIST}/signatories/?page=500", connections=1),
            ]
            for load in reads:
                run_wrk(load, port, 1, cluster)
            sign_path = f"/api/v1/statements/{SIGN}/signatures"
            run_wrk(Load("warm", sign_path, "sign_api.lua", [SIGN, "warm"], c), port, 1, cluster)
            self.drain(agent)
            for round_no in range(1, mode.runs + 1):
                log(f"{backend.label}: round {round_no}/{mode.runs}")
                for load in reads:
                    self.record(
                        backend,
                        "figures",
                        self.measure(load, port, mode.duration, cluster),
                        round=round_no,
                    )
                run_id = f"scale{round_no}"
                load = Load("sign_api", sign_path, "sign_api.lua", [SIGN, run_id], c)
                backlog = agent("backlog")
                result = self.run(load, port, mode.duration, cluster)
                settle(cluster, 0)
                acked = result["status"]["2xx"]
                counted = agent("count", slug=SIGN, prefix=f"{run_id}-")
                drained = self.drain(agent)
                self.record(
                    backend,
                    "figures",
                    result,
                    round=round_no,
                    accepted={"count": acked, "rate": round(acked / result["seconds"], 1)},
                    durability={
                        "acked": acked,
                        "stored": counted["count"],
                        "missing": max(0, acked - counted["count"]),
                        "held": counted.get("held", 0),
                    },
                    backlog_before=backlog,
                    drain=drained,
                )
                for load in light:
                    self.record(
                        backend,
                        "figures",
                        self.measure(load, port, mode.light_duration, cluster),
                        round=round_no,
                    )
            self.info.setdefault("tables", {})[backend.name] = agent("stats")
            self.failover(backend, cluster, agent, port)
        finally:
            cluster.stop()
            agent.close()

    def failover(self, backend: Backend, cluster: Cluster, agent: Agent, port: int) -> None:
        """kill -9 one app server in the middle of a sign-on run through nginx: the sign-ons
        acknowledged (by either server) must all be in the database, and nginx should go on
        answering from the other server."""
        # settle: the surviving server finishes what it had read.
        check = self._killed_mid_run(agent, port, cluster.crash_one, settle=2)
        self.info.setdefault("crash", {})[backend.name] = check
        log(
            f"  failover check: {check['acked']} acknowledged, {check['stored']} stored, after "
            f"kill -9 of {check['killed']} processes of one app server; answers "
            f"{check['status']}"
        )


# Report ----------------------------------------------------------------------------------
FIGURES = [
    ("ping", "`/ping` (the floor)", "GET /ping"),
    ("statement_page", "Statement page", "GET /s/{slug}/"),
    (
        "statement_page_cookie",
        "Statement page, visitor with a cookie (no copy: the whole stack)",
        "GET /s/{slug}/ with Cookie: undersigned_language=en",
    ),
    ("count", "Count endpoint", "GET /api/v1/statements/{slug}/count"),
    (
        "sign_api",
        "Sign-on, JSON API (unique signers)",
        "POST /api/v1/statements/{slug}/signatures → 202",
    ),
    (
        "sign_form",
        "Sign-on, HTML form with its CSRF check (unique signers)",
        "POST /s/{slug}/sign/ → 302",
    ),
    ("confirm", "Confirmations", "POST /s/{slug}/confirm/{token}/ → 200"),
    ("list_first", "Signatory list, first page, 100,000 listed", "GET /s/{slug}/signatories/"),
    ("list_deep", "Signatory list, page 500 of 1,000", "GET /s/{slug}/signatories/?page=500"),
    ("ping_c1", "`/ping`, one connection", "GET /ping"),
    ("list_first_c1", "Signatory list, first page, one connection", "GET /s/{slug}/signatories/"),
    (
        "list_deep_c1",
        "Signatory list, page 500, one connection",
        "GET /s/{slug}/signatories/?page=500",
    ),
    (
        "list_spread_c1",
        "Signatory list, random pages of 1,000, one connection (uncached)",
        "GET /s/{slug}/signatories/?page=1…1000",
    ),
]
_FIGURE = {key: (key, title, what) for key, title, what in FIGURES}
SCALEOUT_FIGURES = [
    _FIGURE["ping"],
    _FIGURE["statement_page"],
    ("count", "Count endpoint, every request to an app server", _FIGURE["count"][2]),
    (
        "count_cached",
        "Count endpoint, nginx's copy (as the app's Cache-Control allows)",
        _FIGURE["count"][2],
    ),
    _FIGURE["sign_api"],
    _FIGURE["list_first"],
    _FIGURE["ping_c1"],
    _FIGURE["list_first_c1"],
    _FIGURE["list_deep_c1"],
]


def _ms(us: float) -> str:
    return f"{us / 1000:.1f}"


def _spread(values: list[float], fmt: str = "{:,.0f}") -> str:
    med = statistics.median(values)
    return f"{fmt.format(med)} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def figure_table(
    w: Any,
    rows_for: Any,
    ping_rate: float,
    ping_p50_1: float,
    figures: list[tuple[str, str, str]] = FIGURES,
    proxy: bool = False,
) -> None:
    """One backend's table: every figure's median rate with its spread, ratio to /ping, latencies,
    errors, CPU per request and where the machine's CPU went."""
    w(
        "| Figure | Conns | Rate /s, median (min–max) | × /ping | p50 ms | p99 ms "
        "| Non-2xx/3xx, errors | CPU ms per request (server + "
        + ("nginx + " if proxy else "")
        + "db) | CPU cores: server / email worker / "
        + ("nginx / " if proxy else "")
        + "db / wrk / other |"
    )
    w("|---|---|---|---|---|---|---|---|---|")
    for key, title, _ in figures:
        rows = rows_for(key)
        if not rows:
            continue
        accepted = [r["accepted"]["rate"] for r in rows if r.get("accepted")]
        rates = accepted or [r["rate"] for r in rows]
        p50 = [r["latency_us"]["p50"] for r in rows]
        p99 = [r["latency_us"]["p99"] for r in rows]
        conns = rows[0]["connections"]
        if conns == 1:
            ratio = f"p50 {statistics.median(p50) / ping_p50_1:.1f}×" if ping_p50_1 else "–"
        else:
            ratio = f"{statistics.median(rates) / ping_rate:.2f}"
        bad = sum(r["status"]["4xx"] + r["status"]["5xx"] + r["status"]["other"] for r in rows)
        errs = sum(sum(r["errors"].values()) - r["errors"]["status"] for r in rows)
        cpu = {k: statistics.median(r["cpu"].get(k, 0) for r in rows) for k in rows[0]["cpu"]}
        label = title + (" — accepted" if accepted else "")
        cores = [cpu["server"], cpu["email_worker"]]
        if proxy:
            cores.append(cpu.get("proxy", 0))
        cores += [cpu["db"], cpu["wrk"], cpu["other"]]
        w(
            f"| {label} | {conns} | {_spread(rates)} | {ratio} "
            f"| {_spread([x / 1000 for x in p50], '{:.1f}')} "
            f"| {_spread([x / 1000 for x in p99], '{:.1f}')} | {bad}, {errs} "
            f"| {statistics.median(r['cpu_ms_per_request'] for r in rows):.2f} "
            f"| {' / '.join(f'{x:.2f}' for x in cores)} |"
        )


# Where a sample's time goes: the first rule, in this order, that matches any frame of its
# stack names it (so a query run while a template renders counts as database time); a stack
# no rule matches is named by its innermost frame.
CATEGORIES = [
    ("SQLite: waiting for the writer's turn (lib/sqlite)", r"WriterTurn\.take"),
    ("SQLite: waiting for the write lock (BEGIN IMMEDIATE)", "_start_transaction_under_autocommit"),
    ("Redis: queueing the email job (rq, django-rq)", r"\(redis/|\(rq/|django_tasks_rq|django_rq"),
    ("database: COMMIT", r"BaseDatabaseWrapper\._commit|_savepoint_commit"),
    (
        "database: executing queries and fetching rows",
        r"SQLiteCursorWrapper\.execute|\(psycopg/|\(sqlite3/|Cursor\.fetch",
    ),
    ("job queue in the database (django-tasks-db)", r"django_tasks_db/"),
    ("template rendering", r"\(django/template/"),
    ("forms: building and validating", r"\(django/forms/|django_countries|email_validator"),
    ("ORM: building queries and model instances", r"\(django/db/models/"),
    ("django-ninja / pydantic", r"\(ninja/|\(pydantic"),
]


# A request thread whose sign-on another thread is writing (undersigned.lib.groupcommit): with
# eight threads per process most samples are these, which says nothing of where work goes.
PARKED = re.compile(r"GroupCommit\.submit")


def _frame_name(frame: str) -> str:
    name = re.sub(r":\d+\)$", ")", frame)
    name = re.sub(r"\(.*?(site-packages|lib/python3\.\d+)/", "(", name)
    return name.replace(str(ROOT) + "/", "")


def summarise_profile(
    path: Path, top: int = 12
) -> tuple[int, list[tuple[float, str]], list[tuple[float, str]]]:
    """Of the samples taken inside a request (under WSGIHandler): the share of each kind of
    work, and the project's own functions by inclusive share."""
    categories: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    total = parked = 0
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        frames = stack.split(";")
        if not any(f.startswith("WSGIHandler.__call__") for f in frames):
            continue
        count = int(n)
        names = [_frame_name(f) for f in frames]
        if PARKED.search(names[-1]):
            parked += count
            continue
        total += count
        for name in set(names):
            if "(undersigned/" in name:
                ours[name] += count
        label = next(
            (c for c, rule in CATEGORIES if any(re.search(rule, name) for name in names)), None
        )
        if label is None:
            leaf = names[-1]
            if "(undersigned/" in leaf:
                label = "the project's own code"
            elif re.search(r"\((django|csp|whitenoise|asgiref)/", leaf):
                label = "Django: middleware, URL routing, request and response"
            else:
                label = "other (standard library, other packages)"
        categories[label] += count
    if not total:
        return 0, [], []
    kinds = [(100 * v / total, k) for k, v in categories.most_common()]
    if parked:
        kinds.append(
            (
                100 * parked / (parked + total),
                "of all samples: threads parked until the batch holding their sign-on commits "
                "(lib/groupcommit), left out of the shares above",
            )
        )
    # Ties by name, so rewriting the report from the same samples gives the same text (the
    # order in which a stack's functions are first counted changes with each process's hash).
    ranked = sorted(ours.items(), key=lambda item: (-item[1], item[0]))[:top]
    functions = [(100 * v / total, k) for k, v in ranked]
    return total, kinds, functions


def report(
    records: list[dict[str, Any]], info: dict[str, Any], notes: list[str], path: Path
) -> None:
    mode = info["mode"]
    lines: list[str] = []
    w = lines.append
    w("# Benchmark results")
    w("")
    w(
        f"Written by `{info['command']}` on {info['started']} (run {info['run_id']}, took "
        f"{info['minutes']:.1f} min). "
        + (
            "Every figure below is from that run; "
            if len({m["run_id"] for m in info.get("measured", {}).values()}) <= 1
            else "Some parts are kept from earlier runs (see **Parts** below); "
        )
        + "rerun `make bench` to refresh this file. "
        "Raw numbers for every run: `bench/out/results.json`."
    )
    w("")
    w("**Setup.** " + info["setup"])
    w("")
    measured = info.get("measured", {})
    if measured:
        w(
            "**Parts.** When each part was measured, with the load average at its start "
            "(`bench/run.py --only PARTS` remeasures some parts and keeps the others): "
            + "; ".join(
                f"{key.replace(':', ' on ').replace('scaleout on scaleout', 'scaleout')} in run "
                f"{m['run_id']} ({m['at']}, load {m['load']})"
                for key, m in sorted(measured.items())
            )
            + "."
        )
        w("")
    w(
        f"**Method.** Each figure is measured {mode['runs']} times, interleaved in rounds (every "
        "figure once per round), on the same server in the same run as `/ping`; the table "
        "gives the median and, in brackets, min–max. Throughput runs last "
        f"{mode['duration']:g} s with {mode['connections']} keep-alive connections from one wrk "
        f"thread; one-connection runs last {mode['light_duration']:g} s. Latencies are wrk's, "
        "over every answer in the run (closed loop: at 16 connections they include queueing "
        "behind the two workers). `× /ping` divides the median rate (or the median p50) by "
        '`/ping`\'s at the same number of connections. "Accepted" counts only sign-ons answered '
        "`202` (API) or `302` (form) and confirmations answered `200`."
    )
    w("")
    for note in notes:
        w(f"> {note}")
        w("")
    by = lambda backend, phase, figure: [  # noqa: E731
        r
        for r in records
        if r["backend"] == backend and r["phase"] == phase and r["figure"] == figure
    ]
    verdicts: list[str] = []
    for backend in info["backends"]:
        name = {"sqlite": "SQLite", "postgres": "PostgreSQL + Redis"}[backend]
        w(f"## {name}")
        w("")
        if backend in info.get("skipped", {}):
            w(f"Not measured: {info['skipped'][backend]}")
            w("")
            continue
        code = info.get("code", {}).get(backend)
        if code:
            w(f"Source fingerprint of `undersigned/` when this server started: `{code}`.")
            w("")
        ping16 = by(backend, "figures", "ping")
        ping1 = by(backend, "figures", "ping_c1")
        if not ping16:
            w("No figures recorded.")
            continue
        ping_rate = statistics.median(r["rate"] for r in ping16)
        ping_p50_1 = statistics.median(r["latency_us"]["p50"] for r in ping1) if ping1 else 0
        figure_table(
            w, lambda key, backend=backend: by(backend, "figures", key), ping_rate, ping_p50_1
        )
        w("")
        # Durability
        acked = stored = missing = 0
        for key in ("sign_api", "sign_form", "confirm"):
            for r in by(backend, "figures", key) + (by(backend, "growth", key)):
                d = r.get("durability")
                if d:
                    acked += d["acked"]
                    stored += d["stored"]
                    missing += d["missing"]
        crash = info.get("crash", {}).get(backend)
        w(
            (
                "**Nothing acknowledged was lost.**"
                if missing == 0
                else "**ACKNOWLEDGED SIGN-ONS WERE LOST.**"
            )
            + " Over every measured sign-on and confirmation run "
            f"on {name} ({acked:,} answered 202/302/200), {missing} acknowledged "
            f"{'was' if missing == 1 else 'were'} missing from the database afterwards "
            f"({stored:,} rows found; a few more rows than answers is normal: requests in flight "
            "when wrk stopped were stored but their answers not counted)."
        )
        if crash:
            w(
                f"Crash check: `{crash['command']}`, with `kill -9` of all {crash['killed']} "
                f"granian "
                f"processes 3 s in: {crash['acked']:,} sign-ons acknowledged before the kill, "
                f"{crash['stored']:,} rows found after it, **{crash['missing']} missing**."
            )
        held = sum(
            (r.get("durability") or {}).get("held", 0)
            for r in by(backend, "figures", "sign_form") + by(backend, "figures", "sign_api")
        )
        if held:
            w(
                f"{held:,} of these sign-ons were held for review by the app's screening "
                "(stored and answered like the others, but not counted)."
            )
        dur = info.get("durability", {}).get(backend)
        if dur:
            w(f"Commit settings seen by the app's own connection: {dur['text']}.")
        w("")
        drains = [
            r["drain"]
            for r in by(backend, "figures", "sign_api") + by(backend, "figures", "sign_form")
        ]
        if drains:
            slow = max(d["seconds"] for d in drains)
            left = max(d["owed"] for d in drains)
            sent = sum(
                r["accepted"]["count"]
                for r in by(backend, "figures", "sign_api") + by(backend, "figures", "sign_form")
            )
            span = sum(
                r["seconds"] + r["drain"]["seconds"]
                for r in by(backend, "figures", "sign_api") + by(backend, "figures", "sign_form")
            )
            w(
                f"**Email.** The email worker sent the {sent:,} confirmation emails these runs "
                f"queued at about {sent / span:,.0f}/s overall (run plus drain); the longest "
                "wait for the queue to "
                f"empty after a run was {slow:.0f} s"
                + (
                    f", and {left:,} emails were still owed when the "
                    f"{info['mode']['drain_cap']:g} s cap ended a wait"
                    if left
                    else ""
                )
                + "."
            )
            w("")
        # Growth
        growth_ping = by(backend, "growth", "ping")
        growth = by(backend, "growth", "sign_api")
        if growth:
            gp = statistics.median(r["rate"] for r in growth_ping) if growth_ping else 0
            w(f"### Sign-on cost as stored sign-ons grow ({name})")
            w("")
            w(
                f"A fresh database with one statement grown by bulk insert; at each size, "
                f"{mode['runs']} runs of {mode['growth_duration']:g} s of JSON API sign-ons, "
                "the rows each run added (and their queued email jobs) deleted after it so "
                "every run starts at the stated size. `/ping` on the "
                f"same server: {gp:,.0f}/s."
            )
            w("")
            w(
                "| Stored sign-ons | Accepted /s, median (min–max) | vs 1,000 | × /ping | p50 ms "
                "| p99 ms "
                "| CPU ms per sign-on (server + db) | vs 1,000 | other CPU cores |"
            )
            w("|---|---|---|---|---|---|---|---|---|")
            points = sorted({r["stored"] for r in growth})
            base_cost = statistics.median(
                r["cpu_ms_per_request"] for r in growth if r["stored"] == points[0]
            )
            worst_cost = 0.0
            base_rate = statistics.median(
                r["accepted"]["rate"] for r in growth if r["stored"] == points[0]
            )
            worst = 0.0
            for point in points:
                rows = [r for r in growth if r["stored"] == point]
                rates = [r["accepted"]["rate"] for r in rows]
                med = statistics.median(rates)
                worst = max(worst, abs(med / base_rate - 1))
                cost = statistics.median(r["cpu_ms_per_request"] for r in rows)
                worst_cost = max(worst_cost, abs(cost / base_cost - 1))
                p50 = [r["latency_us"]["p50"] for r in rows]
                p99 = [r["latency_us"]["p99"] for r in rows]
                w(
                    f"| {point:,} | {_spread(rates)} | {med / base_rate:.2f} | "
                    f"{med / gp if gp else 0:.2f} | {_ms(statistics.median(p50))} | "
                    f"{_ms(statistics.median(p99))} ({_ms(min(p99))}–{_ms(max(p99))}) | "
                    f"{cost:.2f} | {cost / base_cost:.2f} | "
                    f"{statistics.median(r['cpu']['other'] for r in rows):.2f} |"
                )
            w("")
            w(f"Command (one run): `{growth[0]['command']}`")
            w("")
            largest = max(points)
            verdicts.append(
                _verdict(
                    f"{name}: sign-on cost (CPU per sign-on, server + db) flat within 20% "
                    f"from {points[0]:,} to {largest:,} stored",
                    worst_cost <= FLAT,
                    f"largest change: CPU per sign-on {worst_cost:.0%}; accepted rate "
                    f"{worst:.0%}, against the {points[0]:,}-row figure (rates move with "
                    "the other load on the machine)",
                )
            )
        # Verdicts for this backend
        for key, label in (("sign_api", "JSON API"), ("sign_form", "HTML form")):
            rows = by(backend, "figures", key)
            if rows:
                rate = statistics.median(r["accepted"]["rate"] for r in rows)
                p99 = statistics.median(r["latency_us"]["p99"] for r in rows) / 1000
                ok = rate >= SIGN_RATE and p99 < SIGN_P99
                verdicts.append(
                    _verdict(
                        f"{name}: sign-ons through the {label} ≥ {SIGN_RATE:,} accepted/s "
                        f"with p99 < {SIGN_P99} ms",
                        ok,
                        f"{rate:,.0f}/s ({_short(rate, SIGN_RATE)}), p99 {p99:.0f} ms"
                        + (f" ({p99 / SIGN_P99:.1f}× the limit)" if p99 >= SIGN_P99 else ""),
                    )
                )
        verdicts += _read_verdicts(
            partial(by, backend, "figures"),
            name,
            (("statement_page", "statement page"), ("count", "count endpoint")),
            ping_rate,
        )
        verdicts += _list_verdicts(
            partial(by, backend, "figures"),
            name,
            (
                ("list_first", "first page, 16 connections"),
                ("list_deep", "page 500, 16 connections"),
                ("list_first_c1", "first page, 1 connection"),
                ("list_deep_c1", "page 500, 1 connection"),
                ("list_spread_c1", "random pages, 1 connection, uncached"),
            ),
        )
        verdicts.append(
            _verdict(
                f"{name}: no acknowledged sign-on missing",
                missing == 0 and (not crash or crash["missing"] == 0),
                f"{missing} missing in measured runs"
                + (f", {crash['missing']} after kill -9" if crash else ""),
            )
        )
    if "scaleout" in info.get("parts_run", []) or by("scaleout", "figures", "ping"):
        scaleout_report(w, records, info, by, verdicts)
    export_report(w, info, verdicts)
    w("## Targets")
    w("")
    w("| Target | Met? | This run |")
    w("|---|---|---|")
    lines.extend(verdicts)
    w("")
    w("## Commands")
    w("")
    w(
        "The server: " + f"`{info['serve_command']}` with `RATE_LIMITS=off`, "
        "`UNDERSIGNED_DATA_DIR=bench/out/<backend>/data` and, for PostgreSQL, "
        f"`DATABASE_URL=postgres://postgres@127.0.0.1:5432/{PG_DB}` `REDIS_URL={REDIS_URL}`. "
        "Data is seeded by `bench/seed.py` (bulk inserts; confirmation tokens made with "
        "`undersigned.lib.tokens.make_token` against the same data folder's SECRET_KEY). The "
        "load, one command per figure (first run shown; later runs differ only in the run id "
        "that keeps signers unique and in the first token used):"
    )
    w("")
    for backend in info["backends"]:
        for key, title, what in FIGURES:
            rows = by(backend, "figures", key)
            if rows:
                w(f"- {backend}, {title} ({what}): `{rows[0]['command']}`")
    w("")
    profiles = info.get("profiles", {})
    if profiles:
        w("## Where the time goes (py-spy)")
        w("")
        w(
            "Each figure was run once more, unrecorded, while "
            "`py-spy record --subprocesses --idle` "
            "sampled both server workers at 200 Hz (wall clock, so time spent waiting for a lock "
            "or the database counts). Shares are of the samples taken inside a request "
            "(under `WSGIHandler.__call__`), first by kind of work (each sample goes to the first "
            "kind, in the order of `CATEGORIES` in bench/run.py, matching any frame of its stack, "
            "so a query run while a template renders counts as database time), then by the "
            "project's own functions, inclusive. The raw stacks "
            "are in `bench/out/profiles/` (feed them to flamegraph.pl or speedscope)."
        )
        w("")
        for backend, figures in profiles.items():
            for figure, meta in figures.items():
                total, incl, selfs = summarise_profile(ROOT / meta["file"])
                if not total:
                    continue
                w(
                    f"<details><summary>{backend} — {figure} "
                    f"({meta['rate']:,.0f} req/s while sampled, "
                    f"{total:,} samples)</summary>"
                )
                w("")
                w("```")
                w("-- by kind of work --")
                for share, name in incl:
                    w(f"{share:5.1f}%  {name}")
                w("-- the project's functions, inclusive --")
                for share, name in selfs:
                    w(f"{share:5.1f}%  {name}")
                w("```")
                w("</details>")
                w("")
            worker = OUT / "profiles" / f"{backend}-email_worker.txt"
            if worker.exists():
                w(
                    f"Email worker ({backend}) during the sign-on profile: raw stacks in "
                    f"`{worker.relative_to(ROOT)}`."
                )
                w("")
    w("## Reading of this run")
    w("")
    w(info.get("analysis", "").strip() or "(Not written yet: see bench/README.md.)")
    w("")
    path.write_text("\n".join(lines) + "\n")


def scaleout_report(
    w: Any, records: list[dict[str, Any]], info: dict[str, Any], by: Any, verdicts: list[str]
) -> None:
    name = "Scale-out"
    w(f"## {SCALEOUT_LABEL}")
    w("")
    if "scaleout" in info.get("skipped", {}):
        w(f"Not measured: {info['skipped']['scaleout']}")
        w("")
        return
    meta = info.get("scaleout", {})
    ping16 = by("scaleout", "figures", "ping")
    if not ping16 or not meta:
        w("No figures recorded.")
        w("")
        return
    code = info.get("code", {}).get("scaleout")
    if code:
        w(f"Source fingerprint of `undersigned/` when these servers started: `{code}`.")
        w("")
    w(
        f"**Setup.** {meta.get('nginx_version', 'nginx')} (one worker process, in the "
        "foreground, as the benchmark's own process) on "
        f"{HOST}, with keep-alive connections to two app servers: "
        + " and ".join(f"`{c}`" for c in meta["app_servers"])
        + " — one granian worker each, so the two cores are shared as the single server's two "
        f"workers share them — and one email worker, `{meta['worker']}`, as a process of its "
        f"own; all on one PostgreSQL database (`{PG_DB}`) and one Redis (`{REDIS_URL}`), with "
        "`TRUSTED_PROXIES=127.0.0.1/32`. Migrations run once, before the servers start "
        "(`--no-migrate`). The nginx configuration is `docs/deploy/nginx.conf` on loopback "
        "without TLS (below). Every request goes through nginx, `/ping` included: the floor "
        "and the ratios are nginx's. The count endpoint is measured twice: with a header that "
        "makes nginx skip its cache (every request reaches an app server), and as a volunteer's "
        "nginx would answer it, from the copy it keeps for as long as the app's `Cache-Control` "
        "allows. Same method as above: medians of "
        f"{info['mode']['runs']} rounds, min–max in brackets."
    )
    w("")
    ping1 = by("scaleout", "figures", "ping_c1")
    ping_rate = statistics.median(r["rate"] for r in ping16)
    ping_p50_1 = statistics.median(r["latency_us"]["p50"] for r in ping1) if ping1 else 0
    figure_table(
        w,
        partial(by, "scaleout", "figures"),
        ping_rate,
        ping_p50_1,
        SCALEOUT_FIGURES,
        proxy=True,
    )
    w("")
    acked = stored = missing = 0
    for r in by("scaleout", "figures", "sign_api"):
        d = r["durability"]
        acked, stored, missing = acked + d["acked"], stored + d["stored"], missing + d["missing"]
    crash = info.get("crash", {}).get("scaleout")
    w(
        (
            "**Nothing acknowledged was lost.**"
            if missing == 0
            else "**ACKNOWLEDGED SIGN-ONS WERE LOST.**"
        )
        + f" Over the measured sign-on runs through nginx ({acked:,} answered 202), {missing} "
        f"acknowledged {'was' if missing == 1 else 'were'} missing from the database afterwards "
        f"({stored:,} rows found)."
    )
    if crash:
        status = crash.get("status", {})
        w(
            f"Failover check: `{crash['command']}` through nginx, with `kill -9` of the "
            f"{crash['killed']} granian processes of the first app server 3 s in: "
            f"{crash['acked']:,} sign-ons acknowledged, {crash['stored']:,} rows found, "
            f"**{crash['missing']} missing**; nginx answered {status.get('5xx', 0):,} requests "
            "with an error (those in flight on the killed server) and went on with the other."
        )
    w("")
    single = [r for r in records if r["backend"] == "postgres" and r["phase"] == "figures"]
    if single:
        when = info.get("measured", {}).get("figures:postgres")
        w(
            "**Against the single server** (`undersigned serve --workers 2`, PostgreSQL + Redis, "
            + (f"run {when['run_id']} at {when['at']}, load {when['load']}; " if when else "")
            + "the PostgreSQL + Redis table above; medians; not measured at the same moment, so "
            "the load on the machine differed):"
        )
        w("")
        w("| Figure | Single server | Scale-out through nginx | Ratio |")
        w("|---|---|---|---|")
        for key, title, _ in SCALEOUT_FIGURES:
            ours = by("scaleout", "figures", key)
            theirs = [r for r in single if r["figure"] == key]
            if not ours or not theirs:
                continue
            if ours[0]["connections"] == 1:
                a = statistics.median(r["latency_us"]["p50"] for r in theirs) / 1000
                b = statistics.median(r["latency_us"]["p50"] for r in ours) / 1000
                w(f"| {title} | p50 {a:.1f} ms | p50 {b:.1f} ms | {b / a:.2f} |")
            else:

                def rate(rows: list[dict[str, Any]]) -> float:
                    return statistics.median(
                        r["accepted"]["rate"] if r.get("accepted") else r["rate"] for r in rows
                    )

                a, b = rate(theirs), rate(ours)
                w(f"| {title} | {a:,.0f}/s | {b:,.0f}/s | {b / a:.2f} |")
        w("")
    w("Commands (first run of each figure shown):")
    w("")
    for key, title, what in SCALEOUT_FIGURES:
        rows = by("scaleout", "figures", key)
        if rows:
            w(f"- {title} ({what}): `{rows[0]['command']}`")
    w(f"- nginx: `{shown(meta['nginx'])}`")
    w("")
    w("<details><summary>The nginx configuration of this run</summary>")
    w("")
    w("```nginx")
    w(meta["config"].rstrip())
    w("```")
    w("</details>")
    w("")
    rows = by("scaleout", "figures", "sign_api")
    if rows:
        rate = statistics.median(r["accepted"]["rate"] for r in rows)
        p99 = statistics.median(r["latency_us"]["p99"] for r in rows) / 1000
        verdicts.append(
            _verdict(
                f"{name}: sign-ons through the JSON API ≥ {SIGN_RATE:,} accepted/s with "
                f"p99 < {SIGN_P99} ms",
                rate >= SIGN_RATE and p99 < SIGN_P99,
                f"{rate:,.0f}/s ({_short(rate, SIGN_RATE)}), p99 {p99:.0f} ms",
            )
        )
    verdicts += _read_verdicts(
        partial(by, "scaleout", "figures"),
        name,
        (
            ("statement_page", "statement page"),
            ("count", "count endpoint (through to the app)"),
            ("count_cached", "count endpoint (nginx's cached copy)"),
        ),
        ping_rate,
        where=" through nginx",
    )
    verdicts += _list_verdicts(
        partial(by, "scaleout", "figures"),
        name,
        (
            ("list_first", "first page, 16 connections"),
            ("list_first_c1", "first page, 1 connection"),
            ("list_deep_c1", "page 500, 1 connection"),
        ),
    )
    verdicts.append(
        _verdict(
            f"{name}: no acknowledged sign-on missing",
            missing == 0 and (not crash or crash["missing"] == 0),
            f"{missing} missing in measured runs"
            + (f", {crash['missing']} after kill -9 of one app server" if crash else ""),
        )
    )


def export_report(w: Any, info: dict[str, Any], verdicts: list[str]) -> None:
    exports = info.get("export", {})
    rows_target = max((e["stored"] for e in exports.values()), default=1_000_000)
    w(f"## Export of {rows_target:,} sign-ons")
    w("")
    if not exports:
        w("Not measured in this run (`bench/run.py --only export` measures it).")
        w("")
        return
    reused = all(e.get("reused") for e in exports.values())
    w(
        "`undersigned export` of "
        + (
            "the statement the growth phase grew (reused: not seeded a second time)"
            if reused
            else "one statement seeded by `bench/seed.py` (bulk inserts, as for the growth phase)"
        )
        + ", run as an operator runs it, in a child process per format; the peak "
        "memory is that process's own peak resident set (`wait4`'s `ru_maxrss`), Python and "
        "Django included; the time is its wall-clock time (other work on the machine "
        "stretches it; the CPU seconds the export process itself used do not move with it), "
        "the file written to "
        "`bench/out/<backend>/export/` and deleted after. Rows: the lines of the CSV "
        "(signatories a public list shows, or every sign-on with `--private`); one run each. "
        f"An export still running after {info['mode'].get('export_timeout', 120):g} s is "
        "stopped (twice the target, to keep `make bench` bounded); its peak memory is then "
        "the peak until it was stopped."
    )
    w("")
    w(
        "| Backend | Export | Rows | Time s | CPU s (the export's own) | Peak MB | Written MB "
        "| Under 60 s and 200 MB? |"
    )
    w("|---|---|---|---|---|---|---|---|")
    label = {"sqlite": "SQLite", "postgres": "PostgreSQL + Redis"}
    for backend, data in exports.items():
        for e in data["exports"]:
            what = f"{e['format']}{' --private' if e['private'] else ''}"
            ok = e["exit"] == 0 and e["seconds"] < EXPORT_SECONDS and e["peak_mb"] < EXPORT_MB
            status = (
                "yes"
                if ok
                else "**no**"
                + (" (stopped unfinished)" if e.get("timed_out") else "")
                + (f" (exit {e['exit']})" if e["exit"] and not e.get("timed_out") else "")
            )
            rows = f"{e['rows']:,}" if e.get("rows") else "–"
            w(
                f"| {label.get(backend, backend)} | {what} | {rows} | {e['seconds']:.1f} "
                f"| {e.get('cpu_seconds', '–')} "
                f"| {e['peak_mb']:.0f} | {e['bytes'] / 1e6:,.0f} | {status} |"
            )
        worst_mb = max(e["peak_mb"] for e in data["exports"])
        ok = all(
            e["exit"] == 0 and e["seconds"] < EXPORT_SECONDS and e["peak_mb"] < EXPORT_MB
            for e in data["exports"]
        )
        verdicts.append(
            _verdict(
                f"{label.get(backend, backend)}: export of {data['stored']:,} sign-ons under "
                f"{EXPORT_SECONDS} s with peak memory under {EXPORT_MB} MB (every format)",
                ok,
                "; ".join(
                    f"{e['format']}{' --private' if e['private'] else ''} "
                    + ("stopped at " if e.get("timed_out") else "")
                    + f"{e['seconds']:.0f} s"
                    + (f" ({e['cpu_seconds']:.0f} s CPU)" if "cpu_seconds" in e else "")
                    for e in data["exports"]
                )
                + f"; largest peak {worst_mb:.0f} MB",
            )
        )
    w("")
    first = next(iter(exports.values()))["exports"][0]
    w(
        f"Command: `{first.get('command', 'undersigned export bench-grow --format csv')}` "
        "(with `--format csv|json|xlsx`, and `--private` for the organizers' CSV), in the "
        "server's environment (`UNDERSIGNED_DATA_DIR`, `DATABASE_URL`); "
        "`bench/export_memory.py` measures the same on its own database."
    )
    w("")


def _short(rate: float, target: float) -> str:
    if rate >= target:
        return "met"
    return f"{target - rate:,.0f}/s short, {target / rate:.1f}× to go" if rate else "none accepted"


Rows = Callable[[str], list[dict[str, Any]]]


def _read_verdicts(
    rows_of: Rows,
    name: str,
    figures: tuple[tuple[str, str], ...],
    ping_rate: float,
    where: str = "",
) -> list[str]:
    """The read-rate targets: each figure's median rate against /ping's in the same run."""
    verdicts = []
    for key, label in figures:
        rows = rows_of(key)
        if not rows:
            continue
        ratio = statistics.median(r["rate"] for r in rows) / ping_rate
        short = READ_RATIO - ratio
        verdicts.append(
            _verdict(
                f"{name}: {label} ≥ {READ_RATIO} × /ping's rate{where}",
                ratio >= READ_RATIO,
                f"{ratio:.2f} × /ping"
                + (
                    f", short by {short:.2f} × /ping ({short * ping_rate:,.0f} req/s)"
                    if short > 0
                    else ""
                ),
            )
        )
    return verdicts


def _list_verdicts(rows_of: Rows, name: str, figures: tuple[tuple[str, str], ...]) -> list[str]:
    """The list-latency targets: each figure's median p99 against LIST_P99."""
    verdicts = []
    for key, label in figures:
        rows = rows_of(key)
        if not rows:
            continue
        p99 = statistics.median(r["latency_us"]["p99"] for r in rows) / 1000
        verdicts.append(
            _verdict(
                f"{name}: signatory list at 100,000 signatories p99 < {LIST_P99} ms ({label})",
                p99 < LIST_P99,
                f"p99 {p99:.0f} ms"
                + (f", {p99 - LIST_P99:.0f} ms over" if p99 >= LIST_P99 else ""),
            )
        )
    return verdicts


def _verdict(target: str, ok: bool, detail: str) -> str:
    return f"| {target} | {'yes' if ok else '**no**'} | {detail} |"


ANALYSIS_START, ANALYSIS_END = "<!-- analysis:start -->", "<!-- analysis:end -->"


def kept_analysis(path: Path, run_id: str) -> str:
    """The hand-written reading between the markers in the current RESULTS.md, flagged when
    it was written for another run."""
    if not path.exists():
        return ""
    text = path.read_text()
    if ANALYSIS_START not in text:
        return ""
    block = text.split(ANALYSIS_START, 1)[1].split(ANALYSIS_END, 1)[0].strip()
    written_for = re.search(r"run (\S+)\)", block)
    stale = (
        ""
        if (written_for and written_for.group(1) == run_id)
        else ("> Written for an earlier run: check it against the figures above.\n\n")
    )
    return f"{ANALYSIS_START}\n{stale}{block}\n{ANALYSIS_END}"


# Main ------------------------------------------------------------------------------------
def wait_for_wrk() -> None:
    deadline = time.monotonic() + 600
    while shutil.which("wrk") is None:
        if time.monotonic() > deadline:
            sys.exit("bench: wrk is not installed (apt-get install wrk)")
        log("waiting for wrk to be installed (apt-get install wrk)...")
        time.sleep(10)


def services_up() -> bool:
    for port in (5432, 6379):
        try:
            with socket.create_connection((HOST, port), timeout=1):
                pass
        except OSError:
            return False
    return True


def versions() -> str:
    def run(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return "?"

    from importlib.metadata import version

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    commit = run("git", "-C", str(ROOT), "rev-parse", "--short", "HEAD")
    dirty = run("git", "-C", str(ROOT), "status", "--porcelain", "--", "undersigned")
    wrk = run("sh", "-c", "wrk -v 2>&1 | head -1").split(" Copyright")[0]
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    postgres = run("psql", "--version").split()[-1] if shutil.which("psql") else "?"
    redis_version = (
        run("redis-server", "--version").split()[2].removeprefix("v=")
        if shutil.which("redis-server")
        else "?"
    )
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB; "
        f"Python {platform.python_version()}, Django {version('django')}, "
        f"granian {version('granian')}, {wrk}; PostgreSQL {postgres}, Redis {redis_version}. "
        f"App at commit {commit}"
        + (
            f" with uncommitted changes to {len(dirty.splitlines())} file(s) under undersigned/ "
            "(other engineers' work in progress was measured as it stood)"
            if dirty
            else ""
        )
        + f". Load average at start: {load}; the `other` CPU "
        "column shows what else the machine was doing during each run."
    )


def parse_parts(text: str | None, no_growth: bool) -> list[str]:
    parts = list(PARTS) if not text else [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        sys.exit(f"bench: unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    if no_growth:
        parts = [p for p in parts if p != "growth"]
    return [p for p in PARTS if p in parts]


# What each part writes into `info`, by backend (a rerun of the part replaces it).
INFO_BY_PART = {
    "figures": ("code", "durability", "tables", "crash", "profiles", "skipped"),
    "growth": ("growth_tables", "skipped"),
    "export": ("export", "skipped"),
    "scaleout": ("code", "durability", "tables", "crash", "skipped"),
}


def part_of(record: dict[str, Any]) -> tuple[str, str]:
    if record["backend"] == "scaleout":
        return "scaleout", "scaleout"
    return record["phase"], record["backend"]


def merge(saved: dict[str, Any], bench: Bench, ran: set[tuple[str, str]]) -> None:
    """Fold the figures of an earlier run into this one, for every part this run did not
    measure again, so that `--only` refreshes some parts of RESULTS.md and keeps the rest."""
    old_info = saved["info"]
    bench.records[:0] = [r for r in saved["records"] if part_of(r) not in ran]
    for part, backend in ran:
        for key in INFO_BY_PART[part]:
            old_info.get(key, {}).pop(backend, None)
        if part == "scaleout":
            old_info.pop("scaleout", None)
        old_info.get("measured", {}).pop(f"{part}:{backend}", None)
    for key, value in old_info.items():
        if isinstance(value, dict) and isinstance(bench.info.get(key), dict):
            bench.info[key] = {**value, **bench.info[key]}
        elif key in {
            "code",
            "durability",
            "tables",
            "crash",
            "profiles",
            "growth_tables",
            "export",
            "skipped",
            "scaleout",
            "measured",
        }:
            bench.info.setdefault(key, value)
    bench.info["backends"] = [
        b for b in ("sqlite", "postgres") if b in bench.info["backends"] + old_info["backends"]
    ]
    bench.info["parts_run"] = sorted(
        set(old_info.get("parts_run", [])) | set(bench.info["parts_run"])
    )
    bench.notes[:0] = [
        f"(From run {old_info['run_id']}.) {note}"
        for note in saved["notes"]
        if not note.startswith("(From run")
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a 5-10-minute smoke run (short runs, 100,000 at most, no profiles)",
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument(
        "--only",
        metavar="PARTS",
        help=(
            f"comma-separated parts to measure, from {', '.join(PARTS)} (default: all); the "
            "other parts' figures are kept from bench/out/results.json"
        ),
    )
    parser.add_argument("--runs", type=int, help="measured runs per figure (default 3)")
    parser.add_argument("--duration", type=float, help="seconds per throughput run (default 6)")
    parser.add_argument("--no-profile", action="store_true", help="skip the py-spy profiles")
    parser.add_argument(
        "--export-timeout",
        type=float,
        help="seconds an export may run before it is stopped (default 120, twice the target)",
    )
    parser.add_argument(
        "--no-growth", action="store_true", help="skip the 1,000 → 1,000,000 growth phase"
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="with --only or --backend: do not keep the other parts' earlier figures",
    )
    parser.add_argument(
        "--report", action="store_true", help="only rewrite the report from bench/out/results.json"
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="report path (default bench/RESULTS.md; --quick: bench/out/RESULTS.quick.md)",
    )
    args = parser.parse_args()
    mode = mode_from(args)
    parts = parse_parts(args.only, args.no_growth)
    target = (
        args.out or (OUT / "RESULTS.quick.md" if args.quick else BENCH / "RESULTS.md")
    ).resolve()
    raw = OUT / ("results.quick.json" if args.quick else "results.json")
    if args.report:
        saved = json.loads(raw.read_text())
        saved["info"]["analysis"] = kept_analysis(target, saved["info"]["run_id"])
        report(saved["records"], saved["info"], saved["notes"], target)
        print(f"wrote {target}")
        return
    wait_for_wrk()
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    run_id = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    bench = Bench(mode)
    backends = ["sqlite", "postgres"] if args.backend == "all" else [args.backend]
    backend_parts = [p for p in parts if p != "scaleout"]
    bench.info.update(
        run_id=run_id,
        started=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        command=" ".join(["bench/run.py", *sys.argv[1:]]),
        mode=mode.__dict__,
        backends=backends if backend_parts else [],
        parts_run=parts,
        serve_command=f"undersigned serve --host {HOST} --port PORT --workers {WORKERS}",
        setup=versions(),
    )
    ran: set[tuple[str, str]] = set()

    def stamp(part: str, backend: str) -> None:
        ran.add((part, backend))
        bench.info.setdefault("measured", {})[f"{part}:{backend}"] = {
            "run_id": run_id,
            "at": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
            "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        }

    for name in backends if backend_parts else []:
        backend = Backend(
            name=name,
            label={"sqlite": "SQLite", "postgres": "PostgreSQL + Redis"}[name],
            data_dir=OUT / name / "data",
        )
        if name == "postgres" and not services_up():
            bench.info.setdefault("skipped", {})[name] = (
                "PostgreSQL (127.0.0.1:5432) or Redis (127.0.0.1:6379) is not running."
            )
            log("PostgreSQL or Redis is not running: skipping that backend")
            for part in backend_parts:
                ran.add((part, name))
            continue
        try:
            grown = False
            if "figures" in parts:
                stamp("figures", name)
                bench.figures(backend)
            if "growth" in parts:
                stamp("growth", name)
                bench.growth(backend)
                grown = max(mode.growth_points) >= mode.export_rows
            if "export" in parts:
                stamp("export", name)
                log(f"{backend.label}: export")
                bench.export(backend, grown)
        except Exception as exc:
            bench.notes.append(f"{backend.label}: the run stopped early: {exc}")
            log(f"{backend.label}: stopped early: {exc}")
    if "scaleout" in parts:
        ran.add(("scaleout", "scaleout"))
        if not services_up():
            bench.info.setdefault("skipped", {})["scaleout"] = (
                "PostgreSQL (127.0.0.1:5432) or Redis (127.0.0.1:6379) is not running."
            )
            log("PostgreSQL or Redis is not running: skipping the scale-out profile")
        elif not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
            bench.info.setdefault("skipped", {})["scaleout"] = (
                "nginx is not installed (apt-get install nginx-light)."
            )
            log("nginx is not installed: skipping the scale-out profile")
        else:
            stamp("scaleout", "scaleout")
            try:
                bench.scaleout()
            except Exception as exc:
                bench.notes.append(f"{SCALEOUT_LABEL}: the run stopped early: {exc}")
                log(f"scale-out: stopped early: {exc}")
    bench.info["minutes"] = (time.monotonic() - started) / 60
    complete = set(parts) == set(PARTS) and args.backend == "all"
    if raw.exists() and not complete and not args.fresh:
        merge(json.loads(raw.read_text()), bench, ran)
    elif not complete and not args.fresh and not args.out and target.exists():
        # Without the earlier run's raw figures, a partial run cannot keep them: leave the
        # full report alone and write this run's beside it.
        target = OUT / target.name.replace(".md", ".partial.md")
        raw = OUT / raw.name.replace(".json", ".partial.json")
        log(f"no earlier {os.path.relpath(OUT / 'results.json', ROOT)} to merge with")
    raw.write_text(
        json.dumps({"records": bench.records, "info": bench.info, "notes": bench.notes}, indent=1)
    )
    bench.info["analysis"] = kept_analysis(target, run_id)
    report(bench.records, bench.info, bench.notes, target)
    log(
        f"wrote {os.path.relpath(target, ROOT)} and {os.path.relpath(raw, ROOT)} "
        f"in {bench.info['minutes']:.1f} min"
    )


if __name__ == "__main__":
    main()
