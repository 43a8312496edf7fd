"""When an article was published, and how that was found.

`article_date` tries, in order, what a news source gives: the corpus header (`# date =`), the
page's metadata (`article:published_time` and the like, JSON-LD `datePublished`), the date
trafilatura reads from the page, the URL (`/2021/04/23/`, dantri's `-20210423085625358.htm`), a
dateline at the start of the text ("Ngày 24/10/2023, …", "Sáng 24/4, …"). The first one found
wins and is returned with how it was found (`HEADER`, `HTML_META`, …), which is stored with the
article (`Key.DATE_SOURCE`). Nothing is guessed: a dateline with a day and month but no year
("Ngày 24/10, …"), or a date somewhere in the body, does not date the article (on the dantri
corpus, guessing the year from the years a text names is wrong for 12 of 17 such datelines, and
the first full date of the body is the publication date for 12 of 270 articles). An article with
no date has date "" and source "" and is shown as undated.

Dates in questions are read by `qa.question.time_scope` (dateparser); this module reads articles.
"""

import json
import re
from datetime import date as Date

HEADER = "header"  # the corpus header `# date =`
HTML_META = "html-meta"  # <meta property="article:published_time"> and the like
JSON_LD = "json-ld"  # JSON-LD datePublished
PAGE = "page"  # the date trafilatura/htmldate reads from the page
URL = "url"  # a date in the article's URL
DATELINE = "dateline"  # a full date at the start of the text

_META = re.compile(
    r"<meta\b[^>]*?(?:property|name|itemprop)\s*=\s*[\"']"
    r"(article:published_time|og:published_time|datePublished|pubdate|publishdate|date|dc\.date)[\"'][^>]*>",
    re.I,
)
_CONTENT = re.compile(r"content\s*=\s*[\"']([^\"']+)[\"']", re.I)
_JSON_LD = re.compile(r"<script[^>]+application/ld\+json[^>]*>(.*?)</script>", re.I | re.S)
_DATE_PUBLISHED = re.compile(r"\"datePublished\"\s*:\s*\"([^\"]+)\"")
_URL_DATES = (
    re.compile(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?:/|$|[-_.])"),  # /2021/04/23/
    re.compile(r"[-_/]((?:19|20)\d{2})(\d{2})(\d{2})(?:\d{6,9})?(?:\.\w+)?$"),  # -20210423085625358.htm
)
# A dateline opens the text: "Ngày 24/10/2023,", "(Dân trí) - Sáng 24/4,", "HÀ NỘI, 24/10 -".
_DATELINE = re.compile(
    r"^\W*(?:\([^)]{2,20}\)\s*[-–—:]?\s*|[A-ZĐÀ-Ỹ][A-ZĐÀ-Ỹ .]{1,20},\s*)?"  # "(Dân trí) - ", "HÀ NỘI, "
    r"(?i:(?:ngày|sáng|trưa|chiều|tối|đêm|hôm)\s+(?:nay\s+)?(?:\([^)]*\)\s*)?)?(?i:thứ\s+\w+\s*,?\s*)?"
    r"(\d{1,2})[/.-](\d{1,2})(?:[/.-]((?:19|20)\d{2}))?(?=\s*(?:[,:–—-]|năm\b|\(|$))"
)
DATELINE_CHARS = 200  # where a dateline may be: the start of the text


def normalize_date(raw: str) -> str:
    """ISO yyyy-mm-dd from the date forms news sources use ("20191001", "2019-10-01T08:00:00+07:00",
    "2019/10/01", "1/10/2019", "01-10-2019"); "" when the text holds no complete, valid date."""
    raw = (raw or "").strip()
    patterns = (
        (r"((?:19|20)\d{2})(\d{2})(\d{2})(?:\d{4,6})?", "ymd"),  # 20191001, 201910011200
        (r"((?:19|20)\d{2})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ].*)?", "ymd"),
        (r"(\d{1,2})[-/.](\d{1,2})[-/.]((?:19|20)\d{2})(?:[T ,].*)?", "dmy"),
    )
    for pattern, order in patterns:
        m = re.fullmatch(pattern, raw)
        if not m:
            continue
        a, b, c = (int(g) for g in m.groups())
        year, month, day = (a, b, c) if order == "ymd" else (c, b, a)
        return _iso(year, month, day)
    return ""


def _iso(year: int, month: int, day: int) -> str:
    try:
        return Date(year, month, day).isoformat()
    except ValueError:
        return ""


def html_date(html: str) -> tuple[str, str]:
    """(date, source) from a page's metadata: meta tags first, then JSON-LD; ("", "") when neither."""
    for m in _META.finditer(html):
        content = _CONTENT.search(m.group(0))
        if content and (found := normalize_date(content.group(1))):
            return found, HTML_META
    for block in _JSON_LD.findall(html):
        for raw in _json_ld_dates(block):
            if found := normalize_date(raw):
                return found, JSON_LD
    return "", ""


def _json_ld_dates(block: str) -> list[str]:
    try:
        data = json.loads(block)
    except ValueError:
        return _DATE_PUBLISHED.findall(block)  # broken JSON-LD is common: read the field anyway
    found: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("datePublished"), str):
                found.append(node["datePublished"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return found


def url_date(url: str) -> str:
    """The date a news URL carries (/2021/04/23/, -20210423085625358.htm); "" when none."""
    path = re.sub(r"^\w+://[^/]+", "", url or "").split("?")[0]
    for pattern in _URL_DATES:
        m = pattern.search(path)
        if m and (found := _iso(*(int(g) for g in m.groups()))):
            return found
    return ""


def dateline_date(text: str) -> tuple[str, str]:
    """(date, source) of a dateline at the start of the text; a day/month without a year takes the
    `likely_year` of the text (and says it was guessed); ("", "") when there is no dateline."""
    head = text[:DATELINE_CHARS]
    m = _DATELINE.match(head)
    if not m:
        return "", ""
    day, month = int(m.group(1)), int(m.group(2))
    if not m.group(3):
        return "", ""  # a day and month: the year is not known (guessing it from the text is mostly wrong)
    found = _iso(int(m.group(3)), month, day)
    return (found, DATELINE) if found else ("", "")


def article_date(header: str = "", html: str = "", page: str = "", url: str = "", text: str = "") -> tuple[str, str]:
    """(ISO date, how it was found) from what a reader has, most reliable first (module docstring)."""
    if found := normalize_date(header):
        return found, HEADER
    if html:
        found, source = html_date(html)
        if found:
            return found, source
    if found := normalize_date(page):
        return found, PAGE
    if found := url_date(url):
        return found, URL
    return dateline_date(text)
