"""The reader's training examples, from the files in ../shared/train (see `qa.train_reader` for
what is taken from each, and the held-out split): paragraphs and their sentences, questions with
their target sentence (or none), and the windows of sentences the reader reads in training."""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.reader import (
    MAX_TOKENS,
    QUESTION_TOKENS,
    Window,
)

logger = logging.getLogger(__name__)

NULL, ANY = -1, -2
HELD_OUT = 0.08
_END = re.compile(r"[.!?…。]+[\"”’»)\]]*\s+(?=[\"“‘«(\[]?[A-ZÀ-Ỹ0-9Đ])")


def split_sentences(text: str) -> list[tuple[int, int]]:
    spans = []
    for para in re.finditer(r"[^\n]+", text):
        start = 0
        line = para.group(0)
        cuts = [m.end() for m in _END.finditer(line)] + [len(line)]
        for end in cuts:
            seg = line[start:end]
            if seg.strip():
                lead = len(seg) - len(seg.lstrip())
                spans.append((para.start() + start + lead, para.start() + start + lead + len(seg.strip())))
            start = end
    return spans


@dataclass
class Paragraph:
    text: str
    spans: list[tuple[int, int]]
    lengths: list[int]  # tokens per sentence

    @property
    def key(self) -> str:
        return hashlib.sha1(self.text.encode()).hexdigest()


@dataclass
class Item:
    """A question about a paragraph: `target` is the answer sentence, NULL (unanswerable) or ANY (unknown)."""

    question: str
    paragraph: Paragraph
    target: int
    source: str
    distractors: list[Paragraph]  # other paragraphs (negatives / calibration distractors)
    hint: int = -1  # for ANY: the sentence most likely to hold the answer (window placement)
    answer: str = ""  # the gold answer text, when known

    def clean_distractors(self) -> list[Paragraph]:
        """Distractors that do not contain the answer text (near-copies of the paragraph would answer)."""
        key = self.answer.strip().lower()
        return [d for d in self.distractors if not key or key not in d.text.lower()]


@dataclass
class Example:
    question: str
    window: Window
    target: int  # sentence index in the window, NULL or ANY
    source: str


# ---- data ---------------------------------------------------------------------------------------
def _words(text: str) -> list[str]:
    from ingest.normalize import words

    return words(text)


class _Paragraphs:
    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.cache: dict[str, Paragraph] = {}

    def get(self, text: str) -> Paragraph:
        p = self.cache.get(text)
        if p is None:
            spans = split_sentences(text)
            lengths = [
                len(x) for x in self.tokenizer([text[a:b] for a, b in spans], add_special_tokens=False)["input_ids"]
            ]
            p = self.cache[text] = Paragraph(text, spans, lengths)
        return p


def _sentence_of(p: Paragraph, offset: int) -> int:
    for i, (a, b) in enumerate(p.spans):
        if offset < b:
            return i
    return len(p.spans) - 1


def _close(texts: list[str], n: int = 6) -> list[list[int]]:
    """For each text, the `n` lexically closest other texts (tf-idf over folded syllables)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    tfidf = TfidfVectorizer(analyzer=_words, sublinear_tf=True, min_df=1).fit_transform(texts)
    out = []
    for i in range(0, len(texts), 512):
        sims = (tfidf[i : i + 512] @ tfidf.T).toarray()
        for r, row in enumerate(sims):
            row[i + r] = -1
            out.append(list(np.argsort(-row)[:n]))
    return out


def load_items(train: Path, tokenizer, rng: random.Random) -> list[Item]:
    paragraphs = _Paragraphs(tokenizer)
    items: list[Item] = []

    # TyDi QA GoldP English
    tydi = json.loads((train / "tydiqa-goldp-en" / "tydiqa.goldp.en.train.json").read_text(encoding="utf-8"))["data"]
    rows = [(p["context"], qa) for a in tydi for p in a["paragraphs"] for qa in p["qas"]]
    texts = list(dict.fromkeys(c for c, _ in rows))
    close = dict(zip(texts, _close(texts)))
    for context, qa in rows:
        p = paragraphs.get(context)
        if not p.spans or not qa["answers"]:
            continue
        target = _sentence_of(p, qa["answers"][0]["answer_start"])
        distractors = [paragraphs.get(texts[j]) for j in close[context]]
        items.append(Item(qa["question"], p, target, "tydi", distractors, answer=qa["answers"][0]["text"]))

    # SQuAD 2.0 head: distractors are other paragraphs of the same article
    squad = json.loads((train / "squad2-train-head10" / "train-v2.0.json").read_text(encoding="utf-8"))["data"]
    for article in squad:
        contexts = [p["context"] for p in article["paragraphs"]]
        for pi, para in enumerate(article["paragraphs"]):
            p = paragraphs.get(para["context"])
            others = [paragraphs.get(contexts[j]) for j in rng.sample(range(len(contexts)), min(7, len(contexts)))]
            others = [o for o in others if o.text != p.text][:6]
            for qa in para["qas"]:
                if qa.get("is_impossible"):
                    items.append(Item(qa["question"], p, NULL, "squad-unanswerable", others))
                elif qa["answers"]:
                    target = _sentence_of(p, qa["answers"][0]["answer_start"])
                    items.append(Item(qa["question"], p, target, "squad", others, answer=qa["answers"][0]["text"]))

    # MLQA test: Vietnamese paragraphs, Vietnamese and German questions, no answers
    folder = train / "mlqa-test-vi-unlabeled"
    vi_ctx = json.loads((folder / "test-context-vi-question-de.json").read_text(encoding="utf-8"))["data"]
    vi_q = json.loads((folder / "test-context-de-question-vi.json").read_text(encoding="utf-8"))["data"]
    vi_question = {qa["id"]: qa["question"] for a in vi_q for p in a["paragraphs"] for qa in p["qas"]}
    rows = [(p["context"], qa["id"], qa["question"]) for a in vi_ctx for p in a["paragraphs"] for qa in p["qas"]]
    texts = list(dict.fromkeys(c for c, _, _ in rows))
    close = dict(zip(texts, _close(texts)))
    for context, id_, de_question in rows:
        if id_ not in vi_question:
            continue
        p = paragraphs.get(context)
        if not p.spans:
            continue
        q = vi_question[id_]
        wanted = set(_words(q))
        overlap = [len(wanted & set(_words(context[a:b]))) for a, b in p.spans]
        hint = int(np.argmax(overlap))
        distractors = [paragraphs.get(texts[j]) for j in close[context]]
        items.append(Item(q, p, ANY, "mlqa-vi", distractors, hint))
        items.append(Item(de_question, p, ANY, "mlqa-de", distractors, hint))
    return items


def question_tokens(tokenizer, question: str) -> int:
    return min(QUESTION_TOKENS, len(tokenizer("query: " + question, add_special_tokens=False)["input_ids"]))


def window_around(
    p: Paragraph, budget: int, must: int | None, rng: random.Random, avoid: int | None = None
) -> Window | None:
    """A random window of consecutive sentences of `p` within `budget` tokens, holding sentence
    `must` (when given) and not holding `avoid` (when given)."""
    n = len(p.spans)
    if must is not None:
        starts = []
        for s in range(must, -1, -1):
            if sum(p.lengths[s : must + 1]) > budget and s != must:
                break
            starts.append(s)
    else:
        starts = list(range(n))
    rng.shuffle(starts)
    for s in starts:
        if avoid is not None and s == avoid:
            continue
        e, used = s, 0
        while e < n and (e == s or used + p.lengths[e] <= budget):
            if avoid is not None and e == avoid:
                break
            used += p.lengths[e]
            e += 1
        if e == s or (must is not None and e <= must):
            continue
        a = p.spans[s][0]
        return Window(p.text[a : p.spans[e - 1][1]], [(x - a, y - a) for x, y in p.spans[s:e]], (p.key, s))
    return None


def make_examples(items: list[Item], tokenizer, rng: random.Random) -> list[Example]:
    out: list[Example] = []
    for it in items:
        budget = MAX_TOKENS - question_tokens(tokenizer, it.question) - 7
        p = it.paragraph
        if it.target >= 0:
            w = window_around(p, budget, it.target, rng)
            if w is not None:
                out.append(Example(it.question, w, it.target - w.key[1], it.source))
            if rng.random() < 0.3 and len(p.spans) > 1:  # the same paragraph without the answer sentence
                w = window_around(p, budget, None, rng, avoid=it.target)
                if w is not None:
                    out.append(Example(it.question, w, NULL, it.source + "-rest"))
            if rng.random() < 0.3 and it.distractors:
                w = window_around(rng.choice(it.distractors[:3]), budget, None, rng)
                if w is not None:
                    out.append(Example(it.question, w, NULL, it.source + "-other"))
        elif it.target == NULL:
            w = window_around(p, budget, None, rng)
            if w is not None:
                out.append(Example(it.question, w, NULL, it.source))
        else:  # ANY: the window holds the most likely sentence
            w = window_around(p, budget, it.hint, rng)
            if w is not None:
                out.append(Example(it.question, w, ANY, it.source))
            if it.distractors and rng.random() < 0.6:
                w = window_around(it.distractors[rng.randrange(min(3, len(it.distractors)))], budget, None, rng)
                if w is not None:
                    out.append(Example(it.question, w, NULL, it.source + "-other"))
    return out


# ---- model --------------------------------------------------------------------------------------
