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
# What else says what someone should do: an imperative or an obligation ("hãy gọi điện", "đừng …",
# "cần phải có phương án dự phòng", "should", "must").
_OBLIGATION = re.compile(r"(?<!\w)(?:hãy|đừng|cần|phải|nên|should|must|need to)(?!\w)")


# A finding "suggests" what it shows, it asks nothing: "What does a 2013 report on Nigeria suggest …?"
_FINDING_SUGGESTS = re.compile(
    r"\b(?:reports?|stud(?:y|ies)|evidence|data|research|surveys?|polls?|analys[ie]s|findings?|results?|"
    r"figures|statistics)\b.*\bsuggest(?:s|ed)?\b"
)


def asks_request(question: str) -> bool:
    """Whether the question asks what someone asked for, wanted or advised."""
    text = fold(question).lower()
    return bool(_REQUEST_Q_VI.search(text) or (_REQUEST_Q_EN.search(text) and not _FINDING_SUGGESTS.search(text)))


def makes_request(sentence: str) -> bool:
    """Whether a sentence asks, advises or obliges someone to do something: a request verb, an
    imperative or an obligation."""
    text = sentence.lower()
    return bool(_VERB.search(text) or _OBLIGATION.search(text))


def opens_with_verb(sentence: str) -> bool:
    """Whether a sentence begins with a verb (pyvi's tag): in Vietnamese, with no subject, an item of
    a directive ("Lấy mẫu xét nghiệm … đối với nhân viên …") or an imperative."""
    from qa.question.noun_phrase import tagged  # pyvi loads on first use

    words = tagged(sentence)
    return bool(words) and words[0][2] == "V"


def _around_verb(question: str) -> tuple[list[str], list[str], bool] | None:
    """A request question's words (as typed) before its request verb and after it, and whether it asks
    in English; None when it asks for no request."""
    text = fold(question).lower()
    m = _REQUEST_Q_VI.search(text)
    english = m is None
    m = m or _REQUEST_Q_EN.search(text)
    if m is None:
        return None
    tokens = re.findall(r"\w+", question)
    # word indexes of the verb and of the word after it (fold keeps words apart)
    return tokens[: len(words(text[: m.start(1)]))], tokens[len(words(text[: m.end(1)])) :], english


def requester(question: str) -> list[str]:
    """The names (folded) a request question gives before its request verb: "Quảng Ngãi" in "what did
    Quảng Ngãi request?" and in "Quảng Ngãi đề nghị Bộ Ngoại giao những gì?"; [] when it names
    none or asks for no request."""
    split = _around_verb(question)
    if split is None:
        return []
    tokens = split[0]
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


def addressee(question: str) -> list[str]:
    """The name (folded) a request question gives right after its request verb, the party asked:
    "Quảng Ngãi" in "What did the minister ask Quảng Ngãi to do?" and in "Bộ trưởng đề nghị Quảng Ngãi
    làm gì?" (two capitalised words or more; in English one is enough); [] when it names none."""
    split = _around_verb(question)
    if split is None:
        return []
    _, after, english = split
    run = []
    for token in after:
        if not token[:1].isupper():
            break
        run.append(token)
    if len(run) >= 2 or (run and english):
        return [" ".join(words(" ".join(run)))]
    return []


def request_matcher(question: str) -> Callable[[str], str | None]:
    """Tells of a sentence whether the requester `question` names makes its request (`OWN`), is
    asked by someone else or the party the question names as asked makes a request of its own
    (`OTHER`: "Quảng Ngãi mong muốn Bộ …" for "What did the minister ask Quảng Ngãi to do?"), or
    neither (None; always None when the question asks for no request or names neither party)."""
    names, asked = requester(question), addressee(question)
    if not names and not asked:
        return lambda sentence: None

    def role(sentence: str) -> str | None:
        m = _VERB.search(sentence.lower())
        if m is None:
            return None
        before = " " + " ".join(words(sentence[: m.start()])) + " "
        after = " " + " ".join(words(sentence[m.end() :])) + " "
        if any(_mentions(before, n) for n in names):
            return OWN
        if any(_mentions(after, n) for n in names) or any(_mentions(before, n) for n in asked):
            return OTHER  # someone else asks it of the requester, or the party asked makes its own request
        return None

    return role


def request_teller(question: str) -> Callable[[str], bool]:
    """Tells of a sentence whether it says what the request question asks for: the named requester's
    own request (`OWN`), or an imperative or an obligation ("hãy gọi điện", "cần phải có phương án dự
    phòng") in a sentence with no request verb of another party; when the question names no
    requester, any request verb, imperative or obligation."""
    role = request_matcher(question)
    named = bool(requester(question))

    def tells(sentence: str) -> bool:
        said = role(sentence)
        if said is not None:
            return said == OWN
        text = sentence.lower()
        verb = _VERB.search(text) is not None
        if verb and not named:
            return True
        return not verb and _OBLIGATION.search(text) is not None

    return tells
