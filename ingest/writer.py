"""One write session of the index (under the data folder's write lock): it classifies articles
(new, changed, unchanged, duplicate, moved), embeds what changed in groups, and commits in batches
by the protocol described in `ingest.index`."""

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from ingest.chunk import Chunk, chunk_text
from ingest.embedder import pack_vectors
from ingest.readers import Article
from ingest.records import (
    ArticleInfo,
    article_info,
    article_meta,
    article_where,
    chunk_meta,
    embed_text,
    sentences_json,
)
from ingest.report import IngestReport, file_gone, path_article_id
from ingest.store import REGISTRY_VECTOR, Key, generation_record, new_store_id, read_state

logger = logging.getLogger(__name__)

ENCODE_CHUNKS = 128  # chunks per call to the model (it sorts them by length, then batches them)
WRITE_BATCH = 500  # records per Chroma call


@dataclass
class Planned:
    """An article ready to be written: its chunks, their ids and vectors."""

    article: Article
    old: "ArticleInfo | None"
    chunks: list[Chunk]
    ids: list[str]
    texts: list[str]  # embed_text of each chunk
    vectors: list  # one embedding per chunk
    packed: list[str]  # packed sentence vectors per chunk


@dataclass
class Retired:
    """Articles committed at one commit, whose marks (and old chunks) are still to be cleared."""

    committed_at: float
    records: list[tuple[str, str]]  # (article id, retired hash or "")


class Writer:
    """One write session (under the lock): classifies articles, embeds, commits in batches."""

    def __init__(self, index, report: IngestReport, progress: Callable[[Article, int], None] | None):
        self.index = index
        self.report = report
        self.progress = progress or (lambda article, n: None)
        # the committed records this session may need (`look_up`), not the whole registry: at a
        # million chunks reading it all would cost more than embedding a thousand new articles
        self.registry: dict[str, ArticleInfo] = {}
        self.by_hash: dict[str, str] = {}
        self.generation, store_id, _ = read_state(index.articles)
        self.store_id = store_id or new_store_id()
        index.store_id = self.store_id
        self.group: list[tuple[Article, ArticleInfo | None, list[Chunk]]] = []  # queued for the model
        self.group_chunks = 0
        self.window: list[Planned] = []
        self.last_commit = time.monotonic()
        self.retired: list[Retired] = []
        self.seen: dict[str, tuple[str, str]] = {}  # article id -> (hash, source) in this run
        self.deferred: list[Article] = []
        self.moved: list[tuple[ArticleInfo, str]] = []

    # ---- ingest ----------------------------------------------------------------------------
    def look_up(self, articles: list[Article]) -> None:
        """Read the registry records of these articles: by id (and by the id a file article whose
        name is taken gets), and by content hash (another article with the same text)."""
        ids, hashes = set(), set()
        for a in articles:
            ids.add(a.id)
            if a.source and not a.url and "://" not in a.source:
                ids.add(path_article_id(a.id, a.source))
            hashes.add(a.content_hash)
        found = []
        ids, hashes = sorted(ids), sorted(hashes)
        for i in range(0, len(ids), WRITE_BATCH):
            got = self.index.articles.get(ids=ids[i : i + WRITE_BATCH], include=["metadatas"])
            found += zip(got["ids"], got["metadatas"])
        for i in range(0, len(hashes), WRITE_BATCH):
            where = {Key.ARTICLE_HASH: {"$in": hashes[i : i + WRITE_BATCH]}}
            got = self.index.articles.get(where=where, include=["metadatas"])
            found += zip(got["ids"], got["metadatas"])
        self._learn(found)

    def load_all(self) -> None:
        """Read the whole registry (to prune)."""
        self._learn((info.id, None, info) for info in self.index.registry().values())

    def _learn(self, records) -> None:
        for row in records:
            id_, meta = row[0], row[1]
            info = row[2] if len(row) > 2 else article_info(id_, meta or {})
            if info.hash and id_ not in self.registry:
                self.registry[id_] = info
                self.by_hash.setdefault(info.hash, id_)

    def run(self, articles: Iterable[Article]) -> None:
        articles = list(articles)
        self.look_up(articles)
        for article in articles:
            self._classify(article)
        for article in self.deferred:  # duplicates of another article, unless that one changed in this run
            owner = self.by_hash.get(article.content_hash)
            if owner is None or owner == article.id:
                self._queue(article, self.registry.get(article.id))
                continue
            info = self.registry.get(owner)
            if info is not None and article.source and file_gone(info.source) and owner not in self.seen:
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
        if holder and holder != article.source and not file_gone(holder):
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
            if article.source and old.source != article.source and file_gone(old.source):
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
            plan = Planned(
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
                hit = reuse.get((text, sentences_json(c)))
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

    def _old_vectors(self, plan: Planned) -> dict:
        """(embedded text, sentence offsets) -> (vector, packed sentence vectors) of the article's current chunks."""
        got = self.index.chunks.get(
            where=article_where(plan.article.id, plan.old.hash), include=["documents", "metadatas", "embeddings"]
        )
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
                        **article_meta(p.article, 0),
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
                metadatas=[chunk_meta(p.article, p.chunks[j], p.packed[j]) for p, j in part],
            )
        self._fault("chunks")
        # 3. lexical commit: the batch's articles replaced, with the state "generation g+1, these articles"
        generation = self.generation + 1
        lexical = index.writable_lexical()
        touched = [p.article.id for p in plans]
        lexical.delete_articles(touched)
        lexical.add((p.ids[j], p.article.id, p.texts[j]) for p, j in rows)
        lexical.commit(generation, self.store_id, touched)
        self._fault("lexical")
        # 4. Chroma commit: registry records and the generation record in one call
        self._commit_records(
            [
                (
                    p.article.id,
                    p.article.text,
                    {
                        **article_meta(p.article, len(p.chunks)),
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
            self.registry[p.article.id] = article_info(p.article.id, article_meta(p.article, len(p.chunks)))
        self.retired.append(Retired(time.monotonic(), [(p.article.id, p.old.hash if p.old else "") for p in plans]))
        self.window = []
        logger.info("Committed %d article(s), %d chunk(s); generation %d.", len(plans), len(rows), generation)

    def _commit_records(self, records: list[tuple[str, str, dict]], generation: int) -> None:
        """Step 4: upsert registry records (id, document, metadata) with the generation record."""
        gen_id, gen_vector, gen_document, gen_meta = generation_record(generation, self.store_id)
        records = [(id_, document, {**meta, Key.COMMITTED: generation}) for id_, document, meta in records]
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
                    index.chunks.delete(where=article_where(article_id, old_hash))
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
        generation = self.generation + 1
        lexical = self.index.writable_lexical()
        lexical.delete_articles([i.id for i in infos])
        lexical.commit(generation, self.store_id, [i.id for i in infos])
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
        self.retired.append(Retired(time.monotonic(), [(i.id, i.hash) for i in infos]))

    def _relocate(self) -> None:
        """Unchanged articles whose file moved: point their source at the new place (no re-embedding)."""
        for info, source in self.moved:
            got = self.index.chunks.get(where=article_where(info.id, info.hash), include=[])
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
