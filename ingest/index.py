"""The indexing pipeline: articles in, chunks and vectors into Chroma, the lexical index on disk.

Each article has a stable id (see `ingest.readers`) and a content hash; each chunk's id is made
from the article id, the chunk's index and text, and the article hash. Re-ingesting an unchanged
article embeds and writes nothing; a changed one gets new chunks (reusing the vectors of chunks
whose text did not change) and its old chunks go.

Writers take a file lock on the data folder (one writer at a time); readers take no lock. Writes
are committed in batches (every `commit_chunks` chunks or `commit_seconds`), each batch by this
protocol, which keeps the index exact across a crash (kill -9) at any point:

1. the registry record of each article in the batch gets `pending = new hash` (a new article gets
   a record with an empty `article_hash`, invisible to readers);
2. the batch's chunks are written under their article's new hash (invisible: readers only show
   chunks whose hash is the registry's);
3. the lexical index with the batch applied is saved as a new version, tagged generation g+1;
4. commit: one upsert writes the batch's registry records (`article_hash = new hash`, `retired =
   old hash`) and the generation record g+1. Readers now see the new versions;
5. later (at the next commit, or at the end after `grace_seconds`, so that a query that started
   before the commit still finds the old chunks it was shown) the retired chunks are deleted and
   the `pending`/`retired` marks cleared.

A crash leaves marks; the next writer's `recover()` deletes uncommitted chunks and retired ones,
removes never-committed records, rebuilds the lexical index from Chroma (dropping any orphan
chunk on the way) and bumps the generation, so the index equals a clean ingest of what was
committed, and re-running the same ingest completes it.
"""

import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from ingest.chunk import Chunk, chunk_text
from ingest.embedder import Embedder, pack_vectors
from ingest.errors import NotFoundError, StoreError, StoreLockedError
from ingest.lexical import LexicalIndex
from ingest.readers import Article
from ingest.store import (
    GENERATION_ID,
    REGISTRY_VECTOR,
    Key,
    generation_record,
    get_collections,
    new_store_id,
    read_state,
)

logger = logging.getLogger(__name__)

ENCODE_CHUNKS = 128  # chunks per call to the model (it sorts them by length, then batches them)
WRITE_BATCH = 500  # records per Chroma call
PAGE = 2000  # records per page when scanning the store


def _env_number(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


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
    removed: list[str] = field(default_factory=list)  # by `prune`
    chunks_written: int = 0
    embedded: int = 0  # chunks run through the model (chunks of a changed article whose text is unchanged are not)
    commits: int = 0
    recovered: list[str] = field(default_factory=list)  # articles whose interrupted write was finished or undone
    seconds: float = 0.0


def embed_text(title: str, text: str) -> str:
    """What is embedded and BM25-indexed for a chunk: its article's title, then the chunk."""
    return f"{title}\n{text}" if title else text


@dataclass
class _Planned:
    """An article ready to be written: its chunks, their ids and vectors."""

    article: Article
    old: "ArticleInfo | None"
    chunks: list[Chunk]
    ids: list[str]
    texts: list[str]  # embed_text of each chunk
    vectors: list  # one embedding per chunk
    packed: list[str]  # packed sentence vectors per chunk
    old_chunk_ids: list[str] = field(default_factory=list)


@dataclass
class _Retired:
    """Articles committed at one commit, whose marks (and old chunks) are still to be cleared."""

    committed_at: float
    records: list[tuple[str, str]]  # (article id, retired hash or "")


class Index:
    """Chroma collections + lexical index of one data folder (or Chroma server)."""

    def __init__(self, client, data_dir: Path, embedder: Embedder | None):
        self.client = client
        self.data_dir = Path(data_dir)
        self.embedder = embedder
        self.chunks, self.articles = get_collections(client)
        self.lexical_dir = self.data_dir / "lexical"
        self._lexical: LexicalIndex | None = None
        self._store_id = ""
        self._writing = 0
        self.commit_chunks = int(_env_number("NEWSQA_COMMIT_CHUNKS", 256))
        self.commit_seconds = _env_number("NEWSQA_COMMIT_SECONDS", 30.0)
        self.grace_seconds = _env_number("NEWSQA_GRACE_SECONDS", 2.0)
        self.fault: Callable[[str], None] | None = None  # tests: called at each step of a commit

    # ---- reading -------------------------------------------------------------------------
    def generation(self) -> int:
        """The store's generation. An in-process store that another process changed since we last
        looked is reopened first, so its new vectors are searchable here too."""
        state = read_state(self.articles)
        sync = getattr(self.client, "sync", None)
        if sync is not None and sync(state.generation, state.writer):
            state = read_state(self.articles)
        self._store_id = state.store_id
        return state.generation

    @property
    def store_id(self) -> str:
        """The random id of the store, as of the last `generation()` call ("" before any write)."""
        return self._store_id

    def registry(self) -> dict[str, ArticleInfo]:
        """Committed articles by id."""
        out: dict[str, ArticleInfo] = {}
        for id_, meta in self._scan(self.articles, ["metadatas"]):
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
        got = self.chunks.get(where=_article_where(article_id, article_hash), include=["metadatas", "documents"])
        rows = [{"id": i, "text": d, **m} for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])]
        return sorted(rows, key=lambda r: r[Key.CHUNK_INDEX])

    def counts(self) -> dict[str, int]:
        """Articles, chunks in Chroma, and chunks in the lexical index (equal when all is in step)."""
        return {
            "articles": len(self.registry()),
            "chunks": self.chunks.count(),
            "lexical_chunks": len(self.lexical().ids),
        }

    def lexical(self, generation: int | None = None) -> LexicalIndex:
        """The lexical index for `generation` (default: the current one): from memory, from disk,
        or, when neither is recent enough, rebuilt from Chroma. A newer saved version than asked
        for is fine: its extra chunks are not visible to a reader of the older generation."""
        if generation is None or not self._store_id:
            current = self.generation()  # also learns the store's id
            generation = current if generation is None else generation
        cached = self._lexical
        if cached is not None and cached.generation >= generation and cached.store_id == self._store_id:
            return cached
        loaded = LexicalIndex.load(self.lexical_dir)
        if loaded is not None and loaded.generation >= generation and loaded.store_id == self._store_id:
            self._lexical = loaded
            return loaded
        index, _ = self._rebuild_lexical(generation)
        if not self._writing:
            self._save_if_idle(index)
        self._lexical = index
        return index

    def _rebuild_lexical(self, generation: int) -> tuple[LexicalIndex, list[str]]:
        """The lexical index of the committed chunks, read from Chroma; and the ids of chunks no
        committed article owns (orphans)."""
        started = time.perf_counter()
        current = {a.id: a.hash for a in self.registry().values()}
        ids, texts, orphans = [], [], []
        for id_, doc, meta in self._scan(self.chunks, ["documents", "metadatas"]):
            if current.get(meta.get(Key.ARTICLE_ID)) == meta.get(Key.ARTICLE_HASH):
                ids.append(id_)
                texts.append(embed_text(meta.get(Key.TITLE, ""), doc))
            else:
                orphans.append(id_)
        index = LexicalIndex.build(ids, texts, generation, self._store_id)
        logger.info("Rebuilt lexical index: %d chunks in %.2fs", len(ids), time.perf_counter() - started)
        return index, orphans

    def _save_if_idle(self, index: LexicalIndex) -> None:
        """A reader saves a rebuilt index only while no writer holds the lock."""
        lock = self.lock()
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return
        try:
            index.save(self.lexical_dir)
        except OSError as e:
            logger.warning("Could not save the lexical index to %s: %s", self.lexical_dir, e)
        finally:
            lock.release()

    def _scan(self, collection, include: list[str]):
        """(id, [document,] metadata) of every record, page by page."""
        offset = 0
        while True:
            got = collection.get(include=include, limit=PAGE, offset=offset)
            columns = [got["ids"]] + [got[k] for k in include]
            for row in zip(*columns):
                if len(row) == 2:
                    yield row[0], row[1] or {}
                else:
                    yield row[0], row[1], row[2] or {}
            if len(got["ids"]) < PAGE:
                return
            offset += PAGE

    # ---- the write lock ------------------------------------------------------------------
    def lock(self) -> FileLock:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.data_dir / "write.lock"), timeout=0)

    @contextmanager
    def writing(self):
        """Hold the data folder's write lock (re-entrant within this Index)."""
        if self._writing:
            self._writing += 1
            try:
                yield
            finally:
                self._writing -= 1
            return
        lock = self.lock()
        try:
            lock.acquire()
        except Timeout:
            raise StoreLockedError(locked_message(self.data_dir)) from None
        try:
            self.generation()  # an in-process store another process wrote to is reopened before we write
            writes = getattr(self.client, "writes", None)
            with writes() if writes is not None else nullcontext():
                self._writing = 1
                try:
                    yield
                finally:
                    self._writing = 0
        finally:
            lock.release()

    # ---- writing -------------------------------------------------------------------------
    def ingest(
        self,
        articles: Iterable[Article],
        progress: Callable[[Article, int], None] | None = None,
        prune: list[Path] | None = None,
    ) -> IngestReport:
        """Add new articles, replace changed ones, skip unchanged ones and duplicates; with `prune`,
        then remove the articles whose source file under those folders is gone."""
        if self.embedder is None:
            raise StoreError("This index was opened without an embedding model; it cannot ingest.")
        report = IngestReport()
        started = time.perf_counter()
        with self.writing():
            report.recovered = self.recover()
            writer = _Writer(self, report, progress)
            writer.run(articles)
            if prune:
                report.removed = self._prune_locked(prune, writer)
            writer.finish()
        report.seconds = time.perf_counter() - started
        return report

    def remove(self, article_ids: list[str]) -> list[str]:
        """Remove articles and their chunks; returns the ids removed."""
        with self.writing():
            self.recover()
            registry = self.registry()
            missing = [a for a in article_ids if a not in registry]
            if missing:
                raise NotFoundError(
                    f"No article with id {', '.join(missing)}. `newsqa list` shows the indexed articles."
                )
            writer = _Writer(self, IngestReport(), None)
            writer.remove([registry[a] for a in dict.fromkeys(article_ids)])
            writer.finish()
        return list(dict.fromkeys(article_ids))

    def prune(self, folders: list[Path]) -> list[str]:
        """Remove the articles whose source file lies under one of `folders` but no longer exists."""
        with self.writing():
            self.recover()
            writer = _Writer(self, IngestReport(), None)
            removed = self._prune_locked(folders, writer)
            writer.finish()
        return removed

    def _prune_locked(self, folders: list[Path], writer: "_Writer") -> list[str]:
        roots = [Path(f).resolve() for f in folders]
        gone = []
        for info in list(writer.registry.values()):
            if not info.source or "://" in info.source:
                continue
            path = Path(info.source)
            if any(path.is_relative_to(root) for root in roots) and not path.exists():
                gone.append(info)
        if gone:
            writer.remove(gone)
            logger.info("Pruned %d articles whose files are gone: %s", len(gone), ", ".join(a.id for a in gone))
        return [a.id for a in gone]

    def recover(self) -> list[str]:
        """Finish or undo writes that a crash interrupted (call with the write lock held); returns
        the article ids touched. Afterwards the lexical index is rebuilt from Chroma, orphan chunks
        are deleted and the generation is bumped."""
        got = self.articles.get(
            where={"$or": [{Key.PENDING: {"$ne": ""}}, {Key.RETIRED: {"$ne": ""}}]}, include=["metadatas"]
        )
        marked = [(i, m or {}) for i, m in zip(got["ids"], got["metadatas"]) if i != GENERATION_ID]
        if not marked:
            return []
        touched = []
        generation, store_id, _ = read_state(self.articles)
        for id_, meta in marked:
            pending, current, retired = (
                meta.get(Key.PENDING, ""),
                meta.get(Key.ARTICLE_HASH, ""),
                meta.get(Key.RETIRED, ""),
            )
            for h in {pending, retired} - {"", current}:
                self.chunks.delete(where=_article_where(id_, h))
            if current:
                self.articles.update(ids=[id_], metadatas=[{Key.PENDING: "", Key.RETIRED: ""}])
            else:
                self.chunks.delete(where={Key.ARTICLE_ID: id_})
                self.articles.delete(ids=[id_])
            touched.append(id_)
        self._store_id = store_id or new_store_id()
        index, orphans = self._rebuild_lexical(generation + 1)
        for i in range(0, len(orphans), WRITE_BATCH):
            self.chunks.delete(ids=orphans[i : i + WRITE_BATCH])
        index.save(self.lexical_dir)
        id_, vector, document, meta = generation_record(generation + 1, self._store_id)
        self.articles.upsert(ids=[id_], embeddings=[vector], documents=[document], metadatas=[meta])
        self._lexical = index
        logger.warning(
            "Recovered an interrupted write: %d article(s) finished or undone (%s), %d orphan chunk(s) deleted.",
            len(touched),
            ", ".join(touched[:10]) + ("…" if len(touched) > 10 else ""),
            len(orphans),
        )
        return touched


def locked_message(data_dir: Path) -> str:
    return (
        f"Another newsqa process is writing to {data_dir} (lock {Path(data_dir) / 'write.lock'}). "
        "Wait for it to finish, then run this again."
    )


def check_not_locked(data_dir: Path) -> None:
    """Raise StoreLockedError now if another process holds the data folder's write lock (a cheap
    early check; the writer takes the lock for real when it starts writing)."""
    path = Path(data_dir) / "write.lock"
    if not path.exists():
        return
    lock = FileLock(str(path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise StoreLockedError(locked_message(data_dir)) from None
    lock.release()


class _Writer:
    """One write session (under the lock): classifies articles, embeds, commits in batches."""

    def __init__(self, index: Index, report: IngestReport, progress: Callable[[Article, int], None] | None):
        self.index = index
        self.report = report
        self.progress = progress or (lambda article, n: None)
        self.registry = index.registry()
        self.by_hash = {info.hash: info.id for info in self.registry.values()}
        self.generation, store_id, _ = read_state(index.articles)
        self.store_id = store_id or new_store_id()
        index._store_id = self.store_id
        self._lexical: LexicalIndex | None = None  # loaded when first needed: an unchanged re-ingest never is
        self.group: list[tuple[Article, ArticleInfo | None, list[Chunk]]] = []  # queued for the model
        self.group_chunks = 0
        self.window: list[_Planned] = []
        self.last_commit = time.monotonic()
        self.retired: list[_Retired] = []
        self.seen: dict[str, tuple[str, str]] = {}  # article id -> (hash, source) in this run
        self.deferred: list[Article] = []
        self.moved: list[tuple[ArticleInfo, str]] = []

    @property
    def lexical(self) -> LexicalIndex:
        """The lexical index of the committed state, which each commit updates."""
        if self._lexical is None:
            loaded = LexicalIndex.load(self.index.lexical_dir)
            if loaded is not None and loaded.generation == self.generation and loaded.store_id == self.store_id:
                self._lexical = loaded
            else:
                self._lexical, _ = self.index._rebuild_lexical(self.generation)
        return self._lexical

    @lexical.setter
    def lexical(self, value: LexicalIndex) -> None:
        self._lexical = value

    # ---- ingest ----------------------------------------------------------------------------
    def run(self, articles: Iterable[Article]) -> None:
        for article in articles:
            self._classify(article)
        for article in self.deferred:  # duplicates of another article, unless that one changed in this run
            owner = self.by_hash.get(article.content_hash)
            if owner is None or owner == article.id:
                self._queue(article, self.registry.get(article.id))
                continue
            info = self.registry.get(owner)
            if info is not None and article.source and _file_gone(info.source) and owner not in self.seen:
                self.moved.append((info, article.source))  # the file was moved (and renamed): it keeps its id
                self.report.unchanged.append(owner)
            else:
                self.report.duplicates.append(
                    f"{article.source}: same article as '{owner}', already indexed; skipped."
                )
            self.progress(article, 1)
        self._encode_group()
        self._commit()
        self._relocate()

    def _own_id(self, article: Article) -> None:
        """An article known only by its file name (no URL) never takes the id of another file's
        article: when a different file that still exists holds the name (indexed, or read earlier
        in this run), this one gets the name plus a hash of its path. Re-ingesting the same file
        finds the same id again; a file moved away from its old place keeps the old id."""
        if article.url or not article.source or "://" in article.source:
            return
        earlier = self.seen.get(article.id)
        holder = earlier[1] if earlier else getattr(self.registry.get(article.id), "source", "")
        if holder and holder != article.source and not _file_gone(holder):
            article.id = path_article_id(article.id, article.source)

    def _classify(self, article: Article) -> None:
        self._own_id(article)
        h = article.content_hash
        earlier = self.seen.get(article.id)
        if earlier is not None:
            if earlier[0] == h:
                self.report.duplicates.append(
                    f"{article.source}: same article as {earlier[1]} ('{article.id}'); indexed once."
                )
            else:
                self.report.duplicates.append(
                    f"{article.source}: has the address {article.url or article.id} of {earlier[1]}, read earlier in "
                    "this run, but a different text; skipped (the first one is indexed)."
                )
            self.progress(article, 1)
            return
        self.seen[article.id] = (h, article.source)
        old = self.registry.get(article.id)
        if old is not None and old.hash == h:
            self.report.unchanged.append(article.id)
            if article.source and old.source != article.source and _file_gone(old.source):
                self.moved.append((old, article.source))
            self.progress(article, 1)
            return
        owner = self.by_hash.get(h)
        if owner is not None and owner != article.id:
            self.deferred.append(article)
            return
        self._queue(article, old)

    def _queue(self, article: Article, old: ArticleInfo | None) -> None:
        h = article.content_hash
        if old is not None and self.by_hash.get(old.hash) == article.id:
            del self.by_hash[old.hash]
        self.by_hash[h] = article.id
        chunks = chunk_text(article.text)
        self.group.append((article, old, chunks))
        self.group_chunks += len(chunks)
        if self.group_chunks >= min(ENCODE_CHUNKS, self.index.commit_chunks):
            self._encode_group()
            due = time.monotonic() - self.last_commit >= self.index.commit_seconds
            if due or sum(len(p.chunks) for p in self.window) >= self.index.commit_chunks:
                self._commit()

    def _encode_group(self) -> None:
        """Chunk and embed the queued articles (reusing the vectors of unchanged chunks of changed ones)."""
        if not self.group:
            return
        plans, todo_texts, todo_spans, todo = [], [], [], []
        for article, old, chunks in self.group:
            h = article.content_hash
            texts = [embed_text(article.title, c.text) for c in chunks]
            plan = _Planned(
                article,
                old,
                chunks,
                [f"{c.id_for(article.id)}:{h[:8]}" for c in chunks],
                texts,
                [None] * len(chunks),
                [""] * len(chunks),
            )
            reuse = self._old_vectors(plan) if old is not None else {}
            prefix = len(article.title) + 1 if article.title else 0
            for j, (c, text) in enumerate(zip(chunks, texts)):
                spans = [(s.start - c.start + prefix, s.end - c.start + prefix) for s in c.sentences]
                hit = reuse.get((text, _sentences_json(c)))
                if hit is not None:
                    plan.vectors[j], plan.packed[j] = hit
                else:
                    todo.append((plan, j))
                    todo_texts.append(text)
                    todo_spans.append(spans)
            plans.append(plan)
        if todo_texts:
            vectors, sentence_vectors = self.index.embedder.encode_passages(todo_texts, todo_spans)
            for (plan, j), vec, sv in zip(todo, vectors, sentence_vectors):
                plan.vectors[j], plan.packed[j] = vec, pack_vectors(sv)
            self.report.embedded += len(todo_texts)
        for plan in plans:
            self.progress(plan.article, 1)
        self.window.extend(plans)
        self.group, self.group_chunks = [], 0

    def _old_vectors(self, plan: _Planned) -> dict:
        """(embedded text, sentence offsets) -> (vector, packed sentence vectors) of the article's current chunks."""
        got = self.index.chunks.get(
            where=_article_where(plan.article.id, plan.old.hash), include=["documents", "metadatas", "embeddings"]
        )
        plan.old_chunk_ids = list(got["ids"])
        out = {}
        for doc, meta, vec in zip(got["documents"], got["metadatas"], got["embeddings"]):
            key = (embed_text(meta.get(Key.TITLE, ""), doc), meta.get(Key.SENTENCES, ""))
            out[key] = (np.asarray(vec, dtype=np.float32), meta.get(Key.SENTENCE_VECTORS, ""))
        return out

    # ---- the commit protocol ---------------------------------------------------------------
    def _commit(self) -> None:
        if not self.window:
            return
        index, plans = self.index, self.window
        self._cleanup(wait=False)
        # 1. pending marks
        new = [p for p in plans if p.old is None]
        changed = [p for p in plans if p.old is not None]
        for i in range(0, len(new), WRITE_BATCH):
            part = new[i : i + WRITE_BATCH]
            index.articles.upsert(
                ids=[p.article.id for p in part],
                embeddings=[REGISTRY_VECTOR] * len(part),
                documents=[""] * len(part),
                metadatas=[
                    {
                        **_article_meta(p.article, 0),
                        Key.ARTICLE_HASH: "",
                        Key.PENDING: p.article.content_hash,
                        Key.RETIRED: "",
                    }
                    for p in part
                ],
            )
        for i in range(0, len(changed), WRITE_BATCH):
            part = changed[i : i + WRITE_BATCH]
            index.articles.update(
                ids=[p.article.id for p in part], metadatas=[{Key.PENDING: p.article.content_hash} for p in part]
            )
        self._fault("pending")
        # 2. chunks under the new hashes
        rows = [(p, j) for p in plans for j in range(len(p.chunks))]
        for i in range(0, len(rows), WRITE_BATCH):
            part = rows[i : i + WRITE_BATCH]
            index.chunks.upsert(
                ids=[p.ids[j] for p, j in part],
                embeddings=[np.asarray(p.vectors[j], dtype=np.float32) for p, j in part],
                documents=[p.chunks[j].text for p, j in part],
                metadatas=[_chunk_meta(p, j) for p, j in part],
            )
        self._fault("chunks")
        # 3. the lexical index of generation g+1
        generation = self.generation + 1
        self.lexical = self.lexical.updated(
            {i for p in changed for i in p.old_chunk_ids},
            [p.ids[j] for p, j in rows],
            [p.texts[j] for p, j in rows],
            generation,
        )
        self.lexical.store_id = self.store_id
        self.lexical.save(index.lexical_dir)
        self._fault("lexical")
        # 4. commit: registry records and the generation record in one call
        self._commit_records(
            [
                (
                    p.article.id,
                    p.article.text,
                    {
                        **_article_meta(p.article, len(p.chunks)),
                        Key.PENDING: p.article.content_hash,
                        Key.RETIRED: p.old.hash if p.old else "",
                    },
                )
                for p in plans
            ],
            generation,
        )
        self._fault("commit")
        for p in plans:
            (self.report.updated if p.old is not None else self.report.added).append(p.article.id)
            self.report.chunks_written += len(p.chunks)
            self.registry[p.article.id] = _info(p.article.id, _article_meta(p.article, len(p.chunks)))
        self.retired.append(_Retired(time.monotonic(), [(p.article.id, p.old.hash if p.old else "") for p in plans]))
        self.window = []
        logger.info("Committed %d article(s), %d chunk(s); generation %d.", len(plans), len(rows), generation)

    def _commit_records(self, records: list[tuple[str, str, dict]], generation: int) -> None:
        """Step 4: upsert registry records (id, document, metadata) with the generation record."""
        gen_id, gen_vector, gen_document, gen_meta = generation_record(generation, self.store_id)
        for i in range(0, max(1, len(records)), WRITE_BATCH):
            part = records[i : i + WRITE_BATCH]
            last = i + WRITE_BATCH >= len(records)
            ids = [r[0] for r in part] + ([gen_id] if last else [])
            self.index.articles.upsert(
                ids=ids,
                embeddings=[REGISTRY_VECTOR] * len(ids),
                documents=[r[1] for r in part] + ([gen_document] if last else []),
                metadatas=[r[2] for r in part] + ([gen_meta] if last else []),
            )
        self.generation = generation
        self.index._lexical = self.lexical
        self.last_commit = time.monotonic()
        self.report.commits += 1

    def _cleanup(self, wait: bool) -> None:
        """Step 5 for earlier commits: delete retired chunks, clear marks (and drop removed records)."""
        if not self.retired:
            return
        if wait and any(r for batch in self.retired for _, r in batch.records):
            left = self.index.grace_seconds - (time.monotonic() - self.retired[-1].committed_at)
            if left > 0:
                time.sleep(left)
        elif not wait and time.monotonic() - self.retired[-1].committed_at < self.index.grace_seconds:
            return  # too soon for a query that started before the last commit; next time
        index = self.index
        clear, drop = [], []
        for batch in self.retired:
            for article_id, old_hash in batch.records:
                if old_hash:
                    index.chunks.delete(where=_article_where(article_id, old_hash))
                (clear if article_id in self.registry else drop).append(article_id)
        self._fault("cleanup")
        for i in range(0, len(clear), WRITE_BATCH):
            part = clear[i : i + WRITE_BATCH]
            index.articles.update(ids=part, metadatas=[{Key.PENDING: "", Key.RETIRED: ""}] * len(part))
        for i in range(0, len(drop), WRITE_BATCH):
            index.articles.delete(ids=drop[i : i + WRITE_BATCH])
        self.retired = []

    def remove(self, infos: list[ArticleInfo]) -> None:
        """Remove committed articles by the same protocol: lexical first, then a commit that makes
        their records invisible, then (after the grace time) chunks and records go."""
        if not infos:
            return
        self._commit()
        self._cleanup(wait=False)
        old_ids = []
        for info in infos:
            got = self.index.chunks.get(where={Key.ARTICLE_ID: info.id}, include=[])
            old_ids += got["ids"]
        generation = self.generation + 1
        self.lexical = self.lexical.updated(set(old_ids), [], [], generation)
        self.lexical.store_id = self.store_id
        self.lexical.save(self.index.lexical_dir)
        self._fault("lexical")
        self._commit_records(
            [
                (i.id, "", {Key.ARTICLE_ID: i.id, Key.ARTICLE_HASH: "", Key.PENDING: "", Key.RETIRED: i.hash})
                for i in infos
            ],
            generation,
        )
        self._fault("commit")
        for info in infos:
            self.registry.pop(info.id, None)
            if self.by_hash.get(info.hash) == info.id:
                del self.by_hash[info.hash]
        self.retired.append(_Retired(time.monotonic(), [(i.id, i.hash) for i in infos]))

    def _relocate(self) -> None:
        """Unchanged articles whose file moved: point their source at the new place (no re-embedding)."""
        for info, source in self.moved:
            got = self.index.chunks.get(where=_article_where(info.id, info.hash), include=[])
            if got["ids"]:
                self.index.chunks.update(ids=got["ids"], metadatas=[{Key.SOURCE: source}] * len(got["ids"]))
            self.index.articles.update(ids=[info.id], metadatas=[{Key.SOURCE: source}])
            self.registry[info.id].source = source

    def finish(self) -> None:
        self._encode_group()
        self._commit()
        self._cleanup(wait=True)

    def _fault(self, step: str) -> None:
        if self.index.fault is not None:
            self.index.fault(step)


def path_article_id(name_id: str, source: str) -> str:
    """The id of a file article whose name is taken by another file: the name, then a hash of the path."""
    return f"{name_id}-{hashlib.sha1(source.encode('utf-8')).hexdigest()[:8]}"


def _file_gone(source: str) -> bool:
    return bool(source) and "://" not in source and not Path(source).exists()


def _article_where(article_id: str, article_hash: str) -> dict:
    return {"$and": [{Key.ARTICLE_ID: article_id}, {Key.ARTICLE_HASH: article_hash}]}


def _sentences_json(chunk: Chunk) -> str:
    return json.dumps([[s.start - chunk.start, s.end - chunk.start] for s in chunk.sentences])


def _chunk_meta(plan: _Planned, j: int) -> dict:
    article, c = plan.article, plan.chunks[j]
    article_fields = _article_meta(article, 0)
    del article_fields[Key.CHUNK_COUNT]
    return {
        **article_fields,
        Key.CHUNK_INDEX: c.index,
        Key.START: c.start,
        Key.END: c.end,
        Key.SENTENCES: _sentences_json(c),
        Key.SENTENCE_VECTORS: plan.packed[j],
    }


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
