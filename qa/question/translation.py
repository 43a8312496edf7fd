"""Vietnamese words for an English question: the articles are Vietnamese, so an English question's own
words match none of theirs but names and figures. A word list (`en_vi.json`, English word ->
Vietnamese word) gives its lower-case words Vietnamese ones ("lawyer" -> "luật sư", "court" -> "tòa
án") for the lexical search and the word overlap that ranks sentences. The list is built by
`newsqa build-lexicon` (`qa.training.lexicon`) from the embedding model and training text alone."""

import json
import re
from functools import cache
from pathlib import Path

from qa.question.language import EN_FUNCTION_WORDS

LEXICON = Path(__file__).with_name("en_vi.json")
_LOWER_WORD = re.compile(r"\b[a-z]+\b")  # a capitalised word is a name (or a sentence's first word)


@cache
def _lexicon(path: Path = LEXICON) -> dict[str, str]:
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))["words"]


def vietnamese_words(question: str) -> list[str]:
    """The Vietnamese words of an English question's lower-case content words that the word list
    holds, in question order ("Which lawyer is helping…" -> ["luật sư"])."""
    lexicon = _lexicon()
    found = (lexicon.get(w) for w in _LOWER_WORD.findall(question) if w not in EN_FUNCTION_WORDS)
    return list(dict.fromkeys(w for w in found if w))
