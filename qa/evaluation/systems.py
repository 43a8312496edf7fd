"""The systems `newsqa eval` compares, over the same chunks in one process.

Our side is the app itself: a `Pipeline` over its own temp data folder, timed from the question to
the extractive answer. `--compare` adds, in the same process and on the same chunks: dense only
(Chroma, our prompts), BM25 only (our lexical index), and the naive LangChain pipeline
(RecursiveCharacterTextSplitter 1000/200 over the article text, the same model without prompts,
`Chroma.similarity_search(k=5)` in a collection of its own). Systems are run one after the other
for each question, so background load affects them alike.

The baselines have no answerer; their answer is the sentence of their top-1 passage that best
matches the question, under the embedding the pipeline already has, so that `first` compares
retrieval plus one cheap sentence pick and not a straw man:
- dense and BM25 (our chunks): the sentence whose stored contextual vector (`ingest.embedder`,
  computed at ingest) has the highest cosine with the question's query vector (e5 `query: `
  prompt): no encoding beyond the question's own vector (reused by both);
- naive LangChain: its top chunk split by `ingest.chunk.split_sentences`, each sentence encoded
  with the same plain model (no prompts, as its pipeline does; cached by text) and the one with
  the highest cosine to the plainly encoded question.
Picking the sentence is done outside the timed part: the baselines' latency stays retrieval only.

"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ingest.normalize import match_key, normalize
from ingest.readers import Article
from ingest.records import decode_chunk
from qa.evaluation.datasets import Question
from qa.question.query import analyse

OURS, DENSE, BM25, NAIVE = "newsqa", "dense", "bm25", "naive-langchain"
SYSTEMS = (OURS, DENSE, BM25, NAIVE)
ANSWERERS = ("reader", "rules")  # with --compare, ours is also run with the other answerer: "newsqa-rules"


def is_ours(system: str) -> bool:
    """Our pipeline, with the configured answerer ("newsqa") or the other one ("newsqa-rules")."""
    return system == OURS or system.startswith(OURS + "-")


DEPTH = 10  # ranks scored: Recall@1/5/10, MRR@10
NAIVE_K = 5


# -------------------------------------------------------------------------------
@dataclass
class Outcome:
    ranks: list[bool]  # hit at each retrieved position
    seconds: float
    found: bool | None = None  # ours: answered (not refused)
    cited: bool | None = None  # ours: the cited sources contain the evidence
    signals: dict = field(default_factory=dict)
    claim: str | None = None  # the answer's first claim (baselines: the picked sentence); None: refused
    first: bool | None = None  # the first claim holds the answer (answerable questions only)
    evidence: str | None = None  # ours with NEWSQA_LLM: the first claim's evidence sentence (the claim is generated)
    llm: dict | None = None  # ours with NEWSQA_LLM: mode, sentences, verified, verified_cites (see `llm_outcome`)
    span: str | None = None  # ours: the answer phrase marked in the first claim
    phrase: bool | None = None  # the marked phrase is the gold answer (see `Question.phrase`)


class PlainEmbeddings:
    """The usual LangChain setup: the embedding model as is, no query/passage prompts."""

    def __init__(self, embedder):
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.encode([text])[0].tolist()


def naive_store(articles: list[Article], embedder, folder: Path):
    """RecursiveCharacterTextSplitter(1000, 200) + Chroma, in a collection of its own (reused when complete)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    class _Plain(PlainEmbeddings, Embeddings):
        pass

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    docs = splitter.split_documents(
        [Document(page_content=a.text, metadata={"article_id": a.id, "title": a.title}) for a in articles]
    )
    client = chromadb.PersistentClient(path=str(folder), settings=ChromaSettings(anonymized_telemetry=False))
    store = Chroma(client=client, collection_name="naive_langchain", embedding_function=_Plain(embedder))
    if len(store.get(include=[])["ids"]) != len(docs):
        store.reset_collection()
        for i in range(0, len(docs), 64):
            store.add_documents(docs[i : i + 64])
    return store, len(docs)


class Runner:
    """The systems under test, over one corpus."""

    def __init__(self, pipeline, compare: bool, naive_store=None):
        from qa.pipeline import Pipeline

        self.pipeline = pipeline
        self.compare = compare
        self.naive = naive_store
        self.k = pipeline.settings.k
        self._query: tuple[str, np.ndarray] | None = None  # the last question's query vector
        self._plain: dict[str, np.ndarray] = {}  # naive: sentence -> plain vector
        other = next(a for a in ANSWERERS if a != pipeline.settings.answerer)
        # --compare: the same pipeline with the other answerer, over the same index and retrieval
        twin = Pipeline(replace(pipeline.settings, answerer=other, llm=""), pipeline.index, pipeline.embedder)
        self.other = (f"{OURS}-{other}", twin)

    def systems(self) -> list[str]:
        if not self.compare:
            return [OURS]
        return [OURS, self.other[0], *SYSTEMS[1:]] if self.pipeline.generative is None else list(SYSTEMS)

    def run(self, system: str, q: Question) -> Outcome:
        if system == self.other[0]:
            outcome = self._newsqa(q, self.other[1])
        else:
            outcome = getattr(self, "_" + system.replace("-", "_"))(q)
        if q.answerable:
            outcome.first = q.first(outcome.claim) or q.first(outcome.evidence)
            outcome.phrase = q.phrase(outcome.span) if q.answers else None
        return outcome

    # ---- the baselines' answer: one sentence of their top passage (module docstring) ----
    def _query_vector(self, q: Question) -> np.ndarray:
        if self._query is None or self._query[0] != q.text:
            self._query = (q.text, self.pipeline.embedder.encode_queries([normalize(q.text)])[0])
        return self._query[1]

    def _stored_pick(self, q: Question, record) -> str:
        """The sentence of one of our chunks (a ChunkRecord) whose stored contextual vector is closest
        to the question."""
        if not record.sentences:
            return record.text
        if not len(record.sentence_vectors):
            a, b = record.sentences[0]
            return record.text[a:b]
        a, b = record.sentences[int(np.argmax(record.sentence_vectors @ self._query_vector(q)))]
        return record.text[a:b]

    def _plain_pick(self, q: Question, text: str) -> str:
        """Naive: the sentence of its chunk closest to the question under the plain model."""
        from ingest.chunk import split_sentences

        sentences = [text[s.start : s.end] for s in split_sentences(text)] or [text]
        embeddings = self.naive.embeddings
        todo = [s for s in dict.fromkeys(sentences) if s not in self._plain]
        if todo:
            for s, v in zip(todo, embeddings.embed_documents(todo)):
                self._plain[s] = np.asarray(v, dtype=np.float32)
        query = np.asarray(embeddings.embed_query(q.text), dtype=np.float32)
        return max(sentences, key=lambda s: float(self._plain[s] @ query))

    def _filters(self, q: Question):
        from qa.question.query import Filters

        if not q.probe:
            return None
        ids = [a for a in self.pipeline.index.registry() if a != q.article]
        return Filters(article_ids=ids)

    def _newsqa(self, q: Question, pipeline=None) -> Outcome:

        pipeline, filters = pipeline or self.pipeline, self._filters(q)
        searched = searched_as_in_chat(q)
        started = time.perf_counter()
        query = analyse(q.text, searched, filters)
        retrieval = self.pipeline.search.search(query, max(DEPTH, self.k))
        # the app's own answer step (`Pipeline.answer`: time in the question, near-duplicates collapsed;
        # with `newsqa eval --llm`, the language model's answers) from the first k passages
        answer = pipeline.answer(query, self.k, retrieval=retrieval)
        seconds = time.perf_counter() - started
        cited = bool(q.evidence) and answer.found and _covers(q, [s.text for s in answer.sources])
        signals = dict(answer.signals)
        claim = answer.claims[0].text if answer.claims else None
        span = (answer.claims[0].answer_span or {}).get("text") if answer.claims else None
        if retrieval.hits:  # what retrieval saw of its best passage, for calibrating the refusal rule
            top = retrieval.hits[0]
            signals["retrieval"] = {
                "score": round(top.score, 4),
                "dense": round(top.dense, 4),
                "sentence": round(getattr(top, "sentence", 0.0), 4),
                "lexical": round(top.lexical, 4),
                "english": bool(getattr(retrieval, "english", False)),
            }
        ranks = [q.hit(h.text) for h in retrieval.hits[:DEPTH]]
        outcome = Outcome(ranks, seconds, answer.found, cited, signals, claim=claim, span=span)
        if pipeline.generative is not None:
            outcome.llm = llm_outcome(q, answer)
            if answer.mode == "llm" and answer.claims:
                first, by_number = answer.claims[0], {s.number: s for s in answer.sources}
                if first.verified and first.source in by_number:
                    outcome.evidence = by_number[first.source].text[first.start : first.end]
        return outcome

    def _dense(self, q: Question) -> Outcome:
        started = time.perf_counter()
        docs = self.pipeline.search.vectorstore.similarity_search(q.text, k=DEPTH)
        seconds = time.perf_counter() - started
        dim = self.pipeline.embedder.dim
        claim = self._stored_pick(q, decode_chunk(docs[0].page_content, docs[0].metadata, None, dim)) if docs else None
        return Outcome([q.hit(d.page_content) for d in docs], seconds, claim=claim)

    def _bm25(self, q: Question) -> Outcome:
        index = self.pipeline.index
        started = time.perf_counter()
        ids = [id_ for id_, _ in index.lexical().top(q.text, DEPTH)]
        records = index.chunk_records(ids, self.pipeline.embedder.dim)
        seconds = time.perf_counter() - started
        claim = self._stored_pick(q, records[ids[0]]) if ids else None
        return Outcome([q.hit(records[i].text) for i in ids], seconds, claim=claim)

    def _naive_langchain(self, q: Question) -> Outcome:
        started = time.perf_counter()
        docs = self.naive.similarity_search(q.text, k=NAIVE_K)
        seconds = time.perf_counter() - started
        claim = self._plain_pick(q, docs[0].page_content) if docs else None
        return Outcome([q.hit(d.page_content) for d in docs], seconds, claim=claim)


def searched_as_in_chat(q: Question) -> str:
    """What the chat searches for `q`: a follow-up (`q.previous`) joined with the questions before
    it by `qa.question.conversation.contextualize`, turn by turn; any other question as it is."""
    from qa.question.conversation import contextualize

    conversation: list[str] = []
    for earlier in q.previous:
        conversation.append(contextualize(earlier, conversation))
    return contextualize(q.text, conversation) if conversation else q.text


def llm_outcome(q: Question, answer) -> dict:
    """What `newsqa eval --llm` counts of a generated answer: its mode, the sentences the model wrote
    that cite a passage and how many of them the verifier accepted, and whether a verified claim's
    source holds the gold evidence."""
    written = [c for c in answer.signals.get("llm_claims", []) if c.get("cited")]
    by_number = {s.number: s for s in answer.sources}
    verified_texts = [
        by_number[n].text
        for c in answer.claims
        if c.verified and answer.mode == "llm"
        for n in c.cited
        if n in by_number
    ]
    return {
        "mode": answer.mode,
        "asked": bool(answer.signals.get("llm_asked")),
        "error": answer.signals.get("llm_error"),
        "sentences": len(written),
        "verified": sum(bool(c.get("verified")) for c in written),
        "verified_cites": bool(q.evidence) and bool(verified_texts) and _covers(q, verified_texts),
    }


def _covers(q: Question, texts: list[str]) -> bool:
    """Every evidence string (seed) / one gold answer (XQuAD) is inside one of the cited passages."""
    keys = [match_key(t) for t in texts]
    found = [any(e in k for k in keys) for e in q.evidence]
    return all(found) if q.need_all else any(found)
