"""The whole noun phrase around a phrase the reader marks (issue 16, the answer phrase).

The reader often marks only part of a Vietnamese noun phrase: its head noun comes first and what
qualifies it follows ("Hẻm núi" of "Hẻm núi sông Rhine", "máy tính" of "chương trình máy tính",
"Sản xuất" of "Bảo tàng Sản xuất", "1855" of "hiến pháp thuộc địa 1855", "3600" of "3600
vòng/phút"). `noun_phrase` widens such a phrase to the noun phrase it sits in, by the parts of
speech pyvi's tagger gives (a CRF trained on Vietnamese treebank text; `pyvi` on PyPI):

- to the left, over common nouns, classifiers and units, a numeral before them ("một lớp màng
  kép"), and a proper name only from a proper name ("Đảng Nhân dân …"), when the phrase itself
  opens with a noun or a capitalised word and not inside a word; not over the question's own
  lowercase words ("loại vai trò nào?" -> "chính trị", not "vai trò chính trị"), as a name's
  capitalised kind word is part of it ("Bảo tàng ban đầu được gọi là gì?" -> "Bảo tàng Sản xuất");
- to the right, over nouns, numerals and units (and "/" or "-" joining two of them: "vòng/phút"),
  from a phrase that ends with one;
- never over a function word ("của", "tại", "và", "bao gồm" …: pyvi tags some of them as nouns),
  punctuation, or past 10 words.

pyvi is imported on first use: only questions that take the reader's phrase ("… là gì?") need it.
Its two models are pickled sklearn-crfsuite objects; they are read here through python-crfsuite
alone (`_tagger`), without importing scikit-learn (0.7 s of a cold `newsqa ask`).
"""

from __future__ import annotations

import functools
import sys
import threading
import types

from ingest.normalize import fold

Span = tuple[int, int]

MAX_WORDS = 10  # a longer phrase is a clause, not what the question asks
_NOUNS = frozenset({"N", "Nc", "Nu", "Ny", "Np", "M"})  # pyvi's noun, classifier, unit, abbreviation, name, numeral
_COMMON = _NOUNS - {"Np", "M"}
_FUNCTION = frozenset(
    "từ của là và với cho tại ở về bởi theo trong ngoài trên dưới sau trước khi đến tới vào ra như do vì "
    "nhưng hay hoặc gồm bao_gồm gồm_có".split()
)
_JOINS = ("/", "-")
_LOADING = threading.Lock()


class _CRF:
    """sklearn-crfsuite's CRF as pyvi's pickles hold it, tagging with python-crfsuite."""

    def __setstate__(self, state: dict) -> None:
        import pycrfsuite

        self.model = state["modelfile"].data  # the tagger reads these bytes in place: kept alive with it
        self.tagger = pycrfsuite.Tagger()
        self.tagger.open_inmemory(self.model)
        self.lock = threading.Lock()  # one tagger, one sequence at a time (the app answers in threads)

    def predict(self, sequences: list) -> list[list[str]]:
        with self.lock:
            return [self.tagger.tag(features) for features in sequences]


class _FileResource:
    """sklearn-crfsuite's model file as pickled: the model's bytes."""

    def __setstate__(self, state: dict) -> None:
        self.data = state["__FILE_RESOURCE_DATA__"]


@functools.cache
def _tagger():
    """pyvi's word segmenter and part-of-speech tagger, its pickled models read through `_CRF` and
    `_FileResource` (installed as sklearn_crfsuite's while pyvi loads them, then taken away)."""
    shims = {
        "sklearn_crfsuite": types.ModuleType("sklearn_crfsuite"),
        "sklearn_crfsuite.estimator": types.SimpleNamespace(CRF=_CRF),
        "sklearn_crfsuite._fileresource": types.SimpleNamespace(FileResource=_FileResource),
    }
    with _LOADING:
        saved = {name: sys.modules.get(name) for name in shims}
        sys.modules.update(shims)
        try:
            from pyvi import ViPosTagger, ViTokenizer
        finally:
            for name, module in saved.items():
                if module is None:
                    sys.modules.pop(name, None)
                else:
                    sys.modules[name] = module
    return lambda text: ViPosTagger.postagging(ViTokenizer.tokenize(text))


def tagged(sentence: str) -> list[tuple[int, int, str]]:
    """pyvi's words of `sentence` as (start, end, part of speech); a word it rewrote is left out."""
    words, tags = _tagger()(sentence)
    out, at = [], 0
    for word, tag in zip(words, tags):
        syllables = word.replace("_", " ").split()
        start = end = sentence.find(syllables[0], at) if syllables else -1
        if start < 0:
            continue
        for s in syllables:
            found = sentence.find(s, end)
            if found < 0 or found - end > 1:
                start = -1
                break
            end = found + len(s)
        if start >= 0:
            out.append((start, end, tag))
            at = end
    return out


def noun_phrase(sentence: str, span: Span, question: str = "") -> Span:
    """`span` (offsets into `sentence`) widened to the noun phrase it sits in (see the module)."""
    words = tagged(sentence)
    asked = set(fold(question).split())
    inside = [k for k, (a, b, _) in enumerate(words) if a < span[1] and b > span[0]]
    if not inside:
        return span
    lo, hi = inside[0], inside[-1]

    def text(k: int) -> str:
        return sentence[words[k][0] : words[k][1]]

    def function(k: int) -> bool:
        return text(k).lower().replace(" ", "_") in _FUNCTION

    def given(k: int) -> bool:  # the question's own lowercase word
        return not text(k)[:1].isupper() and set(fold(text(k)).split()) <= asked

    def length(a: int, b: int) -> int:
        return len(sentence[words[a][0] : words[b][1]].split())

    opens_inside = words[lo][0] < span[0]
    opens_noun = not function(lo) and (words[lo][2] in _NOUNS or text(lo)[:1].isupper())
    if not opens_inside and opens_noun:
        while lo > 0 and not function(lo - 1) and not given(lo - 1) and length(lo - 1, hi) <= MAX_WORDS:
            before, first = words[lo - 1][2], words[lo][2]
            if not (before in _COMMON or (before == "M" and first in _COMMON) or (before == first == "Np")):
                break
            lo -= 1
    while hi + 1 < len(words) and words[hi][2] in _NOUNS:
        nxt = hi + 1
        if any(c in '.:;,()"“”' for c in sentence[words[hi][1] : words[nxt][0]]):
            break
        if text(nxt) in _JOINS and words[nxt][0] == words[hi][1] and nxt + 1 < len(words):
            nxt += 1  # "vòng/phút": a unit joined to the next
        if words[nxt][2] not in _NOUNS or function(nxt) or length(lo, nxt) > MAX_WORDS:
            break
        hi = nxt
    start = span[0] if opens_inside else min(words[lo][0], span[0])
    end = max(words[hi][1], span[1])
    while end > span[1] and sentence[end - 1] in ".,;:!?":
        end -= 1
    return start, end
