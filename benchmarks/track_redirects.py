"""Redirects per second and p99 latency: one `sociable track serve` process beside nginx.

Run:  .venv/bin/python benchmarks/track_redirects.py [--duration 10] [--connections 50]

What it does, all on loopback, in one run:
1. installs wrk and nginx from Debian if missing (apt-get update, apt-get install -y);
2. starts nginx (1 worker = 1 core) with a temp config answering `return 302`;
3. starts one `sociable track serve` process (SQLite) with one short link;
4. wrk at full speed against both -> redirects/s and p99; our rate / nginx's rate;
5. wrk paced at half our max rate (a Lua `delay()`) -> our p99 there;
6. counts stored clicks after a clean stop: must equal the responses wrk received;
7. again with a kill -9 of our server in the middle of a wrk run, a restart (log replay) and a
   clean stop: stored clicks vs responses received (at most one in-flight request per
   connection may be stored without its response having arrived).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

from sociable.store.db import open_database
from sociable.store.models.track import Click

ROOT = Path(__file__).resolve().parents[1]
SOCIABLE = str(Path(sys.executable).parent / "sociable")


def ensure_tools() -> None:
    missing = [t for t in ("wrk", "nginx") if shutil.which(t) is None and not Path(f"/usr/sbin/{t}").exists()]
    if missing:
        print(f"installing {' '.join(missing)} from Debian ...", flush=True)
        subprocess.run(["apt-get", "update"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "wrk", "nginx"], check=True,
                       stdout=subprocess.DEVNULL, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1, follow_redirects=False)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


def start_nginx(tmp: Path, port: int) -> subprocess.Popen[bytes]:
    conf = tmp / "nginx.conf"
    conf.write_text(f"""
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/nginx-body;
  proxy_temp_path {tmp}/nginx-proxy;
  fastcgi_temp_path {tmp}/nginx-fcgi;
  uwsgi_temp_path {tmp}/nginx-uwsgi;
  scgi_temp_path {tmp}/nginx-scgi;
  server {{
    listen 127.0.0.1:{port};
    location / {{ return 302 https://shop.example.com/p?utm_source=x&utm_medium=social; }}
  }}
}}
""")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp)])
    wait_http(f"http://127.0.0.1:{port}/")
    return proc


class Ours:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [SOCIABLE, "--config", str(self.workdir / "sociable.toml"), "track", "serve",
             "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
        )
        wait_http(f"http://127.0.0.1:{self.port}/healthz")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)
        self.proc.wait(timeout=60)


LUA_DONE = """
done = function(summary, latency, requests)
  io.write(string.format("JSON {\\"requests\\": %d, \\"p99_us\\": %d, \\"p50_us\\": %d, \\"errors\\": %d, \\"status\\": %d}\\n",
    summary.requests, latency:percentile(99), latency:percentile(50),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


def wrk(url: str, *, duration: int, connections: int, delay_ms: float | None = None,
        tmp: Path) -> dict[str, float]:
    script = tmp / "wrk.lua"
    lua = LUA_DONE
    if delay_ms is not None:
        lua = f"delay = function() return {delay_ms:.3f} end\n" + lua
    script.write_text(lua)
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout
    data = json.loads(re.search(r"^JSON (.*)$", out, re.M).group(1))  # type: ignore[union-attr]
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return {"rate": rate, "requests": data["requests"], "p99_ms": data["p99_us"] / 1000,
            "p50_ms": data["p50_us"] / 1000, "errors": data["errors"], "bad_status": data["status"]}


def stored(database_url: str) -> int:
    db = open_database(database_url)
    try:
        with db.session() as session:
            return session.scalar(select(func.count()).select_from(Click)) or 0
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    ensure_tools()
    tmp = Path(tempfile.mkdtemp(prefix="sociable-bench-"))
    subprocess.run([SOCIABLE, "init", str(tmp), "--name", "Bench"], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([SOCIABLE, "--config", str(tmp / "sociable.toml"), "link", "create",
                    "https://shop.example.com/p", "--network", "x", "--slug", "bench"],
                   check=True, stdout=subprocess.DEVNULL)
    db_url = f"sqlite:///{tmp / 'sociable.db'}"
    nginx_port = free_port()
    nginx = start_nginx(tmp, nginx_port)
    ours = Ours(tmp)
    ours.start()
    c, d = args.connections, args.duration
    try:
        wrk(f"http://127.0.0.1:{ours.port}/bench", duration=2, connections=c, tmp=tmp)  # warm
        base = stored_before = 0
        ours.stop()
        stored_before = stored(db_url)
        ours.start()
        n = wrk(f"http://127.0.0.1:{nginx_port}/bench", duration=d, connections=c, tmp=tmp)
        o = wrk(f"http://127.0.0.1:{ours.port}/bench", duration=d, connections=c, tmp=tmp)
        half = o["rate"] / 2
        h = wrk(f"http://127.0.0.1:{ours.port}/bench", duration=d, connections=c, tmp=tmp,
                delay_ms=c * 1000 / half)
        ours.stop()
        base = stored_before
        counted = stored(db_url) - base
        expected = o["requests"] + h["requests"]

        # kill -9 in the middle of a run
        ours.start()
        before_kill = stored(db_url)
        runner = subprocess.Popen(
            [sys.executable, "-c", "import sys; sys.path[:0] = sys.argv[1:2]; "
             "import track_redirects as t, json, pathlib; "
             f"print(json.dumps(t.wrk('http://127.0.0.1:{ours.port}/bench', duration={d}, "
             f"connections={c}, tmp=pathlib.Path('{tmp}'))))", str(Path(__file__).parent)],
            stdout=subprocess.PIPE, text=True,
        )
        time.sleep(d / 2)
        ours.stop(signal.SIGKILL)
        killed = json.loads(runner.communicate(timeout=d * 3)[0])
        ours.start()  # replays the log
        ours.stop()
        after_kill = stored(db_url) - before_kill
    finally:
        if ours.proc and ours.proc.poll() is None:
            ours.stop()
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(timeout=10)

    cores = os.cpu_count()
    print(f"machine: {cores} cores; wrk -t1 -c{c} -d{d}s on loopback; one process each")
    print(f"{'':28}{'redirects/s':>12}{'p50 ms':>9}{'p99 ms':>9}")
    print(f"{'nginx return 302 (1 worker)':28}{n['rate']:>12.0f}{n['p50_ms']:>9.2f}{n['p99_ms']:>9.2f}")
    print(f"{'sociable track serve':28}{o['rate']:>12.0f}{o['p50_ms']:>9.2f}{o['p99_ms']:>9.2f}")
    print(f"{'sociable at half max rate':28}{h['rate']:>12.0f}{h['p50_ms']:>9.2f}{h['p99_ms']:>9.2f}")
    ratio = o["rate"] / n["rate"]
    print(f"ratio ours/nginx per core: {ratio:.1%} (target >= 25%)")
    print(f"p99 at half max rate: {h['p99_ms']:.2f} ms (target < 10 ms)")
    print(f"non-3xx or socket errors: ours {o['bad_status'] + o['errors']}, "
          f"half-rate {h['bad_status'] + h['errors']}")
    print(f"clicks stored {counted} vs responses received {expected}: "
          f"{'EQUAL' if counted == expected else 'DIFFERENT'}")
    print(f"kill -9 mid-run: responses received {killed['requests']}, stored after restart "
          f"{after_kill} (allowed: received .. received + {c} in flight)")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
