"""`newsqa build-lexicon`: the English -> Vietnamese word list of `qa.question.translation`.

Both vocabularies come from the training data in ../shared/train and nothing else: English words
(lower-case, three letters or more, seen three times) from TyDi QA English and the SQuAD head;
Vietnamese words (one or two syllables, at least one with a Vietnamese letter, neither end a function
word, seen three times) from MLQA's Vietnamese Wikipedia paragraphs. The embedding model encodes each
word alone; an English word's Vietnamese word is its nearest by cross-domain similarity local scaling
(CSLS: twice the cosine less each side's mean cosine to its 10 nearest on the other side, which keeps
"hub" words that are near everything from being everyone's translation), kept only when the two are
each other's nearest and that score is positive. Deterministic for one embedding model; two minutes
on 2 cores.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ingest.normalize import fold, normalize
from qa.question.language import EN_FUNCTION_WORDS

ENGLISH_FILES = ("tydiqa-goldp-en/tydiqa.goldp.en.train.json", "squad2-train-head10/train-v2.0.json")
VIETNAMESE_FILE = "mlqa-test-vi-unlabeled/test-context-vi-question-de.json"
SOURCES = (*ENGLISH_FILES, VIETNAMESE_FILE)
MIN_COUNT = 3
NEAREST = 10  # CSLS neighbourhood
_VI_LETTERS = set("ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")
_EN_WORD = re.compile(r"\b[a-z]{3,}\b")  # lower-case: a capitalised word may be a name
_SEGMENT = re.compile(r"[.,;:!?()\[\]\"“”'‘’/–-]")


def _paragraphs(path: Path):
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for paragraph in article["paragraphs"]:
            yield paragraph["context"], [qa["question"] for qa in paragraph["qas"]]


def english_vocabulary(train_dir: Path) -> list[str]:
    """Lower-case English words (no function words) seen `MIN_COUNT` times in the English files."""
    counts: Counter[str] = Counter()
    for name in ENGLISH_FILES:
        for context, questions in _paragraphs(train_dir / name):
            for text in [context, *questions]:
                counts.update(w for w in _EN_WORD.findall(text) if w not in EN_FUNCTION_WORDS)
    return sorted(w for w, c in counts.items() if c >= MIN_COUNT)


def vietnamese_vocabulary(train_dir: Path, stop: set[str]) -> list[str]:
    """Vietnamese words of one or two syllables (see the module docstring) seen `MIN_COUNT` times."""
    counts: Counter[str] = Counter()
    contexts = dict.fromkeys(context for context, _ in _paragraphs(train_dir / VIETNAMESE_FILE))
    for context in contexts:
        for segment in _SEGMENT.split(normalize(context).lower()):
            syllables = re.findall(r"\w+", segment)
            for n in (1, 2):
                for i in range(len(syllables) - n + 1):
                    gram = syllables[i : i + n]
                    if any(not s.isalpha() for s in gram) or fold(gram[0]) in stop or fold(gram[-1]) in stop:
                        continue
                    if any(ch in _VI_LETTERS for s in gram for ch in s):
                        counts[" ".join(gram)] += 1
    return sorted(w for w, c in counts.items() if c >= MIN_COUNT)


def pair_words(english: np.ndarray, vietnamese: np.ndarray) -> list[tuple[int, int, float]]:
    """(English index, Vietnamese index, CSLS) of the pairs that are each other's nearest by CSLS
    with a positive score (unit vectors in)."""
    sims = english @ vietnamese.T
    k = min(NEAREST, sims.shape[0], sims.shape[1])
    r_en = -np.sort(-sims, axis=1)[:, :k].mean(1)
    r_vi = -np.sort(-sims, axis=0)[:k, :].mean(0)
    csls = 2 * sims - r_en[:, None] - r_vi[None, :]
    forward, backward = csls.argmax(1), csls.argmax(0)
    return [(i, int(j), float(csls[i, j])) for i, j in enumerate(forward) if backward[j] == i and csls[i, j] > 0]


def build(train_dir: Path, embedder, out: Path, log: Callable[[str], None] = lambda m: None) -> dict:
    """Write the word list to `out` and return it (see the module docstring)."""
    from qa.answering.answerer import VI_STOP

    english = english_vocabulary(train_dir)
    vietnamese = vietnamese_vocabulary(train_dir, VI_STOP)
    log(f"{len(english)} English and {len(vietnamese)} Vietnamese words; encoding them")
    e = np.asarray(embedder.encode(english, prompt="query: "), dtype=np.float32)
    v = np.asarray(embedder.encode(vietnamese, prompt="query: "), dtype=np.float32)
    pairs = pair_words(e, v)
    result = {
        "about": "English word -> Vietnamese word, built by `newsqa build-lexicon` (qa/training/lexicon.py) "
        "from TyDi QA English, the SQuAD 2.0 head and MLQA Vietnamese paragraphs with the embedding model "
        f"{getattr(embedder, 'name', '')}",
        "words": {english[i]: vietnamese[j] for i, j, _ in pairs},
    }
    out.write_text(json.dumps(result, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    log(f"wrote {len(pairs)} word pairs to {out}")
    return result
