"""Hybrid retrieval: dense search in Chroma + BM25 over accent-folded syllables, fused by rank.

The lexical side is weighted by how much of the question's vocabulary exists in the corpus: a
Vietnamese question (with or without diacritics) gets full weight; an English question, whose
words mostly are not Vietnamese syllables, gets little, so BM25 noise cannot push the dense
results down.
"""

import json
import logging
from dataclasses import dataclass, field

import numpy as np
from langchain_chroma import Chroma
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from ingest.embedder import Embedder, unpack_vectors
from ingest.index import Index
from ingest.store import CHUNKS, Key

logger = logging.getLogger(__name__)

RRF_K = 60


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
    score: float  # fused
    dense: float  # cosine similarity to the question (0 when not among the dense results)
    lexical: float  # BM25
    sentences: list[tuple[int, int]]
    sentence_vectors: np.ndarray

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
    lexical_weight: float


class HybridSearch:
    """Dense + lexical search over one `Index`. `search()` is the whole retrieval step."""

    def __init__(self, index: Index, embedder: Embedder, fetch: int = 30):
        self.index = index
        self.embedder = embedder
        self.fetch = fetch
        self.vectorstore = Chroma(client=index.client, collection_name=CHUNKS, embedding_function=embedder)
        self._generation = -1
        self._current: dict[str, str] = {}

    def refresh(self) -> None:
        """Pick up changes written by any process: registry and lexical index follow the generation."""
        generation = self.index.generation()
        if generation != self._generation:
            self._current = {a.id: a.hash for a in self.index.registry().values()}
            self.index.lexical(generation)
            self._generation = generation

    def lexical_weight(self, question: str) -> float:
        coverage = self.index.lexical(self._generation).coverage(question)
        return float(np.clip((coverage - 0.5) / 0.4, 0.0, 1.0))

    def search(self, question: str, k: int = 5, filters: Filters | None = None) -> Retrieval:
        self.refresh()
        filters = filters or Filters()
        query_vector = self.embedder.encode_queries([question])[0]
        weight = self.lexical_weight(question)

        dense = self.vectorstore.similarity_search_by_vector_with_relevance_scores(
            query_vector.tolist(), k=self.fetch, filter=filters.where()
        )
        docs: dict[str, tuple[str, dict]] = {}
        dense_rank: dict[str, int] = {}
        dense_score: dict[str, float] = {}
        for doc, score in dense:
            if self._visible(doc.metadata):
                dense_rank[doc.id] = len(dense_rank)
                dense_score[doc.id] = 1.0 - float(score)  # LangChain returns the cosine distance
                docs[doc.id] = (doc.page_content, doc.metadata)

        lexical_rank: dict[str, int] = {}
        lexical_score: dict[str, float] = {}
        if weight > 0:
            lexical = self.index.lexical(self._generation)
            scores = lexical.scores(question)
            order = np.argsort(-scores)[: self.fetch * 3]
            wanted = [lexical.ids[i] for i in order if scores[i] > 0]
            missing = [i for i in wanted if i not in docs]
            if missing:
                got = self.index.chunks.get(ids=missing, include=["documents", "metadatas"])
                for id_, text, meta in zip(got["ids"], got["documents"], got["metadatas"]):
                    docs[id_] = (text, meta)
            for i in order:
                id_ = lexical.ids[i]
                if scores[i] <= 0 or id_ not in docs:
                    continue
                meta = docs[id_][1]
                if not self._visible(meta) or not filters.allows(meta):
                    continue
                lexical_rank[id_] = len(lexical_rank)
                lexical_score[id_] = float(scores[i])
                if len(lexical_rank) >= self.fetch:
                    break

        fused: dict[str, float] = {}
        for id_, r in dense_rank.items():
            fused[id_] = fused.get(id_, 0.0) + 1.0 / (RRF_K + r + 1)
        for id_, r in lexical_rank.items():
            fused[id_] = fused.get(id_, 0.0) + weight / (RRF_K + r + 1)
        ranked = sorted(fused, key=lambda i: -fused[i])[:k]

        # Dense scores for lexical-only hits: one cosine against the stored chunk vector.
        need = [i for i in ranked if i not in dense_score]
        if need:
            got = self.index.chunks.get(ids=need, include=["embeddings"])
            for id_, vec in zip(got["ids"], got["embeddings"]):
                dense_score[id_] = float(np.dot(np.asarray(vec, dtype=np.float32), query_vector))

        hits = []
        for id_ in ranked:
            text, meta = docs[id_]
            sentences = [tuple(s) for s in json.loads(meta.get(Key.SENTENCES, "[]"))]
            packed = meta.get(Key.SENTENCE_VECTORS, "")
            vectors = unpack_vectors(packed, len(query_vector)) if packed else np.zeros((0, len(query_vector)))
            hits.append(
                Hit(
                    id=id_,
                    text=text,
                    meta=meta,
                    score=fused[id_],
                    dense=dense_score.get(id_, 0.0),
                    lexical=lexical_score.get(id_, 0.0),
                    sentences=sentences,
                    sentence_vectors=vectors,
                )
            )
        return Retrieval(hits=hits, query_vector=query_vector, lexical_weight=weight)

    def _visible(self, meta: dict) -> bool:
        return self._current.get(meta.get(Key.ARTICLE_ID)) == meta.get(Key.ARTICLE_HASH)


class NewsRetriever(BaseRetriever):
    """LangChain retriever over `HybridSearch`, for use in chains."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    search: HybridSearch
    k: int = 5
    filters: Filters | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [h.to_document() for h in self.search.search(query, self.k, self.filters).hits]
