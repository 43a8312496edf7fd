"""Follow-up questions: turn "còn Bộ trưởng thì sao?" into a question retrieval can answer alone.

Rule-based, no model. A question that leans on the previous one (it starts with a follow-up
marker such as "còn", "vậy", "and", "what about"; it uses a pronoun such as "họ", "ông ấy",
"điều đó", "they", "it"; or it is only a few words long) is searched together with the previous
searched question: "Quảng Ngãi đề nghị gì? còn Bộ trưởng đáp lại thế nào?". A question that
stands on its own is returned unchanged.

What a follow-up asks itself (`focus`: "còn GRDP thì sao?" -> "GRDP") is what its answer must lead
with: the answerers rank the sentences against the joined question, and favour those that hold
the follow-up's own words (`qa.answering.answerer`), so that the previous answer is not given again.
"""

import re
import unicodedata
from collections.abc import Callable

from ingest.normalize import words
from qa.question.language import EN_FUNCTION_WORDS, is_word

# Openings that continue the previous question (matched on whole words at the start).
START_MARKERS = (
    # Vietnamese
    "thế còn",
    "vậy còn",
    "còn về",
    "còn",
    "vậy thì",
    "vậy",
    "thế thì",
    "thế",
    "và",
    "rồi",
    "ngoài ra",
    "bên cạnh đó",
    "cụ thể",
    "tại sao vậy",
    "the con",  # "thế còn" typed without diacritics
    # English
    "what about",
    "how about",
    "and",
    "also",
    "then",
    "so",
    "but",
    "what else",
    "anything else",
    "why is that",
)
# Openings that look like a marker but start a question of their own ("Thế nào là …?").
NOT_MARKERS = ("thế nào", "vậy nên")
# Words that point back at something said before (matched as whole words anywhere).
PRONOUNS_VI = (
    "họ",
    "ông ấy",
    "bà ấy",
    "anh ấy",
    "chị ấy",
    "ông ta",
    "bà ta",
    "người đó",
    "người này",
    "điều đó",
    "điều này",
    "việc đó",
    "việc này",
    "chuyện đó",
    "chuyện này",
    "vấn đề đó",
    "vấn đề này",
    "nội dung đó",
    "nơi đó",
    "ở đó",
    "khi đó",
    "lúc đó",
    "sau đó",
    "tỉnh này",
    "tỉnh đó",
    "bộ này",
    "đề nghị đó",
    "đề nghị này",
    "như vậy",
    "như thế",
)
PRONOUNS_EN = ("it", "its", "they", "them", "their", "he", "him", "his", "she", "her")
# "this", "that", … are pronouns only at the end of a question or before a generic noun
# ("that plan"); "the province that requested it" uses "that" as a conjunction.
DEMONSTRATIVES_EN = ("this", "that", "these", "those")
GENERIC_NOUNS_EN = (
    "one",
    "ones",
    "plan",
    "plans",
    "project",
    "projects",
    "proposal",
    "proposals",
    "request",
    "requests",
    "agreement",
    "event",
    "meeting",
    "article",
    "issue",
    "place",
    "province",
    "person",
    "minister",
    "ministry",
    "country",
    "city",
    "year",
    "time",
    "day",
)
# Closings of a follow-up that ask nothing themselves ("còn GRDP thì sao?", "and Oita too?").
END_MARKERS = (
    "thì thế nào",
    "thì như thế nào",
    "như thế nào",
    "thì ra sao",
    "thì sao",
    "thế nào",
    "ra sao",
    "nữa",
    "vậy",
    "then",
    "too",
    "as well",
)
SHORT_WORDS = 3  # a question of this many words or fewer is read as a follow-up
MAX_SEARCHED_CHARS = 600  # a searched question (follow-ups joined) never grows past this
MAX_TURNS = 20  # turns a conversation keeps (searched questions, and the chat shown)

_WORD = re.compile(r"\w+")


def contextualize(question: str, history: list[str]) -> str:
    """The question to search: the question itself, or the previous searched question + it.
    Never longer than the question itself or MAX_SEARCHED_CHARS, whichever is longer."""
    question = " ".join((question or "").split())
    previous = next((h.strip() for h in reversed(history or []) if isinstance(h, str) and h.strip()), "")
    if not question or not previous or not is_follow_up(question):
        return question
    if len(question) >= MAX_SEARCHED_CHARS // 2:  # long enough to stand alone; no room for context
        return question
    if _folded(question) in _folded(previous):  # asked again: nothing to add
        return previous[-MAX_SEARCHED_CHARS:]
    return _join(previous, question)


def focus(question: str) -> str:
    """What a follow-up asks itself: the question without its follow-up opening ("còn", "and what
    about"), its closing ("thì sao", "then") and the words that point back ("họ", "ông ấy", "it").
    "còn GRDP thì sao?" -> "GRDP"; "and when did it end?" -> "when did end". The question itself
    when it is no follow-up; "" when nothing is left."""
    text = " ".join(unicodedata.normalize("NFC", question or "").split()).strip(" ?!.…")
    if not is_follow_up(text):
        return text
    tokens = _WORD.findall(text)
    lower = [t.lower() for t in tokens]
    changed = True
    while changed and lower:
        changed = False
        for marker in sorted(START_MARKERS, key=len, reverse=True):
            m = marker.split()
            if lower[: len(m)] == m and " ".join(lower[:2]) not in NOT_MARKERS:
                tokens, lower, changed = tokens[len(m) :], lower[len(m) :], True
                break
        for marker in sorted(END_MARKERS, key=len, reverse=True):
            m = marker.split()
            if len(lower) > len(m) and lower[-len(m) :] == m:
                tokens, lower, changed = tokens[: -len(m)], lower[: -len(m)], True
                break
    pointers = {p for p in PRONOUNS_VI if " " not in p} | set(PRONOUNS_EN) | set(DEMONSTRATIVES_EN)
    drop: set[int] = set()
    for phrase in (p for p in PRONOUNS_VI if " " in p):  # two-word pointers: "ông ấy", "điều đó"
        words_ = phrase.split()
        for i in range(len(lower) - len(words_) + 1):
            if lower[i : i + len(words_)] == words_:
                drop.update(range(i, i + len(words_)))
    kept = [t for i, (t, low) in enumerate(zip(tokens, lower)) if i not in drop and low not in pointers]
    return " ".join(kept)


def focus_first(question: str, searched: str) -> str:
    """The searched text with the follow-up first: "còn GRDP thì sao? Quảng Ngãi xuất khẩu bao
    nhiêu?" for a reader that weighs the start of its question most; `searched` as it is when it
    does not end with the question (no follow-up)."""
    question, searched = " ".join((question or "").split()), " ".join((searched or "").split())
    if not question or searched == question or not searched.endswith(question):
        return searched or question
    return f"{question} {searched[: -len(question)].strip()}"


def focus_matcher(question: str, searched: str) -> Callable[[str], float]:
    """For ranking a follow-up's answer sentences: a function giving how much of the follow-up's own
    focus (`focus`) a sentence holds, 0..1: the mean of the share of its syllables (English function
    words aside) and the share of its adjacent syllable pairs ("sân nhà") found in the sentence. For
    a question asked alone (`searched` is the question) every sentence gets 0."""
    if not searched or " ".join(searched.split()) == " ".join((question or "").split()):
        return lambda text: 0.0
    syllables = words(focus(question))
    single = [w for w in dict.fromkeys(syllables) if w not in EN_FUNCTION_WORDS]
    pairs = list(dict.fromkeys(zip(syllables, syllables[1:])))
    if not single:
        return lambda text: 0.0

    def match(text: str) -> float:
        got = words(text)
        present, adjacent = set(got), set(zip(got, got[1:]))
        share = sum(w in present for w in single) / len(single)
        return (share + sum(p in adjacent for p in pairs) / len(pairs)) / 2 if pairs else share

    return match


def keep_recent(items: list, turns: int = MAX_TURNS, per_turn: int = 1) -> list:
    """The newest `turns` turns of a conversation (`per_turn` items each): what it keeps is bounded."""
    items = list(items or [])
    return items[-turns * per_turn :]


def is_follow_up(question: str) -> bool:
    """Whether a question leans on the previous one (see the module docstring)."""
    text = unicodedata.normalize("NFC", question).lower().strip()
    tokens = [t for t in _WORD.findall(text) if is_word(t)]  # "x" * 1999 makes no follow-up
    if not tokens:
        return False
    if len(tokens) <= SHORT_WORDS:
        return True
    joined = " ".join(tokens)
    if not joined.startswith(NOT_MARKERS) and any(joined == m or joined.startswith(m + " ") for m in START_MARKERS):
        return True
    padded = f" {joined} "
    if any(f" {p} " in padded for p in PRONOUNS_VI):
        return True
    if any(t in PRONOUNS_EN for t in tokens):
        return True
    for i, t in enumerate(tokens):
        if t in DEMONSTRATIVES_EN and (i == len(tokens) - 1 or tokens[i + 1] in GENERIC_NOUNS_EN):
            return True
    return False


def _join(previous: str, question: str) -> str:
    if not previous.endswith(("?", ".", "!", "…")):
        previous += "?"
    combined = f"{previous} {question}"
    if len(combined) <= MAX_SEARCHED_CHARS:
        return combined
    # Keep the newest part of the chain: drop whole sentences from the front while too long.
    room = MAX_SEARCHED_CHARS - len(question) - 1  # > 0: contextualize sends long questions alone
    parts = re.split(r"(?<=[?.!…])\s+", previous)
    while parts and len(" ".join(parts)) > room:
        parts.pop(0)
    kept = " ".join(parts) if parts else previous[-room:].lstrip()
    return f"{kept} {question}".strip()


def _folded(text: str) -> str:
    return " ".join(_WORD.findall(unicodedata.normalize("NFC", text).lower()))
