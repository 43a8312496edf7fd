"""Simulated indexes for `newsqa bench --simulate`: N chunks made from real sentences, written the
way the writer writes them (registry records, chunk records, the lexical index, the generation
record), with vectors that need no encoder.

A pool of real articles is encoded once (`build_pool`): each of its sentences keeps its text and
its contextual sentence vector. A simulated article is a random title of the pool and
`CHUNKS_PER_ARTICLE` chunks of 3 to 7 random pool sentences; each sentence vector is the pool
vector plus Gaussian noise, and the chunk vector is the normalised mean of its sentence vectors
plus noise. So the dense side searches clustered, realistic vectors, and the lexical side real
Vietnamese vocabulary with realistic frequencies, at any N.
"""

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.chunk import Chunk, Span, chunk_text
from ingest.embedder import pack_vectors
from ingest.lexical import LexicalIndex
from ingest.readers import Article
from ingest.records import article_meta, chunk_meta, embed_text
from ingest.store import (
    REGISTRY_VECTOR,
    Key,
    StoreConfig,
    generation_record,
    get_collections,
    new_store_id,
    open_client,
)

logger = logging.getLogger(__name__)

CHUNKS_PER_ARTICLE = 4  # the real corpus has about 4 (10,836 chunks for 2,653 articles)
SENTENCES = (3, 8)  # sentences per simulated chunk: from 3 to 7
NOISE = 0.02  # standard deviation of the noise added to each vector component (vectors have norm 1)
BATCH = 1000  # chunks per Chroma write
MARKER = "simulated.json"
IDLE_SECONDS = 600  # an unfinished index nothing wrote to for this long was left by a build that died


def _last_write(folder: Path) -> float:
    return max((f.stat().st_mtime for f in folder.rglob("*")), default=0.0)


@dataclass
class Pool:
    sentences: list[str]
    vectors: np.ndarray  # float32, one row per sentence
    titles: list[str]


def build_pool(embedder, articles: list[Article], path: Path) -> Pool:
    """Encode the pool articles' chunks once (sentence vectors as the writer makes them); cached at `path`."""
    if path.with_suffix(".json").exists() and path.with_suffix(".npy").exists():
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        return Pool(meta["sentences"], np.load(path.with_suffix(".npy")).astype(np.float32), meta["titles"])
    sentences, vectors = [], []
    for article in articles:
        chunks = chunk_text(article.text)
        texts = [embed_text(article.title, c.text) for c in chunks]
        prefix = len(article.title) + 1 if article.title else 0
        spans = [[(s.start - c.start + prefix, s.end - c.start + prefix) for s in c.sentences] for c in chunks]
        _, sentence_vectors = embedder.encode_passages(texts, spans)
        for c, sv in zip(chunks, sentence_vectors):
            for s, v in zip(c.sentences, sv):
                sentences.append(article.text[s.start : s.end])
                vectors.append(v)
    pool = Pool(sentences, np.asarray(vectors, dtype=np.float32), [a.title for a in articles if a.title])
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path.with_suffix(".npy"), pool.vectors.astype(np.float16))
    path.with_suffix(".json").write_text(
        json.dumps({"sentences": sentences, "titles": pool.titles}, ensure_ascii=False), encoding="utf-8"
    )
    return pool


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=-1, keepdims=True), 1e-9)


def simulated_articles(pool: Pool, n_chunks: int, seed: int):
    """(Article, chunks, chunk vectors, packed sentence vectors) of simulated articles, `n_chunks` chunks in all."""
    rng = np.random.default_rng(seed)
    made = 0
    number = 0
    while made < n_chunks:
        count = min(CHUNKS_PER_ARTICLE, n_chunks - made)
        pieces, picks = [], []
        for _ in range(count):
            chosen = rng.integers(len(pool.sentences), size=int(rng.integers(*SENTENCES)))
            picks.append(chosen)
            pieces.append([pool.sentences[i] for i in chosen])
        text, chunks, offset = [], [], 0
        for j, sentences in enumerate(pieces):
            spans, start = [], offset
            for s in sentences:
                spans.append(Span(offset, offset + len(s)))
                offset += len(s) + 1
            body = " ".join(sentences)
            chunks.append(Chunk(j, start, start + len(body), body, tuple(spans)))
            text.append(body)
            offset = start + len(body) + 2
        day = int(rng.integers(0, 5 * 365))
        date = np.datetime64("2020-01-01") + np.timedelta64(day, "D")
        article = Article(
            id=f"sim-{seed}-{number:07d}",
            title=pool.titles[int(rng.integers(len(pool.titles)))],
            text="\n\n".join(text),
            date=str(date),
            source="simulated",
        )
        vectors, packed = [], []
        for chosen in picks:
            sv = _unit(pool.vectors[chosen] + rng.normal(0, NOISE, (len(chosen), pool.vectors.shape[1])))
            vectors.append(_unit(sv.mean(axis=0) + rng.normal(0, NOISE, pool.vectors.shape[1])))
            packed.append(pack_vectors(sv))
        yield article, chunks, vectors, packed
        made += count
        number += 1


def build(data_dir: Path, n_chunks: int, pool: Pool, seed: int, progress=None) -> dict:
    """Write an index of `n_chunks` simulated chunks into `data_dir` (in-process Chroma and the
    lexical index), committed as generation 1; a marker file says it is complete."""
    data_dir = Path(data_dir)
    marker = data_dir / MARKER
    while data_dir.exists() and any(data_dir.iterdir()) and not marker.exists():
        if time.time() - _last_write(data_dir) > IDLE_SECONDS:
            raise SystemExit(f"{data_dir} holds an incomplete simulated index; delete it and run again.")
        time.sleep(10)  # another process is building it: wait for it
    if marker.exists():
        done = json.loads(marker.read_text())
        if done.get("chunks") == n_chunks:
            return done
        raise SystemExit(
            f"{data_dir} holds a simulated index of {done.get('chunks')} chunks; delete it and run again."
        )
    started = time.perf_counter()
    client = open_client(StoreConfig(data_dir))
    chunks_collection, articles_collection = get_collections(client)
    lexical = LexicalIndex.create(data_dir / "lexical" / "tantivy")
    store_id, generation = new_store_id(), 1
    rows: dict[str, list] = {k: [] for k in ("ids", "embeddings", "documents", "metadatas")}
    registry: dict[str, list] = {k: [] for k in ("ids", "embeddings", "documents", "metadatas")}
    lexical_rows = []

    def flush():
        if rows["ids"]:
            chunks_collection.add(**rows)
            articles_collection.add(**registry)
            lexical.add(lexical_rows)
        for table in (rows, registry):
            for v in table.values():
                v.clear()
        lexical_rows.clear()

    for article, chunks, vectors, packed in simulated_articles(pool, n_chunks, seed):
        h = article.content_hash
        for c, vector, sv in zip(chunks, vectors, packed):
            chunk_id = f"{c.id_for(article.id)}:{h[:8]}"
            rows["ids"].append(chunk_id)
            rows["embeddings"].append(vector)
            rows["documents"].append(c.text)
            rows["metadatas"].append(chunk_meta(article, c, sv))
            lexical_rows.append((chunk_id, article.id, embed_text(article.title, c.text)))
        meta = {**article_meta(article, len(chunks)), Key.PENDING: "", Key.RETIRED: "", Key.COMMITTED: generation}
        registry["ids"].append(article.id)
        registry["embeddings"].append(REGISTRY_VECTOR)
        registry["documents"].append(article.text)
        registry["metadatas"].append(meta)
        if progress is not None:
            progress(len(chunks))
        if len(rows["ids"]) >= BATCH:
            flush()
    flush()
    lexical.commit(generation, store_id)
    lexical.close()
    id_, vector, document, meta = generation_record(generation, store_id)
    articles_collection.upsert(ids=[id_], embeddings=[vector], documents=[document], metadatas=[meta])
    done = {"chunks": n_chunks, "seconds": time.perf_counter() - started, "seed": seed}
    done["chunks_per_s"] = n_chunks / done["seconds"]
    marker.write_text(json.dumps(done))
    return done
