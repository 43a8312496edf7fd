"""The chat app (Gradio 6): questions with cited sources, the articles behind them, uploads.

`build_ui(pipeline, settings)` builds the Blocks; `launch(settings)` opens the Pipeline, builds
and serves it. The app talks to the store only through `qa.pipeline.Pipeline`.

Trust rules kept here:
- every piece of article-derived text (titles, bylines, passages, the whole article, file
  names, URLs) goes through `esc()` before it is put in HTML; answers are built as HTML with
  Markdown rendering off, so article text is never read as Markdown or HTML;
- only http(s) URLs become links;
- a question error, a store that is down, an unexpected exception: each becomes a message in
  the chat, and the app keeps working;
- the app refuses to listen on a non-loopback address without a password (NEWSQA_AUTH).
"""

import hmac
import html
import ipaddress
import json
import logging
import re
import socket
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

import gradio as gr

from ingest.errors import NewsqaError, StoreError
from qa.answer import Answer, Source
from qa.conversation import MAX_TURNS, contextualize, keep_recent
from qa.pipeline import MAX_QUESTION_CHARS, Pipeline, open_embedder
from qa.retriever import Filters
from qa.settings import Settings

logger = logging.getLogger(__name__)

UPLOAD_SUFFIXES = (".txt", ".html", ".htm")
UPLOADS = "uploads"  # folder under settings.data_dir that receives uploaded files
STREAM_DELAY = 0.04  # seconds between streamed sentences
CHAT_CONCURRENCY = 2  # questions answered at the same time (the machine has few cores)
MAX_SHOWN_QUESTION = 400  # characters of a (too) long question echoed in the chat

EXAMPLES = [
    "what did Quảng Ngãi request?",
    "Hai trọng tâm phát triển của Quảng Ngãi là gì?",
    "Bộ trưởng Bùi Thanh Sơn nêu những trọng tâm nào của ngành Ngoại giao?",
    "Which foreign localities does Quảng Ngãi want to cooperate with?",
    "Kết quả xổ số miền Bắc ngày 1/5/2024?",
]

TEXT = {
    "vi": {
        "title": "Hỏi đáp tin tức",
        "subtitle": "Hỏi về các bài báo đã lập chỉ mục. Mỗi câu trả lời trích nguyên văn từ bài báo và ghi rõ nguồn [n].",
        "language": "Ngôn ngữ / Language",
        "tab_chat": "Hỏi đáp",
        "tab_articles": "Bài báo",
        "chat_label": "Cuộc trò chuyện",
        "chat_placeholder": "Đặt câu hỏi về các bài báo. Bấm vào [n] hoặc một nguồn để đọc toàn bài tại đoạn được trích.",
        "question": "Câu hỏi",
        "question_placeholder": "Nhập câu hỏi rồi nhấn Enter…",
        "send": "Hỏi",
        "clear": "Cuộc trò chuyện mới",
        "filters": "Bộ lọc",
        "filter_articles": "Chỉ tìm trong các bài",
        "date_from": "Từ ngày (yyyy-mm-dd)",
        "date_to": "Đến ngày (yyyy-mm-dd)",
        "examples": "Câu hỏi mẫu",
        "article_label": "Bài báo",
        "article_placeholder": "Bấm vào một nguồn hoặc [n] trong câu trả lời để đọc toàn bài, đoạn được trích sẽ được tô sáng.",
        "sources": "Nguồn",
        "related": "Cũng liên quan (không được trích dẫn)",
        "closest": "Các đoạn gần nhất",
        "relevance": "độ liên quan",
        "open": "Đọc toàn bài",
        "original": "Xem bài gốc",
        "file": "Tệp",
        "searched": "Đã tìm:",
        "copy": "Sao chép câu trả lời",
        "copied": "Đã sao chép",
        "searching": "Đang tìm trong các bài báo…",
        "error": "Lỗi",
        "empty": "Câu hỏi đang trống. Hãy nhập một câu hỏi về các bài báo.",
        "too_long": "Câu hỏi dài {n:,} ký tự; giới hạn là {limit:,}. Hãy hỏi ngắn hơn.",
        "bad_date": "Ngày “{value}” không hợp lệ. Dùng dạng yyyy-mm-dd, ví dụ 2023-10-24.",
        "bad_range": "Khoảng ngày không hợp lệ: “từ ngày” ở sau “đến ngày”.",
        "unexpected": "Đã xảy ra lỗi không mong muốn ({kind}). Hãy thử lại; chi tiết nằm trong nhật ký máy chủ.",
        "store_down": "Không dùng được kho dữ liệu Chroma: {message} Hãy khởi động lại máy chủ Chroma rồi hỏi lại.",
        "upload": "Tải lên bài báo (.txt, .html; tối đa {mb} MB mỗi tệp)",
        "upload_status": "Trạng thái",
        "articles_list": "Các bài đã lập chỉ mục",
        "remove_pick": "Chọn bài cần xóa",
        "remove": "Xóa bài",
        "no_articles": "Chưa có bài nào được lập chỉ mục. Hãy tải lên tệp .txt hoặc .html.",
        "col_title": "Tiêu đề",
        "col_date": "Ngày",
        "col_chunks": "Số đoạn",
        "col_id": "Mã",
        "ingest_progress": "Đang lập chỉ mục",
        "ingest_done": "Đã thêm {added}, cập nhật {updated}, không đổi {unchanged} bài ({chunks} đoạn, {seconds:.1f} giây).",
        "nothing_uploaded": "Chưa chọn tệp nào.",
        "skipped": "Bỏ qua",
        "bad_suffix": "{name}: chỉ nhận tệp {suffixes}.",
        "too_big": "{name}: {size:.1f} MB, vượt giới hạn {mb} MB.",
        "removed": "Đã xóa {n} bài.",
        "remove_none": "Hãy chọn một bài để xóa.",
    },
    "en": {
        "title": "News Q&A",
        "subtitle": "Ask about the indexed articles. Every answer quotes the articles word for word and cites its sources [n].",
        "language": "Ngôn ngữ / Language",
        "tab_chat": "Chat",
        "tab_articles": "Articles",
        "chat_label": "Conversation",
        "chat_placeholder": "Ask a question about the articles. Click [n] or a source to read the whole article at the cited passage.",
        "question": "Question",
        "question_placeholder": "Type a question and press Enter…",
        "send": "Ask",
        "clear": "New conversation",
        "filters": "Filters",
        "filter_articles": "Only these articles",
        "date_from": "From date (yyyy-mm-dd)",
        "date_to": "To date (yyyy-mm-dd)",
        "examples": "Example questions",
        "article_label": "Article",
        "article_placeholder": "Click a source or [n] in an answer to read the whole article, with the cited passage highlighted.",
        "sources": "Sources",
        "related": "Also related (not cited)",
        "closest": "Closest passages",
        "relevance": "relevance",
        "open": "Read the article",
        "original": "Original page",
        "file": "File",
        "searched": "Searched:",
        "copy": "Copy answer",
        "copied": "Copied",
        "searching": "Searching the articles…",
        "error": "Error",
        "empty": "The question is empty. Type a question about the articles.",
        "too_long": "The question is {n:,} characters long; the limit is {limit:,}. Ask something shorter.",
        "bad_date": "The date “{value}” is not valid. Use yyyy-mm-dd, e.g. 2023-10-24.",
        "bad_range": "The date range is empty: “from” is after “to”.",
        "unexpected": "Something went wrong ({kind}). Try again; the details are in the server log.",
        "store_down": "The Chroma store cannot be used: {message} Restart the Chroma server, then ask again.",
        "upload": "Upload articles (.txt, .html; up to {mb} MB each)",
        "upload_status": "Status",
        "articles_list": "Indexed articles",
        "remove_pick": "Article to remove",
        "remove": "Remove article",
        "no_articles": "No article is indexed yet. Upload .txt or .html files.",
        "col_title": "Title",
        "col_date": "Date",
        "col_chunks": "Chunks",
        "col_id": "Id",
        "ingest_progress": "Indexing",
        "ingest_done": "{added} added, {updated} updated, {unchanged} unchanged ({chunks} chunks written in {seconds:.1f}s).",
        "nothing_uploaded": "No file chosen.",
        "skipped": "Skipped",
        "bad_suffix": "{name}: only {suffixes} files are accepted.",
        "too_big": "{name}: {size:.1f} MB, over the {mb} MB limit.",
        "removed": "{n} article(s) removed.",
        "remove_none": "Choose an article to remove.",
    },
}
LANGUAGES = [("Tiếng Việt", "vi"), ("English", "en")]


class LaunchError(NewsqaError):
    """The app cannot start with these settings (exposure without a password, bad NEWSQA_AUTH)."""


# ---- escaping and small helpers ------------------------------------------------------------
def esc(text) -> str:
    """HTML-escape text (quotes included), plus the characters templates might interpret."""
    return (
        html.escape("" if text is None else str(text), quote=True)
        .replace("{", "&#123;")
        .replace("}", "&#125;")
        .replace("$", "&#36;")
        .replace("`", "&#96;")
    )


def safe_url(url: str) -> str:
    """The URL when it is http(s) with a host, else "" (javascript:, data:, relative… never become links)."""
    url = (url or "").strip()
    try:
        parsed = urlparse(url)
    except ValueError:
        return ""
    if parsed.scheme.lower() in ("http", "https") and parsed.netloc and not re.search(r"[\s\x00-\x1f]", url):
        return url
    return ""


def link(url: str, label: str) -> str:
    """An external link, or the escaped label alone when the URL is not http(s)."""
    url = safe_url(url)
    if not url:
        return esc(label)
    return f'<a class="nq-link" href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">{esc(label)}</a>'


def texts(lang: str) -> dict:
    return TEXT.get(lang, TEXT["vi"])


def is_loopback(host: str) -> bool:
    host = (host or "").strip().strip("[]").lower()
    if host in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_auth(auth: str) -> tuple[str, str] | None:
    """NEWSQA_AUTH "user:password" -> ("user", "password"); "" -> None."""
    auth = (auth or "").strip()
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user.strip() or not password:
        raise LaunchError("NEWSQA_AUTH must look like user:password (both parts non-empty).")
    return user.strip(), password


def check_exposure(settings: Settings) -> tuple[str, str] | None:
    """The Gradio auth pair; refuses a non-loopback host without one."""
    auth = parse_auth(settings.auth)
    if auth is None and not is_loopback(settings.host):
        raise LaunchError(
            f"Refusing to serve on {settings.host}: that address is reachable from other machines and no "
            "password is set. Set NEWSQA_AUTH=user:password, or bind 127.0.0.1 (NEWSQA_HOST=127.0.0.1)."
        )
    return auth


class LoginLimiter:
    """Gradio's login check, with a bound on guessing: after `max_failures` failed logins within
    `window` seconds, every login is refused until the oldest failure is `window` seconds old.
    (Gradio hands the check no client address, so the bound is for the whole app.)"""

    def __init__(self, user: str, password: str, max_failures: int = 5, window: float = 60.0, clock=time.monotonic):
        self._user, self._password = user.encode(), password.encode()
        self.max_failures, self.window, self._clock = max_failures, window, clock
        self._failures: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, username: str, password: str) -> bool:
        with self._lock:
            now = self._clock()
            self._failures = [t for t in self._failures if now - t < self.window]
            if len(self._failures) >= self.max_failures:
                logger.warning("login refused: %d failed attempts in the last %.0fs", len(self._failures), self.window)
                return False
            ok = hmac.compare_digest(str(username).encode(), self._user) & hmac.compare_digest(
                str(password).encode(), self._password
            )
            if not ok:
                self._failures.append(now)
            return ok


def check_port(host: str, port: int) -> None:
    """Raise LaunchError now when the address cannot be bound (before the slow start-up)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            raise LaunchError(port_message(host, port, e.strerror or str(e))) from None


def port_message(host: str, port: int, why: str) -> str:
    return (
        f"Cannot serve on {host}:{port}: {why}. Stop what uses that port, or choose another one with --port or "
        "NEWSQA_PORT."
    )


def sanitize_filename(name: str) -> str:
    """A safe file name for an upload: no folders, no dots in front, only word characters, '.', '-'."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = re.sub(r"[^\w.-]+", "-", stem)
    stem = re.sub(r"([.-])[.-]+", r"\1", stem).strip(".-_")[:100].strip(".-_") or "upload"
    suffix = re.sub(r"[^\w]+", "", suffix).lower()[:10]
    return f"{stem}.{suffix}" if suffix else stem


def upload_target(data_dir: Path, name: str) -> Path:
    """Where an uploaded file is kept: data_dir/uploads/<sanitized name>, never outside it."""
    folder = (Path(data_dir) / UPLOADS).resolve()
    target = (folder / sanitize_filename(name)).resolve()
    if target.parent != folder:  # cannot happen after sanitizing; kept as the last guard
        raise NewsqaError(f"Upload name '{name}' is not allowed.")
    return target


def free_upload_target(target: Path, data: bytes) -> Path:
    """`target`, or `stem-2.suffix`, `stem-3.suffix`…: the first that is free or already holds
    `data`. A different file uploaded under a taken name never overwrites the earlier upload."""
    candidate, n = target, 1
    while candidate.exists() and (not candidate.is_file() or candidate.read_bytes() != data):
        n += 1
        candidate = target.with_name(f"{target.stem}-{n}{target.suffix}")
    return candidate


def parse_day(value: str, t: dict) -> int:
    """yyyy-mm-dd (or dd/mm/yyyy) -> yyyymmdd int; "" -> 0; raises ValueError with a message."""
    value = (value or "").strip()
    if not value:
        return 0
    m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", value)
    if m:
        y, mo, d = (int(g) for g in m.groups())
    else:
        m = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", value)
        if not m:
            raise ValueError(t["bad_date"].format(value=value))
        d, mo, y = (int(g) for g in m.groups())
    try:
        date(y, mo, d)
    except ValueError:
        raise ValueError(t["bad_date"].format(value=value)) from None
    return y * 10000 + mo * 100 + d


def make_filters(article_ids, day_from: str, day_to: str, t: dict) -> Filters:
    ids = [a for a in (article_ids or []) if isinstance(a, str) and a]
    start, end = parse_day(day_from, t), parse_day(day_to, t)
    if start and end and start > end:
        raise ValueError(t["bad_range"])
    return Filters(article_ids=ids, day_from=start, day_to=end)


# ---- answers as HTML -----------------------------------------------------------------------
def split_claims(answer: Answer) -> list[tuple[str, int | None]]:
    """The answer as (sentence, source number) pairs, in order.

    Answers are "sentence [n] sentence [m] …" with each sentence taken verbatim from a source
    passage; matching the cited sentences themselves keeps a literal "[2]" inside an article's
    sentence from being read as a citation.
    """
    text = answer.answer or ""
    if not answer.found:
        return [(text, None)] if text else []
    quotes = sorted(
        ((s.text[a:b], s.number) for s in answer.sources for a, b in s.highlights if b > a),
        key=lambda q: -len(q[0]),
    )
    claims: list[tuple[str, int | None]] = []
    pos = 0
    while pos < len(text):
        while pos < len(text) and text[pos] == " ":
            pos += 1
        if pos >= len(text):
            break
        for quote, number in quotes:
            marker = f"{quote} [{number}]"
            if text.startswith(marker, pos):
                claims.append((quote, number))
                pos += len(marker)
                break
        else:
            break
    if pos < len(text):  # not in the expected shape: fall back to the markers themselves
        claims = []
        for m in re.finditer(r"(.*?)\s*\[(\d+)\](?=\s|$)|(.+)$", text, flags=re.S):
            if m.group(3):
                claims.append((m.group(3).strip(), None))
            elif m.group(1) is not None:
                claims.append((m.group(1).strip(), int(m.group(2))))
    return claims


def cited_and_related(answer: Answer) -> tuple[list[Source], list[Source]]:
    """Listed sources are exactly the cited ones; retrieved-but-uncited ones go to "related"."""
    cited = {n for _, n in split_claims(answer) if n is not None}
    sources = [s for s in answer.sources if s.number in cited]
    related = [s for s in answer.sources if s.number not in cited] + list(answer.related)
    return sources, related


def source_key(source: Source) -> str:
    """What a click on a source sends back: where its passage and cited sentences are in the article."""
    return json.dumps(
        {
            "a": source.article_id,
            "s": int(source.start),
            "e": int(source.end),
            "h": [[int(source.start + a), int(source.start + b)] for a, b in source.highlights],
            "n": int(source.number),
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def marked(text: str, spans: list[tuple[int, int]]) -> str:
    """Escaped text with each span wrapped in <mark>."""
    out, pos = [], 0
    for a, b in _merge(spans, len(text)):
        out.append(esc(text[pos:a]))
        out.append(f"<mark>{esc(text[a:b])}</mark>")
        pos = b
    out.append(esc(text[pos:]))
    return "".join(out)


def _merge(spans, limit: int) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for a, b in sorted((max(0, int(a)), min(limit, int(b))) for a, b in spans):
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def source_html(source: Source, t: dict, numbered: bool = True) -> str:
    key = esc(source_key(source))
    where = link(source.url, t["original"]) if safe_url(source.url) else ""
    if not where and source.source:
        where = f'{esc(t["file"])}: <span class="nq-file">{esc(Path(source.source).name)}</span>'
    meta = [f'<span class="nq-by">{esc(source.byline)}</span>' if source.byline else ""]
    meta.append(f'<span class="nq-date">{esc(source.date)}</span>' if source.date else "")
    meta.append(f'<span class="nq-rel">{esc(t["relevance"])} {source.score:.2f}</span>')
    meta.append(f'<span class="nq-where">{where}</span>' if where else "")
    number = f'<span class="nq-num">[{int(source.number)}]</span> ' if numbered and source.number else ""
    return (
        f'<div class="nq-source" tabindex="0" role="button">'
        f'<div class="nq-src-head">{number}<span class="nq-title">{esc(source.title or source.article_id)}</span></div>'
        f'<div class="nq-meta">{" · ".join(m for m in meta if m)}</div>'
        f'<div class="nq-passage">{marked(source.text, source.highlights)}</div>'
        f'<button type="button" class="nq-open" value="{key}">{esc(t["open"])}</button>'
        "</div>"
    )


def answer_html(answer: Answer, t: dict, upto: int | None = None) -> str:
    """The whole answer message; `upto` = number of sentences shown so far while streaming."""
    claims = split_claims(answer)
    sources, related = cited_and_related(answer)
    by_number = {s.number: s for s in sources}
    final = upto is None or upto >= len(claims)
    parts = ['<div class="nq-answer">']
    if answer.searched:
        parts.append(f'<div class="nq-searched">{esc(t["searched"])} <q>{esc(answer.searched)}</q></div>')
    body = []
    for sentence, number in claims[: len(claims) if upto is None else upto]:
        cite = ""
        if number is not None:
            src = by_number.get(number)
            if src is not None:
                cite = (
                    f' <button type="button" class="nq-cite" value="{esc(source_key(src))}" '
                    f'title="{esc(src.title)}">[{number}]</button>'
                )
            else:
                cite = f" [{number}]"
        body.append(f'<span class="nq-claim">{esc(sentence)}{cite}</span>')
    css = "nq-text" if answer.found else "nq-text nq-notfound"
    parts.append(f'<p class="{css}">{" ".join(body)}{"" if final else " …"}</p>')
    if final:
        if sources:
            parts.append(f'<div class="nq-sources"><div class="nq-h">{esc(t["sources"])}</div>')
            parts.extend(source_html(s, t) for s in sources)
            parts.append("</div>")
        if related:
            label = t["related"] if answer.found else t["closest"]
            opened = "" if answer.found else " open"
            parts.append(f'<details class="nq-related"{opened}><summary>{esc(label)} ({len(related)})</summary>')
            parts.extend(source_html(s, t, numbered=False) for s in related)
            parts.append("</details>")
        parts.append(
            f'<div class="nq-actions"><button type="button" class="nq-copy" value="{esc(answer.plain_text())}">'
            f'<span class="nq-copy-label">{esc(t["copy"])}</span>'
            f'<span class="nq-copied" hidden>{esc(t["copied"])}</span></button></div>'
        )
    parts.append("</div>")
    return "".join(parts)


def message_html(text: str, kind: str = "info") -> str:
    return f'<div class="nq-msg nq-{kind}">{esc(text)}</div>'


def user_html(question: str) -> str:
    shown = question if len(question) <= MAX_SHOWN_QUESTION else question[:MAX_SHOWN_QUESTION] + "…"
    return f'<div class="nq-question">{esc(shown)}</div>'


def article_html(info, text: str, key: dict | None, t: dict) -> str:
    """The whole cleaned article; the clicked passage wrapped in #nq-focus, its cited sentences marked."""
    meta = [esc(x) for x in (info.byline, info.date) if x]
    if safe_url(info.url):
        meta.append(link(info.url, t["original"]))
    elif info.source:
        meta.append(f'{esc(t["file"])}: <span class="nq-file">{esc(Path(info.source).name)}</span>')
    n = len(text)
    start = end = 0
    spans: list[tuple[int, int]] = []
    if key:
        start = min(max(0, int(key.get("s", 0))), n)
        end = min(max(start, int(key.get("e", 0))), n)
        spans = [(int(a), int(b)) for a, b in key.get("h", []) if start <= int(a) < int(b) <= end]
    if end > start:
        inner, pos = [], start
        for a, b in _merge(spans, end):
            inner.append(esc(text[pos:a]) + f"<mark>{esc(text[a:b])}</mark>")
            pos = b
        inner.append(esc(text[pos:end]))
        body = f'{esc(text[:start])}<span id="nq-focus" class="nq-focus">{"".join(inner)}</span>{esc(text[end:])}'
    else:
        body = esc(text)
    return (
        f'<div class="nq-article" data-nq-article="{esc(info.id)}">'
        f'<h3 class="nq-article-title">{esc(info.title or info.id)}</h3>'
        f'<div class="nq-meta">{" · ".join(meta)}</div>'
        f'<div class="nq-body">{body}</div></div>'
    )


def articles_table(articles, t: dict) -> str:
    if not articles:
        return message_html(t["no_articles"])
    rows = "".join(
        f"<tr><td>{esc(a.title)}</td><td>{esc(a.date or '–')}</td><td>{int(a.chunk_count)}</td>"
        f'<td class="nq-id">{esc(a.id)}</td></tr>'
        for a in articles
    )
    return (
        f'<table class="nq-table"><thead><tr><th>{esc(t["col_title"])}</th><th>{esc(t["col_date"])}</th>'
        f"<th>{esc(t['col_chunks'])}</th><th>{esc(t['col_id'])}</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def article_choices(articles) -> list[tuple[str, str]]:
    out = []
    for a in articles:
        title = a.title if len(a.title) <= 90 else a.title[:89] + "…"
        out.append((f"{title} ({a.date})" if a.date else title, a.id))
    return out


# ---- the service behind the app ------------------------------------------------------------
class Service:
    """The pipeline, opened lazily: a store that is down at start (or later) does not stop the app."""

    def __init__(self, settings: Settings, pipeline: Pipeline | None = None, embedder=None):
        self.settings = settings
        self._pipeline = pipeline
        self._embedder = embedder if embedder is not None else getattr(pipeline, "embedder", None)
        self._lock = threading.Lock()

    def get(self) -> Pipeline:
        with self._lock:
            if self._pipeline is None:
                if self._embedder is None:
                    self._embedder = open_embedder(self.settings)
                self._pipeline = Pipeline.open(self.settings, embedder=self._embedder)
            return self._pipeline

    def failed(self) -> None:
        """After an unexpected store failure with a Chroma server: reconnect on next use."""
        if self.settings.chroma_url:
            with self._lock:
                self._pipeline = None


@dataclass
class Handlers:
    """The functions behind the UI's events; tests call them directly."""

    service: Service
    settings: Settings

    # -- chat --
    def respond(self, question, history, conversation, lang, article_ids, day_from, day_to):
        """Generator: (chat history, question box, searched-questions state), answer streamed in."""
        t = texts(lang)
        # What a conversation keeps is bounded, whatever comes in: the last turns, shown and searched.
        history = keep_recent(history, MAX_TURNS - 1, per_turn=2)
        conversation = [c for c in keep_recent(conversation, MAX_TURNS - 1) if isinstance(c, str)]
        question = question if isinstance(question, str) else ""
        stripped = question.strip()
        history.append({"role": "user", "content": user_html(stripped or "…")})
        problem = None
        if not stripped:
            problem = t["empty"]
        elif len(stripped) > MAX_QUESTION_CHARS:
            problem = t["too_long"].format(n=len(stripped), limit=MAX_QUESTION_CHARS)
        if problem is None:
            try:
                filters = make_filters(article_ids, day_from, day_to, t)
            except ValueError as e:
                problem = str(e)
        if problem is not None:
            history.append({"role": "assistant", "content": message_html(problem, "error")})
            yield list(history), question, conversation
            return

        searched = contextualize(stripped, conversation)
        if searched == " ".join(stripped.split()):
            searched = stripped  # unchanged (up to spaces): nothing to show as "Searched:"
        history.append({"role": "assistant", "content": message_html(t["searching"], "wait")})
        yield list(history), "", conversation
        try:
            answer = self.service.get().ask(stripped, k=self.settings.k, filters=filters, searched=searched)
        except NewsqaError as e:
            if isinstance(e, StoreError):
                self.service.failed()  # a server that comes back, or was recreated, is reconnected to
            text = t["store_down"].format(message=str(e)) if isinstance(e, StoreError) else str(e)
            history[-1] = {"role": "assistant", "content": message_html(f"{t['error']}: {text}", "error")}
            yield list(history), "", conversation
            return
        except Exception as e:  # noqa: BLE001 - the app must keep answering
            logger.exception("question failed: %r", stripped[:200])
            self.service.failed()
            if self.settings.chroma_url:
                text = t["store_down"].format(message=f"{type(e).__name__}: {str(e)[:300]}.")
            else:
                text = t["unexpected"].format(kind=type(e).__name__)
            history[-1] = {"role": "assistant", "content": message_html(f"{t['error']}: {text}", "error")}
            yield list(history), "", conversation
            return
        conversation.append(searched)
        claims = len(split_claims(answer))
        for shown in range(1, claims):
            history[-1] = {"role": "assistant", "content": answer_html(answer, t, upto=shown)}
            yield list(history), "", conversation
            time.sleep(STREAM_DELAY)
        history[-1] = {"role": "assistant", "content": answer_html(answer, t)}
        yield list(history), "", conversation

    def clear(self, lang):
        return [], [], "", article_placeholder(texts(lang))

    def open_source(self, key: str, lang: str = "vi") -> str:
        """The article panel for a clicked source (key from `source_key`)."""
        t = texts(lang)
        try:
            data = json.loads(key) if isinstance(key, str) else None
            article_id = data["a"] if isinstance(data, dict) else None
            if not isinstance(article_id, str) or not article_id:
                raise ValueError
        except (ValueError, KeyError, TypeError):
            return message_html(f"{t['error']}: bad source reference.", "error")
        try:
            info, text, _ = self.service.get().article(article_id)
        except NewsqaError as e:
            return message_html(f"{t['error']}: {e}", "error")
        except Exception as e:  # noqa: BLE001
            logger.exception("opening article %s failed", article_id)
            self.service.failed()
            return message_html(f"{t['error']}: " + t["unexpected"].format(kind=type(e).__name__), "error")
        try:
            return article_html(info, text, data, t)
        except (TypeError, ValueError):
            return article_html(info, text, None, t)

    def select_source(self, lang, evt: gr.SelectData):
        return self.open_source(evt.value, lang)

    # -- articles --
    def list_articles(self):
        try:
            return self.service.get().articles(), ""
        except NewsqaError as e:
            return [], str(e)
        except Exception as e:  # noqa: BLE001
            logger.exception("listing articles failed")
            self.service.failed()
            return [], f"{type(e).__name__}: {e}"

    def refresh(self, lang):
        """Article table, remove choices, filter choices (and a store problem, if any)."""
        t = texts(lang)
        articles, problem = self.list_articles()
        table = articles_table(articles, t)
        if problem:
            table = message_html(f"{t['error']}: {problem}", "error") + table
        choices = article_choices(articles)
        return table, gr.update(choices=choices, value=None), gr.update(choices=choices)

    def on_load(self, lang, history):
        """Fill the article lists; when the store cannot be used, say so in the chat."""
        t = texts(lang)
        articles, problem = self.list_articles()
        table = articles_table(articles, t)
        history = list(history or [])
        if problem:
            table = message_html(f"{t['error']}: {problem}", "error") + table
            history.append({"role": "assistant", "content": message_html(f"{t['error']}: {problem}", "error")})
        choices = article_choices(articles)
        return table, gr.update(choices=choices, value=None), gr.update(choices=choices), history

    def store_files(self, files, t: dict) -> tuple[list[Path], list[str]]:
        """Copy uploads into data_dir/uploads under sanitized names; (kept paths, problems)."""
        kept, problems = [], []
        limit = self.settings.max_upload_mb * 1024 * 1024
        for f in files or []:
            path = Path(f if isinstance(f, str) else getattr(f, "name", "") or getattr(f, "path", ""))
            name = path.name
            if path.suffix.lower() not in UPLOAD_SUFFIXES:
                problems.append(t["bad_suffix"].format(name=name, suffixes=", ".join(UPLOAD_SUFFIXES)))
                continue
            try:
                size = path.stat().st_size
            except OSError as e:
                problems.append(f"{name}: {e.strerror}")
                continue
            if size > limit:
                problems.append(
                    t["too_big"].format(name=name, size=size / 1024 / 1024, mb=self.settings.max_upload_mb)
                )
                continue
            data = path.read_bytes()
            target = free_upload_target(upload_target(self.settings.data_dir, name), data)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            kept.append(target)
        return kept, problems

    def upload(self, files, lang, progress: Callable | None = None):
        """Ingest uploaded files; (status HTML, table, remove choices, filter choices, cleared files)."""
        t = texts(lang)
        progress = progress or (lambda *a, **k: None)
        lines: list[str] = []
        kind = "info"
        kept: list[Path] = []
        try:
            kept, problems = self.store_files(files, t)
            if not kept and not problems:
                lines.append(t["nothing_uploaded"])
            if kept:
                pipeline = self.service.get()
                result = pipeline.read(kept)
                problems += result.problems
                total = max(1, len(result.articles))
                done = [0]

                def tick(article, n):
                    done[0] += n
                    progress((done[0], total), desc=f"{t['ingest_progress']}: {article.title[:60]}")

                if result.articles:
                    progress((0, total), desc=t["ingest_progress"])
                    report = pipeline.ingest(result.articles, progress=tick)
                    problems += report.duplicates
                    lines.append(
                        t["ingest_done"].format(
                            added=len(report.added),
                            updated=len(report.updated),
                            unchanged=len(report.unchanged),
                            chunks=report.chunks_written,
                            seconds=report.seconds,
                        )
                    )
            lines += [f"{t['skipped']}: {p}" for p in problems]
            if problems:
                kind = "warn"
        except NewsqaError as e:
            lines.append(f"{t['error']}: {e}")
            kind = "error"
        except Exception as e:  # noqa: BLE001
            logger.exception("upload failed")
            self.service.failed()
            lines.append(f"{t['error']}: " + t["unexpected"].format(kind=type(e).__name__))
            kind = "error"
        self._drop_unindexed(kept)
        status = "".join(message_html(line, kind) for line in lines)
        table, remove_choices, filter_choices = self.refresh(lang)
        return status, table, remove_choices, filter_choices, None

    def _drop_unindexed(self, kept: list[Path]) -> None:
        """Delete our copies of uploads that no indexed article comes from (unreadable, empty,
        duplicates, or the store failed): uploads/ holds only what the index holds."""
        if not kept:
            return
        try:
            sources = {a.source for a in self.service.get().articles()}
        except Exception as e:  # noqa: BLE001 - the store is away: nothing of this upload was indexed
            logger.info("store unavailable while tidying uploads: %s", e)
            sources = set()
        for path in kept:
            if str(path.resolve()) not in sources:
                self._delete_upload(str(path))

    def remove(self, article_id, lang):
        t = texts(lang)
        if not article_id:
            status = message_html(t["remove_none"], "warn")
        else:
            try:
                pipeline = self.service.get()
                sources = {a.id: a.source for a in pipeline.articles()}
                removed = pipeline.remove([article_id])
                for a in removed:
                    self._delete_upload(sources.get(a, ""))
                status = message_html(t["removed"].format(n=len(removed)))
            except NewsqaError as e:
                status = message_html(f"{t['error']}: {e}", "error")
            except Exception as e:  # noqa: BLE001
                logger.exception("remove failed")
                self.service.failed()
                status = message_html(f"{t['error']}: " + t["unexpected"].format(kind=type(e).__name__), "error")
        table, remove_choices, filter_choices = self.refresh(lang)
        return status, table, remove_choices, filter_choices

    def _delete_upload(self, source: str) -> None:
        """Delete our copy of an uploaded file (only files inside data_dir/uploads)."""
        if not source:
            return
        folder = (Path(self.settings.data_dir) / UPLOADS).resolve()
        try:
            path = Path(source).resolve()
            if path.parent == folder and path.is_file():
                path.unlink()
        except OSError as e:
            logger.warning("could not delete %s: %s", source, e)


def article_placeholder(t: dict) -> str:
    return f'<div class="nq-placeholder">{esc(t["article_placeholder"])}</div>'


# ---- layout --------------------------------------------------------------------------------
CSS = """
.nq-header h1 { margin: 0 0 2px; font-size: 1.5rem; }
.nq-header p { margin: 0; color: var(--body-text-color-subdued); }
.nq-answer { line-height: 1.55; }
.nq-searched { font-size: .85em; color: var(--body-text-color-subdued); margin-bottom: 6px; }
.nq-text { margin: 0 0 6px; }
.nq-notfound { font-style: italic; }
button.nq-cite { font: inherit; font-weight: 600; color: var(--link-text-color, var(--color-accent)); background: none;
  border: 0; padding: 0 1px; cursor: pointer; }
button.nq-cite:hover { text-decoration: underline; }
.nq-h, .nq-related > summary { font-weight: 600; font-size: .9em; margin: 10px 0 4px; cursor: pointer; }
.nq-source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px;
  margin: 6px 0; cursor: pointer; background: var(--background-fill-secondary); }
.nq-source:hover, .nq-source:focus { border-color: var(--color-accent); outline: none; }
.nq-src-head { font-weight: 600; }
.nq-num { color: var(--color-accent); }
.nq-meta { font-size: .8em; color: var(--body-text-color-subdued); margin: 2px 0 4px; }
.nq-passage { white-space: pre-wrap; font-size: .88em; border-left: 3px solid var(--border-color-accent);
  padding-left: 8px; max-height: 16em; overflow: auto; }
.nq-answer mark, .nq-article mark { background: #ffe98a; color: #1f2937; padding: 0 1px; border-radius: 2px; }
.nq-open, .nq-copy { font-size: .8em; margin-top: 6px; padding: 2px 10px; border-radius: 6px; cursor: pointer;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-primary); }
.nq-open:hover, .nq-copy:hover { border-color: var(--color-accent); }
.nq-msg { padding: 4px 0; }
.nq-error { color: var(--error-text-color, #b91c1c); font-weight: 500; }
.nq-warn { color: #92400e; }
.nq-wait { color: var(--body-text-color-subdued); font-style: italic; }
.nq-question { white-space: pre-wrap; }
#nq-article { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 12px 14px;
  background: var(--background-fill-primary); }
.nq-article-title { margin: 0 0 4px; font-size: 1.1em; }
.nq-article .nq-body { white-space: pre-wrap; line-height: 1.6; font-size: .95em; }
.nq-focus { background: rgba(96, 165, 250, .16); border-radius: 3px; -webkit-box-decoration-break: clone;
  box-decoration-break: clone; }
.nq-placeholder { color: var(--body-text-color-subdued); font-style: italic; padding: 8px 0; }
.nq-table { width: 100%; border-collapse: collapse; font-size: .9em; }
.nq-table th, .nq-table td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--border-color-primary); }
.nq-id { font-family: var(--font-mono); font-size: .85em; }
"""

# Installed once by the article panel: clicks on [n] / sources open the article (a `select`
# event on the panel carrying the source key), copy buttons copy the plain-text answer, and the
# panel scrolls the cited passage into view each time it shows an article.
PANEL_JS = """
window.__nqTrigger = trigger;
if (!window.__nqBound) {
  window.__nqBound = true;
  const copyText = async (text) => {
    try { await navigator.clipboard.writeText(text); return true; } catch (e) {}
    const area = document.createElement('textarea');
    area.value = text; area.setAttribute('readonly', ''); area.style.position = 'fixed'; area.style.opacity = '0';
    document.body.appendChild(area); area.select();
    let ok = false; try { ok = document.execCommand('copy'); } catch (e) {}
    area.remove(); return ok;
  };
  const keyOf = (el) => {
    const button = el.closest('button.nq-cite, button.nq-open');
    if (button) return button.value;
    const card = el.closest('.nq-source');
    const open = card && card.querySelector('button.nq-open');
    return open ? open.value : null;
  };
  const openSource = (key) => window.__nqTrigger && window.__nqTrigger('select', {index: 0, value: key});
  document.addEventListener('click', (ev) => {
    const el = ev.target instanceof Element ? ev.target : null;
    if (!el) return;
    const copy = el.closest('button.nq-copy');
    if (copy) {
      ev.preventDefault(); ev.stopPropagation();
      window.__nqCopied = copy.value;
      copyText(copy.value).then(() => {
        const [label, done] = [copy.querySelector('.nq-copy-label'), copy.querySelector('.nq-copied')];
        if (!label || !done) return;
        label.hidden = true; done.hidden = false;
        setTimeout(() => { label.hidden = false; done.hidden = true; }, 1500);
      });
      return;
    }
    if (el.closest('a[href]')) return;  // links to the original page open normally
    const key = keyOf(el);
    if (key) { ev.preventDefault(); ev.stopPropagation(); openSource(key); }
  }, true);
  document.addEventListener('keydown', (ev) => {
    const el = ev.target instanceof Element ? ev.target : null;
    if (el && (ev.key === 'Enter' || ev.key === ' ') && el.matches('.nq-source')) {
      const key = keyOf(el);
      if (key) { ev.preventDefault(); openSource(key); }
    }
  });
}
if (!element.__nqWatch) {
  element.__nqWatch = true;
  // Scroll the panel (not the page) so the cited passage sits near its top third.
  const reveal = (tries) => {
    const focus = element.querySelector('#nq-focus');
    if (!focus) { if (tries > 0) setTimeout(() => reveal(tries - 1), 50); return; }
    let box = focus.parentElement;
    while (box && box !== document.body) {
      const style = getComputedStyle(box);
      if (/(auto|scroll)/.test(style.overflowY) && box.scrollHeight > box.clientHeight) break;
      box = box.parentElement;
    }
    if (box && box !== document.body) {
      const delta = focus.getBoundingClientRect().top - box.getBoundingClientRect().top;
      box.scrollTop += delta - box.clientHeight / 4;
    }
    const rect = element.getBoundingClientRect();
    if (rect.bottom < 0 || rect.top > window.innerHeight) element.scrollIntoView({block: 'start'});
  };
  watch('value', () => reveal(10));
}
"""

DETECT_LANGUAGE_JS = """
() => {
  const langs = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || '']);
  return langs.some((l) => String(l).toLowerCase().startsWith('vi')) ? 'vi' : 'en';
}
"""

THEME = gr.themes.Soft(
    primary_hue="blue",
    font=["system-ui", "Segoe UI", "Roboto", "Noto Sans", "Helvetica Neue", "Arial", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
)


def header_html(t: dict) -> str:
    return f'<div class="nq-header"><h1>{esc(t["title"])}</h1><p>{esc(t["subtitle"])}</p></div>'


def build_ui(pipeline: Pipeline | None, settings: Settings, *, embedder=None) -> gr.Blocks:
    """The app's Blocks. `pipeline` may be None (store down at start): it is opened on first use."""
    handlers = Handlers(Service(settings, pipeline, embedder), settings)
    t = TEXT["vi"]
    initial = article_choices(handlers.list_articles()[0]) if pipeline is not None else []
    with gr.Blocks(title="newsqa", analytics_enabled=False, fill_width=True) as demo:
        with gr.Row(equal_height=False):
            header = gr.HTML(header_html(t), elem_id="nq-header", js_on_load=None)
            lang = gr.Radio(LANGUAGES, value="vi", label=t["language"], elem_id="nq-lang", scale=0, min_width=300)
        conversation = gr.State([])
        with gr.Tabs():
            with gr.Tab(t["tab_chat"], id="chat") as tab_chat:
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=380):
                        chatbot = gr.Chatbot(
                            label=t["chat_label"],
                            show_label=False,
                            elem_id="nq-chat",
                            height=620,
                            render_markdown=False,
                            sanitize_html=True,
                            latex_delimiters=[],
                            buttons=[],
                            feedback_options=None,
                            layout="panel",
                            placeholder=t["chat_placeholder"],
                            group_consecutive_messages=False,
                        )
                        with gr.Row(equal_height=True):
                            question = gr.Textbox(
                                label=t["question"],
                                show_label=False,
                                placeholder=t["question_placeholder"],
                                elem_id="nq-question",
                                lines=1,
                                max_lines=4,
                                scale=5,
                                autofocus=True,
                            )
                            send = gr.Button(t["send"], variant="primary", elem_id="nq-send", scale=1, min_width=80)
                        with gr.Accordion(t["filters"], open=False, elem_id="nq-filters") as filters_box:
                            filter_articles = gr.Dropdown(
                                choices=initial,
                                multiselect=True,
                                allow_custom_value=True,  # the API may name articles ingested after start-up
                                label=t["filter_articles"],
                                elem_id="nq-filter-articles",
                            )
                            with gr.Row():
                                day_from = gr.Textbox(
                                    label=t["date_from"], placeholder="2023-10-01", elem_id="nq-from"
                                )
                                day_to = gr.Textbox(label=t["date_to"], placeholder="2023-10-31", elem_id="nq-to")
                        gr.Examples(
                            examples=[[q] for q in EXAMPLES],
                            inputs=[question],
                            label="Câu hỏi mẫu / Example questions",
                            elem_id="nq-examples",
                        )
                        clear = gr.Button(t["clear"], elem_id="nq-clear", size="sm", variant="secondary")
                    with gr.Column(scale=2, min_width=320):
                        panel = gr.HTML(
                            article_placeholder(t),
                            elem_id="nq-article",
                            js_on_load=PANEL_JS,
                            max_height=760,
                            min_height=200,
                            autoscroll=False,
                            apply_default_css=True,
                        )
            with gr.Tab(t["tab_articles"], id="articles") as tab_articles:
                with gr.Row(equal_height=False):
                    with gr.Column(scale=2):
                        files = gr.File(
                            label=t["upload"].format(mb=settings.max_upload_mb),
                            file_count="multiple",
                            file_types=list(UPLOAD_SUFFIXES),
                            type="filepath",
                            elem_id="nq-upload",
                        )
                        status = gr.HTML("", elem_id="nq-status", js_on_load=None)
                        with gr.Row(equal_height=True):
                            remove_pick = gr.Dropdown(
                                choices=initial,
                                allow_custom_value=True,
                                label=t["remove_pick"],
                                elem_id="nq-remove-pick",
                                scale=3,
                            )
                            remove = gr.Button(t["remove"], variant="stop", elem_id="nq-remove", scale=1)
                    with gr.Column(scale=3):
                        articles_label = gr.HTML(f"<h3>{esc(t['articles_list'])}</h3>", js_on_load=None)
                        table = gr.HTML("", elem_id="nq-articles", js_on_load=None)

        # -- events --
        chat_inputs = [question, chatbot, conversation, lang, filter_articles, day_from, day_to]
        chat_outputs = [chatbot, question, conversation]
        common = dict(
            fn=handlers.respond,
            inputs=chat_inputs,
            outputs=chat_outputs,
            concurrency_limit=CHAT_CONCURRENCY,
            concurrency_id="chat",
            show_progress="hidden",
        )
        question.submit(**common, api_name="chat")
        send.click(**common, api_visibility="private")
        clear.click(
            handlers.clear, [lang], [chatbot, conversation, question, panel], api_visibility="private", queue=False
        )
        # The chat's own trash button empties the chat: forget the searched questions too.
        chatbot.clear(
            lambda lang_: ([], article_placeholder(texts(lang_))),
            [lang],
            [conversation, panel],
            api_visibility="private",
            queue=False,
        )
        panel.select(
            handlers.select_source,
            [lang],
            [panel],
            api_visibility="private",
            concurrency_limit=4,
            show_progress="minimal",
        )

        def upload(files_, lang_, progress=gr.Progress()):
            return handlers.upload(files_, lang_, progress)

        files.upload(
            upload,
            [files, lang],
            [status, table, remove_pick, filter_articles, files],
            api_visibility="private",
            concurrency_id="ingest",
            concurrency_limit=1,
        )
        remove.click(
            handlers.remove,
            [remove_pick, lang],
            [status, table, remove_pick, filter_articles],
            api_visibility="private",
            concurrency_id="ingest",
            concurrency_limit=1,
        )

        def relabel(lang_, panel_value):
            t = texts(lang_)
            keep_panel = panel_value and "nq-placeholder" not in panel_value
            return [
                header_html(t),
                gr.update(label=t["tab_chat"]),
                gr.update(label=t["tab_articles"]),
                gr.update(label=t["chat_label"], placeholder=t["chat_placeholder"]),
                gr.update(label=t["question"], placeholder=t["question_placeholder"]),
                gr.update(value=t["send"]),
                gr.update(label=t["filters"]),
                gr.update(label=t["filter_articles"]),
                gr.update(label=t["date_from"]),
                gr.update(label=t["date_to"]),
                gr.update(value=t["clear"]),
                gr.update() if keep_panel else article_placeholder(t),
                gr.update(label=t["upload"].format(mb=settings.max_upload_mb)),
                gr.update(label=t["remove_pick"]),
                gr.update(value=t["remove"]),
                f"<h3>{esc(t['articles_list'])}</h3>",
                handlers.refresh(lang_)[0],
            ]

        lang.change(
            relabel,
            [lang, panel],
            [
                header,
                tab_chat,
                tab_articles,
                chatbot,
                question,
                send,
                filters_box,
                filter_articles,
                day_from,
                day_to,
                clear,
                panel,
                files,
                remove_pick,
                remove,
                articles_label,
                table,
            ],
            api_visibility="private",
            queue=False,
        )
        demo.load(None, None, [lang], js=DETECT_LANGUAGE_JS)
        demo.load(
            handlers.on_load, [lang, chatbot], [table, remove_pick, filter_articles, chatbot], api_visibility="private"
        )
    demo.newsqa = handlers  # for tests and embedding: the functions behind the events
    return demo


def serve(demo: gr.Blocks, settings: Settings, *, prevent_thread_lock: bool = False, quiet: bool = False):
    """Launch a built app with the settings' address, password and upload limit."""
    auth = check_exposure(settings)
    demo.queue(default_concurrency_limit=CHAT_CONCURRENCY)
    try:
        return _launch(demo, settings, auth, prevent_thread_lock, quiet)
    except OSError as e:
        raise LaunchError(port_message(settings.host, settings.port, e.strerror or "the port is in use")) from None


def _launch(demo: gr.Blocks, settings: Settings, auth, prevent_thread_lock: bool, quiet: bool):
    return demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=LoginLimiter(*auth) if auth else None,
        auth_message="newsqa: đăng nhập để hỏi về các bài báo / sign in to ask about the articles" if auth else None,
        max_file_size=f"{settings.max_upload_mb}mb",
        prevent_thread_lock=prevent_thread_lock,
        quiet=quiet,
        show_error=False,
        theme=THEME,
        css=CSS,
        footer_links=["api", "settings"],
    )


def launch(settings: Settings, *, prevent_thread_lock: bool = False):
    """Open the Pipeline (the store may be down: the chat then says so), build the app, serve it."""
    check_exposure(settings)  # before the slow part: refuse early
    check_port(settings.host, settings.port)
    embedder = open_embedder(settings)
    pipeline = None
    try:
        pipeline = Pipeline.open(settings, embedder=embedder)
    except NewsqaError as e:
        logger.error("The store is not available yet (%s); the app starts and retries on each request.", e)
    demo = build_ui(pipeline, settings, embedder=embedder)
    return serve(demo, settings, prevent_thread_lock=prevent_thread_lock)
