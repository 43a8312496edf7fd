"""Hybrid retrieval: dense search in Chroma + BM25 over accent-folded syllables, fused by score.

Each candidate passage (the union of the dense and the lexical top lists) is scored as

    cosine(question, passage) + max cosine(question, sentence) + λ · BM25 / BM25 of a perfect match

- the passage cosine comes from Chroma; the sentence cosines use the contextual sentence vectors
  stored with each passage at ingest (`Hit.sentence_vectors`), so nothing is encoded at question
  time but the question itself. A question usually matches one sentence: the best one separates
  neighbouring passages of the same article that the passage vector alone mixes up;
- λ follows the question's language: a Vietnamese question gets `LEXICAL_VI`, or the larger
  `LEXICAL_NO_DIACRITICS` when typed without diacritics (the model reads "bao ho ngu dan" poorly;
  BM25 is over folded syllables and does not care); an English question gets `LEXICAL_EN`, with English
  function words dropped, so that what it shares with Vietnamese text (names, numbers, English
  terms in parentheses) still counts but its stray syllables ("can", "do", "an") do not, and with the
  Vietnamese words of its own lower-case words (`qa.question.translation`: "lawyer" -> "luật sư");
- an English question's Vietnamese names typed without diacritics ("Quang Ngai") are given them as
  the best BM25 passages write them ("Quảng Ngãi", `with_diacritics`) before the model encodes it;
- passages whose text is the same as, or inside, a better one (re-ingested copies) are dropped.

Measured with `newsqa eval xquad-vi xquad-en --compare` (see qa/evaluation/eval.py).
"""

import logging
import re
from collections import OrderedDict
from dataclasses import dataclass, field, replace

import numpy as np
from langchain_chroma import Chroma
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from ingest.embedder import Embedder
from ingest.index import Index
from ingest.lexical import tokens
from ingest.normalize import fold, fold_aligned, has_diacritics, words
from ingest.records import ChunkRecord
from ingest.store import CHUNKS, Key
from qa.question.language import EN_FUNCTION_WORDS
from qa.question.query import Filters, Query, analyse
from qa.question.translation import vietnamese_words

logger = logging.getLogger(__name__)

LEXICAL_VI = 1.0  # weight of the normalised BM25 score (0..1) for a Vietnamese question
LEXICAL_EN = 0.6  # ... for an English one (its query holds Vietnamese words of its own)
LEXICAL_NO_DIACRITICS = 2.0  # ... for Vietnamese typed without diacritics: the model reads it poorly
SENTENCE_W = 1.0  # weight of the best sentence's cosine
CACHE_CHUNKS = 4096  # passages kept decoded in memory (text, sentence vectors, vector)


@dataclass
class Hit:
    """A retrieved chunk with its scores and its sentences (offsets into `text`, vectors)."""

    id: str
    text: str
    meta: dict
    score: float  # fused: passage cosine + best sentence cosine + weighted BM25
    dense: float  # cosine similarity of the passage to the question
    lexical: float  # BM25 / BM25 of a passage with every query term (0 when not among the lexical results)
    sentences: list[tuple[int, int]]
    sentence_vectors: np.ndarray
    sentence_words: list[frozenset[str]] = field(default_factory=list)  # folded words of each sentence
    sentence: float = 0.0  # the best sentence's cosine

    def to_document(self) -> Document:
        meta = {k: v for k, v in self.meta.items() if k != Key.SENTENCE_VECTORS}
        return Document(
            id=self.id,
            page_content=self.text,
            metadata={**meta, "score": self.score, "dense": self.dense, "lexical": self.lexical},
        )


@dataclass
class Retrieval:
    hits: list[Hit]
    query_vector: np.ndarray
    lexical_weight: float  # 0..1: how Vietnamese the question's vocabulary is (1: all of it is in the corpus)
    english: bool = False
    query: Query | None = None  # what was searched
    # (hit id, sentence index) of sentences that should not lead the answer ("latest": they tell an
    # earlier state than their passage does, `qa.question.time_scope.earlier_told`)
    behind: frozenset[tuple[str, int]] = frozenset()


class HybridSearch:
    """Dense + lexical search over one `Index`. `search()` is the whole retrieval step."""

    def __init__(self, index: Index, embedder: Embedder, fetch: int = 30):
        self.index = index
        self.embedder = embedder
        self.fetch = fetch
        self.vectorstore = Chroma(client=index.client, collection_name=CHUNKS, embedding_function=embedder)
        self._generation = -1
        self._version: tuple[str, int] = ("", -1)
        self._current: dict[str, str] = {}  # article id -> committed hash, looked up as candidates need them
        self._cache: OrderedDict[str, ChunkRecord] = OrderedDict()

    def refresh(self) -> None:
        """Pick up changes written by any process: registry and lexical index follow the generation."""
        generation = self.index.generation()
        version = (self.index.store_id, generation)  # a recreated store may reach the same generation
        if version != self._version:
            self._version = version
            self._current = {}  # not the whole registry: at a million chunks that is seconds of reading
            self.index.lexical(generation)
            self._generation = generation
            self._cache.clear()  # chunk ids carry their article hash, but removed ones must go too

    def lexical_weight(self, question: str) -> float:
        coverage = self.index.lexical(self._generation).coverage(question)
        return float(np.clip((coverage - 0.5) / 0.4, 0.0, 1.0))

    def lexical_top(self, question: str, english: bool, n: int) -> dict[str, float]:
        """The `n` best chunks by BM25, normalised by what a passage holding every query term would
        score (unknown terms at the highest idf): matching one common word of a long question is
        worth little. English function words are dropped from an English question, and the Vietnamese
        words of its own are searched beside them (`qa.question.translation`)."""
        lexical = self.index.lexical(self._generation)
        if english:
            own = [w for w in words(question) if w not in EN_FUNCTION_WORDS]
            question = " ".join(own + vietnamese_words(question))
        top = lexical.top(question, n)
        best = sum(lexical.idf(t) for t in tokens(question)) or (top[0][1] if top else 0.0)
        return {id_: score / best for id_, score in top} if best > 0 else dict(top)

    def search(self, query: Query | str, k: int = 5, filters: Filters | None = None) -> Retrieval:
        """The `k` best passages for a Query (a plain question is analysed first, with `filters`)."""
        if isinstance(query, str):
            query = analyse(query, filters=filters)
        self.refresh()
        filters, english = query.filters, query.english
        weight = self.lexical_weight(query.searched)
        lexical_score = self.lexical_top(query.searched, english, self.fetch * 3)
        ranked = list(lexical_score)  # best first
        # The passages were normalised at ingest (NFC, one tone-mark placement): so is the question,
        # or "hoà" and "hòa" would be different strings to the model.
        # An English question's Vietnamese names typed without diacritics ("Quang Ngai") are written as
        # the best BM25 passages write them (BM25 matches folded syllables) before the model reads it;
        # those passages are read again below, from the cache.
        text = query.text
        if english:
            text = with_diacritics(text, [c.text for c in self._chunks(ranked[:NAMES_FROM]).values()])
        query_vector = self.embedder.encode_queries([text])[0]

        # Dense candidates: ids and cosines from Chroma; text and vectors from the cache when there.
        dense_score = self.index.nearest(query_vector, self.fetch, filters.where())

        # Lexical candidates: the `fetch` best BM25 scores the filters allow, read from the store a
        # `fetch` at a time (best first) until there are enough: usually one read.
        visible: dict[str, ChunkRecord] = {}
        lexical_top: list[str] = []
        for start in range(0, max(len(ranked), 1), self.fetch):
            wanted = ranked[start : start + self.fetch] + (list(dense_score) if start == 0 else [])
            records = self._chunks(list(dict.fromkeys(wanted)))
            self._learn_hashes({c.meta.get(Key.ARTICLE_ID, "") for c in records.values()})
            for id_, c in records.items():
                if self._visible(c.meta) and (id_ in dense_score or filters.allows(c.meta)):
                    visible[id_] = c
            lexical_top = [i for i in ranked if i in visible][: self.fetch]
            if len(lexical_top) >= self.fetch:
                break
        candidates = [i for i in dense_score if i in visible] + [i for i in lexical_top if i not in dense_score]
        lam = LEXICAL_EN if english else LEXICAL_NO_DIACRITICS if query.without_diacritics else LEXICAL_VI

        fused: dict[str, float] = {}
        sentence_score: dict[str, float] = {}
        for id_ in candidates:
            c = visible[id_]
            if id_ not in dense_score:  # lexical only: one cosine against the stored passage vector
                dense_score[id_] = float(np.dot(c.vector, query_vector)) if c.vector is not None else 0.0
            best = float(np.max(c.sentence_vectors @ query_vector)) if len(c.sentence_vectors) else dense_score[id_]
            sentence_score[id_] = best
            fused[id_] = dense_score[id_] + SENTENCE_W * best + lam * lexical_score.get(id_, 0.0)

        hits: list[Hit] = []
        kept_keys: list[str] = []
        for id_ in sorted(fused, key=lambda i: -fused[i]):
            c = visible[id_]
            key = c.key
            if any(key in other for other in kept_keys):  # the same passage again (a copy, or inside a better one)
                continue
            kept_keys.append(key)
            hits.append(_hit(id_, c, fused[id_], dense_score[id_], lexical_score.get(id_, 0.0), sentence_score[id_]))
            if len(hits) >= k:
                break
        return Retrieval(hits=hits, query_vector=query_vector, lexical_weight=weight, english=english, query=query)

    def with_neighbours(self, retrieval: Retrieval, wanted: list[tuple[int, int]]) -> Retrieval:
        """`retrieval` with the chunks next to some of its passages added after them, in place of its
        last-ranked other passages: `wanted` holds (hit index, -1 for the chunk before it or +1 for
        the one after). An enumeration cut at a chunk's edge ("Thứ hai là…" opening a passage) is
        read whole this way (`qa.question.shape`)."""
        have = {(h.meta.get(Key.ARTICLE_ID), h.meta.get(Key.CHUNK_INDEX)) for h in retrieval.hits}
        positions: dict[tuple[str, str], set[int]] = {}
        for h_i, step in wanted:
            meta = retrieval.hits[h_i].meta
            article, position = meta.get(Key.ARTICLE_ID), int(meta.get(Key.CHUNK_INDEX, 0)) + step
            if position >= 0 and (article, position) not in have:
                positions.setdefault((article, meta.get(Key.ARTICLE_HASH)), set()).add(position)
        if not positions:
            return retrieval
        q = retrieval.query_vector
        floor = min(h.score for h in retrieval.hits)
        added = []
        for (article, article_hash), wanted_positions in positions.items():
            records = self.index.chunks_at(article, article_hash, sorted(wanted_positions), self.embedder.dim)
            for id_, c in sorted(records.items(), key=lambda r: r[1].meta.get(Key.CHUNK_INDEX, 0)):
                dense = float(np.dot(c.vector, q)) if c.vector is not None and q is not None else 0.0
                best = float(np.max(c.sentence_vectors @ q)) if len(c.sentence_vectors) and q is not None else dense
                # scored below every passage retrieval chose: read after them
                added.append(_hit(id_, c, min(floor, dense + SENTENCE_W * best), dense, 0.0, best))
        # as many passages as before: the added chunks take the places of the last-ranked other passages
        hits, needed = list(retrieval.hits), {h_i for h_i, _ in wanted}
        for h_i in reversed(range(len(hits))):
            if len(hits) + len(added) <= len(retrieval.hits):
                break
            if h_i not in needed:
                del hits[h_i]
        return replace(retrieval, hits=[*hits, *added])

    def _chunks(self, ids: list[str]) -> dict[str, ChunkRecord]:
        """Decoded chunks by id, from the cache or from Chroma (then cached)."""
        out: dict[str, ChunkRecord] = {}
        missing = []
        for id_ in ids:
            c = self._cache.get(id_)
            if c is None:
                missing.append(id_)
            else:
                self._cache.move_to_end(id_)
                out[id_] = c
        if missing:
            for id_, record in self.index.chunk_records(missing, self.embedder.dim).items():
                out[id_] = self._cache[id_] = record
            while len(self._cache) > CACHE_CHUNKS:
                self._cache.popitem(last=False)
        return out

    def _learn_hashes(self, article_ids: set[str]) -> None:
        """Look up the committed hash of the articles not seen since the last generation change."""
        current = self._current
        missing = [a for a in article_ids if a not in current]
        if missing:
            current.update(self.index.current_hashes(missing))

    def _visible(self, meta: dict) -> bool:
        return self._current.get(meta.get(Key.ARTICLE_ID)) == meta.get(Key.ARTICLE_HASH)


NAMES_FROM = 10  # an English question's names get their diacritics from the best BM25 passages
_NAME_RUN = re.compile(r"\b[A-Z][a-z]*(?:[ -][A-Z][a-z]*)+\b")  # two capitalised words or more, no diacritics


def with_diacritics(question: str, texts: list[str]) -> str:
    """An English question with the Vietnamese names it types without diacritics written as `texts`
    write them ("What did Quang Ngai request?" -> "What did Quảng Ngãi request?", "Ho Nghinh High
    School" -> "Hồ Nghinh High School"): the multilingual model reads "Quang Ngai" as other words
    than the articles' "Quảng Ngãi". Two capitalised words or more, the longest that `texts` write."""
    runs = list(_NAME_RUN.finditer(question))
    if not runs:
        return question
    quick = [fold(t) for t in texts]  # to skip the texts that cannot hold a name
    folded: dict[int, str] = {}  # a text folded with its offsets kept, when first needed

    def written(name: str) -> str | None:
        key = name.lower()
        pattern = re.compile(r"(?<!\w)" + re.escape(key) + r"(?!\w)")
        for i, t in enumerate(texts):
            if key not in quick[i]:
                continue
            if i not in folded:
                folded[i] = fold_aligned(t)
            found = pattern.search(folded[i])
            if found and has_diacritics(t[found.start() : found.end()]):
                return t[found.start() : found.end()]
        return None

    out, shift = question, 0
    for m in runs:
        parts = list(re.finditer(r"[A-Za-z]+", m.group(0)))
        i = 0
        while i < len(parts) - 1:
            for j in range(len(parts), i + 1, -1):  # the longest run of two words or more from word i
                a, b = m.start() + parts[i].start(), m.start() + parts[j - 1].end()
                vietnamese = written(question[a:b])
                if vietnamese:
                    out = out[: a + shift] + vietnamese + out[b + shift :]
                    shift += len(vietnamese) - (b - a)
                    i = j
                    break
            else:
                i += 1
    return out


class NewsRetriever(BaseRetriever):
    """LangChain retriever over `HybridSearch`, for use in chains."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    search: HybridSearch
    k: int = 5
    filters: Filters | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [h.to_document() for h in self.search.search(query, self.k, self.filters).hits]


def _hit(id_: str, c: ChunkRecord, score: float, dense: float, lexical: float, sentence: float) -> Hit:
    """A retrieved passage from its decoded chunk and its scores."""
    return Hit(
        id=id_,
        text=c.text,
        meta=c.meta,
        score=score,
        dense=dense,
        lexical=lexical,
        sentence=sentence,
        sentences=c.sentences,
        sentence_vectors=c.sentence_vectors,
        sentence_words=c.sentence_words,
    )
