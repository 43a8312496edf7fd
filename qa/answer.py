"""The extractive answerer: picks the sentences of the retrieved passages that answer the question.

No LLM: every word of an answer is the article's own. Each sentence is scored by its contextual
vector (stored at ingest, see `ingest.embedder`) against the question, plus the share of the
question's content syllables it contains. The best sentences become the answer, each marked
[n] with the number of its source. When the evidence is too weak the answer says the articles
do not contain it, in the question's language, and the closest passages are shown.
"""

import re
from dataclasses import asdict, dataclass, field

from ingest.normalize import has_diacritics, words
from ingest.store import Key
from qa.retriever import Hit, Retrieval

_EN_WORDS = set(
    "the a an of to in on for and or is are was were be been what who whom whose which when where why how "
    "did do does can could would should will with by from about at as it its this that these those than "
    "there their they he she his her we you i not no yes".split()
)
# Vietnamese function words that say little about what a question is about.
_VI_STOP = set(
    "la gi nao ai bao nhieu the nao sao co khong duoc cua va cac nhung mot cho voi tu den trong tren "
    "da se dang thi ma de ve o tai nhu nay do kia ra vao".split()
)

NOT_FOUND = {
    "vi": "Các bài báo đã lập chỉ mục không trả lời câu hỏi này.",
    "en": "The indexed articles do not answer this question.",
}
CLOSEST = {"vi": "Các đoạn gần nhất được liệt kê bên dưới.", "en": "The closest passages are listed below."}


def question_language(question: str) -> str:
    """"vi" for Vietnamese (with or without diacritics), "en" otherwise."""
    if has_diacritics(question):
        return "vi"
    tokens = words(question)
    if not tokens:
        return "en"
    english = sum(t in _EN_WORDS for t in tokens)
    return "en" if english / len(tokens) >= 0.2 else "vi"


@dataclass
class Source:
    """A numbered source: the passage, where it is in its article, and what in it is cited."""

    number: int
    article_id: str
    title: str
    byline: str
    date: str
    url: str
    source: str
    text: str
    start: int
    end: int
    score: float
    highlights: list[tuple[int, int]] = field(default_factory=list)  # offsets into `text`
    chunk_id: str = ""


@dataclass
class Answer:
    """What the pipeline returns for a question."""

    question: str
    answer: str
    found: bool
    sources: list[Source]  # cited, numbered [1], [2]…
    related: list[Source] = field(default_factory=list)  # retrieved, not cited
    searched: str = ""  # the question actually searched, when it differs (follow-ups)
    language: str = "en"
    signals: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    def plain_text(self) -> str:
        """The answer with its references, for a report or an e-mail."""
        lines = [self.answer, ""]
        for s in self.sources:
            where = s.url or s.source
            meta = ", ".join(x for x in (s.byline, s.date) if x)
            lines.append(f"[{s.number}] {s.title}" + (f" ({meta})" if meta else "") + (f". {where}" if where else ""))
            for a, b in s.highlights:
                lines.append(f"    “{s.text[a:b]}”")
        return "\n".join(lines).strip()


@dataclass
class Thresholds:
    """Refusal rule, calibrated on the seed questions (see README, "Calibration")."""

    sentence: float = 0.82  # best sentence cosine below this: not answered...
    coverage: float = 0.75  # ...unless this share of the question's content syllables is in it
    relative: float = 0.97  # further sentences must score at least this share of the best
    max_sentences: int = 3


class ExtractiveAnswerer:
    def __init__(self, thresholds: Thresholds | None = None):
        self.t = thresholds or Thresholds()

    def answer(self, question: str, retrieval: Retrieval, searched: str = "") -> Answer:
        language = question_language(question)
        hits = retrieval.hits
        q = retrieval.query_vector
        content = [w for w in words(searched or question) if w not in _VI_STOP and w not in _EN_WORDS]
        candidates = []  # (score, dense, coverage, hit index, sentence index)
        for h_i, hit in enumerate(hits):
            for s_i, (a, b) in enumerate(hit.sentences):
                dense = float(hit.sentence_vectors[s_i] @ q) if s_i < len(hit.sentence_vectors) else hit.dense
                sent_words = set(words(hit.text[a:b]))
                coverage = sum(w in sent_words for w in content) / len(content) if content else 0.0
                score = dense + 0.1 * coverage * retrieval.lexical_weight + 0.02 * hit.dense
                candidates.append((score, dense, coverage, h_i, s_i))
        candidates.sort(key=lambda c: -c[0])
        best = candidates[0] if candidates else None
        signals = {
            "best_sentence": best[1] if best else 0.0,
            "best_coverage": best[2] if best else 0.0,
            "top_dense": hits[0].dense if hits else 0.0,
            "lexical_weight": retrieval.lexical_weight,
        }
        found = best is not None and (
            best[1] >= self.t.sentence or (retrieval.lexical_weight > 0.5 and best[2] >= self.t.coverage)
        )
        if not found:
            related = [self._source(h, i + 1, []) for i, h in enumerate(hits)]
            return Answer(
                question=question,
                answer=f"{NOT_FOUND[language]} {CLOSEST[language] if hits else ''}".strip(),
                found=False,
                sources=[],
                related=related,
                searched=searched if searched and searched != question else "",
                language=language,
                signals=signals,
            )

        chosen = [best]
        seen_text = {_key(hits[best[3]].text, hits[best[3]].sentences[best[4]])}
        for c in candidates[1:]:
            if len(chosen) >= self.t.max_sentences or c[0] < self.t.relative * best[0]:
                break
            key = _key(hits[c[3]].text, hits[c[3]].sentences[c[4]])
            if key in seen_text:  # the same sentence in an overlapping chunk
                continue
            seen_text.add(key)
            chosen.append(c)

        numbers: dict[int, int] = {}
        highlights: dict[int, list[tuple[int, int]]] = {}
        parts = []
        for _, _, _, h_i, s_i in chosen:
            n = numbers.setdefault(h_i, len(numbers) + 1)
            a, b = hits[h_i].sentences[s_i]
            highlights.setdefault(h_i, []).append((a, b))
            parts.append(f"{hits[h_i].text[a:b]} [{n}]")
        sources = [self._source(hits[h_i], n, sorted(highlights[h_i])) for h_i, n in numbers.items()]
        related = [self._source(h, 0, []) for i, h in enumerate(hits) if i not in numbers]
        return Answer(
            question=question,
            answer=" ".join(parts),
            found=True,
            sources=sources,
            related=related,
            searched=searched if searched and searched != question else "",
            language=language,
            signals=signals,
        )

    @staticmethod
    def _source(hit: Hit, number: int, highlights: list[tuple[int, int]]) -> Source:
        m = hit.meta
        return Source(
            number=number,
            article_id=m.get(Key.ARTICLE_ID, ""),
            title=m.get(Key.TITLE, ""),
            byline=m.get(Key.BYLINE, ""),
            date=m.get(Key.DATE, ""),
            url=m.get(Key.URL, ""),
            source=m.get(Key.SOURCE, ""),
            text=hit.text,
            start=int(m.get(Key.START, 0)),
            end=int(m.get(Key.END, 0)),
            score=round(float(hit.dense), 4),
            highlights=highlights,
            chunk_id=hit.id,
        )


def _key(text: str, span: tuple[int, int]) -> str:
    return re.sub(r"\s+", " ", text[span[0] : span[1]]).strip()

