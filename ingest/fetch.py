"""Fetch an article page over HTTP(S): `newsqa ingest https://…`.

Plain urllib: a timeout, a size limit, and a content-type check (HTML or plain text only). The
page is then read like a saved page (`ingest.readers.parse_html`), its canonical link (or the
address after redirects) giving the article's id, so fetching a page and ingesting a saved copy
of it index one article.
"""

import re
import urllib.error
import urllib.request

from ingest.errors import ReadError
from ingest.readers import Article, canonical_url, parse_html, parse_text, url_article_id

MAX_PAGE_BYTES = 5 * 1024 * 1024
TIMEOUT_S = 20.0
USER_AGENT = "newsqa/0.1 (+https://github.com/) article indexer"
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_TEXT_TYPES = {"text/plain"}


def is_url(text: str) -> bool:
    return bool(re.match(r"^https?://", str(text).strip(), re.I))


def fetch_url(url: str, timeout: float = TIMEOUT_S, max_bytes: int = MAX_PAGE_BYTES) -> Article:
    """Download one page and read it as an article; raises ReadError with a message naming the URL."""
    url = url.strip()
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "text/html, text/plain;q=0.8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only, checked
            final_url = response.geturl() or url
            kind = (response.headers.get_content_type() or "").lower()
            charset = response.headers.get_content_charset()
            if kind not in _HTML_TYPES | _TEXT_TYPES:
                raise ReadError(f"{url}: the server sent {kind or 'no content type'}, not an HTML or text page.")
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise ReadError(
                    f"{url}: {int(length) // 1024} KiB is too large for an article page (limit {max_bytes // 1024} KiB)."
                )
            data = response.read(max_bytes + 1)
    except ReadError:
        raise
    except urllib.error.HTTPError as e:
        raise ReadError(f"{url}: the server answered HTTP {e.code} ({e.reason}).") from None
    except urllib.error.URLError as e:
        reason = e.reason
        if isinstance(reason, TimeoutError):
            raise ReadError(f"{url}: no answer within {timeout:.0f}s.") from None
        raise ReadError(f"{url}: cannot be fetched ({reason}). Check the address and the network.") from None
    except TimeoutError:
        raise ReadError(f"{url}: no answer within {timeout:.0f}s.") from None
    except (OSError, ValueError) as e:
        raise ReadError(f"{url}: cannot be fetched ({e}).") from None
    if len(data) > max_bytes:
        raise ReadError(f"{url}: larger than {max_bytes // 1024} KiB, too large for an article page.")
    if kind in _TEXT_TYPES:
        try:
            text = data.decode(charset or "utf-8")
        except (UnicodeDecodeError, LookupError):
            raise ReadError(f"{url}: the text is not in the encoding it declares ({charset or 'utf-8'}).") from None
        article = parse_text(text.replace("\r\n", "\n"), url_article_id(final_url), url)
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
        article = parse_html(page, url_article_id(final_url), url, url=final_url)
    article.source = url
    return article
