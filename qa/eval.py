"""`newsqa eval`: retrieval and answer quality on question sets with known evidence.

Datasets:
- `seed`: the seed questions (`../shared/eval/seed_questions.jsonl`) over the seed articles (`seeds/`);
- `xquad-vi`, `xquad-en`: XQuAD's 240 Vietnamese paragraphs, indexed as their 48 articles (title =
  the article title, text = its paragraphs joined by blank lines); the 1,190 questions asked in
  Vietnamese, or the same questions in English (cross-lingual);
- any file in the seed-questions format (`--questions FILE --corpus DIR`).

A retrieved chunk is a hit when it contains the evidence (seed format: every evidence string;
XQuAD: the gold answer text), compared with `ingest.normalize.match_key` on both sides.

Answers are scored on their first claim (`first`): the text before the first ` [n]` marker of
`Answer.answer`, the sentence (or span) a reader reads first. It is right when, compared with
`match_key`,
- XQuAD: it contains one of the gold answers;
- seed format: it contains at least one evidence string in full, or it is part of an evidence
  string: one whole sentence of a quote longer than a sentence, or a span at least half as long
  as the quote (a lone name or number inside a long quote is not enough).
  One evidence string is enough, not all of them: a list answer spread over several sentences
  cannot fit in one claim; `cited` (a cited source holds every evidence string) measures that.
A refused answer's `first` is false. `first` is counted over the answerable questions.

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

Refusals are reported on the unanswerable questions together and split: `probes` (XQuAD questions
asked with their article filtered out) and `tempting` (`tests/data/tempting_questions.jsonl`:
questions about an indexed article, for a number, person, date or place that it does not give;
asked without filtering anything out; each written in Vietnamese and in English: `seed` gets the
seed-corpus ones in both languages, `xquad-vi`/`xquad-en` the XQuAD-corpus ones in their language;
`--limit` keeps all of them). They are for measuring only, never for tuning. With a reader that gives `signals["confidence"]` (0..1), a reliability
table groups our answers by confidence: count, mean confidence, share answered, share with a
right first claim, share of unanswerable questions.

Our side is the app itself: a `Pipeline` over its own temp data folder, timed from the question to
the extractive answer. `--compare` adds, in the same process and on the same chunks: dense only
(Chroma, our prompts), BM25 only (our lexical index), and the naive LangChain pipeline
(RecursiveCharacterTextSplitter 1000/200 over the article text, the same model without prompts,
`Chroma.similarity_search(k=5)` in a collection of its own). Systems are run one after the other
for each question, so background load affects them alike.

XQuAD has no unanswerable questions; `probes` makes some by rule: each question is asked again
with its own article filtered out of the search (same as a corpus without it), and the app must
refuse.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ingest.normalize import match_key, normalize
from ingest.readers import Article
from ingest.records import decode_chunk

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ("seed", "xquad-vi", "xquad-en")
OURS, DENSE, BM25, NAIVE = "newsqa", "dense", "bm25", "naive-langchain"
SYSTEMS = (OURS, DENSE, BM25, NAIVE)
DEPTH = 10  # ranks scored: Recall@1/5/10, MRR@10
NAIVE_K = 5
TEMPTING = ROOT / "tests" / "data" / "tempting_questions.jsonl"
BUCKETS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # reliability table: confidence ranges
_MARKER = re.compile(r"\s*\[\d+\]")


@dataclass
class Question:
    id: str
    text: str
    lang: str
    kind: str
    evidence: list[str]  # match_key'd
    need_all: bool  # seed format: every evidence string; XQuAD: any gold answer
    article: str | None = None  # the article that answers it
    probe: bool = False  # asked with its own article filtered out: must be refused

    @property
    def answerable(self) -> bool:
        return bool(self.evidence) and not self.probe

    def hit(self, text: str) -> bool:
        if not self.evidence:
            return False
        key = match_key(text)
        found = (e in key for e in self.evidence)
        return all(found) if self.need_all else any(found)

    def first(self, claim: str | None) -> bool:
        """Whether an answer's first claim holds the answer (rule in the module docstring)."""
        if not self.evidence or not claim:
            return False
        key = match_key(claim)
        if any(e in key for e in self.evidence):
            return True
        if not self.need_all:
            return False
        key = _bare(key)
        return bool(key) and any(
            key in e and (2 * len(key) >= len(e) or key in map(_bare, _SENTENCE_END.split(e))) for e in self.evidence
        )


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def _bare(key: str) -> str:
    return key.strip(" .!?…;:,\"'“”‘’«»()[]")


def first_claim(answer: str) -> str:
    """The text before the first ` [n]` citation marker (all of it when there is none)."""
    return _MARKER.split(answer, maxsplit=1)[0].strip()


@dataclass
class Dataset:
    name: str
    articles: list[Article]
    questions: list[Question]
    corpus: str  # what the index is built from (datasets with the same corpus share one index)


# ---- datasets ------------------------------------------------------------------------------
def default_shared() -> Path:
    for folder in (Path.cwd().parent / "shared", ROOT.parent / "shared"):
        if folder.exists():
            return folder
    return ROOT.parent / "shared"


def read_questions(path: Path) -> list[Question]:
    questions = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        evidence = [match_key(e) for e in item.get("evidence") or [] if e.strip()]
        questions.append(
            Question(
                id=str(item.get("id", n)),
                text=item["question"],
                lang=item.get("lang", ""),
                kind=item.get("kind", "") or ("factoid" if evidence else "unanswerable"),
                evidence=evidence,
                need_all=True,
                article=item.get("article"),
            )
        )
    return questions


def tempting_questions(corpus: str, langs: tuple[str, ...], articles: list[Article]) -> list[Question]:
    """The tempting unanswerable questions (`TEMPTING`) of one corpus ("seed" or "xquad") in `langs`,
    those about articles that `articles` has."""
    if not TEMPTING.exists():
        return []
    have = {a.id for a in articles}
    rows = [json.loads(line) for line in TEMPTING.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [
        Question(r["id"], r["question"], r["lang"], "tempting", [], True, r["article"])
        for r in rows
        if r.get("corpus") == corpus and r["lang"] in langs and r["article"] in have
    ]


def file_dataset(name: str, questions: Path, corpus: Path, tempting: bool | None = None) -> Dataset:
    """Questions in the seed format over a folder of plain-text articles (title on the first line).
    With `tempting` (default: when `name` is "seed") the seed-corpus tempting questions are added,
    in both languages, for the articles the folder has."""
    from ingest.readers import find_files, read_file

    files, _ = find_files([corpus])
    articles = [read_file(f) for f in files]
    asked = read_questions(questions)
    if tempting if tempting is not None else name == "seed":
        asked += tempting_questions("seed", ("vi", "en"), articles)
    return Dataset(name, articles, asked, f"files:{corpus.resolve()}")


def xquad_articles(path: Path) -> list[Article]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    articles = []
    for i, item in enumerate(data):
        title = item.get("title", "").replace("_", " ").strip()
        text = normalize("\n\n".join(p["context"].strip() for p in item["paragraphs"]))
        slug = re.sub(r"[^\w-]+", "-", title).strip("-")[:40]
        articles.append(Article(id=f"xquad-{i:02d}-{slug}", title=title, text=text, source=f"{path.name}#{i}"))
    return articles


def xquad_dataset(shared: Path, lang: str, probes: bool = True, tempting: bool = True) -> Dataset:
    """The Vietnamese XQuAD paragraphs as 48 articles; questions in `lang` ("vi" or "en"), then the
    XQuAD-corpus tempting questions in `lang`, then (with `probes`) every question again as a probe."""
    folder = shared / "eval" / "xquad"
    vi = folder / "xquad.vi.json"
    articles = xquad_articles(vi)
    asked = json.loads((folder / f"xquad.{lang}.json").read_text(encoding="utf-8"))["data"]
    # Gold answers are spans of the Vietnamese paragraphs: take them from the vi file, by id.
    gold = {
        qa["id"]: [match_key(a["text"]) for a in qa["answers"] if a["text"].strip()]
        for item in json.loads(vi.read_text(encoding="utf-8"))["data"]
        for p in item["paragraphs"]
        for qa in p["qas"]
    }
    questions = []
    for i, item in enumerate(asked):
        for p in item["paragraphs"]:
            for qa in p["qas"]:
                q = Question(qa["id"], qa["question"], lang, "xquad", gold[qa["id"]], False, articles[i].id)
                questions.append(q)
    probed = [replace(q, id=f"{q.id}:probe", kind="probe", probe=True) for q in questions] if probes else []
    if tempting:
        questions += tempting_questions("xquad", (lang,), articles)
    return Dataset(f"xquad-{lang}", articles, questions + probed, f"xquad:{vi.resolve()}")


def limit(dataset: Dataset, n: int) -> Dataset:
    """The first `n` questions (and their probes), and every tempting question (there are few)."""
    asked = [q for q in dataset.questions if not q.probe and q.kind != "tempting"][:n]
    ids = {q.id for q in asked}
    tempting = [q for q in dataset.questions if q.kind == "tempting"]
    probes = [q for q in dataset.questions if q.probe and q.id.removesuffix(":probe") in ids]
    return replace(dataset, questions=asked + tempting + probes)


# ---- systems -------------------------------------------------------------------------------
@dataclass
class Outcome:
    ranks: list[bool]  # hit at each retrieved position
    seconds: float
    found: bool | None = None  # ours: answered (not refused)
    cited: bool | None = None  # ours: the cited sources contain the evidence
    signals: dict = field(default_factory=dict)
    claim: str | None = None  # the answer's first claim (baselines: the picked sentence); None: refused
    first: bool | None = None  # the first claim holds the answer (answerable questions only)


class PlainEmbeddings:
    """The usual LangChain setup: the sentence-transformers model as is, no query/passage prompts."""

    def __init__(self, model):
        self.model = model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.model.encode(
            list(texts), batch_size=16, normalize_embeddings=True, show_progress_bar=False
        ).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.model.encode(text, normalize_embeddings=True, show_progress_bar=False).tolist()


def _naive_store(articles: list[Article], model, folder: Path):
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
    store = Chroma(client=client, collection_name="naive_langchain", embedding_function=_Plain(model))
    if store._collection.count() != len(docs):
        store.reset_collection()
        for i in range(0, len(docs), 64):
            store.add_documents(docs[i : i + 64])
    return store, len(docs)


class Runner:
    """The systems under test, over one corpus."""

    def __init__(self, pipeline, compare: bool, naive_store=None):
        self.pipeline = pipeline
        self.compare = compare
        self.naive = naive_store
        self.k = pipeline.settings.k
        self._query: tuple[str, np.ndarray] | None = None  # the last question's query vector
        self._plain: dict[str, np.ndarray] = {}  # naive: sentence -> plain vector

    def systems(self) -> list[str]:
        return list(SYSTEMS) if self.compare else [OURS]

    def run(self, system: str, q: Question) -> Outcome:
        outcome = getattr(self, "_" + system.replace("-", "_"))(q)
        if q.answerable:
            outcome.first = q.first(outcome.claim)
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
        from qa.query import Filters

        if not q.probe:
            return None
        ids = [a for a in self.pipeline.index.registry() if a != q.article]
        return Filters(article_ids=ids)

    def _newsqa(self, q: Question) -> Outcome:
        from qa.retriever import Retrieval

        pipeline, filters = self.pipeline, self._filters(q)
        started = time.perf_counter()
        retrieval = pipeline.search.search(q.text, max(DEPTH, self.k), filters)
        top = Retrieval(retrieval.hits[: self.k], retrieval.query_vector, retrieval.lexical_weight)
        answer = pipeline.answerer.answer(q.text, top, searched=q.text)
        seconds = time.perf_counter() - started
        cited = bool(q.evidence) and answer.found and _covers(q, [s.text for s in answer.sources])
        signals = dict(answer.signals)
        claim = first_claim(answer.answer) if answer.found else None
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
        return Outcome(ranks, seconds, answer.found, cited, signals, claim=claim)

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


def _covers(q: Question, texts: list[str]) -> bool:
    """Every evidence string (seed) / one gold answer (XQuAD) is inside one of the cited passages."""
    keys = [match_key(t) for t in texts]
    found = [any(e in k for k in keys) for e in q.evidence]
    return all(found) if q.need_all else any(found)


# ---- metrics -------------------------------------------------------------------------------
def first_hit(ranks: list[bool]) -> int | None:
    return next((i + 1 for i, h in enumerate(ranks) if h), None)


def summarize(system: str, questions: list[Question], outcomes: list[Outcome], depth: int) -> dict:
    answerable = [(q, o) for q, o in zip(questions, outcomes) if q.answerable]
    unanswerable = [(q, o) for q, o in zip(questions, outcomes) if not q.answerable]
    firsts = [first_hit(o.ranks) for _, o in answerable]
    n = len(answerable) or 1

    def recall(k):
        return None if k > depth else sum(1 for f in firsts if f is not None and f <= k) / n

    main = [o.seconds for q, o in zip(questions, outcomes) if not q.probe]
    out = {
        "system": system,
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "probes": sum(q.probe for q, _ in unanswerable),
        "tempting": sum(q.kind == "tempting" for q, _ in unanswerable),
        "recall@1": recall(1),
        "recall@5": recall(5),
        "recall@10": recall(10),
        "mrr@10": sum(1 / f for f in firsts if f is not None and f <= 10) / n,
        "first": sum(bool(o.first) for _, o in answerable) / n,
        "latency_p50_ms": float(np.percentile(main, 50) * 1000) if main else None,
        "latency_p95_ms": float(np.percentile(main, 95) * 1000) if main else None,
    }
    if system == OURS:

        def refused(pairs):
            return sum(not o.found for _, o in pairs) / len(pairs) if pairs else None

        out["cited"] = sum(bool(o.cited) for _, o in answerable) / n
        out["refused_unanswerable"] = refused(unanswerable)  # all of them: probes, tempting and others
        out["refused_probes"] = refused([(q, o) for q, o in unanswerable if q.probe])
        out["refused_tempting"] = refused([(q, o) for q, o in unanswerable if q.kind == "tempting"])
        out["refused_answerable"] = sum(not o.found for _, o in answerable) / n
    return out


def confidence(outcome: Outcome) -> float | None:
    """The reader's confidence (0..1) in an answer, when it gives one."""
    value = outcome.signals.get("confidence") if outcome.signals else None
    try:
        value = None if value is None else float(value)
    except (TypeError, ValueError):
        return None
    return value if value is not None and value == value else None  # NaN: none given


def reliability(questions: list[Question], outcomes: list[Outcome], edges=BUCKETS) -> list[dict] | None:
    """Answers grouped by confidence: per range, how many, their mean confidence, the share answered,
    the share whose first claim holds the answer, and the share of unanswerable questions.
    None when no answer has a confidence."""
    rows = [(q, o, c) for q, o in zip(questions, outcomes) if (c := confidence(o)) is not None]
    if not rows:
        return None
    buckets = []
    for i, (low, high) in enumerate(zip(edges, edges[1:])):
        last = i == len(edges) - 2
        inside = [(q, o, c) for q, o, c in rows if low <= c < high or (last and c >= high) or (i == 0 and c < low)]
        n = len(inside)
        buckets.append(
            {
                "range": f"{low:.1f}–{high:.1f}",
                "count": n,
                "mean_confidence": sum(c for _, _, c in inside) / n if n else None,
                "answered": sum(bool(o.found) for _, o, _ in inside) / n if n else None,
                "first": sum(bool(o.first) for _, o, _ in inside) / n if n else None,
                "unanswerable": sum(not q.answerable for q, _, _ in inside) / n if n else None,
            }
        )
    return buckets


# ---- running -------------------------------------------------------------------------------
@dataclass
class Corpus:
    pipeline: object
    naive: object
    chunks: int
    naive_chunks: int
    seconds: float


def build_corpus(dataset: Dataset, settings, embedder, work_dir: Path, compare: bool) -> Corpus:
    """Our index (through `Pipeline`/`Index`) and, with `compare`, the naive store, in `work_dir`."""
    from qa.pipeline import Pipeline

    started = time.perf_counter()
    data_dir = work_dir / "index"
    pipeline = Pipeline.open(replace(settings, data_dir=data_dir, chroma_url=""), embedder=embedder)
    report = pipeline.ingest(dataset.articles)
    wanted = {a.id for a in dataset.articles}
    stale = [a for a in pipeline.index.registry() if a not in wanted]
    if stale:
        pipeline.remove(stale)
    if report.duplicates:
        logger.warning("Skipped as duplicates: %s", "; ".join(report.duplicates))
    naive, naive_chunks = (None, 0)
    if compare:
        naive, naive_chunks = _naive_store(dataset.articles, embedder.model, work_dir / "naive")
    chunks = sum(a.chunk_count for a in pipeline.index.registry().values())
    return Corpus(pipeline, naive, chunks, naive_chunks, time.perf_counter() - started)


def evaluate(
    dataset: Dataset, corpus: Corpus, compare: bool, progress: Callable[[int], None] | None = None, warmup: int = 5
) -> dict:
    runner = Runner(corpus.pipeline, compare, corpus.naive)
    systems = runner.systems()
    for q in dataset.questions[:warmup]:  # load the lexical index, warm caches and the model
        for system in systems:
            runner.run(system, q)
    outcomes: dict[str, list[Outcome]] = {s: [] for s in systems}
    for n, q in enumerate(dataset.questions):
        order = systems[n % len(systems) :] + systems[: n % len(systems)]  # rotate: no system always first
        for system in order:
            if q.probe and system != OURS:
                outcomes[system].append(Outcome([], 0.0))
                continue
            outcomes[system].append(runner.run(system, q))
        if progress:
            progress(1)
    rows = {s: summarize(s, dataset.questions, outcomes[s], NAIVE_K if s == NAIVE else DEPTH) for s in systems}
    details = []
    for i, q in enumerate(dataset.questions):
        ours = outcomes[OURS][i]
        row = {
            "id": q.id,
            "kind": q.kind,
            "lang": q.lang,
            "question": q.text,
            "answerable": q.answerable,
            "found": ours.found,
            "cited": ours.cited if q.answerable else None,
            "confidence": confidence(ours),
            "signals": ours.signals,
            "first_hit": {s: first_hit(outcomes[s][i].ranks) for s in systems if not (q.probe and s != OURS)},
            "first": {s: outcomes[s][i].first for s in systems if not (q.probe and s != OURS)},
            "claim": {s: outcomes[s][i].claim for s in systems if not (q.probe and s != OURS)},
            "ms": round(ours.seconds * 1000, 2),
        }
        details.append(row)
    result = {
        "dataset": dataset.name,
        "articles": len(dataset.articles),
        "chunks": corpus.chunks,
        "naive_chunks": corpus.naive_chunks if compare else None,
        "questions": len(dataset.questions),
        "index_seconds": round(corpus.seconds, 1),
        "query_encoder": "onnx" if corpus.pipeline.embedder.query_encoder is not None else "torch",
        "systems": rows,
        "reliability": reliability(dataset.questions, outcomes[OURS]),
        "details": details,
    }
    if compare and rows[NAIVE]["latency_p95_ms"]:
        result["latency_ratio_p95"] = rows[OURS]["latency_p95_ms"] / rows[NAIVE]["latency_p95_ms"]
    return result


def run(
    datasets: list[Dataset], settings, embedder, compare: bool, work_dir: Path | None = None, progress=None
) -> list[dict]:
    """Evaluate each dataset; datasets over the same corpus share one index."""
    own = work_dir is None
    root = Path(tempfile.mkdtemp(prefix="newsqa-eval-")) if own else Path(work_dir)
    results = []
    corpora: dict[str, Corpus] = {}
    try:
        for dataset in datasets:
            if dataset.corpus not in corpora:
                folder = root / ("corpus-" + hashlib.sha1(dataset.corpus.encode()).hexdigest()[:10])
                corpora[dataset.corpus] = build_corpus(dataset, settings, embedder, folder, compare)
            results.append(evaluate(dataset, corpora[dataset.corpus], compare, progress))
    finally:
        if own:
            shutil.rmtree(root, ignore_errors=True)
    return results


# ---- output --------------------------------------------------------------------------------
def _fmt(value, digits=3) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}"


def markdown(results: list[dict]) -> str:
    head = (
        "| dataset | system | R@1 | R@5 | R@10 | MRR@10 | first | cited | refused unanswerable (all) "
        "| refused probes | refused tempting | refused answerable | p50 ms | p95 ms |"
    )
    lines = [head, "|" + "---|" * 14]
    for r in results:
        for s in r["systems"].values():
            lines.append(
                f"| {r['dataset']} | {s['system']} | {_fmt(s['recall@1'])} | {_fmt(s['recall@5'])} | "
                f"{_fmt(s['recall@10'])} | {_fmt(s['mrr@10'])} | {_fmt(s.get('first'))} | {_fmt(s.get('cited'))} | "
                f"{_fmt(s.get('refused_unanswerable'))} | {_fmt(s.get('refused_probes'))} | "
                f"{_fmt(s.get('refused_tempting'))} | {_fmt(s.get('refused_answerable'))} | "
                f"{_fmt(s['latency_p50_ms'], 1)} | {_fmt(s['latency_p95_ms'], 1)} |"
            )
    notes = []
    for r in results:
        ours = r["systems"][OURS]
        note = (
            f"{r['dataset']}: {r['articles']} articles, {r['chunks']} chunks"
            + (f" (naive: {r['naive_chunks']})" if r.get("naive_chunks") else "")
            + f"; {ours['answerable']} answerable, {ours['unanswerable']} unanswerable questions "
            f"({ours.get('probes', 0)} probes, {ours.get('tempting', 0)} tempting); "
            f"query encoder {r['query_encoder']}"
        )
        if "latency_ratio_p95" in r:
            note += f"; answer p95 / naive similarity_search p95 = {r['latency_ratio_p95']:.2f}"
        notes.append(note)
    out = "\n".join(lines) + "\n\n" + "\n".join(notes)
    tables = [reliability_markdown(r["dataset"], r["reliability"]) for r in results if r.get("reliability")]
    return out + "".join("\n\n" + t for t in tables)


def reliability_markdown(dataset: str, buckets: list[dict]) -> str:
    lines = [
        f"Reliability of {OURS} on {dataset} (answers grouped by the reader's confidence):",
        "",
        "| confidence | count | mean confidence | answered | first | unanswerable |",
        "|---|---|---|---|---|---|",
    ]
    for b in buckets:
        lines.append(
            f"| {b['range']} | {b['count']} | {_fmt(b['mean_confidence'])} | {_fmt(b['answered'])} | "
            f"{_fmt(b['first'])} | {_fmt(b['unanswerable'])} |"
        )
    return "\n".join(lines)
