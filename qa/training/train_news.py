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
from qa.question.kinds import PLACE_KINDS, PLACE_MARKERS, find_answers

# Words a question may lose without changing what it asks.
_DROPPABLE = frozenset("đã đang sẽ cũng vẫn rất được các những này đó thì là mà lại nay rằng thêm vừa mới".split())

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
