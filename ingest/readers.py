"""Read article files into `Article`s: the seed text format, plain text and the dantri header format."""

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from ingest.clean import clean_lines
from ingest.errors import EmptyArticleError, NoArticlesError, ReadError
from ingest.normalize import normalize

logger = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".text", ".md"}
MAX_FILE_BYTES = 5 * 1024 * 1024
_BYLINE = re.compile(r"^((Tin|Ảnh|Bài|Tin/ảnh|Tin và ảnh|Bài và ảnh|Nhóm PV|PV)\s*:\s*)?[\wÀ-ỹ .,/&-]{2,60}$")
_FULL_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/((?:19|20)\d{2})\b")
_HEADER = re.compile(r"^#\s*(\w+)\s*=\s*(.*)$")


@dataclass
class Article:
    """One cleaned article and what is known about it."""

    id: str
    title: str
    text: str  # cleaned body, paragraphs separated by blank lines (NFC)
    byline: str = ""
    date: str = ""
    url: str = ""
    source: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        """Hash of what is indexed: a change here means the article's chunks are replaced."""
        payload = "\x1f".join([self.title, self.byline, self.date, self.url, self.text])
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def article_id_for(path: Path) -> str:
    """Stable id of a file-based article: its file name without suffix, made safe."""
    return re.sub(r"[^\w.-]+", "-", path.stem).strip("-") or "article"


def decode(data: bytes, source: str) -> str:
    """UTF-8 text of a file, or a ReadError naming the problem."""
    if b"\x00" in data[:8192]:
        raise ReadError(f"{source}: binary file, not an article. Give a UTF-8 text or HTML file.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ReadError(
            f"{source}: not valid UTF-8 (byte {e.start}). Convert it to UTF-8, e.g. `iconv -f cp1258 -t utf-8`."
        ) from None
    return normalize_newlines(text)


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _find_date(text: str) -> str:
    m = _FULL_DATE.search(text)
    if not m:
        return ""
    day, month, year = (int(g) for g in m.groups())
    if 1 <= day <= 31 and 1 <= month <= 12:
        return f"{year:04d}-{month:02d}-{day:02d}"
    return ""


def parse_text(text: str, article_id: str, source: str) -> Article:
    """Parse the seed/plain-text format: title, optional byline, body; or the dantri header format."""
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
    paragraphs = clean_lines(rest, title)
    body = "\n\n".join(paragraphs)
    if not body.strip():
        raise EmptyArticleError(f"{source}: article '{title[:60]}' has no body text after cleaning. Nothing was indexed.")
    url = headers.get("url", "")
    date = headers.get("date", "") or _find_date(body)
    return Article(
        id=article_id,
        title=title,
        text=body,
        byline=byline,
        date=date[:10],
        url=url,
        source=source,
        extra={k: v for k, v in headers.items() if k not in {"url", "date"}},
    )


def read_file(path: Path) -> Article:
    """Read one article file; raises ReadError (or EmptyArticleError) with a message naming the file."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ReadError(f"{path}: {size // 1024} KiB is too large for an article (limit {MAX_FILE_BYTES // 1024} KiB).")
        data = path.read_bytes()
    except OSError as e:
        raise ReadError(f"{path}: cannot be read ({e.strerror}).") from None
    text = decode(data, str(path))
    return parse_text(text, article_id_for(path), str(path))


def find_files(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Article files under `paths` (folders recursively) and a message for each path skipped."""
    files: list[Path] = []
    skipped: list[str] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            for p in found:
                if p.suffix.lower() in TEXT_SUFFIXES:
                    files.append(p)
                else:
                    skipped.append(f"{p}: skipped, not a supported article file ({', '.join(sorted(TEXT_SUFFIXES))}).")
        elif path.is_file():
            files.append(path)
        else:
            skipped.append(f"{path}: no such file or folder.")
    if not files:
        where = ", ".join(str(p) for p in paths)
        raise NoArticlesError(f"No article files found in {where}. Give .txt files or folders that contain them.")
    return files, skipped
