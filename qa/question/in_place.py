"""The answer phrase where a Vietnamese question asks it: Vietnamese keeps the question word in the
place of the answer ("Bkav … đứng thứ hai ở Việt Nam sau hãng nào?" / "…, sau Vsmart."), so the
words the question writes right before its question word, found in the sentence, say where the
answer starts; the words after it, or the clause's end, say where it stops.

Used by `qa.question.phrase.find_phrase` only when its other rules mark nothing, for questions in
the articles' language. A rule of the language, not of any article.
"""

from __future__ import annotations

import re

from ingest.normalize import fold, fold_aligned
from qa.question.kinds import name_runs

Span = tuple[int, int]

_TOKEN = re.compile(r"\w+")
# Folded. Nouns a question word "gì" may follow ("điều gì", "việc gì"): part of the question word.
_CLASSIFIERS = frozenset("dieu cai viec chuyen thu".split())
# Words too frequent to place an answer alone.
_COMMON = frozenset(
    "la cua va co cho voi cac nhung mot trong o tai da se dang duoc bi thi ma de nay do ve vao".split()
)
# Words before "nào" that are not part of its noun: prepositions, plural markers.
NOT_NOUN = frozenset(
    "o tai cua cho voi tu sau truoc va la cac nhung vao thuoc trong ngoai den toi boi do nhu ma".split()
)
# Conjunctions that open the next clause: the answer stops before them.
_NEXT_CLAUSE = frozenset("de khi vi ma thi nen neu roi boi nham".split())
_STOP = re.compile(r"[,.;:!?()\"“”]|\s[-–]\s")
_LONGEST = 12  # words; a longer stretch is a clause, not an answer phrase
_LONGEST_THING = 8  # words, for "gì"
_BEFORE = 4  # question words before the question word tried as the anchor


def _tokens(text: str) -> list[tuple[str, int, int]]:
    folded = fold_aligned(text).lower()
    return [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(folded)]


def question_word(words: list[str]) -> tuple[int, int, list[str]] | None:
    """Where the question word is among a question's folded words: (start, end, the noun asked
    with "<noun> nào", which the sentence may write before the answer), for "ai", "gì", "<noun> nào"
    and "ở đâu"; None for other questions ("bao nhiêu", "như thế nào", "khi nào")."""
    for i, w in enumerate(words):
        if w == "ai":
            return i, i + 1, []
        if w == "gi":
            return (i - 1 if i and words[i - 1] in _CLASSIFIERS else i), i + 1, []
        if w == "nao" and i and words[i - 1] not in NOT_NOUN and words[i - 1] not in ("the", "cach", "khi", "luc"):
            n = 2 if i > 1 and words[i - 2] not in NOT_NOUN else 1
            return i - n, i + 1, words[i - n : i]
        if w == "dau" and i and words[i - 1] in ("o", "tai", "tu", "den", "ve", "di"):
            return i, i + 1, []
    return None


def _occurrences(words: list[str], pattern: list[str]) -> list[int]:
    n = len(pattern)
    return [i for i in range(len(words) - n + 1) if words[i : i + n] == pattern]


def _start(before: list[str], noun: list[str], words: list[str]) -> int | None:
    """The sentence word where the answer starts: after the longest run of the question's words before
    its question word that the sentence writes (two words at least, or one rarer word written once),
    the asked noun included in the answer when the sentence writes it there too."""
    for n in range(len(before), 0, -1):
        anchor = before[-n:]
        for pattern in [anchor + noun, anchor] if noun else [anchor]:
            found = _occurrences(words, pattern)
            if found and (n >= 2 or (len(found) == 1 and any(w not in _COMMON for w in pattern))):
                return found[0] + n
    return None


def in_place(question: str, sentence: str) -> Span | None:
    """The answer phrase (offsets into `sentence`) where the question's words place it, or None:
    for "ai", "<noun> nào" and "ở đâu" the name that starts within three words of the place ("sau
    Vsmart", "đổ bộ vào đảo chính Luzon"), for "gì" the words up to the question's next word, the
    next clause or punctuation (at most 8)."""
    asked = _tokens(question)
    q_words = [w for w, *_ in asked]
    at = question_word(q_words)
    if at is None:
        return None
    start, end, noun = at
    tokens = _tokens(sentence)
    words = [w for w, *_ in tokens]
    first = _start(q_words[max(0, start - _BEFORE) : start], noun, words)
    if first is None or first >= len(words):
        return None
    after = q_words[end : end + 2]
    a = tokens[first][1]
    stop = _STOP.search(sentence, a)
    b = stop.start() if stop else len(sentence)
    for j in range(first + 1, min(len(words), first + _LONGEST + 1)):
        next_word = after and words[j] == after[0] and (words[j + 1 : j + 2] == after[1:] or after[0] not in _COMMON)
        if next_word or words[j] in _NEXT_CLAUSE:
            b = min(b, tokens[j - 1][2])
            break
    else:
        if len(_TOKEN.findall(sentence[a:b])) > _LONGEST:
            return None
    text = sentence[a:b].rstrip(" ,;:")
    if not text or set(_TOKEN.findall(fold(text).lower())) <= set(q_words):
        return None  # nothing the question does not say
    if q_words[end - 1] != "gi":  # a name: to the end of the first capitalised run within three words
        near = a + len(" ".join(sentence[a:].split()[:3]))
        runs = [y for x, y in name_runs(sentence) if a <= x <= near]
        if runs:
            return a, runs[0]
        one = re.match(r"(?:\S+\s+){0,2}?([A-ZĐ][\w&.-]*\w)", sentence[a:])
        return (a, a + one.end(1)) if one else None
    return (a, a + len(text)) if len(text.split()) <= _LONGEST_THING else None
