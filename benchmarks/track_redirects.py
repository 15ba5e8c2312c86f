"""Redirects per second and p99 latency: one `sociable track serve` process beside nginx.

Run:  .venv/bin/python benchmarks/track_redirects.py [--duration 10] [--connections 50]

What it does, all on loopback, in one run:
1. installs wrk and nginx from Debian if missing (apt-get update, apt-get install -y);
2. starts nginx (1 worker = 1 core) with a temp config answering `return 302`;
3. starts one `sociable track serve` process (SQLite) with one short link;
4. wrk at full speed against both -> redirects/s and p99; our rate / nginx's rate, and per
   CPU-second: our server process alone, and with its flusher process (the CPU it spends until
   the click log is fully copied, catch-up included) against the nginx worker's;
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
from sociable.track.flusher_child import STATE

ROOT = Path(__file__).resolve().parents[1]
SOCIABLE = str(Path(sys.executable).parent / "sociable")


def ensure_tools() -> None:
    missing = [
        t
        for t in ("wrk", "nginx")
        if shutil.which(t) is None and not Path(f"/usr/sbin/{t}").exists()
    ]
    if missing:
        print(f"installing {' '.join(missing)} from Debian ...", flush=True)
        subprocess.run(["apt-get", "update"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(
            ["apt-get", "install", "-y", "wrk", "nginx"],
            check=True,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )


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
        # Other work may add migrations while we run; keep the database current.
        subprocess.run(
            [SOCIABLE, "--config", str(self.workdir / "sociable.toml"), "db", "upgrade"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.proc = subprocess.Popen(
            [
                SOCIABLE,
                "--config",
                str(self.workdir / "sociable.toml"),
                "track",
                "serve",
                "--port",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_http(f"http://127.0.0.1:{self.port}/healthz")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)
        self.proc.wait(timeout=60)


LUA_DONE = """
done = function(summary, latency, requests)
  io.write(string.format("JSON {\\"requests\\": %d, \\"p99_us\\": %d, \\"p50_us\\": %d, " ..
    "\\"errors\\": %d, \\"status\\": %d}\\n",
    summary.requests, latency:percentile(99), latency:percentile(50),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


def wrk_cmd(
    url: str, *, duration: float, connections: int, tmp: Path, delay_ms: float | None = None
) -> list[str]:
    script = tmp / f"wrk-{delay_ms}.lua"
    lua = LUA_DONE
    if delay_ms is not None:
        lua = f"delay = function() return {delay_ms:.3f} end\n" + lua
    script.write_text(lua)
    return ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url]


def parse_wrk(out: str) -> dict[str, float]:
    data = json.loads(re.search(r"^JSON (.*)$", out, re.M).group(1))  # type: ignore[union-attr]
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return {
        "rate": rate,
        "requests": data["requests"],
        "p99_ms": data["p99_us"] / 1000,
        "p50_ms": data["p50_us"] / 1000,
        "errors": data["errors"],
        "bad_status": data["status"],
    }


def cpu_seconds(pids: list[int]) -> float:
    """user + system CPU time of these processes so far (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def wait_flushed(log_dir: Path | None, timeout: float = 120) -> None:
    """Until the flusher process has copied the whole click log (so its CPU for these clicks,
    catch-up included, is counted): two more rounds done and nothing pending."""
    if log_dir is None:
        return
    state = log_dir / ".flusher.state"

    def read() -> tuple[int, int]:
        _, rounds, pending = STATE.unpack(state.read_bytes()[: STATE.size])
        return int(rounds), int(pending)

    start = read()[0]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rounds, pending = read()
        if rounds >= start + 2 and pending == 0:
            return
        time.sleep(0.05)
    raise RuntimeError("the click flusher did not catch up")


def wrk(
    url: str,
    *,
    duration: float,
    connections: int,
    tmp: Path,
    delay_ms: float | None = None,
    pids: list[int] | None = None,
    log_dir: Path | None = None,
) -> dict[str, float]:
    """One wrk run; with ``pids`` (server first, then its flusher) the CPU they spent on it."""
    pids = pids or []
    before, server_before = cpu_seconds(pids), cpu_seconds(pids[:1])
    out = subprocess.run(
        wrk_cmd(url, duration=duration, connections=connections, tmp=tmp, delay_ms=delay_ms),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    wait_flushed(log_dir)
    result = parse_wrk(out)
    result["cpu_s"] = cpu_seconds(pids) - before
    result["server_cpu_s"] = cpu_seconds(pids[:1]) - server_before
    result["per_cpu_s"] = result["requests"] / result["cpu_s"] if result["cpu_s"] else 0.0
    result["per_server_cpu_s"] = (
        result["requests"] / result["server_cpu_s"] if result["server_cpu_s"] else 0.0
    )
    return result


PACE_DELAY_MS = 10  # wrk truncates delay() to whole milliseconds: pace with connections


def paced(
    url: str, target: float, *, duration: float, tmp: Path, pids: list[int], log_dir: Path
) -> tuple[dict[str, float], float, int]:
    """wrk held near ``target`` req/s: each connection waits PACE_DELAY_MS between requests,
    and the number of connections is calibrated until the rate matches, then measured.

    Returns the measured run, the requests the calibration probes received, and the number of
    connections used."""
    connections = max(1, round(target * PACE_DELAY_MS / 1000))
    probes = 0.0
    for _ in range(3):
        probe = wrk(url, duration=3, connections=connections, tmp=tmp, delay_ms=PACE_DELAY_MS)
        probes += probe["requests"]
        if probe["rate"] <= 0:
            break
        connections = max(1, min(4096, round(connections * target / probe["rate"])))
    run = wrk(
        url,
        duration=duration,
        connections=connections,
        tmp=tmp,
        delay_ms=PACE_DELAY_MS,
        pids=pids,
        log_dir=log_dir,
    )
    return run, probes, connections


def exact_client(port: int, *, threads: int, per_thread: int) -> int:
    """Send a fixed number of requests and count the 302s that arrived."""
    import threading

    got = [0] * threads

    def run(i: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for _ in range(per_thread):
                if client.get("/bench").status_code == 302:
                    got[i] += 1

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(got)


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
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ensure_tools()
    tmp = Path(tempfile.mkdtemp(prefix="sociable-bench-"))
    subprocess.run(
        [SOCIABLE, "init", str(tmp), "--name", "Bench"], check=True, stdout=subprocess.DEVNULL
    )
    subprocess.run(
        [
            SOCIABLE,
            "--config",
            str(tmp / "sociable.toml"),
            "link",
            "create",
            "https://shop.example.com/p",
            "--network",
            "x",
            "--slug",
            "bench",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    db_url = f"sqlite:///{tmp / 'sociable.db'}"
    log_dir = tmp / "track-log"
    nginx_port = free_port()
    nginx = start_nginx(tmp, nginx_port)
    ours = Ours(tmp)
    c, d = args.connections, args.duration
    ours_url = f"http://127.0.0.1:{ours.port}/bench"
    nginx_url = f"http://127.0.0.1:{nginx_port}/bench"
    nginx_pids = [nginx.pid, *children(nginx.pid)]
    try:
        ours.start()
        wrk(ours_url, duration=2, connections=c, tmp=tmp)  # warm up
        ours.stop()  # a clean stop flushes the log
        s0 = stored(db_url)
        ours.start()
        assert ours.proc is not None
        our_pids = [ours.proc.pid, *children(ours.proc.pid)]  # server + flusher
        runs_n, runs_o = [], []
        for _ in range(args.rounds):  # alternate, so machine noise hits both alike
            runs_n.append(wrk(nginx_url, duration=d, connections=c, tmp=tmp, pids=nginx_pids))
            runs_o.append(
                wrk(ours_url, duration=d, connections=c, tmp=tmp, pids=our_pids, log_dir=log_dir)
            )
        n = sorted(runs_n, key=lambda r: r["rate"])[len(runs_n) // 2]
        o = sorted(runs_o, key=lambda r: r["rate"])[len(runs_o) // 2]
        h, probes, paced_c = paced(
            ours_url, o["rate"] / 2, duration=d, tmp=tmp, pids=our_pids, log_dir=log_dir
        )
        ours.stop()
        s1 = stored(db_url)
        counted = s1 - s0
        expected = sum(r["requests"] for r in runs_o) + h["requests"] + probes

        # exact count: a client that reads every response it asked for
        ours.start()
        exact_sent = exact_client(ours.port, threads=8, per_thread=500)
        ours.stop()
        s2 = stored(db_url)
        exact_stored = s2 - s1

        # kill -9 in the middle of a wrk run
        ours.start()
        runner = subprocess.Popen(
            wrk_cmd(ours_url, duration=d, connections=c, tmp=tmp), stdout=subprocess.PIPE, text=True
        )
        time.sleep(d / 2)
        ours.stop(signal.SIGKILL)
        killed = parse_wrk(runner.communicate(timeout=d * 3)[0])
        ours.start()  # replays the log
        ours.stop()
        after_kill = stored(db_url) - s2
    finally:
        if ours.proc and ours.proc.poll() is None:
            ours.stop()
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(timeout=10)

    cores = os.cpu_count()
    load = os.getloadavg()[0]
    print(f"machine: {cores} cores, load average {load:.1f} at the end (shared with other work)")
    print(f"wrk -t1 -c{c} -d{d}s on loopback, median of {args.rounds} alternating rounds")
    print(
        f"{'':28}{'redirects/s':>12}{'per CPU-s':>11}{'server CPU-s':>14}{'p50 ms':>9}{'p99 ms':>9}"
    )
    for label, r in (
        ("nginx return 302 (1 worker)", n),
        ("sociable track serve", o),
        (f"sociable at half max (-c{paced_c})", h),
    ):
        alone = r["per_server_cpu_s"] if r is not n else r["per_cpu_s"]
        print(
            f"{label:28}{r['rate']:>12.0f}{r['per_cpu_s']:>11.0f}{alone:>14.0f}"
            f"{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}"
        )
    print(
        f"ours/nginx: wall rate (one process vs one worker) {o['rate'] / n['rate']:.1%}; "
        f"per CPU-second, server process alone {o['per_server_cpu_s'] / n['per_cpu_s']:.1%}; "
        f"server + flusher process (its catch-up included) {o['per_cpu_s'] / n['per_cpu_s']:.1%}"
        " (target >= 25%)"
    )
    print(
        f"p99 at half max rate: {h['p99_ms']:.2f} ms at {h['rate']:.0f}/s, "
        f"{h['rate'] / o['rate']:.0%} of max (target < 10 ms)"
    )
    print(
        f"non-3xx or socket errors: ours {sum(r['bad_status'] + r['errors'] for r in runs_o)}, "
        f"half-rate {h['bad_status'] + h['errors']}"
    )
    print(
        f"wrk runs: clicks stored {counted}, responses wrk counted {expected:.0f}; difference "
        f"{counted - expected:.0f} (allowed 0..{c * args.rounds + paced_c * 4}: wrk stops "
        "reading at its deadline, up to one answered request per connection per run)"
    )
    print(
        f"exact client (8 threads x 500, every response read): stored {exact_stored} vs "
        f"received {exact_sent}: {'EQUAL' if exact_stored == exact_sent else 'DIFFERENT'}"
    )
    print(
        f"kill -9 mid-run: responses received {killed['requests']:.0f}, stored after restart "
        f"{after_kill} (allowed: received .. received + {c} in flight)"
    )
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
