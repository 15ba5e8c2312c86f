"""One source post -> one variant per network that the network takes as it is.

For each network: mentions are mapped from the ``[handles]`` table of sociable.toml, hashtags
are trimmed to the network's usual number, links get GA4 UTM tags (utm_source = network,
utm_medium = social, utm_campaign and utm_content from the post), and a text over the limit
becomes a numbered thread where the network has threads (X, Bluesky, Mastodon, Threads),
split between sentences, else between words. Elsewhere it is shortened at a word with "…".
Every variant is meant to lint clean; the tests check that, property-based too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import regex

from sociable.content import entities, twitter
from sociable.content.counting import GRAPHEME_RE, count_text, nfc
from sociable.content.platforms import Platform, load_platforms, parse_networks
from sociable.content.post import PostInput
from sociable.errors import UserError

MAX_ADAPT_CHARS = 200_000  # a "post" longer than this is a document, not a post
MAX_THREAD = 99
DEFAULT_CAMPAIGN = "social"

_SENTENCE_END = regex.compile(r"(?<=[.!?…。！？])\s+|\n{2,}", regex.VERSION0)
_WORD_SPLIT = regex.compile(r"(\s+)", regex.VERSION0)
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass
class Variant:
    """The post as it goes to one network."""

    network: str
    text: str  # the first (or only) post
    thread: list[str]  # every post in order; [text] when there is no thread
    hashtags: list[str] = field(default_factory=list)  # kept, without '#'
    dropped_hashtags: list[str] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)  # original -> tagged
    link: str | None = None  # the post's link, tagged
    first_comment: str | None = None
    media: list[str] = field(default_factory=list)
    alt: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The text (or first comment) was cut with "…" to fit: the end of what was written is lost.
    shortened: bool = False
    comment_shortened: bool = False
    # Bluesky: app.bsky.richtext.facet records (links, tags) for each post of the thread.
    facets: list[list[dict[str, Any]]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def slug(text: str, words: int = 5) -> str:
    """A lowercase ASCII slug of the first words, for utm_content."""
    plain = _SLUG.sub("-", nfc(text).lower()).strip("-")
    return "-".join(plain.split("-")[:words])[:60] or "post"


# -- mentions ---------------------------------------------------------------------------------


def _handle_for(mapping: Mapping[str, str], network: str, name: str) -> str:
    """The text that mentions ``name`` on ``network`` (plain name when unmapped)."""
    value = mapping.get(network)
    if not value:
        return str(mapping.get("name", name))
    value = value.strip()
    if network == "linkedin" and value.startswith("urn:li:"):
        return f"@[{mapping.get('name', name)}]({value})"
    return value if value.startswith("@") else f"@{value}"


def map_mentions(text: str, network: str, handles: Mapping[str, Mapping[str, str]]) -> str:
    """Replace ``@name`` (a key of ``[handles.name]``) by that account's handle on ``network``."""
    if not handles:
        return text
    table = {k.lower().lstrip("@"): v for k, v in handles.items()}

    def swap(m: regex.Match[str]) -> str:
        mapping = table.get(m.group(2).lower())
        if mapping is None:
            return m.group(0)
        return m.group(1) + _handle_for(mapping, network, m.group(2))

    return regex.sub(
        r"(^|(?<=[^\w@/.]))@([A-Za-z0-9_][A-Za-z0-9_.\-]*[A-Za-z0-9_]|[A-Za-z0-9_])(?![\w@])",
        lambda m: swap(m),
        text,
        flags=regex.VERSION0,
    )


# -- hashtags ---------------------------------------------------------------------------------


def _tag_budget(p: Platform) -> int:
    budget = p.hashtag_norm
    if p.max_hashtags is not None:
        budget = min(budget, p.max_hashtags)
    return max(0, budget)


def _is_markup(word: str) -> bool:
    """A hashtag, a mention or a link: what a block of tags at the end of a post is made of."""
    return word[0] in "#＃@＠" or "://" in word


def trim_hashtags(text: str, keep: int) -> tuple[str, list[str], list[str]]:
    """Keep the first ``keep`` distinct hashtags; drop the rest.

    A dropped tag in the block of tags, mentions and links (usually the end of the post) goes
    with the space before it and leaves no trace; one inside a sentence, between words, keeps
    its word (``I love #coffee here`` -> ``I love coffee here``) so the sentence still reads.
    """
    tags = entities.hashtags(text)
    kept: list[str] = []
    dropped: list[str] = []
    edits: list[tuple[int, int, str]] = []
    seen: set[str] = set()
    for tag in tags:
        key = tag.text.casefold()
        if key not in seen and len(kept) < keep:
            kept.append(tag.text)
            seen.add(key)
            continue
        dropped.append(tag.text)
        before = text[: tag.start]
        after = text[tag.end :]
        prev_word = before.rstrip().rsplit(None, 1)[-1] if before.strip() else ""
        next_word = after.lstrip().split(None, 1)[0] if after.strip() else ""
        in_run = (not prev_word or _is_markup(prev_word) or prev_word[-1] in ".!?…:") and (
            not next_word or _is_markup(next_word)
        )
        if in_run:
            start = len(before.rstrip(" \t"))
            edits.append((start, tag.end, ""))
        else:
            edits.append((tag.start, tag.start + 1, ""))  # drop the '#'
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text.strip(), kept, dropped


# -- links ------------------------------------------------------------------------------------


def tag_links(
    text: str, network: str, *, campaign: str, content: str
) -> tuple[str, dict[str, str]]:
    """Add UTM tags to every http(s) link in ``text``; returns the text and old -> new."""
    from sociable.content.utm import add_utm

    done: dict[str, str] = {}
    out = []
    last = 0
    for ent in twitter.extract_urls(text):
        url = ent.text
        if "://" not in url:
            continue
        try:
            tagged = add_utm(
                url, source=network, medium="social", campaign=campaign, content=content
            )
        except UserError:
            continue
        done[url] = tagged
        out.append(text[last : ent.start])
        out.append(tagged)
        last = ent.end
    out.append(text[last:])
    return "".join(out), done


LINK_IN_BIO = "(link in bio)"


def _strip_links(text: str) -> str:
    """Links replaced by "(link in bio)" where captions do not link them."""
    for ent in reversed(twitter.extract_urls(text)):
        text = text[: ent.start] + LINK_IN_BIO + text[ent.end :]
    return regex.sub(r"[ \t]{2,}", " ", text).strip()


# -- splitting ---------------------------------------------------------------------------------


def _pieces(text: str) -> list[str]:
    """Sentences (with their closing punctuation), in order."""
    out = []
    last = 0
    for m in _SENTENCE_END.finditer(text):
        out.append(text[last : m.start()])
        last = m.end()
    out.append(text[last:])
    return [p.strip() for p in out if p.strip()]


def _fits(text: str, p: Platform, budget: int) -> bool:
    c = count_text(text, p)
    return c.length <= budget and (c.max_bytes is None or (c.size_bytes or 0) <= c.max_bytes - 16)


def _hard_split(word: str, p: Platform, budget: int) -> list[str]:
    """A single token longer than a post: cut it between graphemes."""
    out: list[str] = []
    current = ""
    for g in GRAPHEME_RE.findall(word):
        if current and not _fits(current + g, p, budget):
            out.append(current)
            current = g
        else:
            current += g
    if current:
        out.append(current)
    return out


def _cost(text: str, p: Platform) -> int:
    return count_text(text, p).length


def _pack(units: list[str], p: Platform, budget: int, sep: str) -> list[str]:
    """Greedy packing of ``units`` joined by ``sep`` into parts within ``budget``."""
    parts: list[str] = []
    current: list[str] = []
    used = 0
    sep_cost = _cost(sep, p) if sep.strip() else len(sep)
    for unit in units:
        cost = _cost(unit, p)
        extra = cost + (sep_cost if current else 0)
        if current and used + extra > budget:
            parts.append(sep.join(current))
            current, used = [], 0
            extra = cost
        current.append(unit)
        used += extra
    if current:
        parts.append(sep.join(current))
    return parts


def split_text(text: str, p: Platform, budget: int) -> list[str]:
    """Parts of ``text`` within ``budget``, split between sentences, else words."""
    if _fits(text, p, budget):
        return [text]
    units: list[str] = []
    for sentence in _pieces(text):
        if _fits(sentence, p, budget):
            units.append(sentence)
            continue
        for word in _pack(sentence.split(), p, budget, " "):
            if _fits(word, p, budget):
                units.append(word)
            else:
                units.extend(_hard_split(word, p, budget))
    parts = _pack(units, p, budget, " ")
    # Greedy packing sums costs per unit; re-check every part exactly and split if needed.
    final: list[str] = []
    for part in parts:
        if _fits(part, p, budget):
            final.append(part)
        else:
            final.extend(_pack(part.split(), p, budget, " ") or [part])
    return [f for f in final if f.strip()]


def make_thread(text: str, p: Platform) -> list[str]:
    """Numbered posts (``… 1/3``) each within the network's limit."""
    if _fits(text, p, p.text_limit):
        return [text]
    if _cost(text, p) > MAX_THREAD * p.text_limit:
        raise UserError(
            f"the text is too long for a thread on {p.title} (at most {MAX_THREAD} posts)"
        )
    digits = 1
    while True:
        marker = f" {'9' * digits}/{'9' * digits}"
        parts = split_text(text, p, p.text_limit - _cost(marker, p))
        if len(parts) < 10**digits or digits >= 3:
            break
        digits += 1
    if len(parts) > MAX_THREAD:
        raise UserError(
            f"the text needs {len(parts)} posts on {p.title}; shorten it (at most {MAX_THREAD})"
        )
    n = len(parts)
    return [f"{part} {i}/{n}" for i, part in enumerate(parts, start=1)]


def shorten(text: str, p: Platform) -> str:
    """The longest start of ``text`` ending at a word, plus "…", within the limit."""
    if _fits(text, p, p.text_limit):
        return text
    parts = split_text(text, p, p.text_limit - _cost(" …", p))
    return parts[0].rstrip() + " …"


# -- entry point -------------------------------------------------------------------------------


def adapt_for(
    post: PostInput,
    network: str,
    *,
    handles: Mapping[str, Mapping[str, str]] | None = None,
    campaign: str | None = None,
    platform: Platform,
) -> Variant:
    text = nfc(post.text).strip()
    variant = Variant(network=network, text="", thread=[], media=list(post.media))
    variant.alt = [post.alt_for(i) for i in range(len(post.media))]
    text = map_mentions(text, network, handles or {})
    text, kept, dropped = trim_hashtags(text, _tag_budget(platform))
    variant.hashtags, variant.dropped_hashtags = kept, dropped
    if dropped:
        variant.notes.append(
            f"dropped {len(dropped)} hashtag(s) to keep {platform.title}'s usual {len(kept)}"
        )
    camp = campaign or post.campaign or DEFAULT_CAMPAIGN
    content = post.content_id or slug(post.text)
    if platform.links_clickable:
        text, variant.links = tag_links(text, network, campaign=camp, content=content)
    elif twitter.extract_urls(text):
        text = _strip_links(text)
        variant.notes.append(f"{platform.title} does not link URLs in captions: put it in the bio")
    if post.link:
        from sociable.content.utm import add_utm

        variant.link = add_utm(
            post.link.strip(), source=network, medium="social", campaign=camp, content=content
        )
        in_text = post.link.strip() in variant.links or variant.link in text
        if platform.links_clickable and not in_text:
            text = f"{text}\n\n{variant.link}" if text else variant.link
        elif not platform.links_clickable:
            variant.notes.append(f"{platform.title} shows no links: put {variant.link} in the bio")
    if platform.threads:
        thread = make_thread(text, platform)
        if len(thread) > 1:
            variant.notes.append(f"split into a thread of {len(thread)} posts")
    else:
        short = shorten(text, platform)
        if short != text:
            variant.shortened = True
            variant.notes.append(f"shortened to {platform.title}'s {platform.text_limit}")
        thread = [short]
    variant.thread = thread
    variant.text = thread[0] if thread else ""
    if network == "bluesky":
        variant.facets = [entities.bluesky_facets(part) for part in thread]
    if post.first_comment:
        comment = map_mentions(nfc(post.first_comment), network, handles or {})
        variant.first_comment = shorten(comment, platform)
        variant.comment_shortened = variant.first_comment != comment
    return variant


def adapt_post(
    post: PostInput,
    networks: Iterable[str] | str | None = None,
    *,
    handles: Mapping[str, Mapping[str, str]] | None = None,
    campaign: str | None = None,
    platforms: Mapping[str, Platform] | None = None,
) -> dict[str, Variant]:
    """One :class:`Variant` per network (``networks`` or the post's own)."""
    if len(post.text) > MAX_ADAPT_CHARS:
        raise UserError(
            f"the text is {len(post.text)} characters; adapt takes at most {MAX_ADAPT_CHARS}"
        )
    arg = networks if networks is None or isinstance(networks, str) else list(networks)
    names = parse_networks(arg) or list(post.networks)
    if not names:
        raise UserError("no network given: use --network x,bluesky,... or `networks:`")
    table = dict(platforms) if platforms is not None else load_platforms()
    return {
        name: adapt_for(post, name, handles=handles, campaign=campaign, platform=table[name])
        for name in names
    }
