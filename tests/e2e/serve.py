"""A real ``sociable serve`` process on a free loopback port, for the multi-process tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_serve(
    options: list[str], log: Path, *, timeout: float = 90
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``sociable OPTIONS serve`` and wait for ``/healthz``; the caller stops it.

    Output goes to ``log`` (a file, not a pipe nobody reads: a full pipe would block the
    server), and is shown if the process dies before it answers.
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIABLE_")}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sociable.cli.app", *options, "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, log.read_text(errors="replace")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"sociable serve did not start: {log.read_text(errors='replace')}")
        time.sleep(0.2)
