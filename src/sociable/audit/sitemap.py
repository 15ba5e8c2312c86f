"""sitemap.xml and sitemap index files (sitemaps.org protocol), parsed safely.

defusedxml refuses entity expansion and external entities, so a hostile sitemap cannot blow
up memory. Gzipped sitemaps (``.xml.gz`` or gzip bytes) are unpacked with a cap. The element
names are matched without their namespace: many real sitemaps get the namespace wrong.
"""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from sociable.errors import SociableError

# sitemaps.org: at most 50,000 URLs and 50 MB (uncompressed) per file.
MAX_URLS = 50_000
MAX_SITEMAP_BYTES = 50 * 1024 * 1024


class SitemapError(SociableError):
    """A sitemap that cannot be read; ``str()`` says why."""


@dataclass
class Sitemap:
    url: str
    urls: list[str] = field(default_factory=list)
    # Child sitemaps when this file is a <sitemapindex>.
    sitemaps: list[str] = field(default_factory=list)
    lastmods: dict[str, str] = field(default_factory=dict)

    @property
    def is_index(self) -> bool:
        return bool(self.sitemaps)


def _local(tag: object) -> str:
    name = tag if isinstance(tag, str) else ""
    return name.rsplit("}", 1)[-1].lower()


def _gunzip(body: bytes, limit: int) -> bytes:
    decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = decomp.decompress(body, limit + 1)
    except zlib.error as exc:
        raise SitemapError(f"not valid gzip: {exc}") from exc
    if len(out) > limit:
        raise SitemapError(f"over {limit} bytes once unpacked")
    return out


def parse_sitemap(url: str, body: bytes, *, max_urls: int = MAX_URLS) -> Sitemap:
    """The URLs (or child sitemaps) listed in one sitemap file."""
    if body[:2] == b"\x1f\x8b":
        body = _gunzip(body, MAX_SITEMAP_BYTES)
    if len(body) > MAX_SITEMAP_BYTES:
        raise SitemapError(f"{url}: over {MAX_SITEMAP_BYTES} bytes")
    try:
        root: Element = ElementTree.parse(io.BytesIO(body)).getroot()
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise SitemapError(f"{url}: not valid XML: {exc}") from exc
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise SitemapError(f"{url}: root element is <{kind}>, not <urlset> or <sitemapindex>")
    result = Sitemap(url=url)
    child = "url" if kind == "urlset" else "sitemap"
    for entry in root:
        if _local(entry.tag) != child:
            continue
        loc = lastmod = None
        for part in entry:
            name = _local(part.tag)
            if name == "loc" and part.text:
                loc = part.text.strip()
            elif name == "lastmod" and part.text:
                lastmod = part.text.strip()
        if not loc:
            continue
        target = result.urls if kind == "urlset" else result.sitemaps
        if len(target) >= max_urls:
            break
        target.append(loc)
        if lastmod:
            result.lastmods[loc] = lastmod
    return result


def gzip_bytes(data: bytes) -> bytes:
    """Gzip ``data`` (tests and the benchmark site serve .xml.gz with it)."""
    return gzip.compress(data)
