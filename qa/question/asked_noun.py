"""A question asking "<noun> nào" ("đài nào", "tờ báo nào", "tỉnh nào") asks for a name of that kind:
in the answer's sentence, the name after that noun ("talkSPORT" of "đài talkSPORT", `named_after_head`),
or the noun as the start of the name it opens ("Bảo tàng Horniman", `head_before`). Used by
`qa.question.phrase`; a rule of the language, not of any article.
"""

from __future__ import annotations

import re

from ingest.normalize import fold, fold_aligned, has_diacritics
from qa.question.clauses import only_question_words
from qa.question.in_place import NOT_NOUN
from qa.question.kinds import name_runs

Span = tuple[int, int]

_HEAD = re.compile(r"(?:^|\s)((?:\w+\s+)?\w+)\s+nào\b", re.IGNORECASE)
_HEAD_FOLDED = re.compile(r"(?:^|\s)((?:\w+\s+)?\w+)\s+nao\b")


def asked_noun(question: str, sentence: str) -> tuple[list[str], str] | None:
    """For a question asking "<noun> nào": that noun's words, and the sentence to look for it in
    (folded, offsets kept, when the question is typed without diacritics: "dao nao" finds "đảo");
    None for another question."""
    typed = has_diacritics(question)
    m = _HEAD.search(question) if typed else _HEAD_FOLDED.search(fold(question))
    if m is None:
        return None
    return m.group(1).split(), sentence if typed else fold_aligned(sentence)


def head_before(question: str, sentence: str, at: int) -> int:
    """For a question asking "<noun> nào": where that noun starts when the sentence writes it
    capitalised right before offset `at`, as part of the name ("Bảo tàng Horniman", "Định luật
    Lorentz": only its first syllable is capitalised, so the name's run starts after it); else `at`
    ("đài talkSPORT", "nhà báo Fabrizio Romano" keep the name alone)."""
    asked = asked_noun(question, sentence)
    if asked is None:
        return at
    head, searched = asked
    if len(head) > 1 and fold(head[0]).lower() in NOT_NOUN:  # "ở tỉnh nào": the noun is "tỉnh"
        head = head[1:]
    before = searched[:at]
    found = re.search(r"(?<!\w)" + re.escape(" ".join(head)) + r"\s+$", before, re.IGNORECASE)
    return found.start() if found and sentence[found.start()].isupper() else at


def named_after_head(question: str, sentence: str) -> Span | None:
    """For a question asking "<noun> nào" ("đài nào", "tờ báo nào", "tỉnh nào"): the name that
    follows that noun in the sentence ("talkSPORT" of "đài talkSPORT", "Nghệ An" of "tỉnh Nghệ
    An"), not one of the question's own names; None when the sentence has no name after the noun."""
    asked = asked_noun(question, sentence)
    if asked is None:
        return None
    head, searched = asked
    runs = name_runs(sentence)
    for noun in (" ".join(head), head[-1]) if len(head) > 1 else (head[0],):
        for found in re.finditer(r"(?<!\w)" + re.escape(noun) + r"\s+(?=\S)", searched, re.IGNORECASE):
            at = found.end()
            token = re.match(r"[\w&.-]+", sentence[at:])
            run = [y for x, y in runs if x == at]
            # a whole capitalised run (`name_runs`), or one word with capitals inside ("talkSPORT");
            # not the first syllable of a name that goes on in lower case ("Đảng Lao động")
            if not run and (token is None or not any(c.isupper() for c in token.group(0)[1:])):
                continue
            end = max(run or [at + len(token.group(0).rstrip("."))])
            if not only_question_words(sentence[at:end], question):
                return at, end
    return None
