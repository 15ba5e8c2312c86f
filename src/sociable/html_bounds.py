"""Bound the work of parsing one page: nesting depth and attributes per element are capped
*before* the markup reaches the parser.

lexbor's tree builder checks the stack of open elements on every tag, so a page of N nested
elements costs O(N^2) (200,000 nested ``<div>`` took minutes), and an element with N
attributes costs the same (each new attribute is compared with the ones before it). No
network's crawler reads such markup, so nothing a preview needs is lost by capping it:

- elements deeper than :data:`MAX_DEPTH` (Chromium's own parser cap, 512) are laid out
  flat, as Chromium does: each becomes a sibling of the previous one at the cap (their text,
  links and images stay; only the nesting goes);
- an element keeps its first :data:`MAX_ATTRIBUTES` attributes (duplicates already lose to
  the first in HTML, so the first ones are what counts).

Pages too small to hurt (under SCAN_FROM_TAGS tags) and without a very long tag are
returned untouched after a count and one regex search at C speed; only the others go through
the tag-by-tag scanner below.

Every parse of a page someone else wrote goes through :func:`bound_markup` first: the
audit's extract, fix and crawler, and the post linter's own fallback preview. It lives at
the top of the package (like ``net``) because both audit and content use it and content
may not import audit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_DEPTH = 512
MAX_ATTRIBUTES = 256
# Pages with fewer tags than this are not scanned for depth: lexbor's worst case on them
# (every tag nested) is about SCAN_FROM_TAGS**2 steps, a fraction of a second, while the
# scan would cost an ordinary page more than parsing it (any exact bound of the depth
# needs the tags one by one: stray, misnested and table-shielded end tags defeat counts).
SCAN_FROM_TAGS = 10_000

VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "keygen",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
# Raw text: no tags inside until the matching end tag.
RAW_TEXT = frozenset(
    ["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"]
)
# HTML start tags that end SVG/MathML content (WHATWG "any other start tag" in foreign content).
BREAKOUT = frozenset(
    [
        "b",
        "big",
        "blockquote",
        "body",
        "br",
        "center",
        "code",
        "dd",
        "div",
        "dl",
        "dt",
        "em",
        "embed",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "head",
        "hr",
        "i",
        "img",
        "li",
        "listing",
        "menu",
        "meta",
        "nobr",
        "ol",
        "p",
        "pre",
        "ruby",
        "s",
        "small",
        "span",
        "strong",
        "strike",
        "sub",
        "sup",
        "table",
        "tt",
        "u",
        "ul",
        "var",
    ]
)
# WHATWG "special" elements, and the scope boundaries an end tag cannot reach across.
SPECIAL = frozenset(
    [
        "address",
        "applet",
        "area",
        "article",
        "aside",
        "base",
        "basefont",
        "bgsound",
        "blockquote",
        "body",
        "br",
        "button",
        "caption",
        "center",
        "col",
        "colgroup",
        "dd",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "embed",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "frame",
        "frameset",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "head",
        "header",
        "hgroup",
        "hr",
        "html",
        "iframe",
        "img",
        "input",
        "keygen",
        "li",
        "link",
        "listing",
        "main",
        "marquee",
        "menu",
        "meta",
        "nav",
        "noembed",
        "noframes",
        "noscript",
        "object",
        "ol",
        "p",
        "param",
        "plaintext",
        "pre",
        "script",
        "search",
        "section",
        "select",
        "source",
        "style",
        "summary",
        "table",
        "tbody",
        "td",
        "template",
        "textarea",
        "tfoot",
        "th",
        "thead",
        "title",
        "tr",
        "track",
        "ul",
        "wbr",
        "xmp",
    ]
)
SCOPE = frozenset(
    ["applet", "caption", "html", "table", "td", "th", "marquee", "object", "template"]
)
# Elements whose start tag closes an open element of the same family (optional end tags).
_SIBLINGS = {
    "p": {"p"},
    "li": {"li"},
    "dt": {"dt", "dd"},
    "dd": {"dt", "dd"},
    "option": {"option"},
    "tr": {"tr", "td", "th"},
    "td": {"td", "th"},
    "th": {"td", "th"},
}
# How far down the stack an end tag looks for its element (stray end tags are ignored).
_END_SEARCH = 32

# Start ("") and end ("/") tags with their names, for the depth bound.
# A start tag long enough to hold MAX_ATTRIBUTES attributes (each is at least 2 characters).
_LONG_TAG = re.compile(r"<[A-Za-z][^<>]{" + str(2 * MAX_ATTRIBUTES) + ",}")
_TAG = re.compile(r"<(?:(!--)|(/?)([A-Za-z][^\s/>]*))")
# Where a tag ends: as in the HTML tokenizer, a quote opens a value only right after "=";
# possessive, so a page of unclosed quotes cannot make the regex backtrack.
_TAG_END = re.compile(r"""(?:[^>=]++|=\s*+"[^"]*+"|=\s*+'[^']*+'|=)*+>""")
_ATTR = re.compile(r"""[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?""")


@dataclass(slots=True)
class Bounded:
    """The markup to parse and what was cut from it (``tags_visited`` counts the scanner's
    work: at most one step per tag of the input)."""

    text: str
    depth_capped: int = 0  # start tags dropped for being deeper than MAX_DEPTH
    attributes_capped: int = 0  # attributes dropped beyond MAX_ATTRIBUTES
    tags_visited: int = 0
    warnings: list[str] = field(default_factory=list)


def bound_markup(text: str) -> Bounded:
    """``text`` with its nesting and attributes capped (unchanged when within both caps)."""
    deep = text.count("<") > SCAN_FROM_TAGS
    wide = _LONG_TAG.search(text) is not None
    if not deep and not wide:
        return Bounded(text)
    out = _scan(text) if deep else _cap_long_tags(text)
    if out.depth_capped:
        out.warnings.append(
            f"elements nested deeper than {MAX_DEPTH} levels: {out.depth_capped} elements "
            "beyond that depth were read as siblings, not nested (as Chromium does)"
        )
    if out.attributes_capped:
        out.warnings.append(
            f"elements with more than {MAX_ATTRIBUTES} attributes: {out.attributes_capped} "
            "attributes beyond the first ones were ignored"
        )
    return out


def _cap_attributes(tag: str, name_end: int, result: Bounded) -> str:
    """A start tag keeping its first MAX_ATTRIBUTES attributes."""
    body = tag[name_end:-1]
    closing = "/" if body.rstrip().endswith("/") else ""
    attrs = _ATTR.findall(body)
    if len(attrs) <= MAX_ATTRIBUTES:
        return tag
    result.attributes_capped += len(attrs) - MAX_ATTRIBUTES
    return tag[:name_end] + " " + " ".join(attrs[:MAX_ATTRIBUTES]) + closing + ">"


def _cap_long_tags(text: str) -> Bounded:
    """Only the attribute cap, on the few tags long enough to need it (no depth scan)."""
    result = Bounded(text)
    parts: list[str] = []
    copied = 0
    for m in _LONG_TAG.finditer(text):
        if m.start() < copied:
            continue
        name = _TAG.match(text, m.start())
        end = _TAG_END.match(text, name.end()) if name else None
        if name is None or end is None:
            continue
        result.tags_visited += 1
        tag = text[m.start() : end.end()]
        capped = _cap_attributes(tag, name.end() - m.start(), result)
        if capped is not tag:
            parts += [text[copied : m.start()], capped]
            copied = end.end()
    if parts:
        parts.append(text[copied:])
        result.text = "".join(parts)
    return result


def _scan(text: str) -> Bounded:
    """One pass over the tags, keeping a stack of open element names (a model of the tree
    builder that is good enough to count depth: optional end tags, void and raw-text
    elements, comments, self-closing tags inside SVG/MathML)."""
    result = Bounded(text)
    parts: list[str] = []
    stack: list[str] = []
    dropped: dict[str, int] = {}
    deep_open: str | None = None  # the element open at the cap (see below)
    # Stack index of the outermost open <svg>/<math>: inside, "/>" closes the element,
    # until an HTML "breakout" tag ends the foreign content.
    foreign: int | None = None
    pos = copied = 0
    n = len(text)
    while True:
        m = _TAG.search(text, pos)
        if m is None:
            break
        result.tags_visited += 1
        start = m.start()
        if m.group(1):  # a comment
            end = text.find("-->", m.end())
            pos = n if end < 0 else end + 3
            continue
        end_m = _TAG_END.match(text, m.end())
        if end_m is None:  # unterminated tag: the parser drops it, so can we
            break
        tag_end = end_m.end()
        name = m.group(3).lower()
        if m.group(2):  # an end tag
            pos = tag_end
            if dropped.get(name):
                dropped[name] -= 1
                if deep_open == name:  # closes the open flattened element: keep it
                    deep_open = None
                else:
                    parts.append(text[copied:start])
                    copied = tag_end
                continue
            low = max(0, len(stack) - _END_SEARCH)
            special = name in SPECIAL
            for i in range(len(stack) - 1, low - 1, -1):
                open_name = stack[i]
                if open_name == name:
                    del stack[i:]
                    if foreign is not None and len(stack) <= foreign:
                        foreign = None
                    break
                # HTML ignores the end tag when a scope boundary (a table...) or, for a
                # phrasing element, any special element is open above its element.
                if open_name in SCOPE or (not special and open_name in SPECIAL):
                    break
            continue
        tag = text[start:tag_end]
        pos = tag_end
        replacement = tag
        if len(tag) > 2 * MAX_ATTRIBUTES:
            replacement = _cap_attributes(tag, m.end() - start, result)
        if foreign is not None and name in BREAKOUT:
            del stack[foreign:]
            foreign = None
        self_closing = tag[:-1].rstrip().endswith("/")
        foreign_tag = foreign is not None or name in ("svg", "math")
        opens = name not in VOID and not (foreign_tag and self_closing)
        if opens and name in RAW_TEXT:  # no children: +1 depth at most, content skipped
            close = re.compile(rf"</{re.escape(name)}[\s/>]", re.IGNORECASE).search(text, pos)
            pos = n if close is None else close.start()
            stack.append(name)
        elif opens:
            family = _SIBLINGS.get(name)
            if family and stack and stack[-1] in family:
                stack.pop()
            if len(stack) >= MAX_DEPTH:
                # Chromium's rule: beyond the cap an element becomes a sibling of the
                # previous deep one (closed first), so the tree gets no deeper.
                result.depth_capped += 1
                dropped[name] = dropped.get(name, 0) + 1
                if deep_open is not None:
                    replacement = f"</{deep_open}>" + replacement
                deep_open = name
            else:
                if foreign is None and name in ("svg", "math"):
                    foreign = len(stack)
                stack.append(name)
        if replacement is not tag:
            parts.append(text[copied:start])
            parts.append(replacement)
            copied = tag_end
    if parts:
        parts.append(text[copied:])
        result.text = "".join(parts)
    return result
