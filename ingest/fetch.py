"""Fetch over HTTP(S): an article page (`newsqa ingest https://…`), a feed or a sitemap (`newsqa watch`).

Plain urllib: a timeout for the whole answer, a size limit, a content-type check, http(s) only
(redirects included), and conditional requests (`ETag` / `Last-Modified`). A page is then read
like a saved page (`ingest.readers.parse_html`), its canonical link (or the address after
redirects) giving the article's id, so fetching a page and ingesting a saved copy of it index one
article.
"""

import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from ingest.errors import FetchError, ReadError
from ingest.readers import Article, canonical_url, parse_html, parse_text, url_article_id

MAX_PAGE_BYTES = 5 * 1024 * 1024
TIMEOUT_S = 20.0
USER_AGENT = "newsqa/0.1 (+https://github.com/) article indexer"
PAGE_TYPES = {"text/html", "application/xhtml+xml", "text/plain"}
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_TEXT_TYPES = {"text/plain"}
_REDIRECTS = {301, 302, 303, 307, 308}
_READ_BYTES = 64 * 1024


@dataclass
class Response:
    """What a server answered: 200 with the body, or 304 (not modified) without one."""

    url: str  # the address after redirects
    status: int
    data: bytes = b""
    kind: str = ""  # content type, lower-case
    charset: str | None = None
    etag: str = ""
    modified: str = ""  # the Last-Modified header as sent

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects stay on http(s): never to ftp:// or anything else."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not is_url(newurl):
            raise FetchError(req.full_url, f"redirects to {newurl[:100]}, which is not an http(s) address.")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpOnlyRedirects)


def is_url(text: str) -> bool:
    return bool(re.match(r"^https?://", str(text).strip(), re.I))


def get(
    url: str,
    *,
    timeout: float = TIMEOUT_S,
    max_bytes: int = MAX_PAGE_BYTES,
    kinds: set[str] | None = None,
    accept: str = "text/html, text/plain;q=0.8",
    etag: str = "",
    modified: str = "",
) -> Response:
    """GET `url` (http or https): the whole answer within `timeout` seconds, at most `max_bytes`,
    of one of `kinds` (any when None); with `etag`/`modified`, a conditional request that may
    come back as 304. Raises FetchError (a ReadError) saying what went wrong."""
    url = url.strip()
    if not is_url(url):
        raise FetchError(url, "not an http(s) address.")
    headers = {"User-Agent": USER_AGENT, "Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    started = time.monotonic()
    try:
        with _OPENER.open(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
            kind = (response.headers.get_content_type() or "").lower()
            answer = Response(
                url=response.geturl() or url,
                status=response.status,
                kind=kind,
                charset=response.headers.get_content_charset(),
                etag=response.headers.get("ETag", ""),
                modified=response.headers.get("Last-Modified", ""),
            )
            if kinds is not None and kind not in kinds:
                raise FetchError(url, f"the server sent {kind or 'no content type'}, not an HTML or text page.")
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise FetchError(url, too_large(int(length), max_bytes))
            answer.data = _read(response, url, max_bytes, started + timeout, timeout)
    except ReadError:
        raise
    except urllib.error.HTTPError as e:
        if e.code == 304:
            return Response(url=url, status=304, etag=e.headers.get("ETag", etag), modified=modified)
        if e.code in _REDIRECTS:
            raise FetchError(url, "redirects in a loop (or more than 10 times); nothing was read.", e.code) from None
        raise FetchError(url, f"the server answered HTTP {e.code} ({e.reason}).", e.code) from None
    except urllib.error.URLError as e:
        if isinstance(e.reason, TimeoutError):
            raise FetchError(url, f"no answer within {timeout:.0f}s.", unreachable=True) from None
        reason = f"cannot be fetched ({e.reason}). Check the address and the network."
        raise FetchError(url, reason, unreachable=True) from None
    except TimeoutError:
        raise FetchError(url, f"no answer within {timeout:.0f}s.", unreachable=True) from None
    except (OSError, ValueError) as e:
        raise FetchError(url, f"cannot be fetched ({e}).", unreachable=isinstance(e, OSError)) from None
    return answer


def too_large(size: int, limit: int) -> str:
    return f"{size // 1024:,} KiB, too large (the limit is {limit // 1024:,} KiB); not read."


def _read(response, url: str, max_bytes: int, deadline: float, timeout: float) -> bytes:
    """The body, read piece by piece: over `max_bytes` or past the deadline, a FetchError."""
    parts, size = [], 0
    while True:
        piece = response.read(min(_READ_BYTES, max_bytes + 1 - size))
        if not piece:
            return b"".join(parts)
        parts.append(piece)
        size += len(piece)
        if size > max_bytes:
            raise FetchError(url, f"too large (over the limit of {max_bytes // 1024:,} KiB); not read.")
        if time.monotonic() > deadline:
            raise FetchError(url, f"the answer did not arrive within {timeout:.0f}s.")


def page_article(response: Response, source: str) -> Article:
    """The article in a fetched HTML or text page; `source` is the address it was asked for."""
    data, charset, final_url = response.data, response.charset, response.url
    if response.kind in _TEXT_TYPES:
        try:
            text = data.decode(charset or "utf-8")
        except (UnicodeDecodeError, LookupError):
            raise ReadError(f"{source}: the text is not in the encoding it declares ({charset or 'utf-8'}).") from None
        article = parse_text(text.replace("\r\n", "\n"), url_article_id(final_url), source)
        if not article.url:
            article.url = canonical_url(final_url)
            article.id = url_article_id(final_url)
    else:
        page: bytes | str = data
        if charset:
            try:
                page = data.decode(charset)
            except (UnicodeDecodeError, LookupError):
                page = data  # trafilatura guesses the encoding
        article = parse_html(page, url_article_id(final_url), source, url=final_url)
    article.source = source
    return article


def fetch_url(url: str, timeout: float = TIMEOUT_S, max_bytes: int = MAX_PAGE_BYTES) -> Article:
    """Download one page and read it as an article; raises ReadError with a message naming the URL."""
    return page_article(get(url, timeout=timeout, max_bytes=max_bytes, kinds=PAGE_TYPES), url.strip())
