"""Near-duplicate stories: articles that repeat the same story (a wire story on several pages, the
same report republished, an update with a paragraph added).

At ingest every article gets a MinHash signature (`signature`, datasketch, 128 permutations over
its word 3-shingles, accent-folded) and the set of figures it gives (`figures`: its numbers),
both stored in the registry (`Key.MINHASH`, `Key.FIGURES`). Readers group the indexed articles with
datasketch's MinHash LSH (`StoryGroups`): two articles are one story (transitively) when their
estimated Jaccard similarity is at least `THRESHOLD`, they were published within `STORY_DAYS` of
each other (or one is undated), and they share most of their figures (`FIGURES_SHARED`): a daily
report written from one template ("giá vàng hôm nay…") is a new story each day, with new figures.
Grouping is done from the stored signatures whenever the registry changes, so adding or removing
an article never rewrites others.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from ingest.normalize import words

if TYPE_CHECKING:  # datasketch is imported where it is used: it loads scipy, which `newsqa list` does not need
    from datasketch import LeanMinHash

PERMUTATIONS = 128
SHINGLE = 3  # words per shingle
THRESHOLD = 0.5  # estimated Jaccard similarity of the shingle sets from which two articles are one story
SEED = 1  # fixed: signatures of different runs must compare
STORY_DAYS = 3  # copies of one story appear within these many days of each other
FIGURES_SHARED = 0.6  # ... and share at least this share (Jaccard) of their figures
MAX_FIGURES = 64  # figures stored per article
SCHEME = "affine32"  # datasketch's hashing scheme (32-bit values: 4 bytes a permutation when stored)


@lru_cache(maxsize=64)  # the writer asks once per record of the same article
def signature(title: str, text: str) -> str:
    """The article's MinHash signature, packed for a metadata field ("" for a text under 3 words)."""
    tokens = words(f"{title}\n{text}")
    shingles = {" ".join(tokens[i : i + SHINGLE]).encode("utf-8") for i in range(len(tokens) - SHINGLE + 1)}
    if not shingles:
        return ""
    from datasketch import MinHash

    m = MinHash(num_perm=PERMUTATIONS, seed=SEED, scheme=SCHEME)
    m.update_batch(list(shingles))
    return base64.b64encode(m.hashvalues.astype(np.uint32).tobytes()).decode("ascii")


_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")


def figures(text: str) -> str:
    """The figures (numbers) an article gives, as stored: distinct, in order of first appearance, space-separated."""
    return " ".join(list(dict.fromkeys(_FIGURE.findall(text)))[:MAX_FIGURES])


def _same_figures(a: str, b: str) -> bool:
    x, y = set(a.split()), set(b.split())
    return not (x or y) or len(x & y) / len(x | y) >= FIGURES_SHARED


def _close_dates(a: str, b: str) -> bool:
    if not a or not b:
        return True
    try:
        return abs((date.fromisoformat(a) - date.fromisoformat(b)).days) <= STORY_DAYS
    except ValueError:
        return True


def unpack(packed: str) -> LeanMinHash | None:
    """The MinHash of a packed signature (None when empty or not one of ours); a LeanMinHash: no
    permutations are made again to compare stored signatures."""
    try:
        values = np.frombuffer(base64.b64decode(packed), dtype=np.uint32)
    except (ValueError, TypeError):
        return None
    if len(values) != PERMUTATIONS:
        return None
    from datasketch import LeanMinHash

    return LeanMinHash(seed=SEED, hashvalues=values.astype(np.uint64), scheme=SCHEME)


class StoryGroups:
    """Groups of near-duplicate articles among (article id, packed signature, date, figures) rows.
    `update` takes the whole registry again and does the work only for articles that are new or
    changed (the first question after an ingest must not wait for the whole corpus to be paired)."""

    def __init__(self, articles: Iterable[tuple[str, str, str, str]] = (), threshold: float = THRESHOLD):
        self.threshold = threshold
        self._lsh = None  # the MinHashLSH, made with the first signature
        self._rows: dict[str, tuple[str, str, str]] = {}  # id -> (packed, date, figures)
        self._hashes: dict[str, LeanMinHash] = {}
        self._edges: dict[str, set[str]] = {}  # id -> the ids it is a copy of
        self._group: dict[str, list[str]] = {}
        self.update(articles)

    def update(self, articles: Iterable[tuple[str, str, str, str]]) -> None:
        """Make the groups those of `articles` (the registry as it is now)."""
        rows = {id_: (packed, day, figs) for id_, packed, day, figs in articles}
        for id_ in [i for i, row in self._rows.items() if rows.get(i) != row]:
            self._remove(id_)
        for id_, row in rows.items():
            if id_ not in self._rows:
                self._add(id_, row)
        self._regroup()

    def _add(self, id_: str, row: tuple[str, str, str]) -> None:
        self._rows[id_] = row
        m = unpack(row[0]) if row[0] else None
        if m is None:
            return
        if self._lsh is None:
            from datasketch import MinHashLSH

            self._lsh = MinHashLSH(threshold=self.threshold, num_perm=PERMUTATIONS)
        self._edges[id_] = set()
        for other in self._lsh.query(m):
            o = self._rows[other]
            if (
                m.jaccard(self._hashes[other]) >= self.threshold
                and _close_dates(row[1], o[1])
                and _same_figures(row[2], o[2])
            ):
                self._edges[id_].add(other)
                self._edges[other].add(id_)
        self._hashes[id_] = m
        self._lsh.insert(id_, m)

    def _remove(self, id_: str) -> None:
        del self._rows[id_]
        if id_ in self._hashes:
            self._lsh.remove(id_)
            del self._hashes[id_]
        for other in self._edges.pop(id_, set()):
            self._edges[other].discard(id_)

    def _regroup(self) -> None:
        """Connected components of the copy relation (a story told three times is one group)."""
        group: dict[str, list[str]] = {}
        for start in self._edges:
            if start in group or not self._edges[start]:
                continue
            members, todo = {start}, [start]
            while todo:
                for other in self._edges[todo.pop()]:
                    if other not in members:
                        members.add(other)
                        todo.append(other)
            ordered = sorted(members)
            for m in ordered:
                group[m] = ordered
        self._group = group  # replaced whole: readers in other threads see the old groups or the new

    def story(self, article_id: str) -> str:
        """The id that names the article's story (the article's own id when it has no copies)."""
        members = self._group.get(article_id)
        return members[0] if members else article_id

    def others(self, article_id: str) -> list[str]:
        """The other articles of the same story."""
        return [m for m in self._group.get(article_id, []) if m != article_id]

    def groups(self) -> list[list[str]]:
        """Every story told by more than one article."""
        seen, out = set(), []
        for members in self._group.values():
            if members[0] not in seen:
                seen.add(members[0])
                out.append(members)
        return out
