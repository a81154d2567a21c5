"""Read-path benchmark: Liner against nginx serving the very same bytes, in one run.

Seeds a synthetic catalog (100,000 tracks by default) through the real write path; for
``--tracks 1000000`` it grows that catalog's read model tenfold with copies under
fresh ids (see ``bench/clone.py``). It then starts ``liner serve`` with one worker and
nginx with one worker process serving Liner's own response bytes as static files, then
runs wrk with 64 connections against both and prints requests/s, p50 and p99 for each,
their ratio, and Liner's resident memory.

Needs Debian's ``nginx-light`` (or ``nginx``) and ``wrk``:
``apt-get install nginx-light wrk``.

    python -m bench.lookup [--tracks N] [--duration S] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from bench.clone import clone
from bench.synthetic import seed
from liner.config import Settings
from liner.models import ReadDocument, Track
from liner.runtime import Runtime

TARGETS = {"track": 0.35, "tracks50": 0.25}
P99_TARGET_MS = 10.0
RSS_TARGET_MB = 1536.0
SEED_LIMIT = 100_000
"""Tracks seeded through the write path; larger catalogs clone their read model
(``bench/clone.py``)."""


@dataclass
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(f"unreadable latency {text!r}")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def run_wrk(url: str, duration: int, connections: int = 64, threads: int = 2) -> WrkResult:
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    distribution = out.split("Latency Distribution", 1)[1]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", distribution, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", distribution, re.M).group(1))  # type: ignore[union-attr]
    errors_match = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: .*", out)
    errors = int(errors_match.group(1)) if errors_match else 0
    if socket_errors:
        print(f"  wrk: {socket_errors.group(0)}", file=sys.stderr)
    return WrkResult(rps, p50, p99, errors)


def _wait(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        body: bytes = response.read()
        return body


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MiB."""
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
            pids.extend(int(c) for c in children)
        except (OSError, AttributeError):
            continue
    return total / 1024


def _served_tracks(runtime: Runtime) -> list[str]:
    """The keys of every track document the read model serves."""
    with runtime.sessions() as session:
        return list(
            session.scalars(
                select(ReadDocument.key).where(
                    ReadDocument.key.startswith("track:"), ReadDocument.body.is_not(None)
                )
            )
        )


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    default_type application/json;
    client_body_temp_path {root}/tmp;
    proxy_temp_path {root}/tmp;
    fastcgi_temp_path {root}/tmp;
    uwsgi_temp_path {root}/tmp;
    scgi_temp_path {root}/tmp;
    server {{
        listen 127.0.0.1:{port};
        root {root}/static;
        etag on;
        add_header Cache-Control "public, max-age=30";
    }}
}}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--keep", type=Path, help="reuse (or keep) the catalog in this folder")
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None and not Path("/usr/sbin/nginx").exists():
            sys.exit(f"{tool} is missing: apt-get install nginx-light wrk")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    work = args.keep or Path(tempfile.mkdtemp(prefix="liner-bench-"))
    # nginx started as root serves files as an unprivileged user, which must be able to
    # walk into the folder (mkdtemp makes it private to its owner).
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(0o755)
    work.mkdir(parents=True, exist_ok=True)
    liner_port, nginx_port = _free_port(), _free_port()
    env = dict(os.environ)
    env.update(
        {
            "LINER_DATA_DIR": str(work),
            "LINER_DATABASE_URL": f"sqlite:///{work / 'liner.db'}",
            "LINER_PUBLIC_URL": f"http://127.0.0.1:{liner_port}",
            "LINER_LOG_LEVEL": "WARNING",
        }
    )
    env.pop("LINER_REDIS_URL", None)
    settings = Settings.from_env(env)
    runtime = Runtime.open(settings)
    with runtime.sessions() as session:
        existing = session.scalar(select(Track.id).limit(1))
    if existing is None:
        started = time.perf_counter()
        seeded = min(args.tracks, SEED_LIMIT)
        releases = seed(runtime, seeded)
        print(
            f"seeded {releases} releases / {seeded} tracks through the write path in "
            f"{time.perf_counter() - started:.0f} s"
        )
    track_keys = _served_tracks(runtime)
    runtime.close()
    if len(track_keys) < args.tracks:
        started = time.perf_counter()
        written = clone(settings.database_url, -(-args.tracks // len(track_keys)))
        elapsed = time.perf_counter() - started
        print(f"cloned the read model: {written} more documents in {elapsed:.0f} s")
        runtime = Runtime.open(settings)
        track_keys = _served_tracks(runtime)
        runtime.close()
    print(f"read model: {len(track_keys)} tracks")
    track_ids = [key.partition(":")[2] for key in track_keys]
    rng = random.Random(1)
    one = rng.choice(track_ids)
    fifty = rng.sample(track_ids, 50)

    server = subprocess.Popen(
        [sys.executable, "-m", "liner", "serve", "--port", str(liner_port), "--workers", "1"],
        env=env,
        start_new_session=True,
    )
    nginx_proc: subprocess.Popen[bytes] | None = None
    try:
        base = f"http://127.0.0.1:{liner_port}"
        _wait(f"{base}/healthz")
        paths = {
            "track": f"/v1/tracks/{one}?market=SE",
            "tracks50": f"/v1/tracks?ids={','.join(fifty)}&market=SE",
        }
        static = work / "static"
        static.mkdir(exist_ok=True)
        (work / "tmp").mkdir(exist_ok=True)
        for name, path in paths.items():
            (static / name).write_bytes(_fetch(base + path))
        (work / "nginx.conf").write_text(NGINX_CONF.format(root=work, port=nginx_port))
        nginx_proc = subprocess.Popen(
            [nginx, "-c", str(work / "nginx.conf"), "-p", str(work)], start_new_session=True
        )
        _wait(f"http://127.0.0.1:{nginx_port}/track")
        print(f"{'case':<10} {'server':<7} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
        failures = []
        for name, path in paths.items():
            run_wrk(base + path, 2)  # warm
            liner = run_wrk(base + path, args.duration)
            static_result = run_wrk(f"http://127.0.0.1:{nginx_port}/{name}", args.duration)
            ratio = liner.requests_per_s / static_result.requests_per_s
            for label, result in (("liner", liner), ("nginx", static_result)):
                print(
                    f"{name:<10} {label:<7} {result.requests_per_s:>10.0f} "
                    f"{result.p50_ms:>8.2f} {result.p99_ms:>8.2f}"
                )
            verdict = "ok" if ratio >= TARGETS[name] else "BELOW TARGET"
            print(f"{name:<10} ratio   {ratio:>10.3f}  (target {TARGETS[name]}) {verdict}")
            if ratio < TARGETS[name]:
                failures.append(f"{name} ratio {ratio:.3f}")
            if name == "track" and liner.p99_ms > P99_TARGET_MS:
                failures.append(f"track p99 {liner.p99_ms:.1f} ms")
            if liner.errors:
                failures.append(f"{name}: {liner.errors} non-2xx responses")
        rss = _rss_mb(server.pid)
        print(f"liner resident memory: {rss:.0f} MiB (target at 1M tracks: {RSS_TARGET_MB:.0f})")
        if args.tracks >= 1_000_000 and rss > RSS_TARGET_MB:
            failures.append(f"rss {rss:.0f} MiB")
        if failures:
            print("below target: " + "; ".join(failures))
        return 1 if failures else 0
    finally:
        for proc in (server, nginx_proc):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=10)
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
