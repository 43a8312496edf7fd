"""Checking one generated sentence against the passages it cites, before it is shown as verified.

A sentence the language model wrote (`qa.generation.llm`) is verified when all three checks pass, in order
(the first that fails is the `reason`):

1. **citations**: it cites at least one passage, and every [n] it cites is one of the passages the
   model was given;
2. **facts**: every number, date and name in it occurs in the passages it cites, compared after
   normalisation:
   - numbers in Vietnamese and English notation are the same value: "1,9 tỷ USD" = "1.9 billion
     USD" = "1,900 million"; "8,7%" = "8.7 percent"; a separator that may be either a decimal mark
     or a thousands separator ("1.900") counts both ways; English number words ("two", "nine")
     and Vietnamese ones in the passage ("hai") count as their value;
   - dates: "15/11/2025", "ngày 15 tháng 11 năm 2025", "November 15, 2025", "15 Nov 2025" are the
     same day; a date without a year matches any year, one without a day the month;
   - names: capitalised words, compared without case or diacritics ("Bui Thanh Son" = "Bùi Thanh
     Sơn"). A name is checked when it looks Vietnamese (diacritics, or every word a Vietnamese
     syllable) or is an acronym; other capitalised words (an English translation such as
     "Ministry of Foreign Affairs") are left to check 3. A capitalised first word of the sentence
     may be an ordinary word: the name is also accepted without it;
3. **support**: the trained reader (`qa.answering.reader`), reading the sentence as the question, finds in
   the cited passages a sentence that answers it with probability at least `threshold` (by
   default the reader's own answerability threshold). That sentence is the claim's evidence,
   highlighted in the source.

Nothing here names an article, a person or a place: the rules are about notation only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ingest.normalize import fold, has_diacritics, normalize, words
from qa.question.language import EN_FUNCTION_WORDS
from qa.retrieval.retriever import Hit

# ---- numbers -------------------------------------------------------------------------------
_SCALE_WORDS = {
    "tỷ": 1e9,
    "tỉ": 1e9,
    "billion": 1e9,
    "billions": 1e9,
    "bn": 1e9,
    "triệu": 1e6,
    "million": 1e6,
    "millions": 1e6,
    "mn": 1e6,
    "nghìn": 1e3,
    "ngàn": 1e3,
    "thousand": 1e3,
    "thousands": 1e3,
    "vạn": 1e4,
}
_NUMBER = re.compile(
    r"(?<![\w.,])(\d+(?:[.,]\d+)*)(?![\w])(?:\s*(" + "|".join(sorted(_SCALE_WORDS, key=len, reverse=True)) + r")\b)?",
    re.IGNORECASE,
)
EN_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
    if i >= 2  # "one" is mostly "one of", not a figure
}
EN_NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "dozen": 12})
VI_NUMBER_WORDS = {
    "một": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "tư": 4,
    "năm": 5,
    "sáu": 6,
    "bảy": 7,
    "tám": 8,
    "chín": 9,
    "mười": 10,
    "trăm": 100,
}


def _key(value: float) -> float:
    return float(f"{value:.9g}")


def number_values(token: str) -> set[float]:
    """Every value a written number may mean: "1,9" -> {1.9}; "1.900" -> {1.9, 1900}; "1.234.567" ->
    {1234567}; "2,5.5"... (both marks: the last one is the decimal mark)."""
    marks = re.findall(r"[.,]", token)
    groups = re.split(r"[.,]", token)
    if not marks:
        return {float(token)}
    if len(set(marks)) == 2:
        at = max(token.rfind("."), token.rfind(","))
        return {float(re.sub(r"[.,]", "", token[:at]) + "." + token[at + 1 :])}
    values = set()
    if len(marks) == 1:
        values.add(float(groups[0] + "." + groups[1]))
    if 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]):
        values.add(float("".join(groups)))
    return values


@dataclass(frozen=True)
class Figure:
    """A number as written (`text`), its possible values, and the scale word after it (1 if none)."""

    text: str
    values: frozenset[float]
    scale: float = 1.0


def figures(text: str) -> list[Figure]:
    """The numbers in `text`, with a scale word when one follows ("1,9 tỷ", "1.9 billion")."""
    out = []
    for m in _NUMBER.finditer(text):
        scale = _SCALE_WORDS.get((m.group(2) or "").lower(), 1.0)
        out.append(Figure(m.group(0), frozenset(number_values(m.group(1))), scale))
    return out


def number_words(text: str, table: dict[str, int]) -> list[Figure]:
    return [Figure(w, frozenset({float(table[w])})) for w in re.findall(r"\w+", text.lower()) if w in table]


# ---- dates ---------------------------------------------------------------------------------
MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for name in names
}
_MONTH = "(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b\.?"
_DATE_PATTERNS = [  # (pattern, which groups are day, month, year)
    (re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b"), ("d", "m", "y")),
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), ("y", "m", "d")),
    (re.compile(r"\bngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})(?:\s+năm\s+(\d{4}))?", re.IGNORECASE), ("d", "m", "y")),
    (re.compile(r"\btháng\s+(\d{1,2})(?:\s*(?:/|năm)\s*(\d{4}))", re.IGNORECASE), ("m", "y")),
    (re.compile(r"\b(\d{1,2})/(\d{1,2})\b(?![/.]\d)"), ("d", "m")),
    (re.compile(r"\b(\d{1,2})/(\d{4})\b"), ("m", "y")),
    (re.compile(r"\b" + _MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4}))?", re.IGNORECASE), ("M", "d", "y")),
    (
        re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"(?:,?\s+(\d{4}))?", re.IGNORECASE),
        ("d", "M", "y"),
    ),
    (re.compile(r"\b" + _MONTH + r",?\s+(\d{4})\b", re.IGNORECASE), ("M", "y")),
]


@dataclass(frozen=True)
class Day:
    """A date as written: day and year 0 when not given."""

    text: str
    day: int
    month: int
    year: int


def dates(text: str) -> tuple[list[Day], str]:
    """The dates in `text`, and the text with them blanked out (so their parts are not read again as numbers)."""
    found: list[Day] = []
    for pattern, roles in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            parts = dict.fromkeys("dmy", 0)
            for role, value in zip(roles, m.groups()):
                if value is None:
                    continue
                if role == "M":
                    parts["m"] = MONTHS[value.lower()]
                else:
                    parts[role] = int(value)
            if parts["d"] and parts["m"] > 12 and parts["d"] <= 12:  # written month first (US style)
                parts["d"], parts["m"] = parts["m"], parts["d"]
            if not 1 <= parts["m"] <= 12 or parts["d"] > 31:
                continue
            found.append(Day(m.group(0), parts["d"], parts["m"], parts["y"]))
            text = text[: m.start()] + " " * (m.end() - m.start()) + text[m.end() :]
    return found, text


def same_day(claim: Day, passage: Day, passage_numbers: set[float]) -> bool:
    if claim.month != passage.month or (claim.day and claim.day != passage.day):
        return False
    return not claim.year or claim.year == passage.year or (not passage.year and float(claim.year) in passage_numbers)


# ---- names ---------------------------------------------------------------------------------
_NAME_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_VI_SYLLABLE = re.compile(
    r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?"
    r"(uye|uya|uyu|oai|oay|oao|oeo|uai|uay|uoi|uou|ieu|yeu|uau|"
    r"ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|oo|ua|ue|ui|uo|uu|uy|ye|a|e|i|o|u|y)"
    r"(ng|nh|ch|[cmnpt])?$"
)
NOT_CHECKED = frozenset({"usd", "vnd", "us", "eur", "uk", "ok"})  # currency and common codes


def looks_vietnamese(word: str) -> bool:
    """Whether a word is spelt like a Vietnamese syllable ("Quang", "Ngai", "Nguyen"; not "Ministry")."""
    return has_diacritics(word) or bool(_VI_SYLLABLE.match(fold(word)))


def names(text: str) -> list[tuple[str, bool]]:
    """Runs of capitalised words (name, whether it starts the sentence)."""
    out: list[tuple[str, bool]] = []
    run: list[re.Match] = []
    first = None
    for m in _NAME_WORD.finditer(text):
        first = m if first is None else first
        word = m.group(0)
        joined = run and text[run[-1].end() : m.start()].strip() == ""
        if word[0].isupper() and (joined or not run):
            run.append(m)
            continue
        if run:
            out.append(_name(text, run, run[0] is first))
        run = [m] if word[0].isupper() else []
    if run:
        out.append(_name(text, run, run[0] is first))
    return out


def _name(text: str, run: list[re.Match], initial: bool) -> tuple[str, bool]:
    name = text[run[0].start() : run[-1].end()]
    return re.sub(r"['’]s$", "", name), initial


def _phrase(text: str) -> str:
    return " " + " ".join(words(text)) + " "


def _checked_segments(parts: list[str]) -> list[str]:
    """The parts of a run of capitalised words that must be in the passage: acronyms, and runs of
    words spelt like Vietnamese syllables ("Bui Thanh Son" in "Foreign Minister Bui Thanh Son")."""
    segments, run = [], []
    for word in parts + [""]:
        if word and all(looks_vietnamese(p) for p in word.split("-") if p):
            run.append(word)
            continue
        if run:
            segments.append(" ".join(run))
            run = []
        if len(word) >= 2 and word.isupper() and word.isalpha() and word.lower() not in NOT_CHECKED:
            segments.append(word)
    return segments


def name_problem(name: str, initial: bool, passage: str) -> str | None:
    """The part of a name that must be in `passage` (a `_phrase`) and is not; None when none is missing.
    A run that starts the sentence may start with an ordinary capitalised word: it is also tried without it."""
    parts = name.split()
    if initial:
        options = [parts[1:]] if parts[0].lower() in EN_FUNCTION_WORDS else [parts, parts[1:]]
    else:
        options = [parts]
    missing = None
    for option in options:
        if not option or _phrase(" ".join(option)) in passage:
            return None
        absent = [s for s in _checked_segments(option) if _phrase(s) not in passage]
        if not absent:
            return None
        missing = absent[0]
    return missing


# ---- the verifier --------------------------------------------------------------------------
@dataclass
class Verdict:
    verified: bool
    reason: str = ""
    evidence: tuple[int, int] | None = None  # (hit index, sentence index) of the supporting sentence
    support: float | None = None  # the reader's probability that the evidence supports it
    also: list[tuple[int, int]] = field(default_factory=list)  # supporting sentences of its other cited passages


def cited_list(numbers: list[int]) -> str:
    return ", ".join(f"[{n}]" for n in numbers)


def fact_problem(sentence: str, passages: list[str]) -> str | None:
    """Why a number, date or name of `sentence` is not in `passages` (None when each one is)."""
    text = normalize(" ".join(passages))
    claim = normalize(sentence)
    passage_dates, _ = dates(text)
    passage_figures = figures(text) + number_words(text, VI_NUMBER_WORDS) + number_words(text, EN_NUMBER_WORDS)
    plain = {_key(v) for f in passage_figures for v in f.values}
    scaled = {_key(v * f.scale) for f in passage_figures for v in f.values}
    claim_dates, rest = dates(claim)
    for day in claim_dates:
        if not any(same_day(day, p, plain) for p in passage_dates):
            return f"the date “{day.text}” is not in"
    for figure in figures(rest) + number_words(rest, EN_NUMBER_WORDS):
        wanted = {_key(v * figure.scale) for v in figure.values}
        ok = wanted & scaled if figure.scale != 1.0 else ({_key(v) for v in figure.values} & (plain | scaled))
        if not ok:
            return f"the figure “{figure.text}” is not in"
    phrase = _phrase(text)
    for name, initial in names(claim):
        missing = name_problem(name, initial, phrase)
        if missing:
            return f"the name “{missing}” is not in"
    return None


class Verifier:
    """Checks generated sentences against the retrieved passages (`hits`, numbered 1..len(hits))."""

    def __init__(
        self,
        reader_answerer,
        encode: Callable[[str], np.ndarray],
        cross: Callable[[str], float],
        threshold: float | None = None,
    ):
        """`reader_answerer`: a `qa.answering.reader_answerer.ReaderAnswerer` (its reader scores support; its
        threshold is the default `threshold`); `encode`: a sentence's query vector; `cross`: 0..1,
        how far a sentence's language is from the articles' (as for questions)."""
        self.reader_answerer = reader_answerer
        self.encode = encode
        self.cross = cross
        self._threshold = threshold

    @property
    def threshold(self) -> float:
        return self._threshold if self._threshold is not None else self.reader_answerer.threshold

    def check(self, sentence: str, cited: list[int], hits: list[Hit]) -> Verdict:
        if not cited:
            return Verdict(False, "it cites no passage")
        outside = [n for n in cited if not 1 <= n <= len(hits)]
        if outside:
            given = f"{len(hits)} passage" + ("" if len(hits) == 1 else "s")
            return Verdict(False, f"it cites {cited_list(outside)}, but only {given} were given")
        numbers = sorted(set(cited))
        chosen = [hits[n - 1] for n in numbers]
        problem = fact_problem(sentence, [h.text for h in chosen])
        where = "the cited passage" + ("" if len(numbers) == 1 else "s") + " " + cited_list(numbers)
        if problem:
            return Verdict(False, f"{problem} {where}")
        evidence, support, others = self.support(sentence, chosen)
        if evidence is None:
            return Verdict(False, f"the reader could not read {where}")
        key = (numbers[evidence[0]] - 1, evidence[1])
        also = [(numbers[h] - 1, s_i) for h, s_i in others if h != evidence[0]]
        if support < self.threshold:
            return Verdict(
                False,
                f"the reader does not find it supported by {where} "
                f"(probability {support:.2f}, below {self.threshold:.2f})",
                key,
                round(support, 4),
            )
        return Verdict(True, "", key, round(support, 4), also)

    def support(self, sentence: str, hits: list[Hit]) -> tuple[tuple[int, int] | None, float, list[tuple[int, int]]]:
        """The sentence of `hits` that best supports `sentence` ((index in hits, sentence index)), the
        reader's probability that it does, and the best sentence of each passage that supports it on
        its own (probability at least the threshold)."""
        from qa.answering.reader_answerer import AnswerSettings, ReaderAnswerer

        reader = self.reader_answerer.reader
        answerer = ReaderAnswerer(AnswerSettings(passages=len(hits)), reader=reader)  # reads every cited passage
        features, _, _, _ = answerer.score(sentence, hits, self.encode(sentence))
        cross = float(np.clip(self.cross(sentence), 0.0, 1.0))
        scores, best, probability = reader.judge(features, cross)
        if best is None:
            return None, 0.0, []
        per_passage: dict[int, tuple[int, int]] = {}
        for key in sorted(scores, key=scores.get, reverse=True):
            per_passage.setdefault(key[0], key)
        others = [
            key
            for key in per_passage.values()
            if reader.answerability(scores[key], features[key][0], features[key][1], cross, features[key][3])
            >= self.threshold
        ]
        return best, probability, others
