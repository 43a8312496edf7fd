"""The language of a question, decided in one place: English, or Vietnamese (typed with or without
diacritics). A question is English when a fair share of its words are English function words
("what did Quảng Ngãi request?" is English, though it names a Vietnamese province)."""

import re

from ingest.normalize import has_diacritics, normalize

EN_FUNCTION_WORDS = frozenset(
    "the a an of to in on for and or is are was were be been being what who whom whose which when where why "
    "how did do does done can could would should will with by from about at as it its this that these those "
    "than there their they he she his her we you i not no yes has have had".split()
)
ENGLISH_SHARE = 0.2  # of the question's words
MAX_WORD_CHARS = 30  # a longer run of letters ("x" * 1999) is no word of any language we answer in
_WORD = re.compile(r"\w+")


def _tokens(question: str) -> list[str]:
    tokens = [t.strip(".,;:!?\"'()[]") for t in normalize(question).lower().split()]
    return [t for t in tokens if t]


def is_english(question: str) -> bool:
    tokens = _tokens(question)
    return bool(tokens) and sum(t in EN_FUNCTION_WORDS for t in tokens) / len(tokens) >= ENGLISH_SHARE


def question_language(question: str) -> str:
    """ "en" or "vi": the language to answer (and refuse) in."""
    return "en" if is_english(question) else "vi"


def without_diacritics(question: str) -> bool:
    """A Vietnamese question typed without diacritics ("quang ngai de nghi gi")."""
    return not is_english(question) and not has_diacritics(question)


def has_words(question: str) -> bool:
    """Whether the question holds at least one word: a run of 1-30 word characters with a letter in it."""
    return any(is_word(w) and not w.isdigit() for w in _WORD.findall(question.replace("_", " ")))


def is_word(token: str) -> bool:
    """A run of word characters short enough to be a word (see MAX_WORD_CHARS)."""
    return len(token) <= MAX_WORD_CHARS
