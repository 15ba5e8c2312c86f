"""Crawl speed: a full live audit of a generated 10,000-page site on loopback.

One command: ``.venv/bin/python benchmarks/crawl_speed.py`` (options: --pages, --concurrency).
The site (benchmarks/crawl_site.py) runs in its own process. We measure, in this process:

* ``sociable``: the whole pipeline of ``sociable audit URL`` minus the report writer --
  crawl (robots.txt, sitemap, links, dedupe), extraction, cards, every rule, og:image probe,
  feed fetch, site score -- as pages/s, and the peak RSS of this process;
* the anchor, from the same run: bare ``httpx.AsyncClient`` GETs of the same URLs with the
  same concurrency and no parsing at all -- the floor any httpx-based crawler pays.

Targets (issue 3, section 7): at least 200 pages/s and under 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import crawl_site
import httpx

from sociable.audit.crawl import CrawlOptions
from sociable.audit.run import AuditOptions, _new_loop_runner, audit_site
from sociable.audit.score import SiteScore


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def ours(base: str, pages: int, concurrency: int) -> tuple[int, float, float, SiteScore]:
    options = AuditOptions(
        crawl=CrawlOptions(
            allow_private=True, max_pages=pages, concurrency=concurrency, timeout=30.0
        )
    )
    score = SiteScore()
    start, cpu = time.perf_counter(), time.process_time()
    async for report in audit_site(base + "/", options):
        score.add(report)
    return score.pages, time.perf_counter() - start, time.process_time() - cpu, score


async def anchor(base: str, pages: int, concurrency: int) -> tuple[int, float, float]:
    urls = [f"{base}/p/{n}" for n in range(pages)]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    done = 0
    start, cpu = time.perf_counter(), time.process_time()
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:

        async def worker(chunk: list[str]) -> None:
            nonlocal done
            for url in chunk:
                r = await client.get(url)
                r.raise_for_status()
                done += 1

        await asyncio.gather(*(worker(urls[i::concurrency]) for i in range(concurrency)))
    return done, time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    port = free_port()
    ready = multiprocessing.Event()
    server = multiprocessing.Process(
        target=crawl_site.run, args=(args.pages, port, ready), daemon=True
    )
    server.start()
    ready.wait(30)
    base = f"http://127.0.0.1:{port}"
    try:
        rss_before = rss_mb()
        n, secs, cpu, score = _new_loop_runner()(ours(base, args.pages, args.concurrency))
        peak = rss_mb()
        n_anchor, secs_anchor, cpu_anchor = _new_loop_runner()(
            anchor(base, args.pages, args.concurrency)
        )
    finally:
        server.terminate()
        server.join()
    ours_rate = n / secs
    anchor_rate = n_anchor / secs_anchor
    print(f"site: {args.pages} generated pages on loopback, concurrency {args.concurrency}")
    print(
        f"sociable live audit : {n} pages in {secs:.1f}s = {ours_rate:.0f} pages/s "
        f"(site score {score.score}, {score.error_pages} error pages)"
    )
    print(
        f"anchor bare httpx GET: {n_anchor} pages in {secs_anchor:.1f}s = {anchor_rate:.0f} pages/s"
    )
    print(f"ratio sociable / bare httpx: {ours_rate / anchor_rate:.2f}")
    print(
        f"CPU time of this process: sociable {cpu:.1f}s = {n / cpu:.0f} pages per CPU-second; "
        f"bare httpx {cpu_anchor:.1f}s = {n_anchor / cpu_anchor:.0f} pages per CPU-second"
    )
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"peak RSS of the auditing process: {peak:.0f} MB (before crawl {rss_before:.0f} MB)")
    ok = ours_rate >= 200 and peak < 300 and n == args.pages
    print(f"targets (>=200 pages/s, <300 MB, every page): {'MET' if ok else 'NOT MET'}")


if __name__ == "__main__":
    main()
