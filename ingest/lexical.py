"""The lexical (BM25) index over accent-folded syllables and syllable bigrams.

Vietnamese words are mostly one or two syllables, so folded syllables plus adjacent-syllable
bigrams match both typed-without-diacritics queries ("quang ngai de nghi gi") and multi-syllable
words, without a word segmenter. The index is persisted in the data folder, tagged with the
store generation it was built from; readers rebuild it from Chroma only when that tag is stale.
"""

import json
import logging
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ingest.normalize import words

logger = logging.getLogger(__name__)


def tokens(text: str) -> list[str]:
    """Folded syllables and their adjacent bigrams ("quang", "ngai", "quang_ngai")."""
    syllables = words(text)
    return syllables + [f"{a}_{b}" for a, b in zip(syllables, syllables[1:])]


class LexicalIndex:
    """BM25 over chunk texts; `scores(query)` gives one score per chunk id, in `ids` order."""

    def __init__(self, ids: list[str], bm25, generation: int):
        self.ids = ids
        self.bm25 = bm25
        self.generation = generation
        self.vocab = set(bm25.vocab_dict) if bm25 is not None else set()

    @classmethod
    def build(cls, ids: list[str], texts: list[str], generation: int) -> "LexicalIndex":
        import bm25s

        if not ids:
            return cls([], None, generation)
        bm25 = bm25s.BM25(k1=1.2, b=0.75)
        bm25.index([tokens(t) for t in texts], show_progress=False)
        return cls(list(ids), bm25, generation)

    def scores(self, query: str) -> np.ndarray:
        if self.bm25 is None:
            return np.zeros(0, dtype=np.float32)
        q = [t for t in tokens(query) if t in self.vocab]
        if not q:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(q), dtype=np.float32)

    def coverage(self, query: str) -> float:
        """Share of the query's syllables that occur anywhere in the corpus."""
        syllables = words(query)
        if not syllables:
            return 0.0
        return sum(s in self.vocab for s in syllables) / len(syllables)

    def save(self, folder: Path) -> None:
        """Write atomically: a new folder replaces the old one."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".lexical-", dir=folder.parent))
        try:
            if self.bm25 is not None:
                self.bm25.save(str(tmp), show_progress=False)
            (tmp / "newsqa.json").write_text(json.dumps({"generation": self.generation, "ids": self.ids}))
            old = folder.with_name(folder.name + ".old")
            if folder.exists():
                shutil.rmtree(old, ignore_errors=True)
                folder.rename(old)
            tmp.rename(folder)
            shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex | None":
        """The saved index, or None when there is none or it cannot be read."""
        import bm25s

        meta_path = folder / "newsqa.json"
        if not meta_path.exists():
            return None
        try:
            meta = json.loads(meta_path.read_text())
            bm25 = bm25s.BM25.load(str(folder), show_progress=False) if meta["ids"] else None
        except Exception as e:  # noqa: BLE001 - a broken cache is rebuilt, never fatal
            logger.warning("Lexical index at %s is unreadable (%s); it will be rebuilt.", folder, e)
            return None
        return cls(meta["ids"], bm25, int(meta["generation"]))
