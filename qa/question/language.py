"""The language of a question, decided in one place: English, or Vietnamese (typed with or without
diacritics). A question is English when a fair share of its words are English function words
("what did Quảng Ngãi request?" is English, though it names a Vietnamese province), unless most of
its words carry Vietnamese diacritics ("The Ring of Life nằm ở thành phố nào?"), or when most of its
words could not be Vietnamese syllables at all ("What event happened 66 million years ago?": one
function word in seven; "iphone 12 pro max gia bao nhieu" stays Vietnamese)."""

import re

from ingest.normalize import fold, has_diacritics, normalize

EN_FUNCTION_WORDS = frozenset(
    "the a an of to in on for and or is are was were be been being what who whom whose which when where why "
    "how did do does done can could would should will with by from about at as it its this that these those "
    "than there their they he she his her we you i not no yes has have had".split()
)
ENGLISH_SHARE = 0.2  # of the question's words
VIETNAMESE_SHARE = 0.5  # of its words written with diacritics: Vietnamese whatever else it holds
FOREIGN_SHARE = 0.6  # of its words of letters that no Vietnamese syllable spells: English
# A Vietnamese syllable, folded: an initial consonant, one to three vowels, a final consonant.
_SYLLABLE = re.compile(r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?")
MAX_WORD_CHARS = 30  # a longer run of letters ("x" * 1999) is no word of any language we answer in
_WORD = re.compile(r"\w+")


def _tokens(question: str) -> list[str]:
    tokens = [t.strip(".,;:!?\"'()[]") for t in normalize(question).lower().split()]
    return [t for t in tokens if t]


def is_english(question: str) -> bool:
    tokens = _tokens(question)
    if not tokens or sum(has_diacritics(t) for t in tokens) / len(tokens) >= VIETNAMESE_SHARE:
        return False
    if sum(t in EN_FUNCTION_WORDS for t in tokens) / len(tokens) >= ENGLISH_SHARE:
        return True
    letters = [fold(t) for t in tokens if t.isalpha() and not has_diacritics(t)]
    foreign = sum(not spelt_vietnamese(t) for t in letters)
    return len(letters) >= 2 and foreign / len(tokens) >= FOREIGN_SHARE


def spelt_vietnamese(word: str) -> bool:
    """Whether a word could be a Vietnamese syllable ("Ai", "Khi", "Tại"; not "Turabi", "Tesla")."""
    return has_diacritics(word) or bool(_SYLLABLE.fullmatch(fold(word).lower()))


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
