"""The shape of an answer, read from the question: one fact, a list, or one item of a list.

- A list question ("Bộ trưởng nêu những trọng tâm nào?", "What are the minister's six
  priorities?", "Hai trọng tâm phát triển của tỉnh là gì?") is answered with all the items, in
  the article's order; a number in the question ("six", "6", "hai") says how many to expect.
- An ordinal question ("Trọng tâm thứ ba là gì?", "What is the third priority?") is answered with
  that item of the list.
- Items are found by how news articles enumerate: sentences that open with an item marker
  ("Thứ nhất là …", "Một là …", "First, …", "Secondly …", "1.", "(2)", "b)"), in a run.

Everything is matched on folded text (no diacritics, lower case), so questions typed without
diacritics get the same shape. These are rules of the two languages, not of any article.
"""

import re
from dataclasses import dataclass

from ingest.normalize import fold
from ingest.store import Key
from qa.question.phrase import fact_kind
from qa.question.translation import EN_NUMBER_WORDS

# Number words, folded: Vietnamese (with both spellings of 4 and 7); English ones are `EN_NUMBER_WORDS`.
_VI_NUMBERS = {
    "mot": 1,
    "hai": 2,
    "ba": 3,
    "bon": 4,
    "tu": 4,
    "nam": 5,
    "sau": 6,
    "bay": 7,
    "tam": 8,
    "chin": 9,
    "muoi": 10,
}
_VI_ORDINALS = {**{k: v for k, v in _VI_NUMBERS.items() if k != "mot"}, "nhat": 1, "nhi": 2}
_EN_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
}
_ALT = "|".join

# Question cues, on folded text.
_VI_LIST = re.compile(
    r"\b(nhung|cac)\b(\s+\w+){0,6}\s+(nao|gi)\b"  # "những trọng tâm nào", "các đối tác nào", "những gì"
    r"|\b(gom|bao gom)\b(\s+nhung)?\s+gi\b"  # "gồm những gì"
    r"|\bliet ke\b"
)
_EN_LIST = re.compile(
    r"\b(what|which)\s+(are|were)\b"  # "what are the …", "which were …"
    r"|\blist\b|\bname (all|the)\b"
    r"|\b(what|which)\s+(\w+\s+)?\w+s\s+(do|does|did|are|were|will|would|can|could|has|have|had)\b"
)
_VI_ORDINAL_Q = re.compile(r"\b\w+\s+thu\s+(" + _ALT(_VI_ORDINALS) + r"|\d{1,2})\b")  # "trọng tâm thứ ba"
_EN_ORDINAL_Q = re.compile(r"\bthe\s+(" + _ALT(_EN_ORDINALS) + r"|\d{1,2}(?:st|nd|rd|th))\b")
# A count before a noun: "6 trọng tâm", "hai trọng tâm", "six priorities", "two main industries". Vietnamese
# number words only with their diacritics ("ba" three, "bà" Mrs; "năm" five or year, so never before a digit).
_VI_COUNT_WORDS = {"hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "sáu": 6, "bảy": 7, "bẩy": 7, "tám": 8, "chín": 9}
# Not a count: a period or a measure ("9 tháng đầu năm", "9 thang" without diacritics, "3 người").
_UNITS_VI = (
    r"(?!(?:giờ|phút|ngày|tuần|tháng|quý|năm|tuổi|lần|người|tỷ|triệu|nghìn"
    r"|gio|phut|ngay|tuan|thang|quy|nam|tuoi|lan|nguoi|ty|trieu|nghin)\b|\d)"
)
_VI_COUNT = re.compile(r"(?<![\w/.,-])(" + _ALT(_VI_COUNT_WORDS) + r"|\d{1,2})\s+" + _UNITS_VI + r"\w+")
_EN_COUNT = re.compile(
    r"(?<![/.,-])\b("
    + _ALT(EN_NUMBER_WORDS)
    + r"|\d{1,2})\s+(?!years?|days?|months?|times?|hours?|percent)(\w+\s+){0,2}\w+s\b"
)

# Item markers at the start of a sentence, on folded text.
_MARKERS = (
    (re.compile(r"thu\s+(" + _ALT(_VI_ORDINALS) + r")\s*(la\b|,|:)"), _VI_ORDINALS),  # "Thứ nhất là", "Thứ hai,"
    (re.compile(r"(" + _ALT(_VI_NUMBERS) + r")\s+la\b"), _VI_NUMBERS),  # "Một là", "Hai là"
    (re.compile(r"(" + _ALT(_EN_ORDINALS) + r")(ly)?\s*[,:]"), _EN_ORDINALS),  # "First,", "Secondly:"
    (re.compile(r"\(?(\d{1,2})[.)]\s"), None),  # "1. ", "2) ", "(3) "
    (re.compile(r"\(?([a-j])\)\s"), "letters"),  # "a) ", "(b) "
)
_LAST_MARKERS = re.compile(r"(cuoi cung|sau cung|finally|lastly)\s*(la\b|,|:)")


@dataclass(frozen=True)
class Shape:
    kind: str = "single"  # "single", "list" or "ordinal"
    count: int | None = None  # items a list question expects ("six priorities": 6)
    ordinal: int | None = None  # the item an ordinal question asks for (1-based)


# After the count's noun, the rest of the noun asked: "… chủ lực nào" (not "… xảy ra ngày nào")
_COUNTED_NAO = re.compile(r"(?:\s+(?!(?:ngay|nam|thang|gio|thoi diem)\b)\w+){0,5}?\s+nao\b")
_WHICH_COUNT = re.compile(r"\b(?:which|what)\s+\w$")  # "which two …" (up to the count's first letter)


def _vi_counts(text: str):
    """The Vietnamese counts of `text` (matches on its lower case): not a capitalised syllable of a
    name inside it ("Thành Cát Tư Hãn" counts no four)."""
    for m in _VI_COUNT.finditer(text.lower()):
        if m.start(1) == 0 or not text[m.start(1)].isupper():
            yield m


def question_shape(question: str) -> Shape:
    """What kind of answer the question asks for. A question word that asks for one fact ("ngày nào",
    "bao nhiêu", "bao lâu", "ở đâu", "when", "who"…, `qa.question.phrase.fact_kind`) makes a count or
    an ordinal part of what is asked about, not the answer's shape: "Vụ 4 học sinh … xảy ra ngày
    nào?", "When will the second leg kick off?" ask for one date; only a list cue ("những … nào",
    "what are") or a count of the noun asked ("hai ngành … nào", "which two countries") still asks
    for a list then."""
    text = fold(question)
    one_fact = fact_kind(question) is not None
    m = _VI_ORDINAL_Q.search(text) or _EN_ORDINAL_Q.search(text)
    if m and not one_fact:
        return Shape("ordinal", ordinal=_number(m.group(1)))
    count, counts_asked = None, False
    c = next(_vi_counts(question), None) or _EN_COUNT.search(text)
    if c:
        count = _VI_COUNT_WORDS.get(c.group(1)) or _number(c.group(1))
        # the count is of the noun asked: "hai ngành công nghiệp chủ lực nào", "which two countries"
        counts_asked = bool(_COUNTED_NAO.match(fold(c.string[c.end() :]).lower())) or bool(
            _WHICH_COUNT.search(text[: c.start() + 1].lower())
        )
    many = count is not None and count > 1 and (counts_asked or not one_fact)
    if _VI_LIST.search(text) or _EN_LIST.search(text) or many:
        return Shape("list", count=count if count and count > 1 else None)
    return Shape()


def item_number(sentence: str) -> int | None:
    """The position an item marker at the start of `sentence` gives it (1-based); 0 for "finally"
    and bullets without a number; None when the sentence opens no item."""
    text = fold(sentence.lstrip(" -•*–\"“'‘("))
    if _LAST_MARKERS.match(text):
        return 0
    for pattern, table in _MARKERS:
        m = pattern.match(text)
        if not m:
            continue
        if table is None:
            return int(m.group(1))
        if table == "letters":
            return ord(m.group(1)) - ord("a") + 1
        return table[m.group(1)]
    return None


# After a count in a sentence: its noun, then a colon or "gồm" ("4 yếu tố …, bao gồm:", "hai trọng tâm
# phát triển:", "gồm 4 chương:"); what follows is split into items at commas, semicolons and "và/hay/hoặc".
_INTRO = r"[^.;:!?\d]{1,90}?(?::|\b(?:%s)\b\s*:?)"
_INLINE_INTRO = re.compile(_INTRO % "bao gồm|gồm")
_ITEMS_INTRO = re.compile(_INTRO % "bao gồm|gồm|là")  # an answer phrase's items also after "là": "… chủ lực là a và b"
_ITEM_BREAK = re.compile(r"[,;]|\b(?:và|hay|hoặc)\b")
_NO_ITEM = " \"“”'.;"  # a stretch between breaks made only of these is no item
_QUOTED = re.compile(r"[\"“][^\"“”]*[\"”]")


def lists_inline(sentence: str, count: int | None = None) -> bool:
    """Whether `sentence` announces a number of items and lists them in itself ("Có 4 yếu tố …,
    bao gồm: a, b, c, d", "tỉnh xác định hai trọng tâm phát triển: "…" và "…""): a count of two or
    more (`count` when given) whose noun ends in a colon or "gồm", followed by at least that many items."""
    return _listed(sentence, count, _INLINE_INTRO) is not None


def inline_items(sentence: str, count: int | None = None) -> tuple[int, int] | None:
    """Where `sentence` lists the `count` items it announces (offsets into it), as `lists_inline`
    reads them or after "là" ("hai ngành công nghiệp chủ lực là lọc hóa dầu và luyện kim thép" ->
    "lọc hóa dầu và luyện kim thép"): the answer phrase of a list question. Without `count` (a list
    question that counts nothing), any count of two or more, as `lists_inline` reads it ("hai trọng
    tâm phát triển: "…" và "…""). None when it does not."""
    return _listed(sentence, count, _ITEMS_INTRO if count else _INLINE_INTRO)


_LIST_JOIN = re.compile(r"\s(?:và|hay|hoặc)\s")
SHORT_ITEM = 6  # words: an item between commas ("Max Allegri", "đeo khẩu trang nơi công cộng")
_SEPARATOR = re.compile(r",\s|;|\b(?:và|hay|hoặc)\b")  # not the comma of "1,5 triệu"


def lists_items(sentence: str, count: int) -> bool:
    """Whether `sentence` lists `count` items (three or more), announced or not: as `lists_inline` reads
    them; parted by semicolons ("cần vệ sinh nhà cửa…; vệ sinh chuồng trại…; rửa tay…; đeo khẩu
    trang…", the last part may join two with "và", "hay" or "hoặc"); or as short phrases between
    commas before a last "và/hay/hoặc" ("… là Julian Nagelsmann, Max Allegri hay Brendan Rodgers": the
    first may follow the sentence's own words)."""
    if lists_inline(sentence, count):
        return True
    if count < COUNTED_RUN_MIN:  # "a và b", "a; b": too common to be the list asked for
        return False
    body = sentence.strip().rstrip(".!…")
    if ";" in body:
        return _as_many([p for p in body.split(";") if p.strip()], count)
    joins = list(_LIST_JOIN.finditer(body))
    if not joins:
        return False
    tail = body[joins[-1].end() :]
    if ", " in tail or len(tail.split()) > SHORT_ITEM:
        return False
    items = 1  # the one after "và"
    for segment in reversed(body[: joins[-1].start()].split(", ")):
        items += 1
        if len(segment.split()) > SHORT_ITEM:  # the sentence's own words, then the first item
            break
    return items == count


_LIST_INTRO = re.compile(r"\b(?:như(?! vậy| thế)|gồm|bao gồm|là)\s+|:\s*")
LONG_ITEM = 12  # words: an item after "như" ("Chương trình uống cà phê đặc sản miễn phí")


def items_after_intro(sentence: str, count: int | None) -> tuple[int, int] | None:
    """Where `sentence` lists `count` items (three or more) after "như", "gồm", "là" or a colon, to its
    end: parted by commas, the last one or two joined by "và/hay/hoặc" ("… các hoạt động chính như Lễ
    hội Đêm trắng Ban Mê, Hội chợ Du lịch - Ẩm thực và Thương mại, Chương trình uống cà phê …"; an item
    may hold "và"). Offsets into `sentence`; None when it does not, or when `count` is none or under three."""
    if not count or count < COUNTED_RUN_MIN:
        return None
    end = len(sentence.rstrip(" .!…"))
    for intro in _LIST_INTRO.finditer(sentence, 0, end):
        parts = sentence[intro.end() : end].split(", ")
        if _as_many(parts, count) and all(0 < len(p.split()) <= LONG_ITEM for p in parts):
            return intro.end(), end
    return None


def _as_many(parts: list[str], count: int) -> bool:
    """Whether `parts` of a sentence are `count` items: as many parts, or one fewer whose last joins two
    with "và", "hay" or "hoặc"."""
    return len(parts) == count or (len(parts) == count - 1 and bool(_LIST_JOIN.search(parts[-1])))


def may_list(sentence: str, count: int) -> bool:
    """Whether `sentence` has the commas, semicolons or "và/hay/hoặc" to list `count` items at all."""
    return len(_SEPARATOR.findall(sentence.lower())) >= count - 1


def _listed(sentence: str, count: int | None, intro_pattern: re.Pattern) -> tuple[int, int] | None:
    """The span from the first to the last of the items a count in `sentence` announces, or None."""
    low = sentence.lower()
    for m in _vi_counts(sentence):
        n = _VI_COUNT_WORDS.get(m.group(1)) or _number(m.group(1))
        if n < 2 or (count is not None and n != count):
            continue
        intro = intro_pattern.match(low, m.start(1) + len(m.group(1)))
        if not intro:
            continue
        quoted = [q.span() for q in _QUOTED.finditer(low, intro.end())]  # items may hold "và" or commas
        cuts = [c for c in _ITEM_BREAK.finditer(low, intro.end()) if not any(a < c.start() < b for a, b in quoted)]
        items, at = [], intro.end()
        for cut in [*cuts, None]:
            end = cut.start() if cut else len(low)
            text = low[at:end]
            if text.strip(_NO_ITEM):
                items.append((at + len(text) - len(text.lstrip(" ")), at + len(text.rstrip(" .;"))))
            at = cut.end() if cut else end
        if len(items) >= n:
            return items[0][0], items[n - 1][1]
    return None


def enumeration(sentences: list[str], anchor: int) -> list[int]:
    """Indexes of the enumerated run of items that holds, follows or precedes sentence `anchor`
    (sentences in article order): consecutive markers 1, 2, 3… ("finally" may close it), with
    non-item sentences between items allowed up to two at a time. [] when there is no such run."""
    near = [run for run in _runs([item_number(s) for s in sentences], 1) if run[0] - 3 <= anchor <= run[-1] + 2]
    return max(near, key=len, default=[])


def cut_enumerations(hits: list) -> list[tuple[int, int]]:
    """Where the retrieved passages cut an enumeration at their edge: (hit index, -1) when a passage
    opens with an item after the first ("Thứ hai là…"), (hit index, +1) when it ends with an item
    other than "finally" (more may follow). `HybridSearch.with_neighbours` reads the chunk there."""
    cut = []
    for h_i, hit in enumerate(hits):
        if not hit.sentences:
            continue
        (a, b), (c, d) = hit.sentences[0], hit.sentences[-1]
        if (item_number(hit.text[a:b]) or 0) > 1:
            cut.append((h_i, -1))
        if item_number(hit.text[c:d]):  # 0: "finally", the run's end
            cut.append((h_i, +1))
    return cut


def _runs(numbers: list[int | None], first: int) -> list[list[int]]:
    """Every enumerated run of two or more items, as in `enumeration`, that starts at item number
    `first`; `numbers` are the sentences' item numbers (`item_number`), in article order."""
    runs = []
    for start in (i for i, n in enumerate(numbers) if n == first):
        run, expected, gap = [start], first + 1, 0
        for i in range(start + 1, len(numbers)):
            n = numbers[i]
            if n == expected or (n == 0 and len(run) >= 2):
                run.append(i)
                expected, gap = expected + 1, 0
                if n == 0:
                    break
            elif n is not None or gap >= 2:
                break
            else:
                gap += 1
        if len(run) >= 2:
            runs.append(run)
    return runs


def _number(word: str) -> int:
    word = re.sub(r"(st|nd|rd|th)$", "", word) if word[:1].isdigit() else word
    if word.isdigit():
        return int(word)
    return _VI_ORDINALS.get(word) or _VI_NUMBERS.get(word) or _EN_ORDINALS.get(word) or EN_NUMBER_WORDS.get(word) or 1


# ---- choosing the answer's sentences ---------------------------------------------------------------
SentenceKey = tuple[int, int]  # (hit index, sentence index) of a sentence of the retrieved passages


def arrange(
    shape: Shape, ranked: list[tuple[SentenceKey, float]], hits: list, max_sentences: int, margin: float
) -> list[SentenceKey]:
    """The answer's sentences, in the order they are shown, from the reader's ranking (best first;
    `ranked` is never empty):

    - one fact: the best sentence, then runners-up within `margin` of it (at most `max_sentences`);
    - an ordinal question: the item of that number in an enumeration of the best sentence's
      article, when the retrieved passages hold one; else as one fact;
    - a list question: the best sentence alone when it lists the items itself (`lists_inline`);
      else the enumerated run of items around the best sentence, in article order (all of them);
      without one, for three items or more, a run of as many items as the question
      counts ("six priorities") in the article of the best-ranked sentence that has one
      (`counted_run`); else as one fact with room for as many sentences as the question counts.
    `hits` are the retrieved passages (`.text`, `.sentences`, `.meta` with the article id and the
    passage's offset in its article)."""
    best, best_score = ranked[0]
    if shape.kind in ("ordinal", "list"):
        keys, texts = article_sentences(hits, best)
        anchor = keys.index(best) if best in keys else 0
        if shape.kind == "ordinal":
            for i, text in enumerate(texts):
                if item_number(text) == shape.ordinal and enumeration(texts, i):
                    return [keys[i]]
        elif lists_items(_text(hits, best), shape.count) if shape.count else lists_inline(_text(hits, best)):
            return [best]
        else:
            run = enumeration(texts, anchor)
            if run:
                return [keys[i] for i in run]
            if shape.count:
                counted = counted_run(hits, [key for key, _ in ranked], shape.count)
                if counted:
                    return counted
    room = max(max_sentences, shape.count or 0)
    return [key for key, score in ranked if score >= best_score - margin][:room] or [best]


COUNTED_RUN_MIN = 3  # a run of two ("Thứ nhất…, Thứ hai…") is too common to be the list asked for


def counted_run(hits: list, ranked: list[SentenceKey], count: int) -> list[SentenceKey]:
    """For a question that counts three items or more: the sentences of an enumerated run of exactly
    `count` items from the article of the best-ranked sentence (of `ranked`, best first) whose
    retrieved passages hold one; failing that, the retrieved end of such a run (items 2 to `count`
    when item 1 was not retrieved); [] when none."""
    if count < COUNTED_RUN_MIN:
        return []
    articles = {}  # article id -> its best-ranked sentence, best-ranked first
    for key in ranked:
        articles.setdefault(hits[key[0]].meta.get(Key.ARTICLE_ID), key)
    numbered = []  # (sentence keys, item numbers) of each article, best-ranked first
    for key in articles.values():
        keys, texts = article_sentences(hits, key)
        numbered.append((keys, [item_number(t) for t in texts]))
    for first in range(1, count):
        for keys, numbers in numbered:
            for run in _runs(numbers, first):
                if numbers[run[-1]] == count or (first == 1 and len(run) == count):
                    return [keys[i] for i in run]
    return []


def _text(hits: list, key: SentenceKey) -> str:
    a, b = hits[key[0]].sentences[key[1]]
    return hits[key[0]].text[a:b]


def article_sentences(hits: list, key: SentenceKey) -> tuple[list[SentenceKey], list[str]]:
    """The sentences of the retrieved passages of `key`'s article, once each (passages overlap), in
    article order: their keys and texts."""
    article = hits[key[0]].meta.get(Key.ARTICLE_ID)
    by_position: dict[int, tuple[SentenceKey, str]] = {}
    for h_i, hit in enumerate(hits):
        if hit.meta.get(Key.ARTICLE_ID) != article:
            continue
        offset = int(hit.meta.get(Key.START, 0))
        for s_i, (a, b) in enumerate(hit.sentences):
            by_position.setdefault(offset + a, ((h_i, s_i), hit.text[a:b]))
    ordered = [by_position[p] for p in sorted(by_position)]
    return [k for k, _ in ordered], [t for _, t in ordered]


def group_adjacent(keys: list[SentenceKey]) -> list[list[SentenceKey]]:
    """Consecutive answer sentences that follow each other in one passage become one group (one
    claim, one citation); the order is kept."""
    groups: list[list[SentenceKey]] = []
    for key in keys:
        last = groups[-1][-1] if groups else None
        if last is not None and last[0] == key[0] and key[1] == last[1] + 1:
            groups[-1].append(key)
        else:
            groups.append([key])
    return groups
