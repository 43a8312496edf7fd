"""Read articles into `Article`s: the seed text format (plain text), the dantri header format, and
saved news pages as HTML (main text and metadata extracted with trafilatura).

Every article gets a stable id: a readable id made from its canonical URL when one is known (an
HTML page's canonical link, a dantri `# url =` header, the address it was fetched from), else its
file name without suffix. The same article reached by two paths therefore keeps one id.
"""

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from ingest.clean import clean_lines
from ingest.dates import article_date, normalize_date
from ingest.errors import EmptyArticleError, NoArticlesError, ReadError
from ingest.normalize import normalize

logger = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".text", ".md"}
HTML_SUFFIXES = {".html", ".htm"}
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ID_CHARS = 100
_BYLINE = re.compile(r"^((Tin|Ảnh|Bài|Tin/ảnh|Tin và ảnh|Bài và ảnh|Nhóm PV|PV)\s*:\s*)?[\wÀ-ỹ .,/&-]{2,60}$")
_HEADER = re.compile(r"^#\s*(\w+)\s*=\s*(.*)$")
# Files that sit beside articles but are not articles.
_NOT_ARTICLE = re.compile(r"^(licen[cs]e|copying|readme|notice|authors|changelog)([._-].*)?$", re.I)
_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|zarsrc|zalo_\w+)$", re.I)


@dataclass
class Article:
    """One cleaned article and what is known about it."""

    id: str
    title: str
    text: str  # cleaned body, paragraphs separated by blank lines (NFC)
    byline: str = ""
    date: str = ""  # ISO yyyy-mm-dd or ""
    date_source: str = ""  # how the date was found (`ingest.dates`: "header", "url", "dateline"…); "" when undated
    url: str = ""
    source: str = ""  # absolute path of the file, or the URL it was fetched from
    extra: dict = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        """Hash of what is indexed: a change here means the article's chunks are replaced."""
        payload = "\x1f".join([self.title, self.byline, self.date, self.url, self.text])
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


# ---- ids ----------------------------------------------------------------------------
def _safe_id(raw: str) -> str:
    return re.sub(r"[^\w.]+", "-", raw).strip("-.")


def article_id_for(path: Path) -> str:
    """Stable id of a file-based article without a URL: its file name without suffix, made safe."""
    return _safe_id(path.stem) or "article"


def canonical_url(url: str) -> str:
    """The URL without fragment, tracking parameters, default port or trailing slash; scheme and
    host lower-cased. Two spellings of one page's address give the same string."""
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return url
    host = parts.hostname.lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)])
    path = parts.path.rstrip("/") or ""
    return f"{parts.scheme.lower()}://{host}{path}" + (f"?{query}" if query else "")


def url_article_id(url: str) -> str:
    """A readable, file-name-safe id from a URL: host (without www.), then the path segments joined
    by "_", the .html suffix dropped; e.g. https://dantri.com.vn/kinh-doanh/abc-123.htm ->
    "dantri.com.vn_kinh-doanh_abc-123". Long ones are cut and end with a hash of the whole URL."""
    canonical = canonical_url(url)
    parts = urlsplit(canonical)
    host = (parts.hostname or "").removeprefix("www.")
    if parts.port:
        host = f"{host}-{parts.port}"
    path = re.sub(r"\.(s?html?|php|aspx?)$", "", unquote(parts.path), flags=re.I)
    segments = [_safe_id(s) for s in [host, *path.split("/")] + ([unquote(parts.query)] if parts.query else [])]
    readable = "_".join(s for s in segments if s)
    if len(readable) > MAX_ID_CHARS:
        digest = hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:10]
        readable = readable[: MAX_ID_CHARS - 11].rstrip("_-.") + "-" + digest
    return readable or "article"


# ---- decoding ------------------------------------------------------------------------------
def decode(data: bytes, source: str) -> str:
    """UTF-8 text of a file, or a ReadError naming the problem."""
    _check_not_binary(data, source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ReadError(
            f"{source}: not valid UTF-8 (byte {e.start}). Convert it to UTF-8, e.g. `iconv -f cp1258 -t utf-8`."
        ) from None
    return normalize_newlines(text)


def _check_not_binary(data: bytes, source: str) -> None:
    if b"\x00" in data:  # anywhere: text never holds NUL, and nothing binary may reach the index
        raise ReadError(f"{source}: binary file, not an article. Give a UTF-8 text or HTML file.")


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---- formats -------------------------------------------------------------------------------
def _build(
    title: str,
    body_lines: list[str],
    source: str,
    fallback_id: str,
    byline: str = "",
    url: str = "",
    extra: dict | None = None,
    header_date: str = "",
    html: str = "",
    page_date: str = "",
) -> Article:
    """The Article from its (normalised) parts: boilerplate removed, id from the URL when there is
    one, the date from the first source that gives one (`ingest.dates.article_date`)."""
    paragraphs = clean_lines(body_lines, title)
    body = "\n\n".join(paragraphs)
    if not body.strip():
        raise EmptyArticleError(
            f"{source}: article '{title[:60]}' has no body text after cleaning. Nothing was indexed."
        )
    url = canonical_url(url)
    date, date_source = article_date(header=header_date, html=html, page=page_date, url=url, text=body)
    return Article(
        id=url_article_id(url) if url else fallback_id,
        title=title,
        text=body,
        byline=byline,
        date=date,
        date_source=date_source,
        url=url,
        source=source,
        extra=extra or {},
    )


def parse_text(text: str, article_id: str, source: str) -> Article:
    """Parse the seed/plain-text format (title, optional byline, body) or the dantri header format
    (`# doc_id =`, `# url =`, `# date =` lines, then title, lead, one sentence per line)."""
    text = normalize(text)
    lines = text.split("\n")
    headers: dict[str, str] = {}
    while lines and (m := _HEADER.match(lines[0].strip())):
        headers[m.group(1).lower()] = m.group(2).strip()
        lines.pop(0)
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        raise EmptyArticleError(f"{source}: empty article (no title, no text). Nothing was indexed from it.")
    title = lines[0].strip()
    rest = lines[1:]
    byline = ""
    first = next((i for i, line in enumerate(rest) if line.strip()), None)
    if first is not None and first + 1 < len(rest):
        candidate = rest[first].strip()
        if _BYLINE.match(candidate) and not candidate.endswith((".", "?", "!", "…")) and len(candidate.split()) <= 8:
            byline = candidate
            rest = rest[first + 1 :]
    extra = {k: v for k, v in headers.items() if k not in {"url", "date"}}
    if headers.get("date") and not normalize_date(headers["date"]):
        extra["date_raw"] = headers["date"]
    return _build(
        title,
        rest,
        source,
        article_id,
        byline=byline,
        url=headers.get("url", ""),
        extra=extra,
        header_date=headers.get("date", ""),
    )


def parse_html(data: bytes | str, article_id: str, source: str, url: str = "") -> Article:
    """A saved or fetched news page: trafilatura finds the main text (dropping navigation,
    related-article lists and footers) and the metadata; then the same boilerplate rules as text.
    `url` is where the page came from; the page's canonical link wins over it."""
    from trafilatura import bare_extraction

    if isinstance(data, bytes):
        _check_not_binary(data, source)
    try:
        doc = bare_extraction(
            data,
            url=url or None,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
        )
    except Exception as e:  # noqa: BLE001 - a page trafilatura cannot parse is one skipped file
        raise ReadError(f"{source}: not a readable HTML page ({type(e).__name__}: {e}).") from None
    text = normalize_newlines(getattr(doc, "text", None) or "") if doc is not None else ""
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        raise EmptyArticleError(f"{source}: no article text found in the page. Nothing was indexed from it.")
    lines = [normalize(line) for line in lines]
    title = normalize(doc.title or "").strip() or lines.pop(0).strip()
    if lines and lines[0].strip() == title:
        lines.pop(0)  # the headline repeated as the first line of the text
    byline = normalize(doc.author or "").strip()
    if len(byline) > 80:
        byline = ""  # a list of tags or a sentence, not a name
    extra = {k: v for k in ("sitename", "description") if (v := getattr(doc, k, None))}
    return _build(
        title,
        lines,
        source,
        article_id,
        byline=byline,
        url=doc.url or url,
        extra=extra,
        html=data.decode("utf-8", "replace") if isinstance(data, bytes) else data,
        page_date=doc.date or "",
    )


def read_file(path: Path) -> Article:
    """Read one article file; raises ReadError (or EmptyArticleError) with a message naming the file."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ReadError(
                f"{path}: {size // 1024} KiB is too large for an article (limit {MAX_FILE_BYTES // 1024} KiB)."
            )
        data = path.read_bytes()
    except OSError as e:
        raise ReadError(f"{path}: cannot be read ({e.strerror}).") from None
    if path.suffix.lower() in HTML_SUFFIXES:
        article = parse_html(data, article_id_for(path), str(path))
    else:
        article = parse_text(decode(data, str(path)), article_id_for(path), str(path))
    article.source = str(path.resolve())  # what `ingest --prune` checks
    return article


def find_files(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Article files under `paths` (folders recursively, each file once however it was reached) and
    a message for each path skipped."""
    files: list[Path] = []
    skipped: list[str] = []
    seen: set[Path] = set()

    def add(p: Path, given: bool) -> None:
        real = p.resolve()
        if real in seen:
            return
        seen.add(real)
        if given:
            files.append(p)  # a file named on the command line is read whatever its name
        elif _NOT_ARTICLE.match(p.name):
            skipped.append(f"{p}: skipped, a licence or readme file, not an article.")
        elif p.suffix.lower() in SUFFIXES:
            files.append(p)
        else:
            skipped.append(f"{p}: skipped, not a supported article file ({', '.join(sorted(SUFFIXES))}).")

    for path in paths:
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in p.relative_to(path).parts)
                if p.is_file() and not hidden:
                    add(p, given=False)
        elif path.is_file():
            add(path, given=True)
        else:
            skipped.append(f"{path}: no such file or folder.")
    if not files:
        where = ", ".join(str(p) for p in paths)
        raise NoArticlesError(f"No article files found in {where}. Give .txt files or folders that contain them.")
    return files, skipped
