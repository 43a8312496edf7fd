"""The lexical (BM25) index over accent-folded syllables and syllable bigrams, kept by Tantivy.

Vietnamese words are mostly one or two syllables, so folded syllables plus adjacent-syllable
bigrams match both typed-without-diacritics queries ("quang ngai de nghi gi") and multi-syllable
words, without a word segmenter. We make the tokens (`tokens`) and hand them to Tantivy joined by
spaces, split again by its "whitespace" tokenizer: Tantivy sees exactly our tokens.

Tantivy keeps the index on disk (`DATA_DIR/lexical/tantivy/`) in immutable segments that it
memory-maps, adds and deletes documents incrementally, merges segments in the background and
scores with BM25 as Lucene does: idf = ln(1 + (N - df + 0.5) / (df + 0.5)), tf part =
tf / (tf + k1 * (1 - b + b * len / avg_len)), k1 = 1.2, b = 0.75 (the numpy index newsqa had
before used the same formula). Two differences: Tantivy multiplies by (1 + k1), which `top`
divides out, and it stores each chunk's length in one byte (exact up to 40 tokens, then within
about 10%, as Lucene does); deleted chunks count in N and df until their segment is merged.

Each commit also writes one state document (id `STATE_ID`): the store generation the index
reflects, the store's id and the articles that commit touched. It is deleted and re-added in the
same commit as the chunks, so it always describes exactly what the commit holds: a reader knows
which generation it sees, and a writer that finds the index ahead of Chroma (a crash between the
two commits) knows which articles to re-read (see `ingest.index`).

One writer at a time (the data folder's write lock, and Tantivy's own lock); readers in any
process open the index and `reload()` when the store's generation moves.
"""

import json
import logging
import math
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import tantivy

from ingest.normalize import words

logger = logging.getLogger(__name__)

ENGINE = "tantivy"
FOLDER = "tantivy"  # under DATA_DIR/lexical/
FORMAT = 1
STATE_ID = "__lexical_state__"
K1, B = 1.2, 0.75  # Tantivy's BM25 constants (fixed in Tantivy; the same as our earlier index)
WRITER_HEAP = 64_000_000  # bytes of indexing buffer: Tantivy flushes a segment when it is full


def tokens(text: str) -> list[str]:
    """Folded syllables and their adjacent bigrams ("quang", "ngai", "quang_ngai")."""
    syllables = words(text)
    return syllables + [f"{a}_{b}" for a, b in zip(syllables, syllables[1:])]


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("article", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("text", tokenizer_name="whitespace", index_option="freq")
    builder.add_bytes_field("state", stored=True)
    return builder.build()


@dataclass
class LexicalState:
    """What a commit of the lexical index reflects."""

    generation: int = 0
    store_id: str = ""
    touched: list[str] = field(default_factory=list)  # article ids the commit re-wrote
    format: int = FORMAT


class _Snapshot(NamedTuple):
    searcher: tantivy.Searcher
    state: LexicalState
    chunks: int


class LexicalIndex:
    """BM25 over chunk texts in a Tantivy index: `top(query, n)`, `idf(term)`, `coverage(query)`
    read one consistent snapshot (the last `reload`); writes go through `add`/`delete_*`/`commit`."""

    def __init__(self, index: tantivy.Index, path: Path | None):
        self.path = path
        self._index = index
        self._schema = index.schema
        self._writer: tantivy.IndexWriter | None = None
        self._dirty = False
        index.config_reader("Manual")
        self.reload()

    # ---- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path) -> "LexicalIndex | None":
        """The index at `path`, or None when there is none, or it is unreadable or of another format."""
        path = Path(path)
        if not (path / "meta.json").exists():
            return None
        try:
            opened = cls(tantivy.Index.open(str(path)), path)
        except (OSError, ValueError, RuntimeError) as e:
            logger.warning("Lexical index at %s is unreadable (%s); it will be rebuilt.", path, e)
            return None
        if opened.state.format != FORMAT:
            return None
        return opened

    @classmethod
    def create(cls, path: Path) -> "LexicalIndex":
        """A new empty index at `path`, replacing whatever was there (call with the write lock held)."""
        path = Path(path)
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return cls(tantivy.Index(_schema(), path=str(path), reuse=False), path)

    @classmethod
    def empty(cls) -> "LexicalIndex":
        """An empty index in memory, for a store that was never written."""
        return cls(tantivy.Index(_schema()), None)

    def reload(self) -> None:
        """Read the last commit (any process's)."""
        for attempt in range(3):  # a writer's clean-up may delete a segment between two reads
            try:
                self._index.reload()
                searcher = self._index.searcher()
                break
            except ValueError:
                if attempt == 2:
                    raise
                time.sleep(0.05)
        state = LexicalState()
        hits = searcher.search(self._term("id", STATE_ID), limit=1, count=False).hits
        if hits:
            raw = searcher.doc(hits[0][1])["state"][0]
            state = LexicalState(**json.loads(bytes(raw).decode("utf-8")))
        self._snapshot = _Snapshot(searcher, state, searcher.num_docs - (1 if hits else 0))  # one assignment

    @property
    def state(self) -> LexicalState:
        return self._snapshot.state

    @property
    def generation(self) -> int:
        return self.state.generation

    @property
    def store_id(self) -> str:
        return self.state.store_id

    # ---- querying ------------------------------------------------------------------------
    def top(self, query: str, n: int) -> list[tuple[str, float]]:
        """The `n` best chunks for `query` as (chunk id, BM25 score), best first, scores > 0 only.
        A repeated query term counts each time."""
        (searcher, _, chunks), terms = self._snapshot, tokens(query)
        if not terms or not chunks or n <= 0:
            return []
        clauses = [(tantivy.Occur.Should, self._term("text", t)) for t in terms]
        hits = searcher.search(tantivy.Query.boolean_query(clauses), limit=n, count=False).hits
        return [(searcher.doc(address)["id"][0], float(score) / (1 + K1)) for score, address in hits if score > 0]

    def idf(self, term: str) -> float:
        """BM25 idf of a term (a term no chunk holds gets the highest idf); 0 for an empty index."""
        searcher, _, n = self._snapshot
        if not n:
            return 0.0
        df = min(n, searcher.doc_freq("text", term))
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def coverage(self, query: str) -> float:
        """Share of the query's syllables that occur anywhere in the corpus."""
        syllables = words(query)
        if not syllables:
            return 0.0
        searcher = self._snapshot.searcher
        return sum(searcher.doc_freq("text", s) > 0 for s in syllables) / len(syllables)

    def count(self) -> int:
        """Chunks in the index."""
        return self._snapshot.chunks

    @property
    def ids(self) -> list[str]:
        """Every chunk id (reads the whole index: for checks and tests)."""
        searcher = self._snapshot.searcher
        if not searcher.num_docs:
            return []
        hits = searcher.search(tantivy.Query.all_query(), limit=searcher.num_docs, count=False).hits
        return [i for i in (searcher.doc(a)["id"][0] for _, a in hits) if i != STATE_ID]

    def articles(self) -> set[str]:
        """Article ids in the term dictionary (those of deleted chunks too, until a merge)."""
        return {term for term, _ in self._snapshot.searcher.terms_with_prefix("article", "")}

    def _term(self, name: str, value: str) -> tantivy.Query:
        return tantivy.Query.term_query(self._schema, name, value, index_option="basic" if name != "text" else "freq")

    # ---- writing (with the data folder's write lock held) --------------------------------
    def add(self, rows: Iterable[tuple[str, str, str]]) -> int:
        """Add chunks given as (chunk id, article id, text); returns how many."""
        writer, n = self._writing(), 0
        for chunk_id, article_id, text in rows:
            doc = tantivy.Document()
            doc.add_text("id", chunk_id)
            doc.add_text("article", article_id)
            doc.add_text("text", " ".join(tokens(text)))
            writer.add_document(doc)
            n += 1
        return n

    def delete_articles(self, article_ids: Iterable[str]) -> None:
        """Delete every chunk of these articles (applies to chunks added before, not after)."""
        writer = self._writing()
        for article_id in article_ids:
            writer.delete_documents_by_term("article", article_id)

    def commit(self, generation: int, store_id: str, touched: Iterable[str] = ()) -> None:
        """Commit what was added and deleted, with the state document, in one Tantivy commit."""
        writer = self._writing()
        state = LexicalState(generation, store_id, sorted(set(touched)))
        writer.delete_documents_by_term("id", STATE_ID)
        doc = tantivy.Document()
        doc.add_text("id", STATE_ID)
        doc.add_bytes("state", json.dumps(state.__dict__, ensure_ascii=False).encode("utf-8"))
        writer.add_document(doc)
        writer.commit()
        self._dirty = False
        self.reload()

    def close(self) -> None:
        """End the write session: drop uncommitted changes, let merges finish, release Tantivy's lock."""
        writer, self._writer = self._writer, None
        if writer is None:
            return
        if self._dirty:
            writer.rollback()
            self._dirty = False
        writer.wait_merging_threads()

    def _writing(self) -> tantivy.IndexWriter:
        if self._writer is None:
            self._writer = self._index.writer(heap_size=WRITER_HEAP, num_threads=1)
        self._dirty = True
        return self._writer
