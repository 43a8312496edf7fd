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

With `--translator MODEL.gguf` (a local instruct model run by llama.cpp, `llama-cpp-python`; the one
of ../shared/train/README.md section 6), the model translates every English word, 40 to a prompt at
temperature 0 (`translate_words`; a prompt whose answer lost the format is asked again in halves),
and its translation replaces the embedding pair: the pairs get
common words wrong ("island" -> "xứ ireland", "match" -> "mặt trận") and miss many ("minister",
"province", "river"). A word it gives no usable translation keeps its pair. About 30 minutes on 2 cores.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ingest.errors import LLMError
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


def english_counts(train_dir: Path) -> tuple[Counter[str], Counter[str]]:
    """How often each lower-case English word (no function words) is seen in the English files'
    questions, and in their paragraphs."""
    asked: Counter[str] = Counter()
    told: Counter[str] = Counter()
    for name in ENGLISH_FILES:
        for context, questions in _paragraphs(train_dir / name):
            told.update(w for w in _EN_WORD.findall(context) if w not in EN_FUNCTION_WORDS)
            for question in questions:
                asked.update(w for w in _EN_WORD.findall(question) if w not in EN_FUNCTION_WORDS)
    return asked, told


def english_vocabulary(asked: Counter[str], told: Counter[str]) -> list[str]:
    """The words `english_counts` saw `MIN_COUNT` times, questions and paragraphs together."""
    return sorted(w for w, c in (asked + told).items() if c >= MIN_COUNT)


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


TRANSLATE_BATCH = 40  # English words a prompt
TRANSLATE_PROMPT = (
    "Translate each English word into Vietnamese, in the sense it most often has in news articles. "
    "Write one line per word, in the same order: the English word, a colon, then its Vietnamese translation "
    "(one to three words, nothing else).\n\n"
)
MAX_SYLLABLES = 4  # a longer "translation" is an explanation
_TRANSLATED = re.compile(r"\s*[-*\d.]*\s*([A-Za-z]+)\s*[:=]\s*(.+?)\s*$")


def parse_translations(text: str, words: list[str]) -> dict[str, str]:
    """English word -> Vietnamese translation from a model's "word: translation" lines, for the asked
    `words` only, the first of several ("đảo, hòn đảo"); one that copies the word, holds anything but
    letters or runs over `MAX_SYLLABLES` syllables is left out."""
    asked, found = set(words), {}
    for line in text.splitlines():
        m = _TRANSLATED.match(line)
        if not m or m.group(1).lower() not in asked:
            continue
        first = re.split(r"[,;/(]| or | hoặc ", m.group(2))[0]  # the first of several, without a note
        local = normalize(first.strip(" .:\"'")).lower()
        syllables = local.split()
        if syllables and len(syllables) <= MAX_SYLLABLES and all(s.isalpha() for s in syllables):
            if local != m.group(1).lower():
                found.setdefault(m.group(1).lower(), local)
    return found


def translate_words(
    words: list[str], complete: Callable[[str], str], progress: Callable[[int], None] = lambda n: None
) -> dict[str, str]:
    """English word -> Vietnamese translation, `TRANSLATE_BATCH` words to a prompt; `complete(prompt)` is
    the model's answer (`llama_complete`)."""
    found = {}
    for i in range(0, len(words), TRANSLATE_BATCH):
        batch = words[i : i + TRANSLATE_BATCH]
        found.update(_translate_batch(batch, complete))
        progress(len(batch))
    return found


def _translate_batch(batch: list[str], complete: Callable[[str], str]) -> dict[str, str]:
    """One prompt's translations; when fewer than half of its words come back (the model lost the
    format: the translations alone, one word repeated), each half is asked again, down to 5 words."""
    found = parse_translations(complete(TRANSLATE_PROMPT + "\n".join(batch)), batch)
    if 2 * len(found) < len(batch) and len(batch) > 5:
        half = len(batch) // 2
        found = {**_translate_batch(batch[:half], complete), **_translate_batch(batch[half:], complete)}
    return found


def llama_complete(model: Path) -> Callable[[str], str]:
    """A local GGUF instruct model's answer to one prompt, at temperature 0 (llama-cpp-python)."""
    try:
        from llama_cpp import Llama
    except ImportError as e:
        raise LLMError(
            "--translator needs llama-cpp-python: see ../shared/train/README.md section 6 for how to build it here."
        ) from e
    llm = Llama(model_path=str(model), n_ctx=2048, n_threads=os.cpu_count(), seed=0, verbose=False)

    def complete(prompt: str) -> str:
        messages = [
            {"role": "system", "content": "You are a careful English-Vietnamese translator."},
            {"role": "user", "content": prompt},
        ]
        reply = llm.create_chat_completion(messages=messages, temperature=0.0, max_tokens=14 * TRANSLATE_BATCH)
        return reply["choices"][0]["message"]["content"]

    return complete


def build(
    train_dir: Path,
    embedder,
    out: Path,
    log: Callable[[str], None] = lambda m: None,
    translate: Callable[[list[str]], dict[str, str]] | None = None,
) -> dict:
    """Write the word list to `out` and return it (see the module docstring); `translate` (English words
    -> their translations, `translate_words`) gives the translations that replace the embedding pairs."""
    from qa.answering.answerer import VI_STOP

    asked, told = english_counts(train_dir)
    english = english_vocabulary(asked, told)
    vietnamese = vietnamese_vocabulary(train_dir, VI_STOP)
    log(f"{len(english)} English and {len(vietnamese)} Vietnamese words; encoding them")
    e = np.asarray(embedder.encode(english, prompt="query: "), dtype=np.float32)
    v = np.asarray(embedder.encode(vietnamese, prompt="query: "), dtype=np.float32)
    pairs = pair_words(e, v)
    words = {english[i]: vietnamese[j] for i, j, _ in pairs}
    about = (
        "English word -> Vietnamese word, built by `newsqa build-lexicon` (qa/training/lexicon.py) "
        "from TyDi QA English, the SQuAD 2.0 head and MLQA Vietnamese paragraphs with the embedding model "
        f"{getattr(embedder, 'name', '')}"
    )
    if translate is not None:
        log(f"{len(pairs)} word pairs; translating the {len(english)} English words")
        known = set(english)
        by_use = sorted(english, key=lambda w: (-asked[w], -told[w], w))  # the words questions use most first
        translated = {w: t for w, t in translate(by_use).items() if not all(s in known for s in t.split())}
        words.update(translated)  # not English again ("solar energy")
        about += f"; {len(translated)} words translated by a local instruct model (--translator)"
    result = {"about": about, "words": words}
    out.write_text(json.dumps(result, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    log(f"wrote {len(words)} words to {out}")
    return result
