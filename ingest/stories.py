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

import base64
import re
from collections.abc import Iterable
from datetime import date
from functools import lru_cache

import numpy as np
from datasketch import MinHash, MinHashLSH

from ingest.normalize import words

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


def unpack(packed: str) -> MinHash | None:
    """The MinHash of a packed signature (None when empty or not one of ours)."""
    try:
        values = np.frombuffer(base64.b64decode(packed), dtype=np.uint32)
    except (ValueError, TypeError):
        return None
    if len(values) != PERMUTATIONS:
        return None
    return MinHash(num_perm=PERMUTATIONS, seed=SEED, hashvalues=values.astype(np.uint64), scheme=SCHEME)


class StoryGroups:
    """Groups of near-duplicate articles among (article id, packed signature, date, figures) rows."""

    def __init__(self, articles: Iterable[tuple[str, str, str, str]], threshold: float = THRESHOLD):
        rows = {id_: (packed, day, figs) for id_, packed, day, figs in articles}
        hashes = {id_: m for id_, (packed, _, _) in rows.items() if packed and (m := unpack(packed)) is not None}
        lsh = MinHashLSH(threshold=threshold, num_perm=PERMUTATIONS)
        for id_, m in hashes.items():
            lsh.insert(id_, m)
        parent = {id_: id_ for id_ in hashes}

        def root(x: str) -> str:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for id_, m in hashes.items():
            for other in lsh.query(m):
                if (
                    other != id_
                    and m.jaccard(hashes[other]) >= threshold
                    and _close_dates(rows[id_][1], rows[other][1])
                    and _same_figures(rows[id_][2], rows[other][2])
                ):
                    a, b = root(id_), root(other)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
        groups: dict[str, list[str]] = {}
        for id_ in hashes:
            groups.setdefault(root(id_), []).append(id_)
        self._group = {id_: sorted(members) for members in groups.values() if len(members) > 1 for id_ in members}

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
