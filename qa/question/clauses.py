"""A reason or a request is answered by a clause, not a name or a number (issue 16).

`asked_clause` says whether a question asks why (or what prompted something) or what someone asked
for; `clause` marks, in the answer's sentence, the words after its reason word ("vì", "do", "nhằm",
"because") or request verb ("đề nghị", "yêu cầu", "kêu gọi"), to the end of the sentence; without a
reason word, the cause before a result word ("A nên B"). Used by `qa.question.phrase.find_phrase`;
rules of the languages, not of any article.
"""

from __future__ import annotations

import re

from ingest.normalize import fold, words
from qa.question.kinds import asked_kind
from qa.question.roles import REQUEST_VERBS, asks_request

Span = tuple[int, int]

_REASON_EN = re.compile(r"\bwhat (?:prompted|caused|led to|made)\b|\bhow come\b")


def asked_clause(question: str) -> str | None:
    """ "reason" or "request" when the question asks why, or what someone asked for; else None."""
    text = fold(question).lower()
    if asked_kind(question) == "reason" or _REASON_EN.search(text):
        return "reason"
    if asks_request(question):
        return "request"
    return None


def only_question_words(text: str, question: str) -> bool:
    """Whether `text` is made only of the question's own words (an answer says what the question does not)."""
    return set(words(text)) <= set(words(question))


# Reason words, the causes first, then the purposes ("nhằm", "để": what something is for).
_REASON_WORDS = (
    ("bởi vì", "bởi", "vì", "do", "nhờ vào", "nhờ", "nguyên do", "nguyên nhân là", "lý do là", "because of",
     "because", "due to", "thanks to"),
    ("nhằm", "để", "in order to"),
)  # fmt: skip
# What set something off: the event after which it happened. Read after the causes for a question asking
# what prompted something ("What prompted the court to warn…?" / "… sau khi một số bệnh viện giải trình…"),
# last for other reason questions (a purpose answers "why" more often than a preceding event).
_TRIGGER_WORDS = ("sau khi", "after")
_ASKS_TRIGGER = re.compile(r"\bwhat (?:prompted|led to|triggered|sparked)\b|\b(?:dieu|su kien) gi (?:khien|dan den)\b")
# Result words: "vì vậy" is "therefore", not "because" (the first six open with a reason word).
_RESULT_WORDS = ("vì vậy", "vì thế", "do đó", "do vậy", "bởi vậy", "bởi thế", "vì lẽ đó", "nhờ vậy", "nhờ đó",
                 "thế nên", "cho nên", "vậy nên", "therefore", "as a result")  # fmt: skip
_NOT_REASON = (*_RESULT_WORDS[:6], "để rồi", "do dự")
_RESULT_OPENING = re.compile(r"^[\s\"“'‘]*(?:chính |và |nhưng )?(?:" + "|".join(_RESULT_WORDS) + r")\b", re.IGNORECASE)
_REQUEST_WORDS = (REQUEST_VERBS,)  # one tier: the request verbs of `qa.question.roles`


def clause(question: str, sentence: str) -> Span | None:
    """For a reason or a request question: the clause after the sentence's first reason word or
    request verb (the question's own verb first, when the sentence has it; causes, then purposes,
    then the event something followed, "sau khi", which comes before purposes when the question asks
    what prompted something), to the end of the sentence; None when it has none or the clause is only
    the question's words."""
    asked = asked_clause(question)
    if asked is None:
        return None
    lower = sentence.lower()
    folded = fold(question).lower()
    tiers = _REQUEST_WORDS
    if asked == "reason":
        cause, purpose = _REASON_WORDS
        tiers = (cause, _TRIGGER_WORDS, purpose) if _ASKS_TRIGGER.search(folded) else (cause, purpose, _TRIGGER_WORDS)
    own = [c for tier in tiers for c in tier if re.search(r"(?<!\w)" + re.escape(fold(c)) + r"(?!\w)", folded)]
    for group in (own, *tiers):
        found = []
        for cue in group:
            for m in re.finditer(r"(?<!\w)" + re.escape(cue) + r"(?!\w)", lower):
                if not any(lower.startswith(n, m.start()) for n in _NOT_REASON):
                    found.append((m.start(), m.end()))
        for _, end in sorted(found, key=lambda f: (f[0], -f[1])):
            rest = re.match(r"[\s,:]*(?:là\s+|rằng\s+|that\s+|to\s+)?", sentence[end:])
            a = end + rest.end()
            b = len(sentence.rstrip(" .!?…\"'”’»)"))
            if b - a >= 3 and len(sentence[a:b].split()) >= 2 and not only_question_words(sentence[a:b], question):
                return a, b
    return _cause_before_result(question, sentence) if asked == "reason" else None


def opens_with_result(sentence: str) -> bool:
    """Whether a sentence opens with a result word ("Chính vì vậy, …", "Do đó, …"): it gives a
    result of what the sentence before it says."""
    return bool(_RESULT_OPENING.match(sentence))


# "A nên B", "A khiến B": the cause before the result word (a cause is a clause, four words or more:
# "mọi người nên gọi…" is "should", not "so").
_RESULT = re.compile(r"\s+(?:nên|khiến cho|khiến|dẫn đến|làm cho)\s+", re.IGNORECASE)
_OPENING = re.compile(
    r"(?:tuy nhiên|theo đó|thế nhưng|nhưng|song|mặt khác|ngoài ra|đặc biệt|thực tế|theo [^,]{1,40})\s*,\s*",
    re.IGNORECASE,
)


def _cause_before_result(question: str, sentence: str) -> Span | None:
    """For a reason question whose sentence has no reason word: the clause before its result word
    ("…, vị trí tàu đậu cách xa bờ nên ngọn lửa…" -> "vị trí tàu đậu cách xa bờ"), its opening
    connective ("Tuy nhiên, ") left out."""
    m = _RESULT.search(sentence)
    if m is None:
        return None
    opening = _OPENING.match(sentence)
    a = opening.end() if opening else 0
    cause = sentence[a : m.start()]
    if len(cause.split()) < 4 or only_question_words(cause, question):
        return None
    return a, m.start()
