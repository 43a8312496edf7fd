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
  terms in parentheses) still counts but its stray syllables ("can", "do", "an") do not;
- passages whose text is the same as, or inside, a better one (re-ingested copies) are dropped.

Measured with `newsqa eval xquad-vi xquad-en --compare` (see qa/eval.py).
"""

import json
import logging
import math
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from langchain_chroma import Chroma
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from ingest.embedder import Embedder, unpack_vectors
from ingest.index import Index
from ingest.lexical import tokens
from ingest.normalize import has_diacritics, match_key, normalize, words
from ingest.store import CHUNKS, Key

logger = logging.getLogger(__name__)

LEXICAL_VI = 1.0  # weight of the normalised BM25 score (0..1) for a Vietnamese question
LEXICAL_EN = 0.3  # ... for an English one
LEXICAL_NO_DIACRITICS = 2.0  # ... for Vietnamese typed without diacritics: the model reads it poorly
SENTENCE_W = 1.0  # weight of the best sentence's cosine
CACHE_CHUNKS = 4096  # passages kept decoded in memory (text, sentence vectors, vector)
_EN_WORDS = frozenset(
    "the a an of to in on for and or is are was were be been being what who whom whose which when where why "
    "how did do does done can could would should will with by from about at as it its this that these those "
    "than there their they he she his her we you i not no yes has have had".split()
)


def is_english(question: str) -> bool:
    """A fair share of English function words (names with diacritics may be in it: "what did Quảng Ngãi request?")."""
    tokens = normalize(question).lower().split()
    tokens = [t.strip(".,;:!?\"'()[]") for t in tokens]
    tokens = [t for t in tokens if t]
    return bool(tokens) and sum(t in _EN_WORDS for t in tokens) / len(tokens) >= 0.2


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


@dataclass
class _Chunk:
    text: str
    meta: dict  # without the packed sentence vectors
    sentences: list[tuple[int, int]]
    sentence_vectors: np.ndarray
    vector: np.ndarray | None = None

    @cached_property
    def key(self) -> str:
        """match_key of the text, for spotting copies."""
        return match_key(self.text)

    @cached_property
    def sentence_words(self) -> list[frozenset[str]]:
        return [frozenset(words(self.text[a:b])) for a, b in self.sentences]


class HybridSearch:
    """Dense + lexical search over one `Index`. `search()` is the whole retrieval step."""

    def __init__(self, index: Index, embedder: Embedder, fetch: int = 30):
        self.index = index
        self.embedder = embedder
        self.fetch = fetch
        self.vectorstore = Chroma(client=index.client, collection_name=CHUNKS, embedding_function=embedder)
        self._generation = -1
        self._version: tuple[str, int] = ("", -1)
        self._current: dict[str, str] = {}
        self._cache: OrderedDict[str, _Chunk] = OrderedDict()

    def refresh(self) -> None:
        """Pick up changes written by any process: registry and lexical index follow the generation."""
        generation = self.index.generation()
        version = (self.index.store_id, generation)  # a recreated store may reach the same generation
        if version != self._version:
            self._version = version
            self._current = {a.id: a.hash for a in self.index.registry().values()}
            self.index.lexical(generation)
            self._generation = generation
            self._cache.clear()  # chunk ids carry their article hash, but removed ones must go too

    def lexical_weight(self, question: str) -> float:
        coverage = self.index.lexical(self._generation).coverage(question)
        return float(np.clip((coverage - 0.5) / 0.4, 0.0, 1.0))

    def lexical_scores(self, question: str, english: bool) -> np.ndarray:
        """BM25 of every chunk (in the lexical index's order); English function words dropped for English."""
        lexical = self.index.lexical(self._generation)
        if english:
            question = " ".join(w for w in words(question) if w not in _EN_WORDS)
        scores = lexical.scores(question)
        # Normalised by what a passage holding every query term would score (unknown terms count
        # at the highest idf): matching one common word of a long question is worth little.
        best = sum(_idf(lexical, t) for t in tokens(question))
        if best <= 0:  # no document frequencies from this index: scale to the best passage instead
            best = float(scores.max()) if len(scores) else 0.0
        return scores / best if best > 0 else scores

    def search(self, question: str, k: int = 5, filters: Filters | None = None) -> Retrieval:
        self.refresh()
        filters = filters or Filters()
        english = is_english(question)
        weight = self.lexical_weight(question)
        # The passages were normalised at ingest (NFC, one tone-mark placement): so is the question,
        # or "hoà" and "hòa" would be different strings to the model.
        query_vector = self.embedder.encode_queries([normalize(question)])[0]

        # Dense candidates: ids and cosines from Chroma; text and vectors from the cache when there.
        dense = self.index.chunks.query(
            query_embeddings=[query_vector.tolist()],
            n_results=self.fetch,
            where=filters.where(),
            include=["distances"],
        )
        dense_score = {
            id_: 1.0 - float(d)  # cosine distance
            for id_, d in zip(dense["ids"][0], dense["distances"][0])
        }

        # Lexical candidates: the best BM25 scores among the chunks the filters allow.
        lexical = self.index.lexical(self._generation)
        scores = self.lexical_scores(question, english)
        lexical_score: dict[str, float] = {}
        if len(scores):
            order = np.argsort(-scores)[: self.fetch * 3]
            for i in order:
                if scores[i] <= 0:
                    break
                lexical_score[lexical.ids[i]] = float(scores[i])
        chunks = self._chunks(list(dict.fromkeys([*dense_score, *lexical_score])))
        visible = {
            id_: c
            for id_, c in chunks.items()
            if self._visible(c.meta) and (id_ in dense_score or filters.allows(c.meta))
        }
        lexical_top = sorted((i for i in lexical_score if i in visible), key=lambda i: -lexical_score[i])[: self.fetch]
        candidates = [i for i in dense_score if i in visible] + [i for i in lexical_top if i not in dense_score]
        lam = LEXICAL_EN if english else LEXICAL_VI if has_diacritics(question) else LEXICAL_NO_DIACRITICS

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
            hits.append(
                Hit(
                    id=id_,
                    text=c.text,
                    meta=c.meta,
                    score=fused[id_],
                    dense=dense_score[id_],
                    lexical=lexical_score.get(id_, 0.0),
                    sentence=sentence_score[id_],
                    sentences=c.sentences,
                    sentence_vectors=c.sentence_vectors,
                    sentence_words=c.sentence_words,
                )
            )
            if len(hits) >= k:
                break
        return Retrieval(hits=hits, query_vector=query_vector, lexical_weight=weight, english=english)

    def _chunks(self, ids: list[str]) -> dict[str, _Chunk]:
        """Decoded chunks by id, from the cache or from Chroma (then cached)."""
        out: dict[str, _Chunk] = {}
        missing = []
        for id_ in ids:
            c = self._cache.get(id_)
            if c is None:
                missing.append(id_)
            else:
                self._cache.move_to_end(id_)
                out[id_] = c
        if missing:
            got = self.index.chunks.get(ids=missing, include=["documents", "metadatas", "embeddings"])
            for id_, text, meta, vector in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"]):
                out[id_] = self._cache[id_] = _decode(text, meta, vector, self.embedder.dim)
            while len(self._cache) > CACHE_CHUNKS:
                self._cache.popitem(last=False)
        return out

    def _visible(self, meta: dict) -> bool:
        return self._current.get(meta.get(Key.ARTICLE_ID)) == meta.get(Key.ARTICLE_HASH)


def _idf(lexical, term: str) -> float:
    """BM25 idf of `term` in the lexical index (the highest one for a term it lacks); 0 when unknown."""
    indptr, vocab = getattr(lexical, "indptr", None), lexical.vocab
    if indptr is None or not isinstance(vocab, dict):
        return 0.0
    n = len(lexical.ids)
    i = vocab.get(term)
    df = int(indptr[i + 1] - indptr[i]) if i is not None else 0
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def _decode(text: str, meta: dict, vector, dim: int) -> _Chunk:
    packed = meta.get(Key.SENTENCE_VECTORS, "")
    sentence_vectors = unpack_vectors(packed, dim) if packed else np.zeros((0, dim), dtype=np.float32)
    sentences = [tuple(s) for s in json.loads(meta.get(Key.SENTENCES, "[]"))]
    return _Chunk(
        text=text,
        meta={k: v for k, v in meta.items() if k != Key.SENTENCE_VECTORS},
        sentences=sentences,
        sentence_vectors=sentence_vectors,
        vector=np.asarray(vector, dtype=np.float32) if vector is not None else None,
    )


class NewsRetriever(BaseRetriever):
    """LangChain retriever over `HybridSearch`, for use in chains."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    search: HybridSearch
    k: int = 5
    filters: Filters | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [h.to_document() for h in self.search.search(query, self.k, self.filters).hits]
