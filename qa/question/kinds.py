"""What a question asks for, and what a sentence gives: the kinds of fact of news questions.

A question asks for a number ("bao nhiêu", "how many"), a date ("khi nào", "năm nào", "when"), a
person ("ai", "who"), a place ("ở đâu", "where"), an organisation ("công ty nào", "which company")
a reason ("vì sao", "why") or a name ("tên là gì", "what is the name") — read from its question words, in Vietnamese with or without
diacritics and in English (`asked_kind`). A sentence gives the kinds of fact that the patterns of
Vietnamese news writing find in it (`find_answers`: "25 em", "ngày 25/4", "ông Hà Thanh Quốc",
"tại Bắc Kinh", "tạp chí Maxim"; `sentence_kinds` adds names, years and reasons in general).
`kind_fit` says whether a sentence can answer what a question asks: the answerers rank and refuse
with it, and the reader's training questions are made with the same patterns (`qa.training.train_news`).
These are rules of the two languages, not of any article.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from ingest.normalize import fold, fold_aligned, has_diacritics, normalize, words
from qa.question.measures import FIG, MULT
from qa.question.translation import EN_NUMBER_WORDS

# Words before a name that make it a person's name (compared lower-case, as whole words).
PERSON_TITLES = (
    "ông", "bà", "anh", "chị", "cô", "chú", "bác", "cụ", "em", "bé", "cháu", "cậu", "nàng",
    "ts", "ths", "pgs", "gs", "bs", "bsck", "tiến sĩ", "thạc sĩ", "giáo sư", "bác sĩ", "luật sư", "kỹ sư",
    "nhà báo", "phóng viên", "nhà văn", "nhà thơ", "nhạc sĩ", "ca sĩ", "nghệ sĩ", "diễn viên", "người mẫu",
    "hoa hậu", "á hậu", "mc", "rapper", "đạo diễn", "tác giả", "danh thủ", "cầu thủ", "hlv", "huấn luyện viên",
    "vđv", "vận động viên", "võ sĩ", "tay vợt", "tiền đạo", "thủ môn", "hậu vệ", "tiền vệ", "tỷ phú",
    "doanh nhân", "thượng tá", "đại tá", "trung tá", "thiếu tá", "đại úy", "thượng úy", "trung úy",
    "thiếu úy", "thiếu tướng", "trung tướng", "đại tướng", "vợ", "chồng", "con trai", "con gái", "mr", "mrs", "ms",
    "dr", "nữ ca sĩ", "nam ca sĩ", "nữ diễn viên", "nam diễn viên", "giám đốc", "chủ tịch", "bộ trưởng", "thủ tướng", "tổng thống", "bí thư", "phát ngôn viên",
)  # fmt: skip
# Words before a name that make it a place.
PLACE_MARKERS = ("tại", "ở")
PLACE_KINDS = ("tỉnh", "thành phố", "tp", "huyện", "quận", "xã", "phường", "thị xã", "thị trấn", "bang", "làng")
# Kinds of organisation, as they open its name (compared lower-case).
ORG_KINDS = (
    "công ty", "tập đoàn", "ngân hàng", "bệnh viện", "trường", "viện", "đại học", "học viện", "tạp chí",
    "báo", "hãng", "nhãn hiệu", "thương hiệu", "câu lạc bộ", "clb", "đài", "tổ chức", "quỹ", "nhà hàng",
    "khách sạn", "trung tâm",
)  # fmt: skip
# Counted nouns kept after "bao nhiêu" ("25 em" -> "bao nhiêu em"), longest first.
COUNTED = sorted(
    (
        "người", "ca", "ca bệnh", "bệnh nhân", "học sinh", "em", "sinh viên", "giáo viên", "trẻ", "công nhân",
        "tàu", "xe", "chiếc", "căn", "ngôi", "trường học", "lớp", "huy chương", "bàn", "bàn thắng", "điểm", "lần",
        "tuổi", "km", "mét", "kg", "tấn", "ha", "lít", "phút", "giờ", "ngày", "tuần", "tháng", "năm", "con",
        "đơn vị", "doanh nghiệp", "hộ", "lượt", "trận", "bài", "vụ", "quốc gia", "nước", "tỉnh", "thành viên",
        "cầu thủ", "cây", "trường hợp", "mẫu", "liều", "triệu liều", "phòng", "giường", "cơ sở",
    ),
    key=len,
    reverse=True,
)  # fmt: skip
# A number right after these words is a name or an address, not an amount.
_NOT_AMOUNT = (
    "số", "năm", "lớp", "khóa", "kỳ", "đợt", "quận", "phường", "bn", "tuyến", "phiên", "ngõ", "chỉ thị", "nghị định",
    "quyết định", "thông tư", "điều", "khoản", "phòng", "vòng", "covid", "top", "hạng", "thứ", "lần thứ", "nghị quyết",
)  # fmt: skip
# A unit written against its figure ("29ha", "5,2km", "12GB", "500g"; not the "G" of "5G", a label).
_GLUED_UNIT = r"(?:km2|km|m2|m3|cm|mm|m|ha|kg|mg|(?-i:g)|gb|tb|mb|mah|kw|mw|ml)(?!\w)"
_AMOUNT = r"(?:khoảng|gần|hơn|trên|dưới|tới|chỉ|tổng cộng|hàng|thêm|ít nhất|tối đa|lên tới)"
_NUMBER = re.compile(
    r"(?<![\w/.,-])(?:" + _AMOUNT + r"\s+)?"
    r"\d+(?:[.,]\d+)*(?:\s*-\s*\d+(?:[.,]\d+)*)?"
    r"(?:\s*%|" + _GLUED_UNIT + r"|\s+(?:tỷ|triệu|nghìn|ngàn|trăm)(?:\s+(?:tỷ|triệu|nghìn|ngàn))?)?"
    r"(?:\s+(?:đồng|usd|euro|yên|tệ|bảng)\b|\s+(?:" + "|".join(COUNTED) + r")\b)?"
    r"(?![\w/-])(?![.,]\d)",
    re.IGNORECASE,
)
FIGURE = re.compile(r"\d+(?:[.,/]\d+)*")  # a figure as written: "25", "17,1", "1.200", "26/4"
# A date or period; group "core" is what the question word replaces.
_DATE = re.compile(
    r"(?<![\w/])(?P<core>(?:(?:sáng|chiều|tối|trưa|đêm|rạng sáng|hôm)\s+(?:nay\s+)?(?:ngày\s+)?|ngày\s+)?"
    r"(?:\d{1,2}/\d{1,2}(?:/(?:19|20)\d{2})?|tháng\s+\d{1,2}(?:/(?:19|20)\d{2})?|năm\s+(?:19|20)\d{2}))"
    r"(?![\w/])",
    re.IGNORECASE,
)


def capital(word: str) -> bool:
    """Whether a word starts with a capital letter (quotes and brackets aside)."""
    w = word.strip("\"“”'‘’«»()[],.;:!?")
    return bool(w) and w[0].isupper() and any(c.isalpha() for c in w)


_CONNECTORS = ("and", "of", "&", "de", "la", "-")
_AFTER_NAME = frozenset("và cũng đã là để với có sẽ đang thì nhưng nơi vừa mới được bị cho từ khi vì".split())


def name_runs(sentence: str) -> list[tuple[int, int]]:
    """Runs of capitalised words (offsets into the sentence), not starting at the first word; a run
    may hold a connector between capitalised words ("Earth and Planetary Science Letters"). A run of one
    word counts only when punctuation, the end or a function word follows it ("ở Canada và …"),
    not another word that may belong to the name ("Vương quốc Anh")."""
    tokens = [(m.start(), m.end(), m.group(0)) for m in re.finditer(r"\S+", sentence)]
    runs, i = [], 1
    while i < len(tokens):
        if not (capital(tokens[i][2]) and tokens[i][2][0] not in '"“(‘«'):
            i += 1
            continue
        j = i
        while True:
            word = tokens[j][2]
            if word != word.rstrip(',.;:!?)”"’»'):
                break
            if j + 1 < len(tokens) and capital(tokens[j + 1][2]) and tokens[j + 1][2][0] not in '"“(‘«':
                j += 1
            elif j + 2 < len(tokens) and tokens[j + 1][2].lower() in _CONNECTORS and capital(tokens[j + 2][2]):
                j += 2
            else:
                break
        start, end, last = tokens[i][0], tokens[j][1], tokens[j][2]
        end -= len(last) - len(last.rstrip(',.;:!?)”"’»'))
        closed = last != last.rstrip(',.;:!?)”"’»') or j + 1 >= len(tokens)
        if j > i or closed or tokens[j + 1][2].lower() in _AFTER_NAME:
            runs.append((start, end))
        i = j + 1
    return runs


def _before(sentence: str, start: int, words: int = 3) -> str:
    return " ".join(sentence[:start].split()[-words:]).lower().strip(" ,(")


def _ends_with(text: str, options) -> str | None:
    """The longest of `options` that `text` ends with as whole words."""
    hits = [o for o in options if text == o or text.endswith(" " + o)]
    return max(hits, key=len) if hits else None


def find_answers(sentence: str) -> list[tuple[str, int, int, str]]:
    """Answer phrases in a sentence: (kind, start, end, question word)."""
    found = []
    for m in _DATE.finditer(sentence):
        core = m.group("core").lower()
        if re.search(r"\bvà\s*$", sentence[: m.start()]) or re.match(r"\s*(?:và|-|–)\s*\d", sentence[m.end() :]):
            continue  # one date of a pair ("30/4 và 1/5"): the question would be ambiguous
        word = "năm nào" if core.startswith("năm") else "tháng nào" if core.startswith("tháng") else "ngày nào"
        found.append(("date", m.start("core"), m.end("core"), word))
    taken = [(a, b) for _, a, b, _ in found]
    for m in _NUMBER.finditer(sentence):
        a, b = m.start(), m.end()
        text = m.group(0)
        if any(a < e and b > s for s, e in taken) or re.fullmatch(r"(?:19|20)\d{2}", text.strip()):
            continue
        if _ends_with(_before(sentence, a, 2), _NOT_AMOUNT) or capital(
            sentence[b:].split(" ", 2)[1:2] and sentence[b:].split()[0] or ""
        ):
            continue
        if not re.search(r"\d", text) or re.fullmatch(r"\d", text.strip()):
            continue  # a lone digit is too often a list marker or part of a name
        unit = next((u for u in COUNTED if text.lower().endswith(" " + u)), "")
        word = "bao nhiêu phần trăm" if "%" in text else ("bao nhiêu " + unit) if unit else "bao nhiêu"
        found.append(("number", a, b, word))
    for a, b in name_runs(sentence):
        before = _before(sentence, a, 3)
        name = sentence[a:b]
        lower = name.lower()
        kind = next((k for k in sorted(ORG_KINDS, key=len, reverse=True) if lower.startswith(k + " ")), None)
        if kind:  # "Bệnh viện Bạch Mai": the name after its kind
            if len(name) > len(kind) + 2:
                found.append(("organization", a + len(kind) + 1, b, kind + " nào"))
            continue
        kind = _ends_with(before, ORG_KINDS)
        if kind:
            found.append(("organization", a, b, kind + " nào"))
        elif _ends_with(before, PERSON_TITLES) and len(name.split()) >= 2:
            found.append(("person", a, b, "ai"))
        elif before.split()[-1:] and before.split()[-1] in PLACE_MARKERS:
            found.append(("place", a, b, "đâu"))
        elif _ends_with(before, PLACE_KINDS) and any(w in PLACE_MARKERS for w in before.split()[-3:-1]):
            found.append(("place", a, b, "đâu"))
    return found


# ---- what a question asks --------------------------------------------------------------------
# On folded, lower-case text (no diacritics): the question words of each kind, most specific first.
_ASKS = (
    ("reason", r"\b(tai sao|vi sao|vi ly do gi|ly do (gi|nao)|nguyen nhan (gi|nao)|why|for what reason)\b"),
    ("date", r"\b(khi nao|luc nao|bao gio|hoi nao|ngay nao|thang nao|nam nao|thoi (diem|gian) nao|dip nao"
     r"|when|what (year|date|day|month|time)|which (year|date|day|month)|since when|how long ago)\b"),
    ("number", r"\b(bao nhieu|how (many|much|old|long|far|high|tall|big|large|deep)|what (percentage|percent"
     r"|proportion|share|number|amount|price|rate)|muc (gia|phat) nao)\b"),
    ("organization", r"\b(cong ty|tap doan|ngan hang|to chuc|co quan|don vi|thuong hieu|nhan hieu|tap chi|bao|hang|"
     r"truong|benh vien|doi bong|clb|cau lac bo) nao\b|\bwhich (company|organi[sz]ation|brand|agency|bank|"
     r"magazine|newspaper|hospital|school|university|club|team|firm|group)\b"),
    ("place", r"\b(o dau|tai dau|den dau|di dau|noi nao|cho nao|tinh nao|thanh pho nao|nuoc nao|quoc gia nao|"
     r"khu vuc nao|dia diem nao|where|which (city|country|province|place|region|town|district|state))\b"),
    ("person", r"\b(ai|nguoi nao|who|whom|whose)\b"),
    ("name", r"\bten (that |khai sinh |goi |day du )?(la )?gi\b|\bten (that|khai sinh|goi|day du)\b.{0,60}\bla gi\b|\bwhat (is|was|are|were) (the|his|her|their|its) "
     r"(full |real |first |last |stage )?names?\b|\bwhat (is|was) .{1,40} called\b"),
)  # fmt: skip
_ASKS = tuple((kind, re.compile(pattern)) for kind, pattern in _ASKS)
_DATE_WORDS = re.compile(
    r"\b(?:thu (?:hai|ba|tu|nam|sau|bay)|chu nhat|hom (?:qua|nay|kia)|sang nay|chieu nay|toi qua|dem qua|"
    r"tuan (?:truoc|qua|nay|toi)|thang (?:truoc|qua|nay|toi)|nam (?:ngoai|nay|qua|toi)|(?:19|20)\d{2})\b"
)
_REASON_WORDS = re.compile(r"\b(?:vi|do|boi|nho|nham|de|because|due to|since|ly do|nguyen nhan|bởi vì)\b")
_ACRONYM = re.compile(r"\b[A-ZĐ]{2,}[A-Z0-9Đ&]*\b")


_ASKS_WHEN = re.compile(r"\W*(?:(?:and|but|so|then|since|until|till)\W+)?$")  # "When …", "And when …", "Since when …"


def asked_kind(question: str) -> str | None:
    """The kind of fact a question asks for, or None (a description, a list, a yes/no question…)."""
    text = fold(question).lower()
    found = [(kind, m) for kind, pattern in _ASKS if (m := pattern.search(text))]
    if not found:
        return "number" if counted_noun(question) else None  # "có mấy loa"
    kind, m = found[0]
    if kind == "date" and m.group(0) == "when" and not _ASKS_WHEN.match(text[: m.start()]):
        # "How old was she when …?", "What happens when …?": "when" joins a clause
        return next((k for k, other in found[1:] if other.start() < m.start()), None)
    return kind


# A figure after these words labels a thing ("đợt 1", "Chỉ thị 16", "quận 7"): not a quantity. Ordinals
# ("thứ 3", "hạng 5") stay quantities: "xếp thứ bao nhiêu" asks them.
_LABELS = tuple(w for w in _NOT_AMOUNT if w not in ("thứ", "lần thứ", "hạng", "top", "vòng"))


def _figures(sentence: str) -> bool:
    """Whether a sentence holds a figure that may be a quantity: not a date or year, not part of a
    name ("Covid-19", "G7"), not a label ("đợt 1")."""
    text = _DATE.sub(" ", sentence)
    return any(not _ends_with(_before(text, m.start(), 2), _LABELS) for m in _NUMBER.finditer(text))


def sentence_kinds(sentence: str) -> set[str]:
    """The kinds of fact a sentence gives: those `find_answers` finds, and more loosely any year or
    day word ("date"), any figure that may be a quantity ("number", `_figures`), a run of two or
    more capitalised words ("name", a person or a place), an acronym ("organization") or a reason
    word ("reason")."""
    kinds = {kind for kind, *_ in find_answers(sentence)}
    folded = fold(sentence).lower()
    if _DATE_WORDS.search(folded):
        kinds.add("date")
    if _figures(sentence):
        kinds.add("number")
    if any(len(sentence[a:b].split()) >= 2 for a, b in name_runs(sentence)):
        kinds.add("name")
    if _ACRONYM.search(sentence):
        kinds.add("organization")
    if _REASON_WORDS.search(folded):
        kinds.add("reason")
    return kinds


def kind_fit(asked: str | None, kinds: set[str]) -> float:
    """+1 when a sentence gives the kind of fact asked, -1 when it does not, 0 when nothing in
    particular is asked; a name without a title counts half for a person or a place."""
    if asked is None:
        return 0.0
    if asked in kinds:
        return 1.0
    if asked in ("person", "place", "organization") and "name" in kinds:
        return 0.5
    if asked == "name" and kinds & {"name", "person", "place", "organization"}:
        return 1.0
    return -1.0


FACTOID_KINDS = ("number", "date", "person", "place", "organization", "name")


# ---- countries a sentence names -----------------------------------------------------------------
@cache
def _countries() -> re.Pattern:
    """The Vietnamese names of countries and territories in the Unicode CLDR ("Singapore", "Úc", "Hàn
    Quốc"), longest first (`babel`, as `qa.question.translation.place_names` reads them)."""
    from babel import Locale

    names = {n for n in Locale("vi").territories.values() if n[:1].isupper() and "(" not in n}
    names.add("Mỹ")  # the CLDR writes "Hoa Kỳ"; news writes "Mỹ" as often
    alternatives = "|".join(map(re.escape, sorted(names, key=len, reverse=True)))
    return re.compile(r"(?<!\w)(?:" + alternatives + r")(?!\w)")


def names_country(question: str, sentence: str) -> bool:
    """Whether `sentence` names a country or territory that `question` does not ("Indonesia cũng đề nghị
    Singapore và Australia hỗ trợ" for "Indonesia đã đề nghị những quốc gia nào …?"): its Vietnamese
    name, not first in the sentence and standing alone, not part of a longer name ("Tuấn Anh", "Minh
    Đức")."""
    asked = " " + " ".join(words(question)) + " "
    for m in _countries().finditer(sentence):
        before, after = sentence[: m.start()].split()[-1:], sentence[m.end() :].split()[:1]
        if not before or any(w[:1].isupper() for w in before + after):
            continue
        if " " + " ".join(words(m.group(0))) + " " not in asked:
            return True
    return False


# ---- a question asking for a name or a day -----------------------------------------------------
# "Người chủ cũ … tên là gì?", "What is the name of …?": its answer names someone or something the
# question does not ("đặt tên gì theo Tesla" asks what was named after a name: not one). "… năm
# nào?", "On what date …?": its answer writes a year, a day or a month ("khi nào" may be answered
# with a clause, "khi hệ thống miễn dịch hoạt động kém": not one). On folded text.
_ASKS_NAME = re.compile(r"(?<!\bdat )\bten (?:la )?gi\b|\bwhat (?:is|was|are|were) the names? (?:and \w+ )?of\b")
_ASKS_CALENDAR = re.compile(r"\b(?:nam|ngay|thang) nao\b|\b(?:what|which) (?:year|date|day|month)\b")
_GIVES_CALENDAR = re.compile(
    r"\b\d{3,4}\b|\b\d{1,2}/\d{1,2}\b|\b(?:ngay|thang|nam|the ky) \d|\bnam (?:nay|ngoai|truoc|sau|qua|ay|do)\b"
    r"|\bhom (?:nay|qua|kia)\b|\bthu (?:hai|ba|tu|nam|sau|bay)\b|\bchu nhat\b|\btoday\b|\byesterday\b"
    r"|\b(?:january|february|march|april|may|june|july|august|september|october|november|december)\b"
)


# In a sentence about a plan, a year the plan runs to is no date of an event: "đến năm 2035", "tầm nhìn
# đến năm 2050", "thời kỳ 2021-2030" (folded), unless the question asks about a plan ("mục tiêu", "đến
# năm nào"); "một cuộc chiến kéo dài đến năm 1279" is no plan.
_PLAN = re.compile(r"\b(?:quy hoach|ke hoach|muc tieu|tam nhin|chien luoc|de an|du kien|lo trinh)\b")
_HORIZON = re.compile(
    r"\b(?:tam nhin )?(?:den|toi) (?:nam )?\d{4}\b|\b(?:thoi ky|giai doan|nhiem ky) \d{4}\s*[-–]\s*\d{4}\b"
)
_ASKS_PLAN = re.compile(
    r"\b(?:den|toi) (?:nam )?nao\b|\bmuc tieu\b|\bdu kien\b|\bke hoach\b|\bquy hoach\b|\btam nhin\b|\bse\b"
    r"|\b(?:by|until) (?:what|which) year\b|\bplan|\btarget|\bgoal|\bwill\b"
)


# A birth date identifies a person, it dates no event: "Cà Thị Út (sinh năm 1996, …)", "anh N.V.K (SN
# 1990)", "born in 1856", unless the question asks about a birth ("sinh năm nào", "ra đời", "born").
_BIRTH = re.compile(
    r"(?<!\w)(?:(?:sinh|born)\s+(?:năm|ngày|tháng|in|on)\s+(?:\d{1,2}[/.-]){0,2}\d{2,4}|(?:sinh|SN)\s*(?:19|20)\d{2}|SN\s*\d{2})"
    r"(?!\w)",
    re.IGNORECASE,
)
_ASKS_BIRTH = re.compile(r"\b(?:sinh|ra doi|chao doi|born|birth)\b")


def without_birth_dates(question: str) -> Callable[[str], str]:
    """Reads `question` once; gives a sentence with its birth dates blanked out (offsets kept), or as it
    is when `question` asks about a birth."""
    if _ASKS_BIRTH.search(fold(question).lower()):
        return lambda sentence: sentence
    return lambda sentence: _BIRTH.sub(lambda m: " " * len(m.group(0)), sentence)


# A period a figure is counted over: "9 tháng đầu năm", "6 tháng", "quý I", "quý 3"; "the first 9 months",
# "the third quarter", "cả năm" (folded); not a date ("ngày 30 tháng 4", "30 tháng 4").
_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "first": 1, "second": 2, "third": 3, "fourth": 4}
_PERIOD = re.compile(
    r"(?<!ngay )\b(\d{1,2}|" + "|".join(EN_NUMBER_WORDS) + r") (?:thang|months)\b(?! \d)"
    r"|\bquy (iv|i{1,3}|[1-4])\b|\b(first|second|third|fourth) quarter\b|\b(ca nam|full year|whole year)\b"
)


def periods(text: str) -> set[tuple[str, int]]:
    """The periods of months or quarters `text` names: ("months", 9) for "9 tháng đầu năm" or "the first
    nine months", ("months", 12) for "cả năm" or "the full year", ("quarter", 1) for "quý I" or "the
    first quarter"."""
    found = set()
    for m in _PERIOD.finditer(fold(text).lower()):
        if m.group(4):  # "cả năm", "the full year"
            found.add(("months", 12))
        elif m.group(1):
            n = m.group(1)
            found.add(("months", int(n) if n.isdigit() else EN_NUMBER_WORDS[n]))
        else:
            q = m.group(2) or m.group(3)
            found.add(("quarter", int(q) if q.isdigit() else _QUARTERS[q]))
    return found


def missing_fact(question: str, sentence: str) -> str | None:
    """The fact a question asks for that `sentence` does not give: "name" when the question asks
    for a name and the sentence names nothing the question does not (`names_new`), "date" when it
    asks for a year, a day or a month and the sentence writes none, "period" when it asks a quantity
    over a period of months or a quarter ("GRDP 9 tháng đầu năm tăng bao nhiêu?") and the sentence
    gives another period and not that one ("GRDP 6 tháng đầu năm ước tăng 2,65%": another figure);
    None otherwise."""
    asked = fold(question).lower()
    wanted = periods(question) if asked_kind(question) == "number" else set()
    given_periods = periods(sentence) if wanted else set()
    if given_periods and not wanted & given_periods:
        return "period"
    if _ASKS_NAME.search(asked) and not names_new(question, sentence):
        return "name"
    if _ASKS_CALENDAR.search(asked):
        given = fold(without_birth_dates(question)(sentence)).lower()
        if _PLAN.search(given) and not _ASKS_PLAN.search(asked):
            given = _HORIZON.sub(" ", given)
        if not _GIVES_CALENDAR.search(given):
            return "date"
    return None


def names_new(question: str, sentence: str) -> bool:
    """Whether `sentence` names someone or something `question` does not: a run of capitalised
    words after its first word (`name_runs`) that the question lacks, written with a lower-case
    letter ("Rihanna", not a unit or a currency such as "USD")."""
    asked = " " + " ".join(words(question)) + " "
    runs = (sentence[a:b] for a, b in name_runs(sentence))
    return any(" " + " ".join(words(run)) + " " not in asked for run in runs if any(c.islower() for c in run))


# ---- the noun a "how many" question counts -----------------------------------------------------
# "có bao nhiêu em đoạt huy chương" counts "em", "có mấy loa" counts "loa": its answer writes a figure
# of that noun ("25 em", "2 loa"), not one the question already gives ("4 khe loa"). On folded text;
# "mấy" typed without diacritics ("may") is read as it after a verb ("co may loa"; "may bay" is a plane).
_COUNTS_WITH = re.compile(r"\b(?:bao nhiêu|mấy)\s+(\w+(?:-\w+)*)", re.IGNORECASE)
_COUNTS_WITHOUT = re.compile(r"\b(?:bao nhieu|(?:co|la|duoc|gom|mat|het|con|chi) may)\s+(\w+(?:-\w+)*)")
# a count in words (folded): "hai em", "không có hiệp ước nào"
_COUNT_WORDS = r"\b(?:mot|hai|ba|bon|tu|nam|sau|bay|tam|chin|muoi|khong co|duy nhat)"
_NOT_COUNTED = frozenset(
    "la trong khi va cua thi so o tai de vao nua khong the duoc da se voi tu den ma nhi vay a".split()
)


def counted_noun(question: str) -> str | None:
    """The noun a Vietnamese "how many" question counts, folded ("bao nhiêu em" -> "em"), or None."""
    if has_diacritics(question):
        m = _COUNTS_WITH.search(normalize(question))
    else:
        m = _COUNTS_WITHOUT.search(fold(question).lower())
    noun = fold(m.group(1)).lower() if m else None
    return noun if noun and noun not in _NOT_COUNTED and not noun.isdigit() else None


def counts_noun(sentence: str, noun: str, question: str) -> bool:
    """Whether `sentence` writes a count of `noun` that `question` does not give (`noun_counts`)."""
    return bool(noun_counts(sentence, noun, question))


def noun_counts(sentence: str, noun: str, question: str, reach: int = 0) -> list[tuple[int, int]]:
    """The counts of `noun` that `sentence` writes (offsets into it) with a figure, a range or a number
    word `question` does not give: "25 em", "2 loa", "4 khe loa" (at most one word between),
    "100-150 loài", "5 xy-lanh"; the one followed by the question's next word first ("25 em đoạt huy
    chương" before "27 em tham gia" for "bao nhiêu em đoạt huy chương"). A count takes that word in too
    when it ends by `reach` (the reader's phrase: "374 công ty", where the reader marks the whole noun;
    the syllables of a noun are words of their own)."""
    given = set(FIGURE.findall(question)) | set(words(question))
    figure = FIG + r"(?:\s*[-–]\s*" + FIG + ")?"
    pattern = r"(?<![\w.,/-])(" + figure + "|" + _COUNT_WORDS + r")" + MULT + r"(?:\s+\w+)?\s+" + re.escape(noun)
    folded = fold_aligned(sentence).lower()
    after = re.search(r"(?<![\w-])" + re.escape(noun) + r"(\s+\w+)", fold(question).lower())
    counts = []
    for m in re.finditer(pattern + r"(?![\w-])", folded):
        if m.group(1) in given:
            continue
        end = m.end()
        followed = bool(after) and re.match(re.escape(after.group(1)) + r"(?![\w-])", folded[end:]) is not None
        if followed and end + len(after.group(1)) <= reach:
            end += len(after.group(1))
        counts.append((not followed, m.start(), end))
    return [(a, b) for _, a, b in sorted(counts)]
