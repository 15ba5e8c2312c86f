"""One self-contained HTML file: site score, categories, worst pages, findings with fixes,
and every page's link previews drawn the way each network shows them.

No external CSS or scripts; the only outside resources are the pages' own card images
(loaded lazily, without a referrer), because a card without its image would be a lie.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any, TextIO

from sociable.audit.cards import css_color
from sociable.audit.findings import CATEGORY_TITLES, PageReport
from sociable.audit.report.spool import drain, spool
from sociable.audit.score import SiteScore
from sociable.errors import UserError
from sociable.rules import get_rule

NETWORK_NAMES = {
    "facebook": "Facebook",
    "x": "X",
    "linkedin": "LinkedIn",
    "slack": "Slack",
    "discord": "Discord",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "whatsapp": "WhatsApp",
    "pinterest": "Pinterest",
}

CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1c1e21;
background:#f4f5f7}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{margin:0 0 8px}h2{margin:32px 0 8px}
.score{font-size:48px;font-weight:700}.good{color:#1a7f37}.ok{color:#9a6700}.bad{color:#cf222e}
.cats{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:8px}
.cat{background:#fff;border-radius:8px;padding:10px}
.bar{height:6px;background:#e5e7eb;border-radius:3px}.bar i{display:block;height:6px;
border-radius:3px;background:currentColor}
table{border-collapse:collapse;width:100%;background:#fff}td,th{padding:6px 8px;
border-bottom:1px solid #eee;text-align:left}
details.page{background:#fff;border-radius:8px;margin:12px 0;padding:8px 16px}
details.page>summary{cursor:pointer;font-weight:600}
.finding{border-left:4px solid #999;padding:4px 10px;margin:8px 0}
.finding.error{border-color:#cf222e}.finding.warning{border-color:#d4a72c}
.finding.info{border-color:#57606a}
.finding code{font-weight:700}.ev{color:#57606a;font-family:ui-monospace,monospace;
font-size:13px;word-break:break-all}.fix{color:#0a3069}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:16px;align-items:start;
margin:12px 0}
.card{background:#fff;border:1px solid #dadde1;overflow:hidden;font-size:14px}
.card .net{font-size:12px;font-weight:700;padding:4px 8px;background:#f0f2f5;color:#444}
.card .img{aspect-ratio:1.91/1;background:#e4e6eb center/cover no-repeat;display:flex;
align-items:center;justify-content:center;color:#8a8d91;font-size:12px}
.card .img img{width:100%;height:100%;object-fit:cover}
.card .txt{padding:8px 12px}.card .dom{color:#606770;font-size:12px;text-transform:uppercase}
.card .t{font-weight:600;margin:2px 0}.card .d{color:#606770}
.card.hidden{opacity:.55}.note{font-size:12px;color:#8a8d91;padding:0 12px 8px}
.card.facebook{border-radius:0}.card.x{border-radius:16px}.card.x .txt{position:relative}
.card.linkedin{border-radius:8px}.card.slack{border:none;border-left:4px solid #ddd;
background:#fff}.card.discord{background:#2f3136;color:#dcddde;border:none;border-left:4px solid
var(--c,#202225);border-radius:4px}.card.discord .t{color:#00b0f4}.card.discord .d,
.card.discord .dom{color:#b9bbbe}.card.mastodon{border-radius:8px}.card.bluesky{border-radius:12px}
.card.whatsapp{background:#d9fdd3;border-radius:8px}.card.pinterest{border-radius:16px}
.card.pinterest .img{aspect-ratio:2/3}
"""


def _rule_title(code: str) -> str:
    """The registered title of a rule ("" for a code no rule registers)."""
    try:
        return get_rule(code).title
    except UserError:
        return ""


def _cls(score: int) -> str:
    return "good" if score >= 90 else "ok" if score >= 50 else "bad"


def _image(url: str | None) -> str:
    if not url or not url.startswith(("http://", "https://")):
        return '<div class="img">no image</div>'
    return (
        f'<div class="img"><img src="{escape(url)}" alt="" loading="lazy" '
        f'referrerpolicy="no-referrer"></div>'
    )


def card_html(name: str, card: dict[str, Any]) -> str:
    e = escape
    title = card.get("title") or ""
    desc = card.get("description") or ""
    site = card.get("site_name") or ""
    color = css_color((card.get("extra") or {}).get("color"))
    style = f' style="--c:{e(color)}"' if color else ""
    hidden = "" if card.get("shown") else " hidden"
    kind = e(str(card.get("card_type") or ("" if card.get("shown") else "no card")))
    img = _image(card.get("image"))
    small = name == "x" and card.get("card_type") == "summary"
    top = "" if small else img
    parts = [
        f'<div class="card {e(name)}{hidden}"{style}>',
        f'<div class="net">{e(NETWORK_NAMES.get(name, name))}{" · " if kind else ""}{kind}</div>',
        top,
        '<div class="txt">',
        f'<div class="dom">{e(site)}</div>' if site else "",
        f'<div class="t">{e(title) or "<i>no title</i>"}</div>',
        f'<div class="d">{e(desc)}</div>' if desc else "",
        "</div>",
    ]
    if small:
        parts.insert(3, f'<div style="width:120px;float:left">{img}</div>')
    for note in card.get("notes") or []:
        parts.append(f'<div class="note">{e(note)}</div>')
    parts.append("</div>")
    return "".join(parts)


def page_html(report: PageReport, open_: bool = False) -> str:
    e = escape
    out = [
        f'<details class="page"{" open" if open_ else ""}><summary>'
        f'<span class="{_cls(report.score)}">{report.score}</span> {e(report.url)} '
        f"({len(report.findings)} findings)</summary>"
    ]
    if note := report.score_note():
        out.append(f'<p class="note">Score: {e(note)}</p>')
    if report.error:
        out.append(f'<p class="bad">Error: {e(report.error)}</p>')
    for f in report.findings:
        out.append(
            f'<div class="finding {e(f.severity)}"><code>{e(f.code)}</code> '
            f"<b>{e(f.title)}</b> — {e(f.message)}"
            f'<div class="ev">{e(f.evidence)}</div><div class="fix">Fix: {e(f.fix)}</div></div>'
        )
    if report.not_checked:
        out.append(f"<p class='ev'>Not checked: {e(', '.join(report.not_checked))}</p>")
    if report.cards:
        out.append('<div class="cards">')
        out.extend(card_html(name, card) for name, card in report.cards.items())
        out.append("</div>")
    out.append("</details>\n")
    return "".join(out)


def _header(site: SiteScore) -> str:
    e = escape
    cats = "".join(
        f'<div class="cat {_cls(v)}"><div>{e(CATEGORY_TITLES.get(c, c))}</div>'
        f'<b>{v}</b><div class="bar"><i style="width:{v}%"></i></div></div>'
        for c, v in site.categories.items()
    )
    worst = "".join(
        f'<tr><td class="{_cls(w["score"])}">{w["score"]}</td><td>{e(w["url"])}</td>'
        f"<td>{w['findings']}</td></tr>"
        for w in site.worst_pages()
    )
    by_code = "".join(
        f"<tr><td><code>{e(code)}</code> {e(_rule_title(code))}</td><td>{n}</td></tr>"
        for code, n in sorted(site.by_code.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    unfetched = f", {site.error_pages} could not be checked" if site.error_pages else ""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>Sociable audit: {site.score}/100</title><style>{CSS}</style></head><body><main>"
        f"<h1>Share-readiness</h1><div class='score {_cls(site.score)}'>{site.score}/100</div>"
        f"<p>{site.pages} page(s), {site.pages_with_errors} with error findings{unfetched}.</p>"
        f"<h2>Categories</h2><div class='cats'>{cats}</div>"
        f"<h2>Worst pages</h2><table><tr><th>score</th><th>page</th><th>findings</th></tr>"
        f"{worst}</table>"
        f"<h2>Findings by rule</h2><table><tr><th>rule</th><th>findings</th></tr>{by_code}</table>"
        "<h2>Pages</h2>"
    )


def write(reports: Iterable[PageReport], out: TextIO, site: SiteScore) -> None:
    buffer = spool()
    for report in reports:
        site.add(report)
        buffer.write(page_html(report, open_=site.pages == 1))
    out.write(_header(site))
    drain(buffer, out)
    out.write("</main></body></html>\n")
