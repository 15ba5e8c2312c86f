"""Hashtag suggestions for one post, from its own words and from the brand's history.

Candidates come from two places:

- the post's text, through YAKE keyword extraction ("data science" -> ``#datascience``);
- the brand's past posts (:mod:`sociable.content.history`): the tags used on posts whose
  words are like this one's (a similarity-weighted vote over TF-IDF neighbours, mixed with
  how often the account uses the tag at all), more recent posts counting more.

Each candidate's relevance is then weighted by how posts with that tag performed against
the account's baseline engagement rate, shrunk towards the baseline for rarely used tags (a
tag used once on a lucky post is not a winner). Banned tags from ``[hashtags]`` in
sociable.toml are never suggested (they are listed as flagged); overused ones are flagged
and ranked lower. The network's hashtag cap comes from :mod:`sociable.content.platforms`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sociable.content.history import History, PastPost, normalize_tag, tags_in_text

# YAKE is quadratic-ish in the number of candidate words; captions are short, but a pasted
# 1 MB text must not hang the command: only the start is read for keywords.
MAX_KEYWORD_CHARS = 20_000
WORD_RE = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Weights:
    """Knobs of the ranking.

    ``neighbours``, ``prior`` and ``half_life`` are the values benchmarks/hashtags_eval.py
    picks on its validation split. There the keyword weight scores best at 0 (that account
    reuses one tag set), but a brand posting on a new topic needs the post's own words, so
    the default keeps a small keyword weight.
    """

    neighbours: int = 40  # how many similar past posts vote
    prior: float = 0.25  # weight of the account's overall tag frequency against the vote
    keyword: float = 0.3  # weight of a YAKE keyword that is (or matches) a tag
    half_life: float | None = 120.0  # in posts: a post this many posts ago counts half
    shrink: float = 10.0  # pseudo-posts at the baseline rate added to each tag's record
    performance: float = 0.5  # exponent on the lift: 0 ignores performance
    overused_penalty: float = 0.5


@dataclass(frozen=True, slots=True)
class TagStats:
    tag: str
    posts: int
    mean_rate: float  # mean engagement per post (rate or count, see History baseline)
    lift: float  # shrunk mean / account baseline


@dataclass
class Suggestion:
    tag: str  # normalized key, without '#'
    score: float
    relevance: float
    sources: list[str]  # "text", "history"
    posts: int = 0  # past posts that used it
    lift: float | None = None
    flags: list[str] = field(default_factory=list)

    @property
    def hashtag(self) -> str:
        return f"#{self.tag}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "hashtag": self.hashtag,
            "score": round(self.score, 4),
            "relevance": round(self.relevance, 4),
            "sources": self.sources,
            "posts": self.posts,
            "lift": None if self.lift is None else round(self.lift, 3),
            "flags": self.flags,
        }


@dataclass
class HashtagReport:
    network: str
    cap: int | None
    norm: int
    top: int
    suggestions: list[Suggestion]
    flagged: list[Suggestion]
    notes: list[str]
    baseline: float | None = None
    metric: str = "engagement rate"

    def as_dict(self) -> dict[str, Any]:
        return {
            "network": self.network,
            "cap": self.cap,
            "norm": self.norm,
            "top": self.top,
            "metric": self.metric,
            "baseline": None if self.baseline is None else round(self.baseline, 5),
            "suggestions": [s.as_dict() for s in self.suggestions],
            "flagged": [s.as_dict() for s in self.flagged],
            "notes": self.notes,
        }


# -- text ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """YAKE's English stop-word list (shipped with the pinned yake package)."""
    import yake

    path = Path(yake.__file__).parent / "core" / "StopwordsList" / "stopwords_en.txt"
    try:
        words = path.read_text("utf-8", errors="replace").split()
    except OSError:
        words = []
    return frozenset(w.casefold() for w in words)


def words(text: str) -> list[str]:
    """Content words of a text, case-folded, stop words and 1-letter words removed."""
    stop = stopwords()
    out = []
    for match in WORD_RE.finditer(text):
        word = match.group(0).casefold().strip("'’-")
        if len(word) > 1 and word not in stop:
            out.append(word)
    return out


def as_tag(phrase: str) -> str:
    """'Data Science' -> 'datascience'; '' when nothing tag-like is left."""
    return normalize_tag("".join(ch for ch in phrase if ch.isalnum() or ch == "_"))


def keyword_candidates(text: str, top: int = 15) -> list[tuple[str, float]]:
    """YAKE keywords (1-2 words) of the text as tags with a weight in (0, 1], best first."""
    return list(_keyword_candidates(text[:MAX_KEYWORD_CHARS], top))


@lru_cache(maxsize=512)
def _keyword_candidates(text: str, top: int) -> tuple[tuple[str, float], ...]:
    import yake

    sample = text
    if not words(sample):
        return ()
    extractor = yake.KeywordExtractor(lan="en", n=2, top=top * 2, dedup_lim=0.9)
    out: dict[str, float] = {}
    for rank, (phrase, _score) in enumerate(extractor.extract_keywords(sample)):
        tag = as_tag(phrase)
        if len(tag) < 2 or tag.isdigit() or tag in out:
            continue
        out[tag] = 1.0 / (1.0 + 0.25 * rank)
        if len(out) >= top:
            break
    return tuple(out.items())


# -- history ------------------------------------------------------------------------------


def _metric(posts: Sequence[PastPost]) -> tuple[list[float], str]:
    """Per-post performance: engagement rate when every post has impressions, else counts."""
    if posts and all(p.impressions for p in posts):
        return [p.engagement_rate or 0.0 for p in posts], "engagement rate"
    return [float(p.engagements) for p in posts], "engagements per post"


def tag_stats(posts: Sequence[PastPost], shrink: float = 10.0) -> tuple[dict[str, TagStats], float]:
    """Each tag's performance against the account's baseline, shrunk for rare tags.

    ``lift = ((n * tag_mean) + shrink * baseline) / (n + shrink) / baseline``: a tag on 2
    posts moves little from 1.0, a tag on 50 posts shows its own record.
    """
    values, _ = _metric(posts)
    if not values:
        return {}, 0.0
    baseline = sum(values) / len(values)
    sums: dict[str, float] = {}
    counts: Counter[str] = Counter()
    for post, value in zip(posts, values, strict=True):
        for tag in post.tags:
            sums[tag] = sums.get(tag, 0.0) + value
            counts[tag] += 1
    stats = {}
    for tag, n in counts.items():
        mean = sums[tag] / n
        shrunk = (n * mean + shrink * baseline) / (n + shrink)
        lift = shrunk / baseline if baseline > 0 else 1.0
        stats[tag] = TagStats(tag, n, mean, lift)
    return stats, baseline


class HistoryIndex:
    """TF-IDF vectors of past posts' words, for "posts like this one" lookups."""

    def __init__(self, posts: Sequence[PastPost], half_life: float | None = 60.0) -> None:
        self.posts = list(posts)
        n = len(self.posts)
        docs = [Counter(words(p.text)) for p in self.posts]
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(doc.keys())
        self.idf = {w: math.log((1 + n) / (1 + c)) + 1.0 for w, c in df.items()}
        self.vectors = [self._vector(doc) for doc in docs]
        # Most recent last: weight 1 for the newest, 0.5 one half-life earlier.
        self.recency = [0.5 ** ((n - 1 - i) / half_life) if half_life else 1.0 for i in range(n)]
        total = sum(self.recency) or 1.0
        freq: dict[str, float] = {}
        for post, weight in zip(self.posts, self.recency, strict=True):
            for tag in post.tags:
                freq[tag] = freq.get(tag, 0.0) + weight
        self.frequency = {t: v / total for t, v in freq.items()}

    def _vector(self, doc: Mapping[str, int]) -> dict[str, float]:
        vec = {w: (1 + math.log(c)) * self.idf.get(w, 0.0) for w, c in doc.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {w: v / norm for w, v in vec.items() if v}

    def neighbour_votes(self, text: str, k: int) -> dict[str, float]:
        """Share of similarity-weighted neighbour posts that used each tag (0..1)."""
        query = self._vector(Counter(words(text)))
        if not query:
            return {}
        sims = []
        for i, vec in enumerate(self.vectors):
            small, big = (query, vec) if len(query) < len(vec) else (vec, query)
            sim = sum(v * big.get(w, 0.0) for w, v in small.items())
            if sim > 0:
                sims.append((sim * self.recency[i], i))
        sims.sort(reverse=True)
        top = sims[:k]
        total = sum(s for s, _ in top)
        if total <= 0:
            return {}
        votes: dict[str, float] = {}
        for sim, i in top:
            for tag in self.posts[i].tags:
                votes[tag] = votes.get(tag, 0.0) + sim / total
        return votes


# -- ranking ------------------------------------------------------------------------------


def rank_tags(
    text: str,
    history: Sequence[PastPost] = (),
    *,
    weights: Weights | None = None,
    index: HistoryIndex | None = None,
    stats: Mapping[str, TagStats] | None = None,
) -> list[Suggestion]:
    """Every candidate tag for ``text`` with its score, best first (no flags, no cap)."""
    w = weights or Weights()
    if history and index is None:
        index = HistoryIndex(history, w.half_life)
    if history and stats is None:
        stats, _ = tag_stats(history, w.shrink)
    stats = stats or {}
    keywords = dict(keyword_candidates(text))
    votes = index.neighbour_votes(text, w.neighbours) if index else {}
    frequency = index.frequency if index else {}
    relevance: dict[str, float] = {}
    sources: dict[str, list[str]] = {}
    for tag in set(votes) | set(frequency):
        vote = (votes.get(tag, 0.0) + w.prior * frequency.get(tag, 0.0)) / (1.0 + w.prior)
        relevance[tag] = vote
        sources[tag] = ["history"]
    for tag, kw in keywords.items():
        relevance[tag] = relevance.get(tag, 0.0) + w.keyword * kw * (1.0 if tag in stats else 0.5)
        sources.setdefault(tag, []).insert(0, "text")
    for tag in tags_in_text(text):
        key = normalize_tag(tag)
        relevance.setdefault(key, w.keyword)
        sources.setdefault(key, ["text"])
    out = []
    for tag, rel in relevance.items():
        st = stats.get(tag)
        lift = st.lift if st else None
        score = rel * ((lift or 1.0) ** w.performance)
        out.append(Suggestion(tag, score, rel, sources[tag], st.posts if st else 0, lift))
    out.sort(key=lambda s: (-s.score, s.tag))
    return out


def suggest(
    text: str,
    history: History | Sequence[PastPost] | None = None,
    *,
    network: str = "instagram",
    top: int | None = None,
    banned: Iterable[str] = (),
    overused: Iterable[str] = (),
    platforms: Mapping[str, Any] | None = None,
    weights: Weights | None = None,
) -> HashtagReport:
    """The top hashtags for one post on one network, with banned/overused tags flagged."""
    from sociable.content.platforms import get_platform

    platform = get_platform(network, platforms)
    w = weights or Weights()
    posts: Sequence[PastPost]
    if history is None:
        posts = []
    elif isinstance(history, History):
        posts = history.in_time_order()
    else:
        posts = history
    stats, baseline = tag_stats(posts, w.shrink) if posts else ({}, 0.0)
    metric = _metric(posts)[1] if posts else "engagement rate"
    ranked = rank_tags(text, posts, weights=w, stats=stats)
    banned_set = {normalize_tag(t) for t in banned}
    overused_set = {normalize_tag(t) for t in overused}
    in_post = {normalize_tag(t) for t in tags_in_text(text)}
    cap = platform.max_hashtags
    norm = platform.hashtag_norm
    n = top if top is not None else (cap or norm or 5)
    notes: list[str] = []
    if not posts:
        notes.append("no history: candidates come from the post's words only (--history)")
    if cap is not None and n > cap:
        notes.append(
            f"{platform.title} takes at most {cap} hashtags per post: suggestions after the "
            f"first {cap} are alternatives"
        )
    if norm == 0:
        notes.append(f"hashtags carry no weight on {platform.title}")
    kept: list[Suggestion] = []
    flagged: list[Suggestion] = []
    for s in ranked:
        if s.tag in banned_set:
            s.flags.append("banned")
            flagged.append(s)
            continue
        if s.tag in overused_set:
            s.flags.append("overused")
            s.score *= w.overused_penalty
        if s.tag in in_post:
            s.flags.append("in post")
        kept.append(s)
    kept.sort(key=lambda s: (-s.score, s.tag))
    chosen = kept[:n]
    if cap is not None:
        for i, s in enumerate(chosen):
            if i >= cap:
                s.flags.append("over cap")
    shown_flagged = [s for s in flagged if s.relevance > 0][:n]
    for s in shown_flagged:
        notes.append(f"#{s.tag} is banned in [hashtags] and was left out")
    return HashtagReport(
        network=platform.name,
        cap=cap,
        norm=norm,
        top=n,
        suggestions=chosen,
        flagged=shown_flagged,
        notes=notes,
        baseline=baseline if posts else None,
        metric=metric,
    )
