"""Bounded parsing: ``preview()`` on deep nesting and huge attribute lists, beside lexbor
parsing the same markup unbounded (the anchor: what extract did before the caps), and the
cost of the bound check on ordinary pages.

    .venv/bin/python benchmarks/parse_bounds.py [--max-anchor N]

The anchor is quadratic, so it only runs up to ``--max-anchor`` elements (default 100,000:
about the 500 KB page the composer took 15.8 s on); ours runs up to 200,000.
CPU seconds (``time.process_time``), one run each: the machine is shared.
"""

from __future__ import annotations

import argparse
import base64
import json
import time
from collections.abc import Callable
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from sociable.audit import extract as extract_mod
from sociable.audit.extract import extract
from sociable.audit.preview import preview
from sociable.html_bounds import Bounded

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parents[1] / "shared" / "corpora" / "link-metadata"
HEAD = "<html><head><title>t</title><meta property=og:title content=T></head><body>"


def nested(n: int) -> str:
    return HEAD + "<div>" * n + "x" + "</div>" * n + "</body></html>"


def attributes(n: int) -> str:
    return HEAD + "<div " + " ".join(f"a{i}=1" for i in range(n)) + ">x</div></body></html>"


def cpu(fn: Callable[[], object]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def corpus_pages() -> list[bytes]:
    pages = []
    for name in ("jacktuck+unfurl.jsonl", "scrapinghub+extruct.jsonl"):
        path = CORPUS / name
        if not path.is_file():
            continue
        for line in path.open(encoding="utf-8"):
            case = json.loads(line)
            if "html_base64" in case:
                pages.append(base64.b64decode(case["html_base64"]))
            else:
                pages.append(str(case["html"]).encode("utf-8"))
    return pages


def typical_page() -> bytes:
    block = (
        "<div class=post><h2><a href='/p'>Title</a></h2><p>Some text with <b>bold</b> and "
        "<a href='https://other.example/x'>a link</a>.</p><ul><li><a href=/t1>t1</a></li>"
        "<li><img src=/i.png alt=i></li></ul></div>"
    )
    return (HEAD + block * 300 + "</body></html>").encode()


def overhead(pages: list[bytes], rounds: int = 5) -> tuple[float, float]:
    """CPU seconds per round of extract over ``pages``: with the bound pass, and without."""
    real = extract_mod.bound_markup

    def run() -> None:
        for page in pages:
            extract(page, "https://example.com/")

    with_bounds = min(cpu(run) for _ in range(rounds))
    extract_mod.bound_markup = Bounded  # the identity: markup passed through untouched
    try:
        without = min(cpu(run) for _ in range(rounds))
    finally:
        extract_mod.bound_markup = real
    return with_bounds, without


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-anchor", type=int, default=100_000)
    args = parser.parse_args()
    print(f"{'input':<28} {'size':>9} {'lexbor unbounded':>17} {'sociable preview':>17}")
    for label, make in (("nested <div>", nested), ("attributes on one <div>", attributes)):
        for n in (5_000, 20_000, 100_000, 200_000):  # tags: 2n for nesting, 1 for attributes
            html = make(n)
            anchor = "-"
            if n <= args.max_anchor:
                anchor = f"{cpu(lambda html=html: LexborHTMLParser(html)):.2f} s"  # type: ignore[misc]
            ours = cpu(lambda html=html: preview(html.encode(), "https://example.com/"))  # type: ignore[misc]
            print(f"{label + f' x {n:,}':<28} {len(html):>9,} {anchor:>17} {ours:>15.2f} s")
    pages = corpus_pages()
    for label, batch in (
        ("corpus pages", pages),
        ("typical 37 KB page x 20", [typical_page()] * 20),
    ):
        if not batch:
            continue
        on, off = overhead(batch)
        print(
            f"extract, {label} ({len(batch)}): {on * 1000:.1f} ms with the bound check, "
            f"{off * 1000:.1f} ms without ({100 * (on - off) / off:+.1f}%)"
        )


if __name__ == "__main__":
    main()
