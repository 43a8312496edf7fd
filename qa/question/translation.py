"""Vietnamese words for an English question: the articles are Vietnamese, so an English question's own
words match none of theirs but names and figures. A word list (`en_vi.json`, English word ->
Vietnamese word) gives its lower-case words Vietnamese ones ("lawyer" -> "luật sư", "court" -> "tòa
án") for the lexical search and the word overlap that ranks sentences. The list is built by
`newsqa build-lexicon` (`qa.training.lexicon`) from training text alone: the embedding model's
nearest pairs, and (as shipped) a local instruct model's translations (`--translator`).
The list is a model's: it gets some common words wrong ("minister" -> "nhân viên", "river" -> "rào")
and lacks much of the news's vocabulary ("vaccine", "lockdown", "typhoon"). A short list written by hand
(`en_vi_reviewed.json`) comes first: single words, and terms of several words read in any case
("Foreign Minister" -> "bộ trưởng ngoại giao", "Prime Minister" -> "thủ tướng").
Countries, regions and the languages named after them are names the list leaves alone (capitalised) but
Vietnamese news writes in Vietnamese ("Denmark" -> "Đan Mạch", "Japanese" -> "Nhật"): their names come
from the Unicode CLDR (`babel`), `place_names`.
A period or a share written in words ("the first nine months") is read as the articles write it, in
figures ("9 tháng đầu năm"): `figures_as_digits`."""

import json
import re
from functools import cache
from pathlib import Path

from qa.question.language import EN_FUNCTION_WORDS

LEXICON = Path(__file__).with_name("en_vi.json")
REVIEWED = Path(__file__).with_name("en_vi_reviewed.json")
_LOWER_WORD = re.compile(r"\b[a-z]+\b")  # a capitalised word is a name (or a sentence's first word)


@cache
def _lexicon(path: Path = LEXICON) -> dict[str, str]:
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))["words"]


@cache
def _reviewed(path: Path = REVIEWED) -> tuple[dict[str, str], dict[str, str], re.Pattern | None]:
    """The hand-written list: its single words, its terms of several words, and the pattern that finds
    those terms in any case, longest first."""
    if not path.exists():
        return {}, {}, None
    terms = json.loads(path.read_text(encoding="utf-8"))["terms"]
    single = {k: v for k, v in terms.items() if " " not in k}
    several = {k: v for k, v in terms.items() if " " in k}
    longest_first = sorted(several, key=len, reverse=True)
    alternatives = "|".join(re.escape(term).replace("'", "['’]") for term in longest_first)  # "People’s Committee"
    pattern = re.compile(r"\b(?:" + alternatives + r")\b", re.IGNORECASE)
    return single, several, pattern if several else None


def vietnamese_words(question: str) -> list[str]:
    """The Vietnamese names of the places an English question names (`place_names`), then the
    Vietnamese words of the hand-written list's terms it holds, in any case ("Foreign Minister"), then
    those of its other lower-case content words (the hand-written list first, then the word list), in
    question order ("Which Danish lawyer is helping…" -> ["Đan Mạch", "luật sư"])."""
    names, pattern = _places()
    places = [names[m.group(0).lower()] for m in pattern.finditer(question)] if names else []
    single, several, terms = _reviewed()
    found_terms = [several[m.group(0).lower().replace("’", "'")] for m in terms.finditer(question)] if terms else []
    rest = terms.sub(" ", question) if terms else question  # a term's words are not read again alone
    lexicon = _lexicon()
    found = (single.get(w) or lexicon.get(w) for w in _LOWER_WORD.findall(rest) if w not in EN_FUNCTION_WORDS)
    return list(dict.fromkeys(w for w in [*places, *found_terms, *found] if w))


@cache
def place_names() -> dict[str, str]:
    """English name (lower case) -> Vietnamese name of the countries, regions and world regions of the
    Unicode CLDR ("denmark" -> "Đan Mạch", "southeast asia" -> "Đông Nam Á"), and of the languages
    named after one of them, as the country's short name ("japanese" -> "Nhật", of "Tiếng Nhật" and
    "Nhật Bản"); only those Vietnamese writes differently, none with a qualifier ("Myanmar (Burma)")."""
    from babel import Locale

    en, vi = Locale("en"), Locale("vi")
    names = {}
    for code, name in en.territories.items():
        local = vi.territories.get(code, "")
        if local and local.lower() != name.lower() and not any(c in name + local for c in "(),"):
            names[name.lower()] = local
    countries = " ".join(names.values()).lower()
    for code, name in en.languages.items():
        local = vi.languages.get(code, "")
        short = local[len("tiếng ") :] if local.lower().startswith("tiếng ") else ""
        if short and " " not in name and re.search(rf"\b{re.escape(short.lower())}\b", countries):
            names.setdefault(name.lower(), short)
    return names


@cache
def _places() -> tuple[dict[str, str], re.Pattern]:
    names = place_names()
    longest_first = sorted(names, key=len, reverse=True)
    return names, re.compile(r"\b(?:" + "|".join(map(re.escape, longest_first)) + r")\b", re.IGNORECASE)


EN_NUMBER_WORDS = {  # also the counts of `qa.question.shape`
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_UNITS = r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|century|centuries|percent)"
# A number word before a unit of time or "percent", one word between at most ("nine months", "two
# full years"); not a count of things ("two dynasties"), which Vietnamese news writes in words as often.
_NUMBER_BEFORE_UNIT = re.compile(
    r"\b(" + "|".join(EN_NUMBER_WORDS) + r")\b(?=\s+(?:\w+\s+)?" + _UNITS + r"\b)", re.IGNORECASE
)


def figures_as_digits(question: str) -> str:
    """An English question with the number words of its periods and shares in figures, as Vietnamese
    news writes them ("How much did exports grow in the first nine months?" -> "… the first 9 months?")."""
    return _NUMBER_BEFORE_UNIT.sub(lambda m: str(EN_NUMBER_WORDS[m.group(1).lower()]), question)
