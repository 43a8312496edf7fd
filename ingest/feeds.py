"""What a watched address lists: the items of an RSS/Atom feed (read with feedparser) or the pages
of a sitemap (`<urlset>`, or a `<sitemapindex>` of sitemaps), each with a mark that changes when
the listing says the item changed (its title, summary or date; a sitemap's `lastmod`)."""

import email.utils
import gzip
import hashlib
import io
import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urljoin

from ingest.errors import ReadError
from ingest.fetch import is_url
from ingest.readers import canonical_url, normalize_date

logger = logging.getLogger(__name__)

MAX_LISTING_BYTES = 10 * 1024 * 1024
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
_SITEMAP = re.compile(rb"<(?:[\w-]+:)?(urlset|sitemapindex)[\s>]")


@dataclass
class Entry:
    """One item a feed or sitemap lists."""

    url: str  # the page's address, as listed (absolute)
    key: str  # its canonical form: what the watcher remembers it by
    mark: str  # changes when the listing says the item changed
    title: str = ""
    date: str = ""  # ISO yyyy-mm-dd, "" when the listing gives none


@dataclass
class Listing:
    kind: str  # "feed" or "sitemap"
    entries: list[Entry] = field(default_factory=list)
    sitemaps: list[tuple[str, str]] = field(default_factory=list)  # a sitemap index: (address, lastmod)
    problems: list[str] = field(default_factory=list)  # one line per item that could not be used


def parse_listing(data: bytes, url: str, content_type: str = "") -> Listing:
    """The entries of a feed or sitemap fetched from `url`; raises ReadError when it is neither."""
    if data[:2] == b"\x1f\x8b":  # sitemap.xml.gz
        try:
            data = gzip.GzipFile(fileobj=io.BytesIO(data)).read(MAX_LISTING_BYTES + 1)
        except (OSError, EOFError) as e:
            raise ReadError(f"{url}: a damaged gzip file ({e}).") from None
        if len(data) > MAX_LISTING_BYTES:
            raise ReadError(f"{url}: larger than {MAX_LISTING_BYTES // 2**20} MiB once unpacked; not read.")
    if _SITEMAP.search(data[:4096]):
        return parse_sitemap(data, url)
    return parse_feed(data, url, content_type)


def parse_feed(data: bytes, url: str, content_type: str = "") -> Listing:
    import feedparser

    parsed = feedparser.parse(
        io.BytesIO(data), response_headers={"content-type": content_type or "application/xml", "content-location": url}
    )
    if not parsed.get("version") and not parsed.entries:
        what = f"the server sent {content_type}" if content_type else "it holds no feed"
        raise ReadError(f"{url}: not an RSS or Atom feed, nor a sitemap ({what}). Give the address of the feed.")
    if parsed.get("bozo"):
        logger.info(
            "%s: the feed is not well-formed (%s); read what feedparser could", url, parsed.get("bozo_exception")
        )
    listing = Listing("feed")
    for item in parsed.entries:
        link = item.get("link") or (item.get("id") if is_url(item.get("id", "")) else "")
        link = urljoin(url, link.strip()) if link else ""
        title = " ".join((item.get("title") or "").split())
        if not is_url(link):
            label = f"'{title[:60]}'" if title else "an item"
            listing.problems.append(f"{url}: {label} has no web page address (link); skipped.")
            continue
        raw_date = item.get("published") or item.get("updated") or ""
        updated = item["updated"] if "updated" in item else ""  # (feedparser would warn, mapping it to published)
        mark = "\x1f".join([title, updated or raw_date, item.get("summary") or ""])
        listing.entries.append(Entry(link, canonical_url(link), _digest(mark), title, _feed_date(raw_date, item)))
    return listing


def parse_sitemap(data: bytes, url: str) -> Listing:
    """`<urlset>` pages (with `<lastmod>`, news sitemaps' `<news:publication_date>` and title) or
    a `<sitemapindex>` of sitemaps."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        raise ReadError(f"{url}: a sitemap that is not well-formed XML ({e}).") from None
    listing = Listing("sitemap")
    kind = _local(root.tag)
    for node in root:
        own = {_local(c.tag): (c.text or "").strip() for c in node}  # <loc>, <lastmod>
        child = {_local(c.tag): (c.text or "").strip() for c in node.iter() if c is not node}  # news:…
        loc = urljoin(url, own.get("loc", ""))
        if not is_url(loc):
            listing.problems.append(f"{url}: an entry without an http(s) <loc>; skipped.")
            continue
        lastmod = own.get("lastmod", "")
        if kind == "sitemapindex":
            listing.sitemaps.append((loc, lastmod))
            continue
        published = child.get("publication_date", "")
        date = normalize_date(published) or normalize_date(lastmod)
        listing.entries.append(
            Entry(
                loc, canonical_url(loc), _digest(lastmod or published), " ".join(child.get("title", "").split()), date
            )
        )
    return listing


def _feed_date(raw: str, item) -> str:
    """The item's date as its publisher wrote it (RFC 822 or ISO), else from feedparser's UTC time."""
    date = normalize_date(raw)
    if date:
        return date
    try:
        return email.utils.parsedate_to_datetime(raw).date().isoformat()
    except (TypeError, ValueError, IndexError):
        pass
    parsed = item.get("published_parsed") or item.get("updated_parsed")
    return f"{parsed.tm_year:04d}-{parsed.tm_mon:02d}-{parsed.tm_mday:02d}" if parsed else ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
