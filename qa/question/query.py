"""A question, analysed once: what it says after normalisation, its language, what restricts the
search. Retrieval and the answerer read the same `Query`; nothing analyses the question again."""

from dataclasses import dataclass, field

from ingest.normalize import normalize, words
from ingest.store import Key
from qa.question.language import is_english, question_language, without_diacritics


@dataclass
class Filters:
    """Restrict retrieval to some articles and/or a date range (yyyymmdd ints, inclusive)."""

    article_ids: list[str] = field(default_factory=list)
    day_from: int = 0
    day_to: int = 0

    def where(self) -> dict | None:
        clauses = []
        if self.article_ids:
            clauses.append({Key.ARTICLE_ID: {"$in": list(self.article_ids)}})
        if self.day_from:
            clauses.append({Key.DAY: {"$gte": self.day_from}})
        if self.day_to:
            clauses.append({Key.DAY: {"$lte": self.day_to}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def allows(self, meta: dict) -> bool:
        if self.article_ids and meta.get(Key.ARTICLE_ID) not in self.article_ids:
            return False
        day = int(meta.get(Key.DAY, 0) or 0)
        if self.day_from and day < self.day_from:
            return False
        if self.day_to and (not day or day > self.day_to):
            return False
        return True


@dataclass(frozen=True)
class Query:
    question: str  # as asked
    searched: str  # what is searched: the question, or a follow-up joined with the question before it
    text: str  # the searched text normalised as the passages were (NFC, one tone-mark placement)
    words: tuple[str, ...]  # its folded syllables
    language: str  # "vi" or "en": the language of the question as asked, to answer (or refuse) in
    english: bool  # the searched text reads as English (retrieval weighs BM25 less)
    without_diacritics: bool  # Vietnamese typed without diacritics (retrieval weighs BM25 more)
    filters: Filters = field(default_factory=Filters)


def analyse(question: str, searched: str = "", filters: Filters | None = None) -> Query:
    """The Query of a question (and of what is searched for it, when that differs)."""
    searched = searched or question
    return Query(
        question=question,
        searched=searched,
        text=normalize(searched),
        words=tuple(words(searched)),
        language=question_language(question),
        english=is_english(searched),
        without_diacritics=without_diacritics(searched),
        filters=filters or Filters(),
    )
