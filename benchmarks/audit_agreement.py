"""Agreement of our extractor with the expected values of two public extractors' test suites
(../shared/corpora/link-metadata) and with our own per-network cases.

Per field: how many expected values we reproduce. Every disagreement is listed with its
reason; reasons come from REASONS (a known, explained difference) or say "unexplained".

    .venv/bin/python benchmarks/audit_agreement.py [--corpus DIR] [--verbose]
"""

from __future__ import annotations

import argparse
import base64
import html
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from sociable.audit.cards import build_cards, resolved
from sociable.audit.extract import extract
from sociable.audit.meta import PageMeta

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parents[1] / "shared" / "corpora" / "link-metadata"

# Structured unfurl keys -> the Open Graph / X prefix their items come from.
GROUPS = {
    "og:images": "og:image",
    "og:videos": "og:video",
    "og:audio": "og:audio",
    "twitter:images": "twitter:image",
    "twitter:players": "twitter:player",
    "og:articles": "article",
}
NOT_MODELLED = {
    "oembed": "needs the oEmbed endpoint fetched (the live audit does this; the extractor "
    "only discovers the link)",
    "twitter:apps": "X app-card fields are kept as raw twitter:app:* tags, not grouped",
}
OUT_OF_SCOPE = {
    "microdata": "we read JSON-LD, not microdata (social networks read Open Graph / JSON-LD)",
    "rdfa": "we read JSON-LD, not RDFa",
    "dublincore": "we read JSON-LD, not Dublin Core",
    "microformat": "we read rel=me / webmention, not full microformats2",
    "all_syntaxes": "includes microdata/RDFa (out of scope)",
}


class Result:
    def __init__(self) -> None:
        self.compared: Counter[str] = Counter()
        self.agreed: Counter[str] = Counter()
        self.disagreements: list[tuple[str, str, Any, Any, str]] = []
        self.skipped: list[tuple[str, str, str]] = []

    def check(self, case: str, field: str, expected: Any, ours: Any, reason: str = "") -> None:
        self.compared[field] += 1
        if _norm(expected) == _norm(ours):
            self.agreed[field] += 1
        else:
            self.disagreements.append((case, field, expected, ours, reason or "unexplained"))


def _norm(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


def _html(case: dict[str, Any]) -> bytes:
    if "html_base64" in case:
        return base64.b64decode(case["html_base64"])
    return str(case["html"]).encode("utf-8")


def _keywords(meta: PageMeta) -> list[str] | None:
    value = meta.first("keywords")
    return [k.strip() for k in value.split(",") if k.strip()] if value else None


def _unfurl_scalar(meta: PageMeta, key: str) -> Any:
    if key == "html:title":
        return meta.title
    if key == "link:canonical":
        return meta.canonical
    if key == "link:icon":
        return meta.icons[0].url if meta.icons else None
    if key == "meta:keywords":
        return _keywords(meta)
    if key.startswith("meta:"):
        return meta.first(key[5:])
    return meta.first(key)


ROOTS = {
    "og:image": ("og:image",),
    "og:video": ("og:video",),
    "og:audio": ("og:audio",),
    "twitter:image": ("twitter:image", "twitter:image:src"),
    "twitter:player": ("twitter:player",),
}
NUMERIC = {"width", "height"}


def _group(meta: PageMeta, prefix: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Our structured items (document order, as Open Graph defines), with the props unfurl
    reports. article:* is one item whose tags are a list."""
    if prefix == "article":
        one: dict[str, Any] = {}
        for key, value in meta.sequence:
            if key == "article:tag":
                one.setdefault("tags", []).append(value)
            elif key.startswith("article:"):
                one.setdefault(key[len("article:") :], value)
        mine = [one] if one else []
    else:
        mine = meta.structured(*ROOTS[prefix])
    wanted = [set(item) for item in items]
    return [
        {k: v for k, v in item.items() if i >= len(wanted) or k in wanted[i]}
        for i, item in enumerate(mine)
    ]


def _reason_unfurl(case: dict[str, Any], key: str, expected: Any, ours: Any, meta: PageMeta) -> str:
    name = case["source"]["test_name"]
    if key == "link:icon" and not meta.icons and str(expected).endswith("/favicon.ico"):
        return "unfurl invents /favicon.ico when no icon is declared; we report declared icons only"
    if "last dupe" in name:
        return "unfurl keeps the last duplicate; we keep all values and the first wins (Open Graph)"
    if key == "og:videos" and [
        {k: v for k, v in i.items() if k != "tags"} for i in _norm(expected)
    ] == [{k: v for k, v in i.items() if k != "tags"} for i in _norm(ours)]:
        return (
            "og:video:tag follows the second video; Open Graph attaches structured properties "
            "to the latest root, unfurl copies them to every video"
        )
    if isinstance(ours, str) and html.unescape(ours) == expected:
        return (
            "double-escaped in the page (&amp;quot;): HTML decodes entities once, as browsers "
            "do; unfurl decodes twice"
        )
    return ""


def run_unfurl(path: Path, res: Result) -> None:
    for line in path.open(encoding="utf-8"):
        case = json.loads(line)
        meta = extract(_html(case), case["url"])
        for key, expected in case["expected"].items():
            if key in NOT_MODELLED:
                res.skipped.append((case["id"], key, NOT_MODELLED[key]))
                continue
            if key in GROUPS:
                ours: Any = _group(meta, GROUPS[key], expected)
            else:
                ours = _unfurl_scalar(meta, key)
            reason = ""
            if _norm(expected) != _norm(ours):
                reason = _reason_unfurl(case, key, expected, ours, meta)
            res.check(case["id"], f"unfurl {key}", expected, ours, reason)


def _extruct_opengraph(meta: PageMeta, expected: list[dict[str, Any]]) -> list[list[str]]:
    got = []
    for block in expected:
        for prop, _value in block["properties"]:
            values = meta.all(prop)
            got.append([prop, values[len([p for p in got if p[0] == prop])] if values else None])
    return got


def run_extruct(path: Path, res: Result) -> None:
    for line in path.open(encoding="utf-8"):
        case = json.loads(line)
        meta = extract(_html(case), case["url"])
        for key, expected in case["expected"].items():
            if key in OUT_OF_SCOPE:
                res.skipped.append((case["id"], key, OUT_OF_SCOPE[key]))
                continue
            if key == "jsonld":
                if isinstance(expected, dict) and "items" in expected:
                    # Older extruct samples: {"items": [[block 1 items], [block 2 items]]}.
                    expected = [i for block in expected["items"] for i in block]
                ours: Any = []
                for block in meta.jsonld:
                    # extruct drops blocks that are JSON null/false; so do our rules.
                    if isinstance(block.data, list):
                        ours.extend(block.data)
                    elif isinstance(block.data, dict):
                        ours.append(block.data)
                reason = ""
                if _norm(expected) != _norm(ours):
                    errors = [b.error for b in meta.jsonld if b.error and not b.repaired]
                    if errors:
                        reason = f"not JSON even when read leniently ({errors[0]})"
                res.check(case["id"], "extruct jsonld", expected, ours, reason)
            elif key == "opengraph":
                want = [list(p) for block in expected for p in block["properties"]]
                got = _extruct_opengraph(meta, expected)
                for (prop, value), (_, mine) in zip(want, got, strict=True):
                    res.check(case["id"], f"extruct opengraph {prop.split(':')[0]}", value, mine)


# Our own cases: what each network shows, where networks differ from generic extractors.
OWN_CASES: list[dict[str, Any]] = [
    {
        "id": "own/x-no-title-fallback",
        "html": "<title>HTML title</title><meta name=description content=D>",
        "expect": {
            "x.title": None,
            "facebook.title": "HTML title",
            "resolved.title": "HTML title",
            "x.shown": False,
            "facebook.description": "D",
        },
    },
    {
        "id": "own/slack-twitter-before-og",
        "html": "<meta property=og:title content=OG><meta name=twitter:title content=TW>",
        "expect": {
            "slack.title": "TW",
            "x.title": "TW",
            "facebook.title": "OG",
            "discord.title": "OG",
            "linkedin.title": "OG",
            "resolved.title": "OG",
        },
    },
    {
        "id": "own/mastodon-jsonld-first",
        "html": '<meta property=og:title content=OG><script type="application/ld+json">'
        '{"@type":"NewsArticle","headline":"LD","description":"LDD"}</script>'
        "<meta property=og:description content=OGD>",
        "expect": {
            "mastodon.title": "LD",
            "mastodon.description": "LDD",
            "facebook.title": "OG",
            "resolved.description": "OGD",
        },
    },
    {
        "id": "own/first-og-wins",
        "html": "<meta property=og:title content=First><meta property=og:title content=Second>",
        "expect": {"resolved.title": "First", "facebook.title": "First"},
    },
    {
        "id": "own/relative-image-base",
        "html": "<base href='/assets/'><meta property=og:image content='img/c.png'>"
        "<meta property=og:title content=t>",
        "expect": {"resolved.image": "https://example.com/assets/img/c.png"},
    },
    {
        "id": "own/entities-and-whitespace",
        "html": "<meta property=og:title content='  Caf&eacute;\n\t&amp;  Bar &lt;3 '>",
        "expect": {"resolved.title": "Café & Bar <3"},
    },
    {
        "id": "own/windows-1252-declared",
        "html_bytes": '<meta charset="windows-1252"><title>Grüße “quoted”</title>'.encode("cp1252"),
        "expect": {"resolved.title": "Grüße “quoted”"},
    },
    {
        "id": "own/wrong-charset-declared",
        "html_bytes": '<meta charset="utf-8"><title>Grüße</title>'.encode("latin-1"),
        "expect": {"resolved.title": "Grüße"},
    },
    {
        "id": "own/x-card-truncation",
        "html": "<meta property=og:title content='" + "T" * 80 + "'>",
        "expect": {"x.title": "T" * 69 + "…", "mastodon.title": "T" * 80},
    },
    {
        "id": "own/discord-large-image",
        "html": "<meta property=og:title content=t><meta property=og:image content=/i.png>"
        "<meta name=twitter:card content=summary_large_image><meta name=theme-color content=#f00>",
        "expect": {"discord.card_type": "large_image", "x.card_type": "summary_large_image"},
    },
    {
        "id": "own/slack-32k",
        "html": "<meta property=og:title content=Early><script>/*"
        + "x" * 40000
        + "*/</script><meta property=og:image content=/late.png>",
        "expect": {"slack.image": None, "discord.image": "https://example.com/late.png"},
    },
    {
        "id": "own/title-fallbacks",
        "html": "<title>Only title</title><meta name=description content='Only description'>",
        "expect": {
            "linkedin.title": "Only title",
            "whatsapp.title": "Only title",
            "bluesky.title": "Only title",
            "slack.title": "Only title",
            "discord.description": "Only description",
            "x.description": None,
        },
    },
    {
        "id": "own/jsonld-type-and-lang",
        "html": '<html lang="de"><script type="application/ld+json">'
        '{"@graph":[{"@type":"Organization","name":"O"},{"@type":"BlogPosting","headline":"B"}]}'
        "</script></html>",
        "expect": {"resolved.type": "article", "resolved.locale": "de", "resolved.title": "B"},
    },
    {
        "id": "own/site-names",
        "html": "<meta property=og:site_name content=Acme><meta property=og:title content=t>"
        "<meta name=twitter:site content=@acme>",
        "expect": {
            "facebook.site_name": "EXAMPLE.COM",
            "x.site_name": "@acme",
            "discord.site_name": "Acme",
            "slack.site_name": "Acme",
            "resolved.site_name": "Acme",
        },
    },
    {
        "id": "own/mastodon-canonical-other-host",
        "html": "<meta property=og:title content=t><link rel=canonical href='https://cdn.example.net/p'>",
        "expect": {
            "mastodon.url": "https://example.com/page",
            "resolved.url": "https://cdn.example.net/p",
        },
    },
    {
        "id": "own/pinterest-product",
        "html": '<script type="application/ld+json">{"@type":"Product","name":"Mug"}</script>',
        "expect": {"pinterest.card_type": "product", "pinterest.title": "Mug"},
    },
    # Issue #12 part 6: what real pages did differently from the networks.
    {
        "id": "own/late-meta-charset-cjk",
        "html_bytes": b"<html><head><script>var c = {" + b"a: 1, " * 7000 + b"};</script>"
        b'<meta charset="shift_jis"><title>' + "東京の天気予報".encode("shift_jis") + b"</title>",
        "expect": {"resolved.title": "東京の天気予報", "facebook.title": "東京の天気予報"},
    },
    {
        "id": "own/undeclared-gb18030-detected",
        "html_bytes": (
            "<title>北京今日新闻：经济与文化的最新报道和评论</title><p>"
            + "今天的新闻报道了经济发展、文化活动和社会生活的许多方面。" * 20
        ).encode("gb18030"),
        "expect": {"resolved.title": "北京今日新闻：经济与文化的最新报道和评论"},
    },
    {
        "id": "own/jsonld-website-block-not-the-page",
        "html": "<title>Page title</title><meta name=description content='Page text'>"
        '<script type="application/ld+json">{"@type":"WebSite","name":"Acme",'
        '"description":"About Acme","url":"https://example.com/"}</script>',
        "expect": {
            "resolved.title": "Page title",
            "resolved.description": "Page text",
            "mastodon.title": "Page title",
            "pinterest.title": "Page title",
        },
    },
    {
        "id": "own/jsonld-main-entity-of-page",
        "html": '<title>T</title><script type="application/ld+json">{"@graph":['
        '{"@type":"NewsArticle","headline":"Other","url":"https://example.com/other"},'
        '{"@type":"NewsArticle","headline":"This","mainEntityOfPage":"https://example.com/page"}'
        "]}</script>",
        "expect": {"resolved.title": "This", "mastodon.title": "This", "facebook.title": "T"},
    },
    {
        "id": "own/first-image-skips-pixels-and-fallbacks",
        "html": "<title>t</title><noscript><img src='https://px.example.net/t.gif'></noscript>"
        "<video><img src=/fallback.png></video><img src=/icon.svg aria-hidden=true>"
        "<img src=/p.gif width=1 height=1><img src=/h.png hidden>"
        "<img src='data:image/gif;base64,R0lGOD'><img src=/count.php><img src=/real.jpg>",
        "expect": {
            "resolved.image": "https://example.com/real.jpg",
            "pinterest.image": "https://example.com/real.jpg",
        },
    },
    {
        "id": "own/domain-site-name-without-www",
        "url": "https://www.example.com/page",
        "html": "<meta property=og:title content=t>",
        "expect": {
            "resolved.site_name": "example.com",
            "facebook.site_name": "EXAMPLE.COM",
            "linkedin.site_name": "example.com",
        },
    },
]


def run_own(res: Result) -> None:
    for case in OWN_CASES:
        url = case.get("url", "https://example.com/page")
        raw = case.get("html_bytes") or case["html"].encode("utf-8")
        meta = extract(raw, url)
        cards = {n: c.as_dict() for n, c in build_cards(meta).items()}
        cards["resolved"] = dict(resolved(meta))
        for field, expected in case["expect"].items():
            network, key = field.split(".")
            value = cards[network].get("full_" + key, cards[network].get(key))
            if key == "title" and network != "resolved":
                value = cards[network]["title"]  # the displayed (truncated) title
            res.check(case["id"], f"own {field.split('.')[1]}", expected, value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    res = Result()
    run_unfurl(args.corpus / "jacktuck+unfurl.jsonl", res)
    run_extruct(args.corpus / "scrapinghub+extruct.jsonl", res)
    run_own(res)

    total_c, total_a = sum(res.compared.values()), sum(res.agreed.values())
    print(f"{'field':<34} {'agree':>5} / {'n':>3}   %")
    groups: dict[str, list[str]] = defaultdict(list)
    for field in sorted(res.compared):
        groups[field.split()[0]].append(field)
    for _, fields in sorted(groups.items()):
        for field in fields:
            n, a = res.compared[field], res.agreed[field]
            print(f"{field:<34} {a:>5} / {n:>3}  {100 * a / n:5.1f}")
    print(f"{'TOTAL':<34} {total_a:>5} / {total_c:>3}  {100 * total_a / total_c:5.1f}")
    print(f"\n{len(res.disagreements)} disagreement(s):")
    for case, field, expected, ours, reason in res.disagreements:
        exp, got = json.dumps(expected, ensure_ascii=False), json.dumps(ours, ensure_ascii=False)
        if not args.verbose:
            exp, got = exp[:90], got[:90]
        print(f"- {case} [{field}]\n    expected {exp}\n    ours     {got}\n    reason: {reason}")
    why = Counter(r for _, _, r in res.skipped)
    print(f"\n{len(res.skipped)} expected value(s) not compared:")
    for reason, n in why.most_common():
        print(f"- {n} x {reason}")


if __name__ == "__main__":
    main()
