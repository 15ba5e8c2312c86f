"""Audit speed: extraction plus rules on real pages, against extruct, metascraper and
open-graph-scraper on the same corpus in the same run.

One command: ``.venv/bin/python benchmarks/audit_speed.py`` (``--limit N`` pages from the
Python docs, default 3000). It installs what it needs on first use:

* the corpus: every page of ``../shared/corpora/link-metadata`` plus the HTML of Debian's
  ``python3-doc`` (``apt-get install python3-doc``, thousands of real Sphinx pages);
* extruct 0.18.0 into a side virtualenv ``benchmarks/.side/venv`` (gitignored);
* metascraper (with its usual rule bundles) and open-graph-scraper from
  ``benchmarks/package.json`` into ``benchmarks/node_modules`` (``npm install``).

Each tool runs in its own process pinned to one core, over the same files, and reports the
CPU seconds it spent (``time.process_time`` / ``process.cpuUsage``), so the ratios hold even
on a busy machine; wall-clock pages/s are printed too. We time ``audit_page`` -- extraction,
the cards of nine networks, every rule and the scores -- and extraction alone; the anchors only
extract. extruct runs twice: with its defaults (all six syntaxes) and with just ``opengraph``
and ``json-ld`` (its cheapest setting that covers the tags the networks read).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIDE = HERE / ".side"
SHARED = HERE.parent.parent / "shared" / "corpora" / "link-metadata"
DOCS = Path("/usr/share/doc/python3/html")
DOCS_URL = "https://docs.python.org/3/"
EXTRUCT = "extruct==0.18.0"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def ensure_docs() -> None:
    if DOCS.is_dir():
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        log("installing python3-doc (apt-get) for the corpus ...")
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "python3-doc"], check=True)
    else:
        log("python3-doc is not installed and apt-get is not usable: link-metadata pages only")


def ensure_extruct() -> Path:
    python = SIDE / "venv" / "bin" / "python"
    if not python.exists():
        log("creating benchmarks/.side/venv ...")
        subprocess.run([sys.executable, "-m", "venv", str(SIDE / "venv")], check=True)
    probe = subprocess.run([str(python), "-c", "import extruct"], capture_output=True)
    if probe.returncode != 0:
        log(f"installing {EXTRUCT} into the side venv ...")
        subprocess.run([str(python), "-m", "pip", "install", "-q", EXTRUCT], check=True)
    return python


def ensure_node() -> None:
    if (
        not (HERE / "node_modules" / "open-graph-scraper").is_dir()
        or not (HERE / "node_modules" / "metascraper").is_dir()
    ):
        log("npm install (metascraper, open-graph-scraper) ...")
        subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=HERE, check=True)


def build_corpus(limit: int) -> Path:
    """Write every page to .side/corpus and a manifest of (file, url) that all tools read."""
    out = SIDE / "corpus"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    manifest: list[list[str]] = []
    for jsonl in sorted(SHARED.glob("*.jsonl")):
        for i, line in enumerate(jsonl.read_text().splitlines()):
            case = json.loads(line)
            if case.get("html") is not None:
                body = case["html"].encode("utf-8")
            elif case.get("html_base64"):
                body = base64.b64decode(case["html_base64"])
            else:
                continue
            path = out / f"{jsonl.stem}-{i}.html"
            path.write_bytes(body)
            manifest.append([str(path), case.get("url") or "https://example.com/"])
    if DOCS.is_dir():
        pages = sorted(p for p in DOCS.rglob("*.html") if p.is_file())[:limit]
        for p in pages:
            manifest.append([str(p.resolve()), DOCS_URL + p.relative_to(DOCS).as_posix()])
    (SIDE / "manifest.json").write_text(json.dumps(manifest))
    return SIDE / "manifest.json"


EXTRUCT_SCRIPT = r"""
import json, os, sys, time
os.sched_setaffinity(0, {int(sys.argv[2])})
import extruct
manifest = json.load(open(sys.argv[1]))
pages = [(open(p, "rb").read(), u) for p, u in manifest]
errors = 0
wall, cpu = time.perf_counter(), time.process_time()
for html, url in pages:
    try:
        if sys.argv[3] == "all":
            extruct.extract(html, base_url=url)
        else:
            extruct.extract(html, base_url=url, syntaxes=["opengraph", "json-ld"])
    except Exception:
        errors += 1
print(json.dumps({"pages": len(pages), "cpu": time.process_time() - cpu,
                  "wall": time.perf_counter() - wall, "errors": errors}))
"""

NODE_SCRIPT = r"""
const fs = require('fs');
const which = process.argv[3];
const manifest = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const pages = manifest.map(([p, url]) => [fs.readFileSync(p).toString('utf8'), url]);
async function main() {
  let run;
  if (which === 'metascraper') {
    const metascraper = require('metascraper')([
      require('metascraper-author')(), require('metascraper-date')(),
      require('metascraper-description')(), require('metascraper-image')(),
      require('metascraper-lang')(), require('metascraper-logo')(),
      require('metascraper-publisher')(), require('metascraper-title')(),
      require('metascraper-url')(),
    ]);
    run = (html, url) => metascraper({ html, url });
  } else {
    const ogs = require('open-graph-scraper');
    run = (html) => ogs({ html });
  }
  let errors = 0;
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  for (const [html, url] of pages) {
    try { await run(html, url); } catch (e) { errors += 1; }
  }
  const used = process.cpuUsage(cpu);
  console.log(JSON.stringify({
    pages: pages.length, errors,
    cpu: (used.user + used.system) / 1e6,
    wall: Number(process.hrtime.bigint() - wall) / 1e9,
  }));
}
main();
"""


def run_json(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def ours_subsets(manifest: Path) -> dict[str, dict[str, float]]:
    """audit_page alone on the small test pages and on the big documentation pages."""
    from sociable.audit.engine import audit_page

    out = {}
    entries = json.loads(manifest.read_text())
    for label, keep in (
        ("link-metadata", lambda p: Path(p).parent == SIDE / "corpus"),
        ("python3-doc", lambda p: Path(p).parent != SIDE / "corpus"),
    ):
        pages = [(Path(p).read_bytes(), u) for p, u in entries if keep(p)]
        if not pages:
            continue
        cpu = time.process_time()
        for html, url in pages:
            audit_page(html, url)
        out[label] = {"pages": len(pages), "cpu": time.process_time() - cpu}
    return out


def ours(manifest: Path, core: int) -> tuple[dict[str, float], dict[str, float]]:
    os.sched_setaffinity(0, {core})
    from sociable.audit.engine import audit_page
    from sociable.audit.extract import extract

    pages = [(Path(p).read_bytes(), u) for p, u in json.loads(manifest.read_text())]
    audit_page(pages[0][0], pages[0][1])  # import rules, warm caches
    results = {}
    for name, fn in (("audit", audit_page), ("extract", extract)):
        errors = 0
        wall, cpu = time.perf_counter(), time.process_time()
        for html, url in pages:
            try:
                fn(html, url)
            except Exception:
                errors += 1
        results[name] = {
            "pages": len(pages),
            "cpu": time.process_time() - cpu,
            "wall": time.perf_counter() - wall,
            "errors": errors,
        }
    return results["audit"], results["extract"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=3000, help="Python doc pages to use.")
    parser.add_argument("--core", type=int, default=0, help="The CPU every tool is pinned to.")
    args = parser.parse_args()
    ensure_docs()
    side_python = ensure_extruct()
    ensure_node()
    manifest = build_corpus(args.limit)
    files = json.loads(manifest.read_text())
    sizes = [Path(p).stat().st_size for p, _ in files]
    n_shared = sum(1 for p, _ in files if Path(p).parent == SIDE / "corpus")
    script_py = SIDE / "extruct_bench.py"
    script_py.write_text(EXTRUCT_SCRIPT)
    script_js = SIDE / "node_anchors.cjs"
    script_js.write_text(NODE_SCRIPT)
    env = {**os.environ, "NODE_PATH": str(HERE / "node_modules")}
    taskset = ["taskset", "-c", str(args.core)] if shutil.which("taskset") else []

    log(f"corpus: {len(files)} pages; timing sociable ...")
    audit, extract_only = ours(manifest, args.core)
    subsets = ours_subsets(manifest)
    log("timing extruct ...")
    extruct_cmd = [str(side_python), str(script_py), str(manifest), str(args.core)]
    extruct_all = run_json([*extruct_cmd, "all"])
    extruct = run_json([*extruct_cmd, "og"])
    log("timing metascraper ...")
    meta = run_json([*taskset, "node", str(script_js), str(manifest), "metascraper"], env)
    log("timing open-graph-scraper ...")
    ogs = run_json([*taskset, "node", str(script_js), str(manifest), "ogs"], env)

    rows = [
        ("sociable audit_page (extract+cards+rules)", audit),
        ("sociable extract only", extract_only),
        ("extruct 0.18.0 (default: all 6 syntaxes)", extruct_all),
        ("extruct 0.18.0 (opengraph, json-ld only)", extruct),
        ("metascraper 5.58.1 (9 rule bundles)", meta),
        ("open-graph-scraper 6.12.0", ogs),
    ]
    print(
        f"corpus: {len(files)} real pages ({n_shared} from link-metadata, the rest python3-doc), "
        f"median {statistics.median(sizes) / 1024:.0f} KB, "
        f"total {sum(sizes) / 1e6:.0f} MB; one core each; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(f"{'tool':46} {'pages/CPU-s':>12} {'pages/s wall':>13} {'errors':>7}")
    for name, r in rows:
        print(
            f"{name:46} {r['pages'] / r['cpu']:12.0f} {r['pages'] / r['wall']:13.0f} "
            f"{int(r['errors']):7d}"
        )
    rate = audit["pages"] / audit["cpu"]
    for name, r in rows[2:]:
        anchor = r["pages"] / r["cpu"]
        print(f"ratio sociable audit_page / {name}: {rate / anchor:.1f}x")
    for label, sub in subsets.items():
        print(
            f"sociable audit_page on the {label} pages only ({sub['pages']}): "
            f"{sub['pages'] / sub['cpu']:.0f} pages/CPU-s"
        )
    targets = {
        ">=500 pages/s": rate >= 500,
        ">=5x extruct (defaults)": rate >= 5 * extruct_all["pages"] / extruct_all["cpu"],
        ">=3x metascraper": rate >= 3 * meta["pages"] / meta["cpu"],
        ">=3x open-graph-scraper": rate >= 3 * ogs["pages"] / ogs["cpu"],
    }
    print("targets: " + ", ".join(f"{k} {'MET' if v else 'NOT MET'}" for k, v in targets.items()))


if __name__ == "__main__":
    main()
