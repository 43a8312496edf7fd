"""Text normalisation for matching Vietnamese: NFC, one tone-mark placement, accent folding.

`normalize()` keeps the length of NFC text unchanged (it only moves tone marks between the
vowels of a syllable), so offsets computed on the normalised text are valid on the display text.
"""

import re
import unicodedata
from functools import lru_cache

# Combining tone marks: grave, acute, tilde, hook above, dot below.
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
# Vowel modifiers that stay with their letter: circumflex, breve, horn.
_MODIFIERS = {"\u0302", "\u0306", "\u031b"}
_VOWELS = set("aeiouy")
_WORD = re.compile(r"\w+")
_WORD_SPLIT = re.compile(r"(\w+)")  # words at odd positions, what lies between at even ones


def _place_tone(letters: list[str], tone: str) -> int:
    """Index of the letter that carries the tone, in the traditional placement ("hòa", "thủy")."""
    base = [unicodedata.normalize("NFD", ch)[0].lower() for ch in letters]
    marked = [any(m in unicodedata.normalize("NFD", ch) for m in _MODIFIERS) for ch in letters]
    start = 0
    # "qu" and "gi" act as consonants when a vowel follows.
    if len(base) > 2 and base[0] == "q" and base[1] == "u":
        start = 2
    elif len(base) > 2 and base[0] == "g" and base[1] == "i" and base[2] in _VOWELS:
        start = 2
    vowels = [i for i in range(start, len(base)) if base[i] in _VOWELS]
    if not vowels:
        vowels = [i for i in range(len(base)) if base[i] in _VOWELS]
        if not vowels:
            return -1
    with_modifier = [i for i in vowels if marked[i]]
    if with_modifier:
        return with_modifier[-1]  # "ươ" takes the tone on "ơ"
    if len(vowels) == 1:
        return vowels[0]
    if vowels[-1] < len(base) - 1:  # closed syllable: tone on the last vowel
        return vowels[-1]
    if len(vowels) >= 3:
        return vowels[1]
    return vowels[0]


@lru_cache(maxsize=1 << 16)  # Vietnamese has a few thousand distinct syllables
def _normalize_word(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    tones = [ch for ch in decomposed if ch in _TONES]
    if len(tones) != 1:
        return word
    letters: list[str] = []
    for ch in decomposed:
        if ch in _TONES:
            continue
        if unicodedata.combining(ch) and letters:
            letters[-1] += ch
        else:
            letters.append(ch)
    target = _place_tone(letters, tones[0])
    if target < 0:
        return word
    letters[target] += tones[0]
    result = unicodedata.normalize("NFC", "".join(letters))
    return result if len(result) == len(word) else word


def normalize(text: str) -> str:
    """NFC text with one tone-mark placement, so that "hoà" and "hòa" are the same string."""
    text = unicodedata.normalize("NFC", text)
    return "".join(map(_normalize_word, _WORD_SPLIT.split(text)))


def fold(text: str) -> str:
    """Lower-case text without diacritics ("Quảng Ngãi" -> "quang ngai"), for matching typed queries."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d")


def fold_aligned(text: str) -> str:
    """`fold` one character at a time: the folded text has `text`'s offsets ("Đảo Luzon" -> "dao luzon")."""
    return "".join((fold(c) or " ")[0] for c in text)


def match_key(text: str) -> str:
    """Key for containment checks: normalised, lower-case, whitespace collapsed."""
    return " ".join(normalize(text).lower().split())


def words(text: str) -> list[str]:
    """Folded word tokens of `text`."""
    return _WORD.findall(fold(text))


def has_diacritics(text: str) -> bool:
    """True when `text` carries any Vietnamese diacritic or đ."""
    return fold(text) != text.lower()
