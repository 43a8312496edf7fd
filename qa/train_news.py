"""Synthetic news questions for training the reader, made at training time from the articles of the
`train` split of the dantri corpus (`../shared/corpora/dantri-unc/splits.json`; never `validation`
or `test`). Nothing generated here is written into the repository: article text is the publisher's.

A cloze question is made from one sentence of a passage (passages and sentences come from the same
chunker the index uses, `ingest.chunk`): a phrase that answers a kind of question is found by the
patterns of Vietnamese news writing —

- a number with its unit ("25 em", "1,9 tỷ USD", "8,7%") -> "bao nhiêu" (keeping a counted noun:
  "bao nhiêu em");
- a date or period ("ngày 25/4", "sáng 24/4", "tháng 12/2019", "năm 2013") -> "ngày nào",
  "tháng nào", "năm nào", moved to the end when the sentence opens with it;
- a person's name after a title or role word ("ông Hà Thanh Quốc", "ca sĩ Lộc Hàm") -> "ai";
- a place after "tại"/"ở" ("tại Bắc Kinh") -> "ở đâu";
- an organisation's name after its kind ("tạp chí Maxim", "Bệnh viện Bạch Mai") -> "tạp chí nào";

the phrase is replaced by the question word, the clause around it is kept (reporting frames such as
"ông X cho biết" and openers such as "Ngoài ra," dropped), a few other words may be dropped, and a
share of the questions is typed without diacritics. The answer phrase is the span to find.

Each question also gives "not answered here" examples: the passages of the same article that do not
hold the answer (the same topic, the asked fact absent: what tempting questions test).
These are rules of the language and of news writing, not of any article.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from ingest.normalize import fold

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
# Words a question may lose without changing what it asks.
_DROPPABLE = frozenset("đã đang sẽ cũng vẫn rất được các những này đó thì là mà lại nay rằng thêm vừa mới".split())
# A number right after these words is a name or an address, not an amount.
_NOT_AMOUNT = (
    "số", "năm", "lớp", "khóa", "kỳ", "đợt", "quận", "phường", "bn", "tuyến", "phiên", "ngõ", "chỉ thị", "nghị định",
    "quyết định", "thông tư", "điều", "khoản", "phòng", "vòng", "covid", "top", "hạng", "thứ", "lần thứ", "nghị quyết",
)  # fmt: skip
_AMOUNT = r"(?:khoảng|gần|hơn|trên|dưới|tới|chỉ|tổng cộng|hàng|thêm|ít nhất|tối đa|lên tới)"
_NUMBER = re.compile(
    r"(?<![\w/.,-])(?:" + _AMOUNT + r"\s+)?"
    r"\d+(?:[.,]\d+)*(?:\s*-\s*\d+(?:[.,]\d+)*)?"
    r"(?:\s*%|\s+(?:tỷ|triệu|nghìn|ngàn|trăm)(?:\s+(?:tỷ|triệu|nghìn|ngàn))?)?"
    r"(?:\s+(?:đồng|usd|euro|yên|tệ|bảng)\b|\s+(?:" + "|".join(COUNTED) + r")\b)?"
    r"(?![\w/-])(?![.,]\d)",
    re.IGNORECASE,
)
# A date or period; group "core" is what the question word replaces.
_DATE = re.compile(
    r"(?<![\w/])(?P<core>(?:(?:sáng|chiều|tối|trưa|đêm|rạng sáng|hôm)\s+(?:nay\s+)?(?:ngày\s+)?|ngày\s+)?"
    r"(?:\d{1,2}/\d{1,2}(?:/(?:19|20)\d{2})?|tháng\s+\d{1,2}(?:/(?:19|20)\d{2})?|năm\s+(?:19|20)\d{2}))"
    r"(?![\w/])",
    re.IGNORECASE,
)
_OPENERS = re.compile(
    r"^(?:theo đó|ngoài ra|bên cạnh đó|trong khi đó|tuy nhiên|đặc biệt|cụ thể|trước đó|sau đó|hiện nay|"
    r"hiện tại|đồng thời|do đó|vì vậy|như vậy|thậm chí|mặt khác|trong đó|riêng|còn|nhưng|và|thông thường)\s*,?\s+",
    re.IGNORECASE,
)
_REPORTING = re.compile(
    r"^.{2,60}?\s(?:cho biết|cho hay|chia sẻ|khẳng định|nhấn mạnh|tiết lộ|thông báo)\s*(?:rằng|là|:)?\s*,?\s+",
    re.IGNORECASE,
)
MAX_WORDS = 24


@dataclass
class Cloze:
    """A question made from a sentence: `answer` is (start, end) of the answer phrase in the passage text."""

    question: str
    kind: str  # number, date, person, place, organization
    sentence: int  # index of the sentence in the passage
    answer: tuple[int, int]


def _capital(word: str) -> bool:
    w = word.strip("\"“”'‘’«»()[],.;:!?")
    return bool(w) and w[0].isupper() and any(c.isalpha() for c in w)


_CONNECTORS = ("and", "of", "&", "de", "la", "-")
_AFTER_NAME = frozenset("và cũng đã là để với có sẽ đang thì nhưng nơi vừa mới được bị cho từ khi vì".split())


def _names(sentence: str) -> list[tuple[int, int]]:
    """Runs of capitalised words (offsets into the sentence), not starting at the first word; a run
    may hold a connector between capitalised words ("Earth and Planetary Science Letters"). A run of one
    word counts only when punctuation, the end or a function word follows it ("ở Canada và …"),
    not another word that may belong to the name ("Vương quốc Anh")."""
    tokens = [(m.start(), m.end(), m.group(0)) for m in re.finditer(r"\S+", sentence)]
    runs, i = [], 1
    while i < len(tokens):
        if not (_capital(tokens[i][2]) and tokens[i][2][0] not in '"“(‘«'):
            i += 1
            continue
        j = i
        while True:
            word = tokens[j][2]
            if word != word.rstrip(',.;:!?)”"’»'):
                break
            if j + 1 < len(tokens) and _capital(tokens[j + 1][2]) and tokens[j + 1][2][0] not in '"“(‘«':
                j += 1
            elif j + 2 < len(tokens) and tokens[j + 1][2].lower() in _CONNECTORS and _capital(tokens[j + 2][2]):
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
        if _ends_with(_before(sentence, a, 2), _NOT_AMOUNT) or _capital(
            sentence[b:].split(" ", 2)[1:2] and sentence[b:].split()[0] or ""
        ):
            continue
        if not re.search(r"\d", text) or re.fullmatch(r"\d", text.strip()):
            continue  # a lone digit is too often a list marker or part of a name
        unit = next((u for u in COUNTED if text.lower().endswith(" " + u)), "")
        word = "bao nhiêu phần trăm" if "%" in text else ("bao nhiêu " + unit) if unit else "bao nhiêu"
        found.append(("number", a, b, word))
    for a, b in _names(sentence):
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


def _clause(sentence: str, a: int, b: int) -> tuple[str, int, int]:
    """The part of the sentence around [a, b) that a question would keep: its comma-separated
    segment, with the segments before it while it is short; openers and reporting frames dropped."""
    cuts = [0] + [m.end() for m in re.finditer(r"[,;:]\s+|\s[-–]\s", sentence)] + [len(sentence) + 2]
    i = max(k for k in range(len(cuts) - 1) if cuts[k] <= a)
    j = min(k for k in range(1, len(cuts)) if cuts[k] >= b + 1) if b < len(sentence) else len(cuts) - 1
    start, end = cuts[i], min(cuts[j], len(sentence) + 2) - 2
    while i > 0 and len(sentence[start:end].split()) < 8:
        i -= 1
        start = cuts[i]
    if len(sentence[start:end].split()) < 8 and j < len(cuts) - 1:
        end = min(cuts[j + 1], len(sentence) + 2) - 2
    end = max(end, b)
    text = sentence[start:end].rstrip(" ,;:")
    a, b = a - start, b - start
    for pattern in (_OPENERS, _REPORTING, _OPENERS):
        m = pattern.match(text)
        if m and m.end() <= a:
            text, a, b = text[m.end() :], a - m.end(), b - m.end()
    return text, a, b


def make_question(sentence: str, kind: str, a: int, b: int, word: str, rng: random.Random) -> str | None:
    """The question asking for sentence[a:b], or None when what is left says too little."""
    text, a, b = _clause(sentence, a, b)
    before, after = text[:a].rstrip(), text[b:].lstrip()
    if kind == "date" and not before.strip(" ,"):  # "Ngày 25/4, Công an … bắt …" -> "Công an … bắt … vào ngày nào"
        question = after.lstrip(" ,") + " vào " + word
    elif kind == "place":  # "… ở (tỉnh) Canada và …" -> "… và … ở đâu"
        words = before.split()
        while words and (words[-1].lower() in PLACE_MARKERS or words[-1].lower() in PLACE_KINDS):
            words.pop()
        if words and words[-1].lower() == "phố" and len(words) > 1 and words[-2].lower() == "thành":
            words = words[:-2]
        core = " ".join(words)
        question = f"{core} {after}".strip(" ,") + f" ở {word}"
    elif kind == "organization" and before.lower().endswith(word.removesuffix(" nào")):
        question = f"{before[: len(before) - len(word) + 4].rstrip()} {word} {after}"
    else:
        question = f"{before} {word} {after}"
    question = re.sub(r"[\"“”'‘’«»]", "", question)
    question = re.sub(r"\s+([,.;:!?)])", r"\1", question)
    question = re.sub(r"\s+", " ", question).strip(" ,.;:!?-–…")
    words = question.split()
    if len(words) < 5:
        return None
    if len(words) > MAX_WORDS:  # keep the words nearest the question word
        at = next((i for i, w in enumerate(words) if w == word.split()[0]), 0)
        lo = max(0, min(at - MAX_WORDS // 2, len(words) - MAX_WORDS))
        words = words[lo : lo + MAX_WORDS]
    if rng.random() < 0.5:  # drop a function word or two
        droppable = [i for i, w in enumerate(words) if w.lower() in _DROPPABLE]
        for i in sorted(rng.sample(droppable, min(len(droppable), rng.randint(1, 2))), reverse=True):
            del words[i]
    question = " ".join(words)
    question = question[0].upper() + question[1:] + "?"
    if rng.random() < 0.15:  # typed without diacritics
        question = fold(question).lower().rstrip("?")
    return question


def clozes(text: str, spans: list[tuple[int, int]], rng: random.Random, per_passage: int = 2) -> list[Cloze]:
    """Up to `per_passage` cloze questions from the sentences of a passage."""
    options = []
    for s_i, (sa, sb) in enumerate(spans):
        sentence = text[sa:sb]
        if len(sentence) < 40:
            continue
        for kind, a, b, word in find_answers(sentence):
            options.append((s_i, kind, a, b, word))
    rng.shuffle(options)
    out, used = [], set()
    for s_i, kind, a, b, word in options:
        if s_i in used:
            continue
        sa = spans[s_i][0]
        question = make_question(text[sa : spans[s_i][1]], kind, a, b, word, rng)
        if question is None:
            continue
        out.append(Cloze(question, kind, s_i, (sa + a, sa + b)))
        used.add(s_i)
        if len(out) >= per_passage:
            break
    return out


def kind_swap(text: str, spans: list[tuple[int, int]], cloze: Cloze, rng: random.Random) -> str | None:
    """A question like `cloze` that asks for a kind of fact no sentence of the passage gives ("…
    vào ngày nào?" where the passage has no date, "… ở đâu?" where it names no place, "ai" for a
    number where it names no person would read badly): the passage does not answer it (tempting,
    on purpose)."""
    present = {kind for a, b in spans for kind, *_ in find_answers(text[a:b])}
    sa, sb = spans[cloze.sentence]
    sentence = text[sa:sb]
    a, b = cloze.answer[0] - sa, cloze.answer[1] - sa
    options = []
    if "date" not in present:
        options.append(("date", "ngày nào"))
    if "place" not in present:
        options.append(("place", "đâu"))
    if not options:
        return None
    kind, word = rng.choice(options)
    # the phrase stays; the question asks when or where, which the passage does not say
    text_, a2, b2 = _clause(sentence, a, b)
    if len(text_.split()) < 5:
        return None
    clause = re.sub(r"[\"“”'‘’«»]", "", text_).strip(" ,.;:!?-–…")
    question = f"{clause} {'vào' if kind == 'date' else 'ở'} {word}"
    return question[0].upper() + question[1:] + "?"


def train_articles(corpus: Path, split: str = "train") -> list[Path]:
    """The corpus files of `split` (only `train` may feed training)."""
    if split != "train":
        raise ValueError("only the train split may feed training")
    names = json.loads((corpus / "splits.json").read_text(encoding="utf-8"))[split]
    return [corpus / n for n in names]
