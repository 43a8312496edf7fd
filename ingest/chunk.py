"""Split a cleaned article into sentences, then into overlapping passages with character offsets."""

import hashlib
import re
from dataclasses import dataclass

# A sentence ends at . ! ? … (possibly followed by closing quotes/brackets) when whitespace and the
# start of a new sentence follow. "2,65%", "24/10" and "1.9" never end one: no whitespace follows.
_END = re.compile(r"[.!?…]+[\"”’»)\]]*\s+(?=(\S))")
_OPENERS = '"“‘«(['
# Words that a "." follows without ending the sentence (compared lower-case, without the final "."):
# Vietnamese titles and place prefixes ("TP. Hồ Chí Minh", "PGS. TS.", "Th.S", "v.v."), English
# titles ("Mr.", "Dr.", "St.", "Jr."). Words that often end a sentence too ("etc.", "Inc.", "Co.")
# or are Vietnamese words ("gen", "sen", "cn") are left out. A single capital letter A-Z or Đ
# ("John W. Smith", "T. T. Tsui", "Nguyễn V. A.") is an initial, and so is a run of letters and
# dots ("U.S.", "e.g.", "PGS.TS."): see `_abbreviation`. "châu Á.", "nước Ý." and "30 °C." do end one.
_ABBREVIATIONS = frozenset(
    "tp ts ths th.s pgs gs bs bsck ks ncs tt q p v.v mr mrs ms dr prof st jr sr capt sgt gov vs e.g i.e".split()
)
_BEFORE_NUMBER = frozenset(("no",))  # "No. 5": an abbreviation only when a number follows
_INITIALS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZĐ")
_WORD_BEFORE = re.compile(r"(?:^|(?<=[\s\"“‘«(\[]))[\w.]+$")  # a word that starts after a space or an opener


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """A passage of an article: its text is article.text[start:end]."""

    index: int
    start: int
    end: int
    text: str
    sentences: tuple[Span, ...]  # offsets into the article text

    def id_for(self, article_id: str) -> str:
        digest = hashlib.sha1(f"{self.index}\x1f{self.text}".encode()).hexdigest()[:16]
        return f"{article_id}:{digest}"


def split_sentences(text: str) -> list[Span]:
    """Sentence spans of `text`; paragraph breaks (blank lines or newlines) always end a sentence."""
    spans: list[Span] = []
    for para in re.finditer(r"[^\n]+", text):
        base = para.start()
        line = para.group(0)
        start = 0
        for m in _END.finditer(line):
            following = m.group(1)
            if not (following[0].isupper() or following[0].isdigit() or following[0] in _OPENERS):
                continue
            word = _WORD_BEFORE.search(line, start, m.start())
            if m.group(0).strip() == "." and word and _abbreviation(word.group(0), following):
                continue
            _add(spans, line, base, start, m.end())
            start = m.end()
        _add(spans, line, base, start, len(line))
    return spans


def _abbreviation(word: str, following: str) -> bool:
    """Whether `word`, followed by "." and then `following`, is an abbreviation or an initial."""
    key = word.rstrip(".").lower()
    if key in _ABBREVIATIONS:
        return True
    if key in _BEFORE_NUMBER:
        return following[:1].isdigit()
    if word in _INITIALS:  # an initial: "John W. Smith", "T. T. Tsui"
        return True
    parts = word.rstrip(".").split(".")  # "U.S", "e.g", "PGS.TS": every part a letter or a known abbreviation
    return len(parts) > 1 and all(p.isalpha() and (len(p) == 1 or p.lower() in _ABBREVIATIONS) for p in parts)


def _add(spans: list[Span], line: str, base: int, start: int, end: int) -> None:
    segment = line[start:end]
    stripped = segment.strip()
    if not stripped:
        return
    lead = len(segment) - len(segment.lstrip())
    spans.append(Span(base + start + lead, base + start + lead + len(stripped)))


def chunk_text(text: str, max_chars: int = 1000, overlap: int = 1) -> list[Chunk]:
    """Pack consecutive sentences into passages of at most `max_chars` (one long sentence may exceed
    it), each starting with the last `overlap` sentences of the previous one."""
    sentences = split_sentences(text)
    chunks: list[Chunk] = []
    i = 0
    while i < len(sentences):
        j = i + 1
        while j < len(sentences) and sentences[j].end - sentences[i].start <= max_chars:
            j += 1
        group = sentences[i:j]
        start, end = group[0].start, group[-1].end
        chunks.append(Chunk(len(chunks), start, end, text[start:end], tuple(group)))
        if j >= len(sentences):
            break
        i = max(j - overlap, i + 1)
    return chunks
