"""Time in a question: the one module that reads it (dates of articles are read by `ingest.dates`).

`read_time(question, today)` finds, in Vietnamese (with or without diacritics) and English:
- explicit dates and periods: "ngày 26/4/2021", "sáng 24/4", "26 tháng 4", "tháng 11/2020", "quý 1",
  "năm 2020", "in March 2020", "April 26, 2021", "last week of April 2021", "cuối tháng 4",
  "từ 20/4 đến 25/4";
- relative ones: "hôm qua", "tuần trước", "3 ngày trước", "yesterday", "last week", "two days ago",
  "past 3 days", taken relative to `today` (the pipeline passes the newest indexed article's date,
  and the answer says so), and ones anchored to an event: "phiên liền sau …", "đợt điều chỉnh
  ngay trước …", "right after …", "just before …" (the pipeline finds the event's date);
- "latest" words ("hiện nay", "mới nhất", "currently", "so far") and timeline words ("diễn biến",
  "thay đổi ra sao", "how did … change", "over time").

Where a phrase is is found by the patterns below (a date-search over the whole question finds
dates in "thứ", "từ", "may", "M51"…); what date it names is read by `dateparser` (day, month,
year, weekdays, relative words, in both languages), relative to `today` and preferring the past,
so a day without a year is the latest such day up to `today` (the answer says the year was taken
so). Quarters, parts of a month ("cuối tháng 4", "late April", "tuần cuối tháng 4") and ranges
are computed here: dateparser does not read them.
"""

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from ingest.normalize import fold, normalize

_MONTHS_EN = "january|february|march|april|may|june|july|august|september|october|november|december"
_MONTH_EN = rf"(?:{_MONTHS_EN}|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?"
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
_Y = r"((?:19|20)\d{2})"
_D = r"(\d{1,2})"
_DM = rf"{_D}\s*[/.-]\s*{_D}(?:\s*[/.-]\s*{_Y})?"  # 26/4, 26/4/2021, 26-4-2021
_DAY_CUE = r"(?:ngay|sang|trua|chieu|toi|dem|hom|phien|on|of|from|since|until|by|tu|den|toi|truoc|sau|dip|vao)"

# Patterns over the folded question (lower case, no diacritics, same length as the question).
# Each: (name, pattern). Earlier ones win where two overlap.
_SPANS: list[tuple[str, re.Pattern]] = [
    (n, re.compile(p))
    for n, p in [
        ("range", rf"\b(?:tu|from|between)\s+(?:ngay\s+)?({_DM})\s+(?:den|toi|to|and|until|-)\s+(?:ngay\s+)?({_DM})"),
        ("week_of_month", rf"\btuan\s+(dau|cuoi)\s+(?:cua\s+)?thang\s+{_D}(?:\s*(?:/|nam)\s*{_Y})?"),
        ("week_of_month_en", rf"\b(first|last)\s+week\s+of\s+({_MONTH_EN})(?:,?\s+{_Y})?"),
        ("part_of_month", rf"\b(dau|giua|cuoi)\s+thang\s+{_D}(?:\s*(?:/|nam)\s*{_Y})?"),
        ("part_of_month_en", rf"\b(early|mid|late)[- ]({_MONTH_EN})(?:,?\s+{_Y})?"),
        ("day", rf"\bngay\s+{_D}\s+thang\s+{_D}(?:\s+nam\s+{_Y})?"),
        ("day", rf"(?:\b{_DAY_CUE}\s+(?:\w+\s+)?)?(?<![\d/.,-]){_DM}(?![\d/.,]*\d)"),
        ("day_en", rf"\b({_MONTH_EN})\s+{_D}(?:st|nd|rd|th)?\b(?:,?\s+{_Y})?"),
        ("day_en", rf"\b{_D}(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_EN})(?:,?\s+{_Y})?"),
        ("quarter", r"\bquy\s+(1|2|3|4|iv|iii|ii|i)\b(?:\s*(?:/|nam)\s*((?:19|20)\d{2}))?"),
        (
            "quarter_en",
            r"\b(?:q([1-4])|(first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter)(?:\s+(?:of\s+)?((?:19|20)\d{2}))?",
        ),
        ("month", rf"\bthang\s+{_D}(?:\s*(?:/|nam)\s*{_Y})?(?!\s*[/.-]?\s*\d)"),
        ("month_en", rf"\b(?:in\s+)?({_MONTH_EN})(?:,?\s+{_Y})?\b"),
        ("relative", r"\b(\d+|mot|hai|ba|bon|nam) (?:ngay|tuan|thang) truoc\b"),
        (
            "relative",
            r"\b(?:hom qua|hom kia|hom nay|tuan (?:truoc|qua|nay)|thang (?:truoc|qua|nay)|nam (?:ngoai|truoc|nay|qua))\b",
        ),
        (
            "relative",
            r"\b(?:yesterday|today|(?:last|this|past) (?:week|month|year)|(?:\d+|a|one|two|three|four|five|six|seven) (?:days?|weeks?|months?) ago)\b",
        ),
        ("past_days", r"\b(?:past|last) (\d+) days\b"),
        ("past_days", r"\b(\d+|mot|hai|ba|bon|nam) ngay qua\b"),
        ("year", rf"\b(?:nam|in|during|of)\s+{_Y}\b"),
    ]
]
_TARGET = re.compile(r"(?:den|toi|tam nhin|by|until)\s+(?:nam\s+)?$")  # "đến năm 2030": a target, not a time
_LATEST = re.compile(
    r"\b(?:hien nay|hien tai|hien gio|moi nhat|gan day nhat|bay gio|luc nay|den nay|cho toi nay|cho den nay|"
    r"currently|current|latest|most recent|right now|now|so far|to date|as of now|these days|up to now|nowadays)\b"
)
_TIMELINE = re.compile(
    r"(?:^\W*dien bien\b|\b(?:dien bien|tien trien)\b.{0,80}?\b(?:ra sao|the nao|nhu the nao)\b|"
    r"\b(?:thay doi|bien dong|tang giam) (?:ra sao|the nao|nhu the nao)|"
    r"\bqua (?:cac|tung) (?:ngay|tuan|thang)|\btheo thoi gian|\bdong thoi gian|\b"
    r"how (?:did|has|have|does|do|was|were) .{0,80}?(?:change|changed|evolve|evolved|develop|developed|progress|"
    r"progressed|unfold|unfolded|go|went)\b|over time|timeline|day by day|week by week|over the (?:past|last) )"
)
_AFTER = re.compile(
    r"\b(?:lien sau|ngay sau|ke tiep sau|tiep theo sau|right after|just after|immediately after|the day after|"
    r"the next \w+(?: \w+)? after|the first \w+(?: \w+)? after)\s+(?:khi\s+)?"
)
_BEFORE = re.compile(
    r"\b(?:lien truoc|ngay truoc|right before|just before|immediately before|the day before|"
    r"the last \w+(?: \w+)? before)\s+(?:khi\s+)?"
)
# Where the event's words end and the question goes on: "… kỳ nghỉ lễ 30/4 là bao nhiêu?"
_QUESTION_TAIL = re.compile(
    r"\s(?:la|co|duoc|da|se|thi)?\s*(?:gi|bao nhieu|ai|the nao|ra sao|nhu the nao|nao|o dau)\b"
)
_VI_NUMBERS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "nam": 5}


@dataclass(frozen=True)
class Window:
    """A span of days a question names (inclusive), with the phrase that named it."""

    start: date
    end: date
    phrase: str  # as asked: "ngày 26/4", "tuần trước"
    granularity: str  # "day", "week", "month", "quarter", "year", "range"
    year_given: bool = True  # False: the year was taken from `today` (the latest such day up to it)
    relative: bool = False  # taken relative to `today` ("hôm qua", "last week")

    @property
    def days(self) -> tuple[int, int]:
        """(yyyymmdd, yyyymmdd), as `qa.question.query.Filters` takes them."""
        return int(self.start.strftime("%Y%m%d")), int(self.end.strftime("%Y%m%d"))

    def covers(self, iso: str) -> bool:
        return bool(iso) and self.start.isoformat() <= iso <= self.end.isoformat()


@dataclass
class TimeScope:
    """What a question says about time."""

    windows: list[Window] = field(default_factory=list)
    latest: bool = False  # "hiện nay", "currently": answer from the newest article that answers
    timeline: bool = False  # "diễn biến…", "how did … change": dated claims from several articles, in date order
    direction: str = ""  # "after" / "before" an event (`anchor`)
    anchor: str = ""  # the event's words, as asked
    today: date | None = None  # what relative phrases and missing years were taken relative to
    phrases: tuple[
        str, ...
    ] = ()  # the phrases of every window named (`qa.answering.temporal` keeps them from the answerer)
    words: tuple[str, ...] = ()  # the "latest" and timeline words as asked ("hiện nay", "diễn biến")
    event_phrase: str = ""  # the words that name the event with their marker ("ngay sau khi … hết dưỡng khí")

    def __bool__(self) -> bool:
        return bool(self.windows or self.latest or self.timeline or self.direction)

    @property
    def window(self) -> Window | None:
        """One window spanning all those named (None when none)."""
        if not self.windows:
            return None
        if len(self.windows) == 1:
            return self.windows[0]
        ws = self.windows
        phrase = ", ".join(w.phrase for w in ws)
        return Window(min(w.start for w in ws), max(w.end for w in ws), phrase, "range", all(w.year_given for w in ws))


def read_time(question: str, today: date | None = None) -> TimeScope:
    """The TimeScope of a question; `today` is what relative phrases are taken relative to (the
    pipeline passes the newest indexed article's date; default: the real today)."""
    today = today or date.today()
    text = normalize(question)
    folded = _fold_aligned(text)
    scope = TimeScope(today=today)
    taken: list[tuple[int, int]] = []
    for name, pattern in _SPANS:
        for m in pattern.finditer(folded):
            a, b = m.span()
            if any(a < y and x < b for x, y in taken):
                continue
            if name == "year" and _TARGET.search(folded[max(0, a - 20) : a + 4]):
                continue
            if name in ("month_en", "day_en", "week_of_month_en", "part_of_month_en") and not _capitalised_month(
                text, m
            ):
                continue
            window = _window(name, m, text[a:b].strip(" ,.?"), today)
            if window is not None:
                taken.append((a, b))
                scope.windows.append(window)
    scope.windows.sort(key=lambda w: w.start)
    latest, timeline = _LATEST.search(folded), _TIMELINE.search(folded)
    scope.latest, scope.timeline = bool(latest), bool(timeline)
    scope.words = tuple(text[m.start() : m.end()].strip() for m in (latest, timeline) if m)
    for direction, pattern in (("after", _AFTER), ("before", _BEFORE)):
        m = pattern.search(folded)
        if m:
            anchor = re.split(r"[,;?!]", text[m.end() :])[0]
            tail = _QUESTION_TAIL.search(_fold_aligned(anchor))
            anchor = anchor[: tail.start()] if tail else anchor
            if anchor.strip(" ."):
                scope.direction, scope.anchor = direction, anchor.strip(" .")
                scope.event_phrase = text[m.start() : m.end() + len(anchor)].strip(" .")
                break
    return scope


def _fold_aligned(text: str) -> str:
    """fold() character by character, so offsets in the folded text are offsets in `text`."""
    return "".join((fold(c) or c)[:1] for c in text)


def _capitalised_month(text: str, m: re.Match) -> bool:
    """An English month name counts only capitalised ("May 2021", not "may" or the folded "máy")."""
    for g in m.groups():
        if g and re.fullmatch(_MONTH_EN, g):
            i = m.group(0).find(g)
            original = text[m.start() + i : m.start() + i + len(g)]
            if not (original[:1].isupper() and original.isascii()) or (len(original) > 1 and original.isupper()):
                return False  # "may", "máy", "DEC" (a company) are not months
            # a bare abbreviation ("Mar", "Dec") is a month only with a day or a year beside it
            return (
                len(original.rstrip(".")) > 3
                or original.rstrip(".").lower() == "may"
                or any(x and x.isdigit() for x in m.groups())
            )
    return False


@lru_cache(maxsize=2)
def _parser(today: date):
    from dateparser.date import DateDataParser

    settings = {
        "RELATIVE_BASE": datetime(today.year, today.month, today.day),
        "PREFER_DATES_FROM": "past",
        "DATE_ORDER": "DMY",
        "RETURN_TIME_AS_PERIOD": True,
    }
    return DateDataParser(languages=["vi", "en"], settings=settings)


def parse_phrase(phrase: str, today: date) -> tuple[date, str] | None:
    """(date, period) dateparser reads from a phrase ("period": day, week, month, year)."""
    data = _parser(today).get_date_data(phrase)
    if data is None or data.date_obj is None:
        return None
    return data.date_obj.date(), data.period or "day"


def _period_window(day: date, period: str, phrase: str, year_given: bool, relative: bool) -> Window:
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return Window(start, start + timedelta(days=6), phrase, "week", year_given, relative)
    if period == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return Window(day.replace(day=1), day.replace(day=last), phrase, "month", year_given, relative)
    if period == "year":
        return Window(date(day.year, 1, 1), date(day.year, 12, 31), phrase, "year", year_given, relative)
    return Window(day, day, phrase, "day", year_given, relative)


def _month_number(name: str) -> int:
    name = name.rstrip(".").lower()[:3]
    return [m[:3] for m in _MONTHS_EN.split("|")].index(name) + 1


def _latest_year(month: int, day: int, today: date) -> int:
    """The year of the latest (month, day) up to `today`."""
    return today.year if (month, day) <= (today.month, today.day) else today.year - 1


def _window(name: str, m: re.Match, phrase: str, today: date) -> Window | None:
    g = m.groups()
    try:
        if name == "range":
            first, second = parse_phrase(g[0], today), parse_phrase(g[4], today)
            if not first or not second or first[0] > second[0]:
                return None
            return Window(first[0], second[0], phrase, "range", bool(g[3] or g[7]))
        if name in ("week_of_month", "week_of_month_en", "part_of_month", "part_of_month_en"):
            which, month, year = g[0], g[1], g[2]
            month = int(month) if month.isdigit() else _month_number(month)
            year_given = bool(year)
            year = int(year) if year else _latest_year(month, 1, today)
            last = calendar.monthrange(year, month)[1]
            if which in ("dau", "first", "early"):
                a, b = 1, 7 if "week" in name else 10
            elif which in ("giua", "mid"):
                a, b = 11, 20
            else:
                a, b = (last - 6 if "week" in name else 21), last
            return Window(
                date(year, month, a), date(year, month, b), phrase, "week" if "week" in name else "part", year_given
            )
        if name in ("quarter", "quarter_en"):
            number = g[0] if name == "quarter" else g[0] or g[1]
            year = g[1] if name == "quarter" else g[2]
            q = int(number) if number.isdigit() else _ROMAN.get(number) or _ORDINAL[number]
            year_given = bool(year)
            year = int(year) if year else (today.year if 3 * q - 2 <= today.month else today.year - 1)
            start = date(year, 3 * q - 2, 1)
            end = date(year, 3 * q, calendar.monthrange(year, 3 * q)[1])
            return Window(start, end, phrase, "quarter", year_given)
        if name == "past_days":
            n = int(g[0]) if g[0].isdigit() else _VI_NUMBERS[g[0]]
            return Window(today - timedelta(days=n), today, phrase, "range", True, True)
        if name == "relative" and g and g[0] in _VI_NUMBERS:
            phrase_for_parser = phrase.replace(phrase.split()[0], str(_VI_NUMBERS[g[0]]), 1)
        else:
            phrase_for_parser = phrase
        if name == "day" and "thang" not in m.group(0):
            # "sáng 24/4", "phiên 21/4" (dateparser does not read them after a word): computed here.
            d, mo, y = (x for x in m.groups()[-3:])
            cued = re.match(rf"{_DAY_CUE}\b", m.group(0))
            if not (cued or y or ("/" in m.group(0) and int(d) >= int(mo))):
                return None  # "1-2" (a score), "2/3" (a fraction): not a day without a cue word or a year
            year_given = bool(y)
            year = int(y) if y else _latest_year(int(mo), int(d), today)
            return Window(date(year, int(mo), int(d)), date(year, int(mo), int(d)), phrase, "day", year_given)
        parsed = parse_phrase(phrase_for_parser, today)
        if parsed is None:
            return None
        day, period = parsed
        year_given = name in ("relative", "past_days") or bool(re.search(r"(?:19|20)\d{2}", m.group(0)))
        return _period_window(day, period, phrase, year_given, name == "relative")
    except (ValueError, KeyError, IndexError):
        return None  # "31/2", "tháng 13": not a date


# ---- dates in text -------------------------------------------------------------------------
def mentions(text: str, window: Window) -> bool:
    """Whether `text` names a day of `window` (day windows of up to a week: "26/4", "26/04/2021",
    "ngày 26 tháng 4", "April 26") or, for longer ones, its month ("tháng 4/2021", "April 2021";
    "tháng 4" alone when the question gave no year), quarter ("quý I/2021") or year ("năm 2020")."""
    folded = fold(text)
    if (window.end - window.start).days <= 7:
        day = window.start
        while day <= window.end:
            d, m = day.day, day.month
            month = calendar.month_name[m].lower()
            forms = (
                rf"(?<![\d/.,])0?{d}\s*/\s*0?{m}(?:\s*/\s*{day.year})?(?![/.,-]?\d)",
                rf"\bngay\s+0?{d}\s+thang\s+0?{m}\b",
                rf"\b{month}\s+{d}\b",
                rf"\b{d}\s+{month}\b",
            )
            if any(f and re.search(f, folded) for f in forms):
                return True
            day += timedelta(days=1)
        return False
    if window.granularity in ("month", "part", "week", "range", "quarter"):
        months = {(window.start.year, window.start.month), (window.end.year, window.end.month)}
        for y, m in months:
            month = calendar.month_name[m].lower()
            if re.search(rf"\bthang\s+0?{m}\s*(?:/|nam)\s*{y}\b|\b0?{m}/{y}\b|\b{month},?\s+{y}\b", folded):
                return True
            # a question that gave no year ("the July rally") is matched by the month alone
            if not window.year_given and re.search(
                rf"\bthang\s+0?{m}\b(?!\s*[/.-]?\s*\d)|\b{month}\b(?!,?\s+\d{{4}})", folded
            ):
                return True
        if window.granularity == "quarter":
            q = (window.start.month + 2) // 3
            roman = ["i", "ii", "iii", "iv"][q - 1]
            y = window.start.year
            return bool(re.search(rf"\bquy\s+(?:{q}|{roman})\s*(?:/|nam)\s*{y}\b|\bq{q}\s*/?\s*{y}\b", folded))
        return False
    return bool(re.search(rf"\b{window.start.year}\b", folded))


def earlier_told(sentences: list[str], written: str) -> list[bool]:
    """For each of a passage's sentences, whether every time it names ends before the latest time
    another of them names: it tells an earlier state ("Quý II/2020, Huawei vượt Samsung…" beside
    "trong quý I/2021, Huawei bị đá văng…"), not the latest one. Days without a year, and "hôm
    qua", are read relative to the date the passage was `written` (ISO; "" when unknown: relative
    times are not read then); times after it are plans, not states ("đến năm 2025"); a sentence that
    names no time is not earlier."""
    try:
        today = date.fromisoformat(written)
    except ValueError:
        today = None

    def told(w: Window) -> bool:
        return w.start <= today if today is not None else w.year_given and not w.relative

    named = [[w for w in read_time(text, today).windows if told(w)] for text in sentences]
    latest = max((w.start for ws in named for w in ws), default=None)
    return [bool(ws) and all(w.end < latest for w in ws) for ws in named]


def show_date(iso: str, language: str) -> str:
    """An ISO date as a reader of `language` writes it: "26/4/2021", "April 26, 2021"."""
    try:
        d = date.fromisoformat(iso)
    except (TypeError, ValueError):
        return iso
    return f"{d.day}/{d.month}/{d.year}" if language == "vi" else f"{calendar.month_name[d.month]} {d.day}, {d.year}"


def show_window(window: Window, language: str) -> str:
    """A window as a reader of `language` writes it: one day, or "from … to …"."""
    a, b = window.start.isoformat(), window.end.isoformat()
    if a == b:
        return show_date(a, language)
    if language == "vi":
        return f"từ {show_date(a, language)} đến {show_date(b, language)}"
    return f"from {show_date(a, language)} to {show_date(b, language)}"
