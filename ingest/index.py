"""The indexing pipeline: articles in, chunks and vectors into Chroma, the lexical index on disk.

Writes follow a protocol that keeps the index exact across crashes (see `ingest.store`):
1. the registry marks the article's new hash as pending;
2. its chunks are written under that hash (invisible to readers until step 3);
3. the registry points at the new hash (the commit) and the generation is bumped;
4. chunks of the old hash are deleted and the pending mark cleared.
A crash anywhere leaves a pending mark; the next writer finishes or undoes that article first.
"""

import json
import re
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from ingest.chunk import chunk_text
from ingest.embedder import Embedder, pack_vectors
from ingest.errors import NotFoundError, StoreError, StoreLockedError
from ingest.lexical import LexicalIndex
from ingest.readers import Article
from ingest.store import GENERATION_ID, REGISTRY_VECTOR, Key, get_collections, read_generation, write_generation

logger = logging.getLogger(__name__)

PENDING = "pending"


@dataclass
class ArticleInfo:
    id: str
    title: str
    byline: str
    date: str
    url: str
    source: str
    hash: str
    chunk_count: int


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # messages
    chunks_written: int = 0
    embedded: int = 0
    seconds: float = 0.0


def embed_text(title: str, text: str) -> str:
    """What is embedded and BM25-indexed for a chunk: its article's title, then the chunk."""
    return f"{title}\n{text}" if title else text


class Index:
    """Chroma collections + lexical index of one data folder (or Chroma server)."""

    def __init__(self, client, data_dir: Path, embedder: Embedder | None):
        self.client = client
        self.data_dir = data_dir
        self.embedder = embedder
        self.chunks, self.articles = get_collections(client)
        self.lexical_dir = data_dir / "lexical"
        self._lexical: LexicalIndex | None = None

    # ---- reading -------------------------------------------------------------------------
    def generation(self) -> int:
        return read_generation(self.articles)

    def registry(self) -> dict[str, ArticleInfo]:
        """Committed articles by id."""
        got = self.articles.get(include=["metadatas"])
        out: dict[str, ArticleInfo] = {}
        for id_, meta in zip(got["ids"], got["metadatas"]):
            if id_ == GENERATION_ID or not meta.get(Key.ARTICLE_HASH):
                continue
            out[id_] = _info(id_, meta)
        return out

    def article_text(self, article_id: str) -> tuple[ArticleInfo, str]:
        got = self.articles.get(ids=[article_id], include=["metadatas", "documents"])
        if not got["ids"] or not got["metadatas"][0].get(Key.ARTICLE_HASH):
            raise NotFoundError(f"No article with id '{article_id}'. `newsqa list` shows the indexed articles.")
        return _info(article_id, got["metadatas"][0]), got["documents"][0]

    def article_chunks(self, article_id: str, article_hash: str) -> list[dict]:
        got = self.chunks.get(
            where={"$and": [{Key.ARTICLE_ID: article_id}, {Key.ARTICLE_HASH: article_hash}]},
            include=["metadatas", "documents"],
        )
        rows = [{"id": i, "text": d, **m} for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])]
        return sorted(rows, key=lambda r: r[Key.CHUNK_INDEX])

    def lexical(self, generation: int | None = None) -> LexicalIndex:
        """The lexical index for the current generation: from memory, from disk, or rebuilt."""
        generation = self.generation() if generation is None else generation
        if self._lexical is not None and self._lexical.generation == generation:
            return self._lexical
        loaded = LexicalIndex.load(self.lexical_dir)
        if loaded is None or loaded.generation != generation:
            loaded = self._rebuild_lexical(generation)
        self._lexical = loaded
        return loaded

    def _rebuild_lexical(self, generation: int) -> LexicalIndex:
        started = time.perf_counter()
        current = {a.id: a.hash for a in self.registry().values()}
        ids, texts = [], []
        offset, page = 0, 2000
        while True:
            got = self.chunks.get(include=["documents", "metadatas"], limit=page, offset=offset)
            for id_, doc, meta in zip(got["ids"], got["documents"], got["metadatas"]):
                if current.get(meta[Key.ARTICLE_ID]) == meta[Key.ARTICLE_HASH]:
                    ids.append(id_)
                    texts.append(embed_text(meta.get(Key.TITLE, ""), doc))
            if len(got["ids"]) < page:
                break
            offset += page
        index = LexicalIndex.build(ids, texts, generation)
        try:
            index.save(self.lexical_dir)
        except OSError as e:
            logger.warning("Could not save the lexical index to %s: %s", self.lexical_dir, e)
        logger.info("Rebuilt lexical index: %d chunks in %.2fs", len(ids), time.perf_counter() - started)
        return index

    # ---- writing -------------------------------------------------------------------------
    def lock(self) -> FileLock:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.data_dir / "write.lock"), timeout=0)

    def _locked(self):
        lock = self.lock()
        try:
            lock.acquire()
        except Timeout:
            raise StoreLockedError(
                f"Another newsqa process is writing to {self.data_dir} (lock {lock.lock_file}). "
                "Wait for it to finish, then run this again."
            ) from None
        return lock

    def ingest(
        self,
        articles: Iterable[Article],
        progress: Callable[[Article, int], None] | None = None,
        batch_chunks: int = 64,
    ) -> IngestReport:
        """Add new articles, replace changed ones, skip unchanged ones and duplicates."""
        if self.embedder is None:
            raise StoreError("This index was opened without an embedding model; it cannot ingest.")
        report = IngestReport()
        started = time.perf_counter()
        lock = self._locked()
        try:
            self.recover()
            registry = self.registry()
            by_hash = {a.hash: a.id for a in registry.values()}
            batch: list[tuple[Article, ArticleInfo | None]] = []
            batch_size = 0
            for article in articles:
                old = registry.get(article.id)
                h = article.content_hash
                if old is not None and old.hash == h:
                    report.unchanged.append(article.id)
                elif h in by_hash and by_hash[h] != article.id:
                    report.duplicates.append(
                        f"{article.source}: same article as '{by_hash[h]}', already indexed; skipped."
                    )
                else:
                    by_hash[h] = article.id
                    registry[article.id] = _info_of(article, 0)
                    batch.append((article, old))
                    batch_size += max(1, len(article.text) // 600)
                if progress:
                    progress(article, 1)
                if batch_size >= batch_chunks:
                    self._write_batch(batch, report)
                    batch, batch_size = [], 0
            if batch:
                self._write_batch(batch, report)
            if report.added or report.updated:
                self._lexical = None
                self.lexical()
        finally:
            lock.release()
        report.seconds = time.perf_counter() - started
        return report

    def _write_batch(self, batch: list[tuple[Article, ArticleInfo | None]], report: IngestReport) -> None:
        plans = []
        texts, spans = [], []
        for article, old in batch:
            chunks = chunk_text(article.text)
            prefix = len(article.title) + 1 if article.title else 0
            for c in chunks:
                texts.append(embed_text(article.title, c.text))
                spans.append([(s.start - c.start + prefix, s.end - c.start + prefix) for s in c.sentences])
            plans.append((article, old, chunks))
        vectors, sentence_vectors = self.embedder.encode_passages(texts, spans)
        report.embedded += len(texts)
        row = 0
        for article, old, chunks in plans:
            n = len(chunks)
            self._write_article(article, old, chunks, vectors[row : row + n], sentence_vectors[row : row + n])
            row += n
            report.chunks_written += n
            (report.updated if old is not None else report.added).append(article.id)

    def _write_article(self, article: Article, old: ArticleInfo | None, chunks, vectors, sentence_vectors) -> None:
        h = article.content_hash
        old_hash = old.hash if old is not None else ""
        # 1. pending mark
        if old is None:
            self.articles.upsert(
                ids=[article.id],
                embeddings=[REGISTRY_VECTOR],
                documents=[""],
                metadatas=[{**_article_meta(article, 0), Key.ARTICLE_HASH: "", PENDING: h}],
            )
        else:
            self.articles.update(ids=[article.id], metadatas=[{PENDING: h}])
        # 2. chunks under the new hash
        base = _article_meta(article, len(chunks))
        metas = []
        for c, sv in zip(chunks, sentence_vectors):
            metas.append(
                {
                    **{k: base[k] for k in (Key.ARTICLE_ID, Key.TITLE, Key.BYLINE, Key.DATE, Key.DAY, Key.URL, Key.SOURCE)},
                    Key.ARTICLE_HASH: h,
                    Key.CHUNK_INDEX: c.index,
                    Key.START: c.start,
                    Key.END: c.end,
                    Key.SENTENCES: json.dumps([[s.start - c.start, s.end - c.start] for s in c.sentences]),
                    Key.SENTENCE_VECTORS: pack_vectors(sv),
                }
            )
        ids = [c.id_for(article.id) + f":{h[:8]}" for c in chunks]
        for i in range(0, len(ids), 500):
            self.chunks.upsert(
                ids=ids[i : i + 500],
                embeddings=[v.tolist() for v in vectors[i : i + 500]],
                documents=[c.text for c in chunks[i : i + 500]],
                metadatas=metas[i : i + 500],
            )
        # 3. commit
        self.articles.upsert(
            ids=[article.id],
            embeddings=[REGISTRY_VECTOR],
            documents=[article.text],
            metadatas=[{**base, PENDING: old_hash}],
        )
        write_generation(self.articles, self.generation() + 1)
        # 4. old chunks go
        if old_hash:
            self.chunks.delete(where={"$and": [{Key.ARTICLE_ID: article.id}, {Key.ARTICLE_HASH: old_hash}]})
        self.articles.update(ids=[article.id], metadatas=[{PENDING: ""}])

    def recover(self) -> list[str]:
        """Finish or undo writes that a crash interrupted; returns the article ids touched."""
        got = self.articles.get(where={PENDING: {"$ne": ""}}, include=["metadatas"])
        touched = []
        for id_, meta in zip(got["ids"], got["metadatas"]):
            pending, current = meta.get(PENDING, ""), meta.get(Key.ARTICLE_HASH, "")
            if pending and pending != current:
                self.chunks.delete(where={"$and": [{Key.ARTICLE_ID: id_}, {Key.ARTICLE_HASH: pending}]})
            if current:
                self.articles.update(ids=[id_], metadatas=[{PENDING: ""}])
            else:
                self.articles.delete(ids=[id_])
            touched.append(id_)
        if touched:
            logger.info("Recovered %d interrupted article write(s): %s", len(touched), ", ".join(touched))
            write_generation(self.articles, self.generation() + 1)
        return touched

    def remove(self, article_ids: list[str]) -> list[str]:
        """Remove articles and their chunks; returns the ids removed."""
        lock = self._locked()
        try:
            self.recover()
            registry = self.registry()
            missing = [a for a in article_ids if a not in registry]
            if missing:
                raise NotFoundError(f"No article with id {', '.join(missing)}. `newsqa list` shows the indexed articles.")
            for article_id in article_ids:
                old_hash = registry[article_id].hash
                self.articles.update(ids=[article_id], metadatas=[{Key.ARTICLE_HASH: "", PENDING: old_hash}])
                write_generation(self.articles, self.generation() + 1)
                self.chunks.delete(where={Key.ARTICLE_ID: article_id})
                self.articles.delete(ids=[article_id])
            self._lexical = None
            self.lexical()
        finally:
            lock.release()
        return article_ids


def _article_meta(article: Article, chunk_count: int) -> dict:
    return {
        Key.ARTICLE_ID: article.id,
        Key.ARTICLE_HASH: article.content_hash,
        Key.TITLE: article.title,
        Key.BYLINE: article.byline,
        Key.DATE: article.date,
        Key.DAY: day_number(article.date),
        Key.URL: article.url,
        Key.SOURCE: article.source,
        Key.CHUNK_COUNT: chunk_count,
    }


def day_number(date: str) -> int:
    """yyyymmdd as an int for an ISO date, 0 otherwise."""
    return int(date.replace("-", "")) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) else 0


def _info(id_: str, meta: dict) -> ArticleInfo:
    return ArticleInfo(
        id=id_,
        title=meta.get(Key.TITLE, ""),
        byline=meta.get(Key.BYLINE, ""),
        date=meta.get(Key.DATE, ""),
        url=meta.get(Key.URL, ""),
        source=meta.get(Key.SOURCE, ""),
        hash=meta.get(Key.ARTICLE_HASH, ""),
        chunk_count=int(meta.get(Key.CHUNK_COUNT, 0)),
    )


def _info_of(article: Article, chunk_count: int) -> ArticleInfo:
    return _info(article.id, _article_meta(article, chunk_count))
