"""The lexical (BM25) index over accent-folded syllables and syllable bigrams.

Vietnamese words are mostly one or two syllables, so folded syllables plus adjacent-syllable
bigrams match both typed-without-diacritics queries ("quang ngai de nghi gi") and multi-syllable
words, without a word segmenter.

The index is an inverted file kept as numpy arrays (for each term, the chunks that hold it and
how often), scored at query time with BM25 as Lucene (and bm25s's "lucene" method) do:
idf = ln(1 + (N - df + 0.5) / (df + 0.5)), tf part = tf / (tf + k1 * (1 - b + b * len / avg_len)).
Raw counts rather than precomputed weights let the writer update it incrementally: `updated()`
drops the chunks of replaced or removed articles and adds new ones in time linear in the index
size, with no re-tokenising of what was already there.

On disk (`DATA_DIR/lexical/`): one folder per saved version and a `CURRENT` file naming the
newest, replaced atomically, so a reader never sees a half-written index. Each version is tagged
with the store generation it matches and the store's id; readers load it instead of rebuilding.
"""

import json
import logging
import math
import shutil
import uuid
from pathlib import Path

import numpy as np

from ingest.atomic import replacing, write_text
from ingest.normalize import words

logger = logging.getLogger(__name__)

FORMAT = 2
CURRENT = "CURRENT"
K1, B = 1.2, 0.75


def tokens(text: str) -> list[str]:
    """Folded syllables and their adjacent bigrams ("quang", "ngai", "quang_ngai")."""
    syllables = words(text)
    return syllables + [f"{a}_{b}" for a, b in zip(syllables, syllables[1:])]


class LexicalIndex:
    """BM25 over chunk texts; `scores(query)` gives one score per chunk id, in `ids` order."""

    def __init__(
        self,
        ids: list[str],
        terms: list[str],
        indptr: np.ndarray,
        docs: np.ndarray,
        tfs: np.ndarray,
        doc_len: np.ndarray,
        generation: int,
        store_id: str = "",
        term_index: dict[str, int] | None = None,
    ):
        self.ids = ids
        self.terms = terms
        self.indptr = indptr  # int64, len(terms) + 1: the entries of term t are [indptr[t], indptr[t + 1])
        self.docs = docs  # int32: chunk number of each entry, ascending within a term
        self.tfs = tfs  # uint16: the term's count in that chunk
        self.doc_len = doc_len  # int32: tokens per chunk
        self.generation = generation
        self.store_id = store_id
        self.vocab = term_index if term_index is not None else {t: i for i, t in enumerate(terms)}
        self._norm: np.ndarray | None = None

    # ---- building ------------------------------------------------------------------------
    @classmethod
    def empty(cls, generation: int = 0, store_id: str = "") -> "LexicalIndex":
        return cls(
            [],
            [],
            np.zeros(1, np.int64),
            np.zeros(0, np.int32),
            np.zeros(0, np.uint16),
            np.zeros(0, np.int32),
            generation,
            store_id,
        )

    @classmethod
    def build(cls, ids: list[str], texts: list[str], generation: int, store_id: str = "") -> "LexicalIndex":
        return cls.empty(generation, store_id).updated(set(), ids, texts, generation)

    def updated(self, remove: set[str], add_ids: list[str], add_texts: list[str], generation: int) -> "LexicalIndex":
        """A new index without the chunks in `remove` (and without any id that is re-added) and
        with the given chunks added; this one is left as it was (a reader may still use it)."""
        drop = set(remove) | (set(add_ids) & set(self.ids)) if (remove or add_ids) else set()
        keep = np.fromiter((i not in drop for i in self.ids), dtype=bool, count=len(self.ids))
        renumber = np.cumsum(keep, dtype=np.int64) - 1
        n_kept = int(keep.sum())

        # the chunks to add, as (term, chunk, count) entries; new terms extend a copy of the vocabulary
        terms = list(self.terms)
        vocab = dict(self.vocab) if add_ids else self.vocab
        token_ids: list[int] = []
        lengths = np.zeros(len(add_ids), dtype=np.int32)
        for j, text in enumerate(add_texts):
            toks = tokens(text)
            lengths[j] = len(toks)
            for t in toks:
                i = vocab.get(t)
                if i is None:
                    i = vocab[t] = len(terms)
                    terms.append(t)
                token_ids.append(i)
        n_terms = len(terms)
        doc_of_token = np.repeat(np.arange(len(add_ids), dtype=np.int64), lengths)
        keys, counts = np.unique(
            np.asarray(token_ids, dtype=np.int64) * max(1, len(add_ids)) + doc_of_token, return_counts=True
        )
        new_terms = keys // max(1, len(add_ids))
        new_docs = keys % max(1, len(add_ids)) + n_kept  # sorted by (term, chunk)

        # the entries kept from this index, still sorted by (term, chunk)
        old_terms = np.repeat(np.arange(len(self.terms), dtype=np.int64), np.diff(self.indptr))
        kept = keep[self.docs] if len(self.docs) else np.zeros(0, dtype=bool)
        old_terms, old_docs, old_tfs = old_terms[kept], renumber[self.docs[kept]], self.tfs[kept]

        # merge: per term, the kept entries first (lower chunk numbers), then the new ones
        count_old = np.bincount(old_terms, minlength=n_terms)
        count_new = np.bincount(new_terms, minlength=n_terms)
        total = count_old + count_new
        indptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(total, out=indptr[1:])
        start_old = np.concatenate([[0], np.cumsum(count_old)])[:-1]
        start_new = np.concatenate([[0], np.cumsum(count_new)])[:-1]
        pos_old = np.arange(len(old_terms), dtype=np.int64) - start_old[old_terms] + indptr[old_terms]
        pos_new = (
            np.arange(len(new_terms), dtype=np.int64) - start_new[new_terms] + indptr[new_terms] + count_old[new_terms]
        )
        nnz = int(indptr[-1])
        docs = np.empty(nnz, dtype=np.int32)
        tfs = np.empty(nnz, dtype=np.uint16)
        docs[pos_old], tfs[pos_old] = old_docs, old_tfs
        docs[pos_new], tfs[pos_new] = new_docs, np.minimum(counts, 65535)

        # terms no chunk holds any more are dropped, so the vocabulary is the corpus's
        alive = total > 0
        if not alive.all():
            terms = [t for t, a in zip(terms, alive) if a]
            indptr = np.concatenate([[0], np.cumsum(total[alive])]).astype(np.int64)
            vocab = {t: i for i, t in enumerate(terms)}
        ids = [i for i, k in zip(self.ids, keep) if k] + list(add_ids)
        doc_len = np.concatenate([np.asarray(self.doc_len)[keep], lengths]).astype(np.int32)
        return LexicalIndex(ids, terms, indptr, docs, tfs, doc_len, generation, self.store_id, vocab)

    # ---- querying ------------------------------------------------------------------------
    def scores(self, query: str) -> np.ndarray:
        n = len(self.ids)
        out = np.zeros(n, dtype=np.float32)
        if not n:
            return out
        if self._norm is None:
            avg = float(np.mean(self.doc_len)) or 1.0
            self._norm = (K1 * (1 - B + B * np.asarray(self.doc_len, dtype=np.float32) / avg)).astype(np.float32)
        for t in tokens(query):  # a repeated query term counts each time, as in bm25s
            i = self.vocab.get(t)
            if i is None:
                continue
            start, end = int(self.indptr[i]), int(self.indptr[i + 1])
            df = end - start
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            docs = self.docs[start:end]
            tf = self.tfs[start:end].astype(np.float32)
            out[docs] += idf * tf / (tf + self._norm[docs])
        return out

    def idf(self, term: str) -> float:
        """BM25 idf of a term (a term no chunk holds gets the highest idf); 0 for an empty index."""
        n = len(self.ids)
        if not n:
            return 0.0
        i = self.vocab.get(term)
        df = int(self.indptr[i + 1] - self.indptr[i]) if i is not None else 0
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def top(self, query: str, n: int) -> list[tuple[str, float]]:
        """The `n` best chunks for `query` as (chunk id, BM25 score), best first, scores > 0 only."""
        scores = self.scores(query)
        if not len(scores):
            return []
        order = np.argsort(-scores)[:n]
        return [(self.ids[i], float(scores[i])) for i in order if scores[i] > 0]

    def coverage(self, query: str) -> float:
        """Share of the query's syllables that occur anywhere in the corpus."""
        syllables = words(query)
        if not syllables:
            return 0.0
        return sum(s in self.vocab for s in syllables) / len(syllables)

    # ---- persistence ---------------------------------------------------------------------
    def save(self, root: Path) -> None:
        """Write a new version folder, then point `CURRENT` at it (atomic rename); keep the
        previous version for readers still loading it, delete older ones."""
        root.mkdir(parents=True, exist_ok=True)
        name = f"g{self.generation:09d}-{uuid.uuid4().hex[:8]}"
        with replacing(root / name, folder=True) as tmp:
            for key in ("indptr", "docs", "tfs", "doc_len"):
                np.save(tmp / f"{key}.npy", np.ascontiguousarray(getattr(self, key)))
            meta = {"format": FORMAT, "generation": self.generation, "store": self.store_id, "k1": K1, "b": B}
            meta |= {"ids": self.ids, "terms": self.terms}
            (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, separators=(",", ":")))
        previous = _read_pointer(root)
        write_text(root / CURRENT, name)
        for old in root.iterdir():
            if old.name in (CURRENT, name, previous):
                continue
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
            else:  # earlier formats and stray temp files
                old.unlink(missing_ok=True)

    @classmethod
    def load(cls, root: Path) -> "LexicalIndex | None":
        """The newest saved version, or None when there is none or it cannot be read."""
        for _ in range(3):  # a writer may replace the version between reading CURRENT and opening it
            name = _read_pointer(root)
            if not name:
                return None
            folder = root / name
            try:
                meta = json.loads((folder / "meta.json").read_text())
                if meta.get("format") != FORMAT:
                    return None
                arrays = {k: np.load(folder / f"{k}.npy", mmap_mode="r") for k in ("docs", "tfs")}
                arrays |= {k: np.load(folder / f"{k}.npy") for k in ("indptr", "doc_len")}
            except FileNotFoundError:
                continue
            except (OSError, ValueError, KeyError) as e:
                logger.warning("Lexical index at %s is unreadable (%s); it will be rebuilt.", folder, e)
                return None
            return cls(
                meta["ids"],
                meta["terms"],
                generation=int(meta["generation"]),
                store_id=meta.get("store", ""),
                **arrays,
            )
        return None


def _read_pointer(root: Path) -> str:
    try:
        return (root / CURRENT).read_text().strip()
    except OSError:
        return ""
