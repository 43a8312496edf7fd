"""Keeping a data folder's lexical index in step with Chroma: rebuild, catch up, repair after a crash.

The write protocol (`ingest.index`) commits the lexical index before Chroma's generation record,
so against its own data folder's writers the lexical index is either in step (its state says the
generation Chroma has) or one commit ahead (a crash between the two commits; its state names the
articles that commit touched). It is behind only when someone else wrote to the store: another
client of the same `chroma run` server (each client keeps a lexical index in its own data folder),
or a data folder whose lexical index was restored from a backup. It is unusable when it is
missing, unreadable, or belongs to another store.

- in step: nothing to do, nothing is read from Chroma;
- ahead, or articles marked by an interrupted write (`repair`): the chunks of those articles are
  deleted from the lexical index and their committed chunks re-read from Chroma;
- behind (`catch_up`): the same for the articles whose registry record a commit after the lexical
  generation wrote (`Key.COMMITTED`), and the articles no longer registered are deleted;
- unusable (`rebuild`): every committed chunk is read from Chroma.

All of these run with the data folder's write lock held, and end in one lexical commit.
"""

import logging
import shutil
import time
from collections.abc import Iterator

from ingest.lexical import LexicalIndex
from ingest.records import embed_text
from ingest.store import GENERATION_ID, Key, scan

logger = logging.getLogger(__name__)

BATCH = 100  # articles per Chroma read


def committed_chunks(index, article_ids: list[str]) -> Iterator[tuple[str, str, str]]:
    """(chunk id, article id, text) of the committed version of each of these articles."""
    for i in range(0, len(article_ids), BATCH):
        part = article_ids[i : i + BATCH]
        got = index.articles.get(ids=part, include=["metadatas"])
        current = {id_: (m or {}).get(Key.ARTICLE_HASH, "") for id_, m in zip(got["ids"], got["metadatas"])}
        current = {id_: h for id_, h in current.items() if h and id_ != GENERATION_ID}
        if not current:
            continue
        chunks = index.chunks.get(where={Key.ARTICLE_ID: {"$in": list(current)}}, include=["documents", "metadatas"])
        for id_, doc, meta in zip(chunks["ids"], chunks["documents"], chunks["metadatas"]):
            meta = meta or {}
            article = meta.get(Key.ARTICLE_ID, "")
            if current.get(article) == meta.get(Key.ARTICLE_HASH):
                yield id_, article, embed_text(meta.get(Key.TITLE, ""), doc)


def repair(index, lexical: LexicalIndex, articles: list[str], generation: int, store_id: str) -> None:
    """Re-read these articles from Chroma into the lexical index; commit it as `generation`."""
    lexical.delete_articles(articles)
    lexical.add(committed_chunks(index, articles))
    lexical.commit(generation, store_id, articles)


def catch_up(index, lexical: LexicalIndex, generation: int, store_id: str) -> int:
    """Bring a lexical index that is behind up to `generation`, incrementally; returns the
    number of articles re-read or deleted."""
    started = time.perf_counter()
    since = lexical.generation
    got = index.articles.get(where={Key.COMMITTED: {"$gt": since}}, include=[])
    changed = [i for i in got["ids"] if i != GENERATION_ID]
    registered = {row[0] for row in scan(index.articles, [])}
    gone = sorted(lexical.articles() - registered)
    lexical.delete_articles(gone)
    repair(index, lexical, changed, generation, store_id)
    logger.info(
        "Lexical index caught up from generation %d to %d: %d article(s) re-read, %d deleted, in %.2fs.",
        since,
        generation,
        len(changed),
        len(gone),
        time.perf_counter() - started,
    )
    return len(changed) + len(gone)


def rebuild(index, generation: int, store_id: str) -> tuple[LexicalIndex, list[str]]:
    """The lexical index of every committed chunk, read from Chroma and committed as `generation`;
    and the ids of chunks no committed article owns (orphans)."""
    started = time.perf_counter()
    current = {}
    for id_, meta in scan(index.articles, ["metadatas"]):
        if id_ != GENERATION_ID and meta.get(Key.ARTICLE_HASH):
            current[id_] = meta[Key.ARTICLE_HASH]
    for old in index.lexical_dir.glob("*"):  # an earlier format of the lexical index
        if old != index.lexical_path:
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    lexical = LexicalIndex.create(index.lexical_path)  # a crash before its commit leaves it empty: rebuilt again
    orphans: list[str] = []

    def rows():
        for id_, doc, meta in scan(index.chunks, ["documents", "metadatas"]):
            article = meta.get(Key.ARTICLE_ID)
            if current.get(article) == meta.get(Key.ARTICLE_HASH):
                yield id_, article, embed_text(meta.get(Key.TITLE, ""), doc)
            else:
                orphans.append(id_)

    n = lexical.add(rows())
    lexical.commit(generation, store_id)
    logger.info("Rebuilt lexical index: %d chunks in %.2fs", n, time.perf_counter() - started)
    return lexical, orphans
