"""The answer phrase: the words of the answer's sentence that say what the question asks (issue 16).

`find_phrase` starts from the phrase the trained reader marks (`qa.answering.reader`) and uses
rules of news writing, in Vietnamese with or without diacritics and in English, to check it and
finish it:

- a fact of one kind (a number, a date, a person, a place, an organisation, a name): the reader's
  phrase when it gives that kind (`phrase_fits`), else the pattern-found phrase of that kind
  (`qa.question.kinds.find_answers`, `typed_phrase`); then widened to the whole fact (`widen`): a
  name to its whole capitalised run ("Ngọc" -> "Ôn Bích Ngọc"), an organisation to the kind word
  before it ("Maxim" -> "tạp chí Maxim"), an amount to its qualifier and to the counted noun the
  question names ("50 người" -> "không quá 50 người"; "17,1" -> "17,1 bitcoin" for "bao nhiêu
  bitcoin"), a count to its ordinal ("12" -> "lần thứ 12"), a time of day to its day ("18h" ->
  "18h hôm nay"); for "<noun> nào" ("đài nào") the name after that noun in the sentence comes
  first (`qa.question.asked_noun`: "talkSPORT" of "đài talkSPORT"); a list question's phrase takes in
  the items joined to it (`coordinate`: "Bắc Kinh và Thượng Hải");
- a reason or a request is a clause, not a name or a number (`qa.question.clauses`): the words after the
  sentence's reason word ("vì", "do", "nhằm", "because") or request verb ("đề nghị", "yêu cầu",
  "kêu gọi"), to the end of the sentence; without a reason word, the cause before a result word
  ("A nên B");
- any other question ("Đơn vị cơ bản … là gì?"): the reader's phrase when short, widened to the
  noun phrase it sits in (`qa.question.noun_phrase`: "máy tính" -> "chương trình máy tính"), in the
  articles' language only (the reader answers it well: it was trained on such spans).

Everything here only marks a phrase inside a sentence already chosen; it never chooses sentences
or refuses. These are rules of the languages, not of any article.
"""

from __future__ import annotations

import re

from ingest.normalize import fold, normalize
from qa.question.asked_noun import head_before, named_after_head
from qa.question.clauses import asked_clause, clause, only_question_words
from qa.question.in_place import in_place
from qa.question.kinds import (
    FACTOID_KINDS,
    FIGURE,
    ORG_KINDS,
    PERSON_TITLES,
    PLACE_KINDS,
    PLACE_MARKERS,
    asked_kind,
    capital,
    counted_noun,
    find_answers,
    kind_fit,
    name_runs,
    noun_counts,
    sentence_kinds,
)
from qa.question.measures import asked_measure, measure_figures
from qa.question.noun_phrase import noun_phrase

Span = tuple[int, int]

# ---- what the question asks, for its phrase -------------------------------------------------------
# Titles of more than one syllable (folded) before "nào" ask for a person ("luật sư nào", "tác giả
# nghiên cứu nào"); one-syllable titles ("cô", "anh") fold into common words ("có", "anh" = brother).
_PERSON_TITLES_FOLDED = sorted({fold(t).lower() for t in PERSON_TITLES if " " in t or len(t) >= 4}, key=len)
_PERSON_NAO = re.compile(r"\b(?:" + "|".join(map(re.escape, _PERSON_TITLES_FOLDED)) + r")(?:\s+\w+){0,2}\s+nao\b")
_PERSON_WHICH = re.compile(
    r"\bwhich\s+(?:[\w'-]+\s+){0,5}(?:professor|coach|player|author|actor|actress|singer|minister|president|"
    r"official|doctor|lawyer|scientist|researcher|expert|director|spokesman|spokesperson|leader|chairman|ceo|"
    r"man|woman|person|artist|athlete|striker|goalkeeper|assistant|manager|governor|mayor|ambassador|admiral|"
    r"general|colonel|officer|commander|captain|judge|prosecutor|billionaire|businessman|businesswoman)\b"
)
_PLACE_NAO = re.compile(
    r"\b(?:dao|cang|song|nui|vinh|san bay|xa|huyen|phuong|lang|thon|duong|pho|chau luc|thu do) nao\b"
    r"|\bwhich\s+(?:port|island|river|mountain|airport|street|village|district|capital|continent|stadium|venue)\b"
)
_MEASURE = re.compile(r"\bbao (?:lau|xa|cao|sau|rong|dai|nang|to)\b")  # how long, far, high, deep…
_WHICH = re.compile(r"\b(?!the nao|cach nao)\w+ nao\b|\bwhich\b")  # not "như thế nào", "bằng cách nào": how


def fact_kind(question: str) -> str | None:
    """The kind of one fact the question asks for: `asked_kind`, plus question words that ask for one
    fact as well ("luật sư nào" a person, "đảo nào" a place, "bao lâu", "bao xa" a number)."""
    kind = asked_kind(question)
    if kind is not None:
        return kind
    text = fold(question).lower()
    if _PERSON_NAO.search(text) or _PERSON_WHICH.search(text):
        return "person"
    if _PLACE_NAO.search(text):
        return "place"
    if _MEASURE.search(text):
        return "number"
    return None


def phrase_kind(question: str) -> str | None:
    """The kind of fact whose phrase is marked: `fact_kind`, else something named when the question
    asks "which" ("đội nào", "which team"), even of several (then the phrase marks one of them)."""
    kind = fact_kind(question)
    if kind is None and _WHICH.search(fold(question).lower()):
        return "name"
    return kind


# ---- whether a phrase gives the kind asked --------------------------------------------------------
_PERCENT = re.compile(r"\b(?:phan tram|ty le|percent|percentage)\b|%")
# Dates the patterns of `find_answers` leave to a phrase: any year after "năm", a time of day, today.
_DATE_PHRASE = re.compile(
    r"\bnăm\s+\d{3,4}\b|(?<![\w/])\d{1,2}h(?:\d{2})?(?!\w)|\b(?:hôm nay|hôm qua|hôm kia|sáng nay|chiều nay|tối nay)\b",
    re.IGNORECASE,
)


# Personal pronouns: capitalised at the start of a sentence ("Chúng tôi tin rằng…"), they name no one.
_PRONOUNS = frozenset(
    "tôi|chúng tôi|chúng ta|họ|ông|bà|anh|chị|em|cô|chú|nó|mình|người ta|ông ấy|bà ấy|anh ấy|chị ấy|cô ấy|"
    "ông ta|bà ta|i|we|he|she|they".split("|")
)
# An amount in words ("hai lần", "hàng trăm người", "vài nghìn").
_NUMBER_WORD = re.compile(
    r"(?:một|hai|ba|bốn|tư|năm|sáu|bảy|tám|chín|mười|hàng|vài)\s+(?!số\b|\d)\w+"
)  # not "một số" (some), "năm 2019"


def phrase_fits(question: str, phrase: str) -> bool:
    """Whether a short answer phrase can be shown for `question`: the question asks for one fact of
    a kind (a number, a date, a person, a place, an organization, a name), the phrase gives a fact
    of that kind (a percentage when one is asked), it is more than one short word (a figure may be
    two characters), and it is not made only of the question's own words."""
    asked = phrase_kind(question)
    short = len(phrase.strip()) < (2 if re.search(r"\d", phrase) else 3)  # "8h" is a time, "An" no name
    if asked not in FACTOID_KINDS or short:
        return False
    if only_question_words(phrase, question):
        return False
    if asked == "number" and _PERCENT.search(fold(question).lower()) and "%" not in phrase:
        return False
    if asked == "number" and set(FIGURE.findall(phrase)) & set(FIGURE.findall(question)):
        return False  # the question's own figure ("50 bang" of "… among the 50 states?") is not its answer
    if asked == "date" and _DATE_PHRASE.search(phrase):
        return True
    if asked == "number" and _NUMBER_WORD.match(phrase.strip().lower()):
        return True
    kinds = sentence_kinds(phrase)
    if asked in ("person", "place", "organization", "name"):
        if normalize(phrase).strip(" ,.:;\"'“”").lower() in _PRONOUNS:
            return False
        if len(phrase.split()) <= 6:
            # a short phrase with a capitalised word names something ("số 11 phố Downing", "talkSPORT")
            kinds |= {"name"} if any(capital(w) or any(c.isupper() for c in w) for w in phrase.split()) else set()
    return kind_fit(asked, kinds) > 0


def typed_phrase(question: str, sentence: str, span: Span) -> Span | None:
    """When the reader's phrase is not of the kind asked: the phrase of that kind the patterns find in
    the sentence (`qa.question.kinds.find_answers`; for a place, an address too) that overlaps the
    reader's phrase, else the first."""
    asked = phrase_kind(question)
    found = [(a, b) for kind, a, b, _ in find_answers(sentence) if kind == asked]
    found = [f for f in found if phrase_fits(question, sentence[f[0] : f[1]])]
    if asked == "place":
        found += [f for f in addresses(sentence) if not only_question_words(sentence[f[0] : f[1]], question)]
    overlapping = [f for f in found if f[0] < span[1] and f[1] > span[0]]
    if len(overlapping) == 1:
        return overlapping[0]
    return found[0] if found else None


_PERIOD_UNITS = ("giây", "phút", "giờ", "ngày", "tuần", "tháng", "năm")
_ASKS_PERIOD = re.compile(
    r"\b(?:bao lau|how long|(?:bao nhieu|may) (?:" + "|".join(fold(u) for u in _PERIOD_UNITS) + r"))\b"
)


def one_quantity(question: str, sentence: str, span: Span) -> Span:
    """For a question asking one number, one quantity that is not the period it was counted over:
    a phrase holding one amount beside periods of time ("9 tháng đầu năm 2023 ước đạt 1,9 tỷ USD")
    is narrowed to the amount, and a period alone ("9 tháng") gives way to the sentence's next
    quantity ("1,9 tỷ USD"). A question asking a period ("bao lâu", "bao nhiêu tháng", "how long")
    gets the period."""
    if phrase_kind(question) != "number":
        return span

    # each quantity with whether it is a period: its counted noun (`find_answers`: "bao nhiêu tháng")
    numbers = [(a, b, word) for kind, a, b, word in find_answers(sentence) if kind == "number"]
    periods_at = {(a, b) for a, b, word in numbers if word.removeprefix("bao nhiêu ") in _PERIOD_UNITS}
    found = [(a, b) for a, b, _ in numbers]
    inside = [q for q in found if span[0] <= q[0] and q[1] <= span[1]]
    if _ASKS_PERIOD.search(fold(question).lower()):  # a period asked: the period, when there are several
        periods = [q for q in inside if q in periods_at]
        return periods[-1] if len(inside) >= 2 and periods else span
    amounts = [q for q in inside if q not in periods_at]
    if len(inside) >= 2:  # one amount beside periods: that amount (several amounts: kept as marked)
        return amounts[0] if len(amounts) == 1 else span
    if len(inside) == 1 and not amounts:  # the reader marked a period: the amount counted over it follows
        after = [q for q in found if q[0] >= span[1] and q not in periods_at]
        return after[0] if after else span
    return span


# ---- widening a phrase to the whole fact ----------------------------------------------------------
_QUALIFIER = re.compile(
    r"(?:không quá|không dưới|không tới|tối đa|tối thiểu|ít nhất|khoảng|gần|hơn|trên|dưới|tới|chỉ|tổng cộng|"
    r"lên tới|lên đến|hàng|chừng|xấp xỉ|about|around|nearly|almost|over|more than|less than|up to|at least)\s+$",
    re.IGNORECASE,
)
_DAY_AFTER = re.compile(
    r"\s*(?:(?:sáng|chiều|tối|trưa|đêm)\s+)?(?:hôm nay|hôm qua|hôm kia|nay|qua|mai"
    r"|(?:ngày\s+)?\d{1,2}/\d{1,2}(?:/\d{4})?)(?!\w)",
    re.IGNORECASE,
)
_ORDINAL_BEFORE = re.compile(r"(?:lần\s+)?thứ\s+$", re.IGNORECASE)  # "lần thứ 12": the 12th time
_PERIOD_BEFORE = re.compile(r"(?:đầu|cuối|giữa|trung tuần|thượng tuần|hạ tuần)\s+$", re.IGNORECASE)


# Administrative units that open a place's name in an address (compared lower-case), longest first.
_UNITS = sorted(
    {*PLACE_KINDS, "bản", "thôn", "ấp", "xóm", "buôn", "khu phố", "tổ dân phố", "tổ"}, key=lambda u: (-len(u), u)
)
_UNIT = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, _UNITS)) + r")\s+", re.IGNORECASE)
_UNIT_NUMBER = re.compile(r"\d+[A-Za-z]?\b")
_COMMA = re.compile(r"\s*,\s*")


def addresses(sentence: str) -> list[Span]:
    """Addresses in `sentence`: administrative units, each with its name or number, one after another
    ("bản Co Hói, xã Pá Khoang, thành phố Điện Biên Phủ", "thôn 3, xã Hòa Phong, TP Đà Nẵng"); two
    units at least, or one after "tại" or "ở" ("tại xã Hòa Phong")."""
    runs = dict(name_runs(sentence))

    def unit_end(at: int) -> int | None:  # where "<unit> <name or number>" starting at `at` ends
        m = _UNIT.match(sentence, at)
        if m is None:
            return None
        if runs.get(at, 0) > m.end():  # the unit opens the name: "TP Đà Nẵng"
            return runs[at]
        if m.end() in runs:
            return runs[m.end()]
        number = _UNIT_NUMBER.match(sentence, m.end())
        return number.end() if number else None

    found: list[Span] = []
    for m in _UNIT.finditer(sentence):
        if found and m.start() < found[-1][1]:
            continue
        end = unit_end(m.start())
        if end is None:
            continue
        units = 1
        while (comma := _COMMA.match(sentence, end)) and (further := unit_end(comma.end())) is not None:
            end, units = further, units + 1
        marker = any(w.lower() in PLACE_MARKERS for w in sentence[: m.start()].split()[-2:])
        if units >= 2 or marker:
            found.append((m.start(), end))
    return found


# Kinds of place a sentence writes before a name, in lower case ("cảng Sampit", "núi Walnumfjellet").
_FEATURE_BEFORE = re.compile(
    r"(?<!\w)(?:ngọn núi|dãy núi|quần đảo|bán đảo|eo biển|sân bay|sân vận động|bãi biển|thung lũng|cao nguyên"
    r"|sa mạc|cảng|đảo|sông|núi|hồ|vịnh|biển)\s+$"
)

_WHERE_AFTER = re.compile(r"\s*\([A-ZĐ][^()]{0,40}\)")
# Words after a figure that are not what it counts (folded).
_NOT_COUNTED = frozenset(
    "va cua den toi la trong duoc bi da se cho voi tu so nen thi ma khi tai o vao ra tren duoi".split()
)


def widen(question: str, sentence: str, span: Span) -> Span:
    """The phrase `span` of `sentence` widened to the whole fact of the kind asked (module docstring)."""
    a, b = span
    while a < b and sentence[a].isspace():
        a += 1
    while b > a and sentence[b - 1].isspace():
        b -= 1
    kind = phrase_kind(question)
    if kind in ("person", "place", "organization", "name"):
        for x, y in name_runs(sentence):
            if x < b and y > a:
                a, b = min(a, x), max(b, y)
    if kind in ("place", "name"):  # with the noun asked when part of the name: "Bảo tàng Horniman"
        a = head_before(question, sentence, a)
    if kind == "place":  # with the kind of place before its name: "cảng Sampit", "đảo Luzon"
        m = _FEATURE_BEFORE.search(sentence[:a])
        if m and sentence[a : a + 1].isupper():
            a = m.start()
        m = _WHERE_AFTER.match(sentence, b)  # and the larger place it names after it: "Sampit (Indonesia)"
        if m:
            b = m.end()
        # to the whole address it is part of: "bản Co Hói, xã Pá Khoang, thành phố Điện Biên Phủ"
        for x, y in addresses(sentence):
            if x < b and y > a:
                a, b = min(a, x), max(b, y)
    if kind == "organization":
        before = sentence[:a].rstrip()
        lower = before.lower()
        kind_word = next((k for k in sorted(ORG_KINDS, key=len, reverse=True) if lower.endswith(k)), None)
        if kind_word and (len(lower) == len(kind_word) or not lower[-len(kind_word) - 1].isalnum()):
            a = len(before) - len(kind_word)
    if kind == "number":
        m = _QUALIFIER.search(sentence[:a]) or _ORDINAL_BEFORE.search(sentence[:a])
        if m:
            a = m.start()
        b = _counted_noun(question, sentence, b)
        # a bare figure with the one-word noun it counts ("435" -> "435 ghế" of "435 ghế tại Hạ viện"; not
        # "1.068 nhân" of "1.068 nhân khẩu": a noun of one word is followed by punctuation or a function word)
        noun = re.match(r"\s+([^\W\d_]+)(?=\s*(?:[,.;:!?)]|$|\s(\w+)))", sentence[b:])
        if (
            noun
            and sentence[b - 1 : b].isdigit()
            and noun.group(1).islower()
            and fold(noun.group(1)) not in _NOT_COUNTED
            and (noun.group(2) is None or fold(noun.group(2)).lower() in _NOT_COUNTED)
        ):
            b += noun.end(1)
    if kind == "date":
        m = _PERIOD_BEFORE.search(sentence[:a])
        if m and re.match(r"(?:tháng|năm|tuần)\b", sentence[a:], re.IGNORECASE):
            a = m.start()
        if re.search(r"\d{1,2}h(?:\d{2})?$", sentence[a:b]):
            m = _DAY_AFTER.match(sentence, b)
            if m:
                b = m.end()
    return a, b


_AND = re.compile(r"\s*,\s*|\s+(?:và|hoặc|cùng|and|or)\s+", re.IGNORECASE)


def coordinate(question: str, sentence: str, span: Span) -> Span:
    """For a question asking several facts of one kind: `span` widened over the items joined to it
    ("Bắc Kinh" -> "Bắc Kinh và Thượng Hải", "năm 1864" -> "năm 1864 và 1867", "Ryan Mason" -> "Ryan
    Mason và Chris Powell"): names for a person, a place, an organisation or a name, figures for a
    number or a date."""
    if phrase_kind(question) in ("person", "place", "organization", "name"):
        items = name_runs(sentence)
    else:
        items = [m.span() for m in FIGURE.finditer(sentence)]
    starts = dict(items)
    ends = {y: x for x, y in items}
    a, b = span
    while True:
        m = _AND.match(sentence, b)
        if not m or m.end() not in starts:
            break
        b = starts[m.end()]
    while True:
        m = next((m for m in _AND.finditer(sentence[:a]) if m.end() == a), None)
        if not m or m.start() not in ends:
            break
        a = ends[m.start()]
    return a, b


def _counted_noun(question: str, sentence: str, end: int) -> int:
    """`end` moved past the noun the question counts ("bao nhiêu bitcoin": "17,1" -> "17,1 bitcoin")."""
    m = re.search(r"\bbao nhieu\s+(\w+)", fold(question).lower())
    if not m or fold(sentence[:end]).lower().endswith(m.group(1)):
        return end
    after = re.match(r"\s+(\w+)", sentence[end:])
    if after and fold(after.group(1)).lower() == m.group(1):
        return end + after.end(1)
    return end


# ---- the phrase --------------------------------------------------------------------------------------
def find_phrase(
    question: str, sentence: str, reader_span: Span | None, other_questions: bool = True, several: bool = False
) -> Span | None:
    """The answer phrase of `sentence` for `question` (offsets into the sentence), or None: a fact of
    one kind from the reader's phrase (`reader_span`, offsets into the sentence), checked and widened
    (`several`: a list question, over the items joined to it, `coordinate`); a
    reason or request clause; for any other question ("… là gì?", a list of things of no one kind
    "Hai ví dụ … là gì?", "which" where no name fits: "loại vai trò nào") the reader's phrase, when
    `other_questions` and it is short (at most 10 words) and not only the question's own words, widened
    to its noun phrase (`qa.question.noun_phrase`).
    When none of these marks a phrase, a question in the articles' language (`other_questions`) asking
    one thing, not why or what was asked, gets the phrase where its words place it
    (`qa.question.in_place`: "sau Vsmart" for "… sau hãng nào?"), and failing that, for a fact of one
    kind that no pattern recognises ("22.000 năm trước" for "khi nào"), the reader's short phrase."""
    span = _marked_phrase(question, sentence, reader_span, other_questions, several)
    if span is None and other_questions and not several and asked_clause(question) is None:
        span = in_place(question, sentence)
        if span is None and phrase_kind(question) in FACTOID_KINDS:
            span = _short_phrase(question, sentence, reader_span)
    return span


def _marked_phrase(
    question: str, sentence: str, reader_span: Span | None, other_questions: bool, several: bool
) -> Span | None:
    if phrase_kind(question) in FACTOID_KINDS:
        measure = None if several else asked_measure(question)
        figures = measure_figures(sentence, measure) if measure else []
        noun = None if several or measure else counted_noun(question)
        # a quantity of a measure ("dài bao nhiêu km"): the figure the sentence writes of it; a count
        # of a noun ("có mấy loa"): the count the sentence writes of it ("2 loa"), not the question's own
        figures = figures or (
            noun_counts(sentence, noun, question, reader_span[1] if reader_span else 0) if noun else []
        )
        if figures:
            marked = [(a, b) for a, b in figures if reader_span and a < reader_span[1] and b > reader_span[0]]
            return widen(question, sentence, (marked or figures)[0])
        if reader_span is None:
            return None
        span = (None if several else named_after_head(question, sentence)) or reader_span
        if not phrase_fits(question, sentence[span[0] : span[1]]):
            typed = typed_phrase(question, sentence, span)
            if typed is None:
                # "which" alone ("loại vai trò nào", "phong trào nào") asks no name: the reader's phrase
                # as for any other question ("chính trị")
                which_only = not several and fact_kind(question) is None
                return _short_phrase(question, sentence, reader_span) if which_only and other_questions else None
            span = typed
        if not several:
            span = one_quantity(question, sentence, span)
        span = widen(question, sentence, span)
        return coordinate(question, sentence, span) if several else span
    if asked_clause(question) is not None:
        return None if several else clause(question, sentence)  # one clause is not the list asked
    # a list of things of no one kind ("Hai ví dụ … là gì?") as any other question
    return _short_phrase(question, sentence, reader_span) if other_questions else None


def _short_phrase(question: str, sentence: str, reader_span: Span | None) -> Span | None:
    """The reader's phrase, when short (at most 10 words) and not only the question's own words, widened
    to the noun phrase it sits in ("Hẻm núi" -> "Hẻm núi sông Rhine": `qa.question.noun_phrase`)."""
    if reader_span is None:
        return None
    text = sentence[reader_span[0] : reader_span[1]]
    if not 1 <= len(text.split()) <= 10 or only_question_words(text, question):
        return None
    return noun_phrase(sentence, reader_span, question)
