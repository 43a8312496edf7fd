"""Who asked whom: a question about what someone asked for ("what did Quảng Ngãi request?",
"Quảng Ngãi đề nghị Bộ Ngoại giao những gì?") is answered by a sentence in which that party makes a
request ("Quảng Ngãi mong muốn Bộ …"), not one in which another party asks something of it ("Bộ
trưởng đề nghị tỉnh … của Quảng Ngãi").

`request_matcher` reads the question once: whether it asks for a request, and the requester it
names (the capitalised words before its request verb). It then tells of a sentence `OWN` when the
named requester comes before the sentence's request verb, `OTHER` when the requester appears only
after it (someone else asks it of them), None otherwise (no request verb, an unnamed party: the
items of a directive follow its verb without one). The answerers rank with it
(`qa.answering.answerer.rank_sentences`: `OTHER` sentences lower, the lead from a passage with an
`OWN` one); `qa.question.phrase` marks the request clause.
These are rules of Vietnamese and English, not of any article.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ingest.normalize import fold, words

# The verbs of a question that asks what someone asked for (folded Vietnamese; English).
_ASK_VI = (
    r"de nghi|yeu cau|kien nghi|de xuat|keu goi|khuyen|khuyen cao|mong muon|muon|chi dao|luu y|"
    r"thuc giuc|hoi thuc|dan do|nhac nho"
)
_ASK_EN = (
    r"asks?|asked|request(?:s|ed)?|requires?|required|demand(?:s|ed)?|urge[sd]?|call(?:s|ed)? (?:on|for)|"
    r"wants?|wanted|propose[sd]?|suggest(?:s|ed)?|recommend(?:s|ed)?|advise[sd]?|advice"
)
_REQUEST_Q_VI = re.compile(r"\b(" + _ASK_VI + r")\b.*\b(?:gi|nao|ra sao|ai)\b")  # … gì, … thế nào, … nước nào
# "what did X ask…", "what measures does X want…", "which countries did X ask…" (not "what are the
# industries X wants to be known for").
_REQUEST_Q_EN = re.compile(
    r"\b(?:what|which|whom?)\s+(?:[\w'-]+\s+){0,3}?(?:did|does|do|has|have|had|will|would)\s+(?:[\w'-]+\s+){0,10}?("
    + _ASK_EN
    + r")\b"
)
_AUXILIARIES = frozenset("da cung vua se dang tung lai con van did does do has have had will would".split())
OWN, OTHER = "own", "other"

# The request verbs of an article's sentence.
REQUEST_VERBS = (
    "đề nghị", "yêu cầu", "kiến nghị", "đề xuất", "kêu gọi", "khuyên", "khuyến cáo", "mong muốn", "mong",
    "muốn", "chỉ đạo", "lưu ý", "thúc giục", "hối thúc", "dặn dò", "nhắc nhở", "tham mưu", "asked", "urged", "called on",
    "called for", "demanded", "requested", "wants",
)  # fmt: skip
_VERB = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, sorted(REQUEST_VERBS, key=len, reverse=True))) + r")(?!\w)")


def asks_request(question: str) -> bool:
    """Whether the question asks what someone asked for, wanted or advised."""
    text = fold(question).lower()
    return bool(_REQUEST_Q_VI.search(text) or _REQUEST_Q_EN.search(text))


def requester(question: str) -> list[str]:
    """The names (folded) a request question gives before its request verb: "Quảng Ngãi" in "what did
    Quảng Ngãi request?" and in "Quảng Ngãi đề nghị Bộ Ngoại giao những gì?"; [] when it names
    none or asks for no request."""
    text = fold(question).lower()
    m = _REQUEST_Q_VI.search(text) or _REQUEST_Q_EN.search(text)
    if m is None:
        return []
    verb_at = len(words(text[: m.start(1)]))  # the verb's word index (fold keeps words apart)
    tokens = re.findall(r"\w+", question)[:verb_at]
    while tokens and fold(tokens[-1]) in _AUXILIARIES:  # "Indonesia đã đề nghị", "did X ask"
        tokens.pop()
    runs, run = [], []
    for i, token in enumerate([*tokens, ""]):
        if token[:1].isupper():
            run.append(i)
            continue
        # A run of two or more capitalised words is a name, the question's first word included; one
        # capitalised word only right before the verb ("Nga kêu gọi", "Indonesia đã đề nghị"):
        # elsewhere it is more often a capitalised common noun ("Thành ủy", "Bộ trưởng").
        if len(run) >= 2 or (run and run[-1] == len(tokens) - 1):
            runs.append(" ".join(words(" ".join(tokens[j] for j in run))))
        run = []
    return runs


def _mentions(text: str, name: str) -> bool:
    """Whether folded `text` (padded with spaces) names `name`: the whole name, or for a name of three
    or more words its last two ("Akira Nishino" for "HLV Akira Nishino")."""
    parts = name.split()
    return f" {name} " in text or (len(parts) >= 3 and f" {' '.join(parts[-2:])} " in text)


def request_matcher(question: str) -> Callable[[str], str | None]:
    """Tells of a sentence whether the requester `question` names makes its request (`OWN`), is
    asked by someone else (`OTHER`), or neither (None; always None when the question asks for no
    request or names no requester)."""
    names = requester(question)
    if not names:
        return lambda sentence: None

    def role(sentence: str) -> str | None:
        m = _VERB.search(sentence.lower())
        if m is None:
            return None
        before = " " + " ".join(words(sentence[: m.start()])) + " "
        after = " " + " ".join(words(sentence[m.end() :])) + " "
        if any(_mentions(before, n) for n in names):
            return OWN
        return OTHER if any(_mentions(after, n) for n in names) else None

    return role
