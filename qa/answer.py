"""The extractive answerer: picks the sentences of the retrieved passages that answer the question.

No LLM: every word of an answer is the article's own. Each sentence is scored by its contextual
vector (stored at ingest, see `ingest.embedder`) against the question, plus the share of the
question's content syllables it contains. The best sentences become the answer, each marked
[n] with the number of its source. When the evidence is too weak the answer says the articles
do not contain it, in the question's language, and the closest passages are shown.
"""

import re
from dataclasses import asdict, dataclass, field

from ingest.normalize import has_diacritics, match_key, words
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
    """ "vi" for Vietnamese (with or without diacritics), "en" otherwise."""
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
    """Refusal rule, calibrated on the seed questions (README, "Calibration").

    A Vietnamese question (its syllables exist in the corpus) is answered when the best sentence
    is very close to it, or close and the passage holds most of its content syllables. A
    cross-lingual question has no lexical evidence to lean on and lower cosines overall, so it
    is answered on the sentence cosine alone, against its own threshold.
    """

    vi_dense: float = 0.86
    vi_dense_with_words: float = 0.78
    vi_coverage: float = 0.5
    cross_dense: float = 0.77
    relative: float = 0.97  # further answer sentences must score at least this share of the best
    max_sentences: int = 3


def content_words(question: str) -> list[str]:
    """Folded syllables of the question that say what it is about (function words removed)."""
    return [w for w in dict.fromkeys(words(question)) if w not in _VI_STOP and w not in _EN_WORDS]


def coverage(wanted: list[str], text: str) -> float:
    """Share of `wanted` syllables present in `text`."""
    if not wanted:
        return 0.0
    present = set(words(text))
    return sum(w in present for w in wanted) / len(wanted)


_NUMBER = re.compile(r"\d+(?:[.,/]\d+)*")


def question_names(question: str) -> list[str]:
    """Runs of capitalised words in a question, its first word excepted ("New Zealand", "Quảng Ngãi")."""
    names, run = [], []
    for i, token in enumerate(re.findall(r"\w+|[^\w\s]", question)):
        if i > 0 and token[0].isalpha() and token[0].isupper():
            run.append(token)
        else:
            if run:
                names.append(" ".join(run))
            run = []
    if run:
        names.append(" ".join(run))
    return names


def missing_names(question: str, passage: str) -> list[str]:
    """Names and numbers of the question that the passage lacks."""
    have = " " + " ".join(words(passage)) + " "
    missing = [n for n in question_names(question) if " " + " ".join(words(n)) + " " not in have]
    return missing + [n for n in _NUMBER.findall(question) if n not in passage]


class ExtractiveAnswerer:
    def __init__(self, thresholds: Thresholds | None = None):
        self.t = thresholds or Thresholds()

    def answer(self, question: str, retrieval: Retrieval, searched: str = "") -> Answer:
        language = question_language(question)
        hits = retrieval.hits
        q = retrieval.query_vector
        wanted = content_words(searched or question)
        candidates = []  # (score, cosine, hit index, sentence index)
        for h_i, hit in enumerate(hits):
            for s_i, (a, b) in enumerate(hit.sentences):
                cos = float(hit.sentence_vectors[s_i] @ q) if s_i < len(hit.sentence_vectors) else hit.dense
                score = cos + 0.05 * coverage(wanted, hit.text[a:b]) + 0.02 * hit.dense
                candidates.append((score, cos, h_i, s_i))
        candidates.sort(key=lambda c: -c[0])
        # The first answer sentence comes from the best-ranked passage: retrieval ranks passages
        # with dense and lexical evidence together, more reliably than one sentence's vector.
        best = next((c for c in candidates if c[2] == 0), None)
        if best is not None:
            candidates.remove(best)
            candidates.insert(0, best)
        vietnamese = retrieval.lexical_weight >= 0.5
        passage_text = hits[best[2]].meta.get(Key.TITLE, "") + "\n" + hits[best[2]].text if best else ""
        passage_coverage = coverage(wanted, passage_text)
        signals = {
            "best_sentence": best[1] if best else 0.0,
            "passage_coverage": passage_coverage,
            "top_dense": hits[0].dense if hits else 0.0,
            "lexical_weight": retrieval.lexical_weight,
        }
        missing = missing_names(question, passage_text) if best is not None and vietnamese else []
        signals["missing_names"] = missing
        if best is None:
            found = False
        elif vietnamese:
            found = not missing and (
                best[1] >= self.t.vi_dense
                or (best[1] >= self.t.vi_dense_with_words and passage_coverage >= self.t.vi_coverage)
            )
        else:
            found = best[1] >= self.t.cross_dense
        shown_search = searched if searched and searched != question else ""
        if not found:
            related = [self._source(h, i + 1, []) for i, h in enumerate(hits)]
            return Answer(
                question=question,
                answer=f"{NOT_FOUND[language]} {CLOSEST[language] if hits else ''}".strip(),
                found=False,
                sources=[],
                related=related,
                searched=shown_search,
                language=language,
                signals=signals,
            )

        chosen = [best]
        seen_text = {_key(hits[best[2]].text, hits[best[2]].sentences[best[3]])}
        for c in candidates[1:]:
            if len(chosen) >= self.t.max_sentences or c[0] < self.t.relative * best[0]:
                break
            key = _key(hits[c[2]].text, hits[c[2]].sentences[c[3]])
            if any(key in seen or seen in key for seen in seen_text):
                continue  # the same sentence in an overlapping chunk, or a caption its paragraph repeats
            seen_text.add(key)
            chosen.append(c)

        numbers: dict[int, int] = {}
        highlights: dict[int, list[tuple[int, int]]] = {}
        parts = []
        for _, _, h_i, s_i in chosen:
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
            searched=shown_search,
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
    return match_key(text[span[0] : span[1]]).rstrip(".!?…")
