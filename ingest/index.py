"""The indexing pipeline: articles in, chunks and vectors into Chroma, the lexical index on disk.

Each article has a stable id (see `ingest.readers`) and a content hash; each chunk's id is made
from the article id, the chunk's index and text, and the article hash. Re-ingesting an unchanged
article embeds and writes nothing; a changed one gets new chunks (reusing the vectors of chunks
whose text did not change) and its old chunks go.

Two stores hold the index: Chroma (chunks, vectors, the article registry and the generation
record) and the lexical index (Tantivy, `ingest.lexical`, in `DATA_DIR/lexical/`). Writers take a
file lock on the data folder (one writer at a time); readers take no lock. Writes are committed
in batches (every `commit_chunks` chunks or `commit_seconds`), each batch by this protocol, which
keeps the index exact across a crash (kill -9) at any point:

1. the registry record of each article in the batch gets `pending = new hash` (a new article gets
   a record with an empty `article_hash`, invisible to readers);
2. the batch's chunks are written under their article's new hash (invisible: readers only show
   chunks whose hash is the registry's);
3. lexical commit: the batch's articles are deleted from the lexical index and their new chunks
   added, committed by Tantivy together with a state document "generation g+1, these articles";
4. Chroma commit: one upsert writes the batch's registry records (`article_hash = new hash`,
   `retired = old hash`, `committed = g+1`) and the generation record g+1. Readers now see the
   new versions;
5. later (at the next commit, or at the end after `grace_seconds`, so that a query that started
   before the commit still finds the old chunks it was shown) the retired chunks are deleted and
   the `pending`/`retired` marks cleared.

So the lexical index is never behind Chroma's generation: in step, or (killed between 3 and 4)
one commit ahead, its state naming the articles of that commit. A reader accepts an index that
is ahead (the chunks it has that Chroma did not commit are not visible to readers). The next
writer's `recover()` repairs exactly what a crash left: it re-reads from Chroma the committed
chunks of every article with marks or named by a lexical index that is ahead, commits the lexical
index past both generations, deletes uncommitted and retired chunks, removes never-committed
records, and bumps the generation; the index then equals a clean ingest of what was committed,
and re-running the same ingest completes it. Nothing is rebuilt when the two are in step; a
missing, unreadable or foreign lexical index is rebuilt from Chroma, and one that is behind
(another client of the same Chroma server wrote) catches up incrementally (`ingest.lexical_sync`).
"""

import logging
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager, nullcontext
from pathlib import Path

from filelock import FileLock, Timeout

from ingest import lexical_sync
from ingest.embedder import Embedder
from ingest.errors import NotFoundError, StoreError, StoreLockedError
from ingest.lexical import FOLDER, LexicalIndex
from ingest.lock import locked_message, write_lock
from ingest.readers import Article
from ingest.records import ArticleInfo, ChunkRecord, article_info, article_where, decode_chunk
from ingest.report import IngestReport
from ingest.store import GENERATION_ID, Key, generation_record, get_collections, new_store_id, read_state, scan
from ingest.writer import WRITE_BATCH, Writer

logger = logging.getLogger(__name__)


class Index:
    """Chroma collections + lexical index of one data folder (or Chroma server)."""

    def __init__(
        self,
        client,
        data_dir: Path,
        embedder: Embedder | None,
        commit_chunks: int = 256,
        commit_seconds: float = 30.0,
        grace_seconds: float = 2.0,
    ):
        self.client = client
        self.data_dir = Path(data_dir)
        self.embedder = embedder
        self.chunks, self.articles = get_collections(client)
        self.lexical_dir = self.data_dir / "lexical"
        self.lexical_path = self.lexical_dir / FOLDER
        self._lexical: LexicalIndex | None = None
        self._empty: LexicalIndex | None = None
        self.lexical_rebuilds = 0  # times this Index rebuilt the lexical index from Chroma
        self._store_id = ""
        self._writing = 0
        self.commit_chunks = commit_chunks
        self.commit_seconds = commit_seconds
        self.grace_seconds = grace_seconds
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

    @store_id.setter
    def store_id(self, value: str) -> None:
        self._store_id = value

    def registry(self) -> dict[str, ArticleInfo]:
        """Committed articles by id."""
        out: dict[str, ArticleInfo] = {}
        for id_, meta in scan(self.articles, ["metadatas"]):
            if id_ == GENERATION_ID or not meta.get(Key.ARTICLE_HASH):
                continue
            out[id_] = article_info(id_, meta)
        return out

    def current_hashes(self, article_ids: list[str]) -> dict[str, str]:
        """The committed hash of each of these articles ("" when not committed or unknown)."""
        got = self.articles.get(ids=list(article_ids), include=["metadatas"])
        found = {id_: (meta or {}).get(Key.ARTICLE_HASH, "") for id_, meta in zip(got["ids"], got["metadatas"])}
        return {a: found.get(a, "") for a in article_ids}

    def article_text(self, article_id: str) -> tuple[ArticleInfo, str]:
        got = self.articles.get(ids=[article_id], include=["metadatas", "documents"])
        if not got["ids"] or not got["metadatas"][0].get(Key.ARTICLE_HASH):
            raise NotFoundError(f"No article with id '{article_id}'. `newsqa list` shows the indexed articles.")
        return article_info(article_id, got["metadatas"][0]), got["documents"][0]

    def article_chunks(self, article_id: str, article_hash: str) -> list[dict]:
        got = self.chunks.get(where=article_where(article_id, article_hash), include=["metadatas", "documents"])
        rows = [{"id": i, "text": d, **m} for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])]
        return sorted(rows, key=lambda r: r[Key.CHUNK_INDEX])

    def nearest(self, vector, n: int, where: dict | None = None) -> dict[str, float]:
        """The `n` chunks nearest to `vector` (matching `where`) with their cosine similarity, best first."""
        got = self.chunks.query(
            query_embeddings=[list(map(float, vector))], n_results=n, where=where, include=["distances"]
        )
        return {id_: 1.0 - float(d) for id_, d in zip(got["ids"][0], got["distances"][0])}  # cosine distance

    def chunk_records(self, ids: list[str], dim: int) -> dict[str, ChunkRecord]:
        """The chunks with these ids, decoded (text, metadata, sentence offsets and vectors, vector)."""
        if not ids:
            return {}
        return _decoded(self.chunks.get(ids=list(ids), include=["documents", "metadatas", "embeddings"]), dim)

    def chunks_at(self, article_id: str, article_hash: str, positions: list[int], dim: int) -> dict[str, ChunkRecord]:
        """The chunks of one version of an article at these positions (`Key.CHUNK_INDEX`), decoded."""
        if not positions:
            return {}
        where = {"$and": [*article_where(article_id, article_hash)["$and"], {Key.CHUNK_INDEX: {"$in": positions}}]}
        return _decoded(self.chunks.get(where=where, include=["documents", "metadatas", "embeddings"]), dim)

    def counts(self) -> dict[str, int]:
        """Articles, chunks in Chroma, and chunks in the lexical index (equal when all is in step)."""
        return {
            "articles": len(self.registry()),
            "chunks": self.chunks.count(),
            "lexical_chunks": self.lexical().count(),
        }

    def lexical(self, generation: int | None = None) -> LexicalIndex:
        """The lexical index, reflecting at least `generation` (default: the current one). It is
        opened once and reloaded when the store's generation moves past it; it is rebuilt or caught
        up only when it is missing, foreign or behind (see `ingest.lexical_sync`). An index ahead of
        `generation` is fine: its extra chunks are not visible to a reader of the older generation."""
        if generation is None or not self._store_id:
            current = self.generation()  # also learns the store's id
            generation = current if generation is None else generation
        lexical = self._lexical or LexicalIndex.open(self.lexical_path)
        if lexical is not None:
            self._lexical = lexical
            if not self._fits(lexical, generation):
                lexical.reload()
            if self._fits(lexical, generation):
                return lexical
        if not generation and not self._store_id:  # a store never written
            self._empty = self._empty or LexicalIndex.empty()
            return self._empty
        return self._bring_in_step(lexical)

    def _fits(self, lexical: LexicalIndex, generation: int) -> bool:
        return lexical.generation >= generation and lexical.store_id == self._store_id

    def _bring_in_step(self, lexical: LexicalIndex | None) -> LexicalIndex:
        """Catch up or rebuild the lexical index, under the write lock. A reader that cannot take
        the lock now (a writer holds it: the writer brings the index in step) keeps what it has."""
        lock = self.lock()
        if not self._writing:
            try:
                lock.acquire(timeout=0)
            except Timeout:
                return lexical or LexicalIndex.empty()
        try:
            return self.sync_lexical()
        finally:
            if not self._writing:
                self._close_lexical()
                lock.release()

    def sync_lexical(self) -> LexicalIndex:
        """With the write lock held: the lexical index in step with Chroma's committed state
        (catching up when behind, rebuilding when missing or foreign); returns it."""
        generation, store_id, _ = read_state(self.articles)
        self._store_id = store_id
        lexical = self._lexical or LexicalIndex.open(self.lexical_path)
        if lexical is not None:
            lexical.reload()
        if lexical is None or lexical.store_id != store_id:
            lexical, _ = self.rebuild_lexical(generation)
        elif lexical.generation < generation:
            lexical_sync.catch_up(self, lexical, generation, store_id)
        self._lexical = lexical
        return lexical

    def rebuild_lexical(self, generation: int) -> tuple[LexicalIndex, list[str]]:
        """With the write lock held: the lexical index rebuilt from the committed chunks in Chroma,
        committed as `generation`; and the ids of chunks no committed article owns (orphans)."""
        self._close_lexical()
        self.lexical_rebuilds += 1
        self._lexical, orphans = lexical_sync.rebuild(self, generation, self._store_id)
        return self._lexical, orphans

    def writable_lexical(self) -> LexicalIndex:
        """With the write lock held, after `recover()`: the lexical index to write (made on the first write)."""
        if self._lexical is None:
            self._lexical = LexicalIndex.open(self.lexical_path)
        if self._lexical is None:
            generation, store_id, _ = read_state(self.articles)
            if generation:
                return self.sync_lexical()
            self._lexical = LexicalIndex.create(self.lexical_path)
        return self._lexical

    def _close_lexical(self) -> None:
        if self._lexical is not None:
            self._lexical.close()

    # ---- the write lock ------------------------------------------------------------------
    def lock(self) -> FileLock:
        return write_lock(self.data_dir)

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
                    self._close_lexical()  # uncommitted lexical changes go; Tantivy's lock is released
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
            writer = Writer(self, report, progress)
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
            got = self.articles.get(ids=list(dict.fromkeys(article_ids)), include=["metadatas"])
            registry = {
                i: article_info(i, m) for i, m in zip(got["ids"], got["metadatas"]) if (m or {}).get(Key.ARTICLE_HASH)
            }
            missing = [a for a in article_ids if a not in registry]
            if missing:
                raise NotFoundError(
                    f"No article with id {', '.join(missing)}. `newsqa list` shows the indexed articles."
                )
            writer = Writer(self, IngestReport(), None)
            writer.remove([registry[a] for a in dict.fromkeys(article_ids)])
            writer.finish()
        return list(dict.fromkeys(article_ids))

    def prune(self, folders: list[Path]) -> list[str]:
        """Remove the articles whose source file lies under one of `folders` but no longer exists."""
        with self.writing():
            self.recover()
            writer = Writer(self, IngestReport(), None)
            removed = self._prune_locked(folders, writer)
            writer.finish()
        return removed

    def _prune_locked(self, folders: list[Path], writer: "Writer") -> list[str]:
        writer.load_all()
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
        the article ids touched. The lexical index is repaired first, for exactly those articles
        (or rebuilt when it is unusable), then Chroma's marks are cleared and the generation bumped."""
        got = self.articles.get(
            where={"$or": [{Key.PENDING: {"$ne": ""}}, {Key.RETIRED: {"$ne": ""}}]}, include=["metadatas"]
        )
        marked = [(i, m or {}) for i, m in zip(got["ids"], got["metadatas"]) if i != GENERATION_ID]
        generation, store_id, _ = read_state(self.articles)
        lexical = self._lexical or LexicalIndex.open(self.lexical_path)
        if lexical is not None:
            lexical.reload()
        usable = lexical is not None and (not store_id or lexical.store_id == store_id)
        if usable and lexical.generation < generation:  # another client of the server wrote
            self._store_id = store_id
            lexical_sync.catch_up(self, lexical, generation, store_id)
        ahead = lexical.state.touched if usable and lexical.generation > generation else []
        touched = list(dict.fromkeys([i for i, _ in marked] + ahead))
        if usable and not touched:
            self._lexical = lexical
            return []
        if not usable and not marked and not generation:
            return []  # a store never written: the first commit makes the lexical index
        self._store_id = store_id or (lexical.store_id if usable else "") or new_store_id()
        new_generation = max(generation, lexical.generation if usable else 0) + 1
        orphans: list[str] = []
        if usable:
            self._lexical = lexical
            lexical_sync.repair(self, lexical, touched, new_generation, self._store_id)
        for id_, meta in marked:
            pending, current, retired = (
                meta.get(Key.PENDING, ""),
                meta.get(Key.ARTICLE_HASH, ""),
                meta.get(Key.RETIRED, ""),
            )
            for h in {pending, retired} - {"", current}:
                self.chunks.delete(where=article_where(id_, h))
            if current:
                self.articles.update(ids=[id_], metadatas=[{Key.PENDING: "", Key.RETIRED: ""}])
            else:
                self.chunks.delete(where={Key.ARTICLE_ID: id_})
                self.articles.delete(ids=[id_])
        if not usable:
            _, orphans = self.rebuild_lexical(new_generation)
            for i in range(0, len(orphans), WRITE_BATCH):
                self.chunks.delete(ids=orphans[i : i + WRITE_BATCH])
        id_, vector, document, meta = generation_record(new_generation, self._store_id)
        self.articles.upsert(ids=[id_], embeddings=[vector], documents=[document], metadatas=[meta])
        if touched:
            logger.warning(
                "Recovered an interrupted write: %d article(s) finished or undone (%s).",
                len(touched),
                ", ".join(touched[:10]) + ("…" if len(touched) > 10 else ""),
            )
        if not usable:
            logger.warning(
                "The lexical index was missing or unusable: rebuilt, %d orphan chunk(s) deleted.", len(orphans)
            )
        return touched


def _decoded(got: dict, dim: int) -> dict[str, ChunkRecord]:
    """Chroma's answer to a `get` of chunks (documents, metadatas, embeddings), decoded by id."""
    return {
        id_: decode_chunk(text, meta or {}, vector, dim)
        for id_, text, meta, vector in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])
    }
