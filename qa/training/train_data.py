"""The reader's training examples, from the files in ../shared/train and the `train` split of the news
corpus (see `qa.training.train_reader` for what is taken from each, and the held-out split): paragraphs and
their sentences, questions with their answer sentence and answer phrase (or none), and the windows
of sentences the reader reads in training."""

from __future__ import annotations

import hashlib
import json
import logging
import random
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ingest.chunk import chunk_text, split_sentences
from qa.answering.reader import MAX_TOKENS, QUESTION_TOKENS, Window

logger = logging.getLogger(__name__)

NULL, ANY = -1, -2
HELD_OUT = 0.08
XQUAD_LANGS = ("vi", "en", "de", "es", "ru", "zh", "ar", "el", "hi", "ro", "th", "tr")
# Items per source drawn for each training stage (fresh draws per stage; None: all of them). Twice the
# first mix: on the validation sets the reader trained on it read news better (README, "Training").
MIX = {
    "news": 14000,
    "news-kind": 2400,
    "xquad": 5000,
    "tydi": 2400,
    "tydi-ko": 800,
    "tydi-sw": 800,
    "squad": 2000,
    "squad-unanswerable": 600,
    "mlqa-vi": 1600,
    "mlqa-de": 1000,
}


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
    """A question about a paragraph: `target` is the answer sentence, NULL (unanswerable) or ANY
    (some sentence, unknown which); `span` the answer phrase (offsets into the paragraph) when known."""

    question: str
    paragraph: Paragraph
    target: int
    source: str
    distractors: list[Paragraph]  # other paragraphs (negatives / calibration distractors)
    hint: int = -1  # for ANY: the sentence most likely to hold the answer (window placement)
    answer: str = ""  # the gold answer text, when known
    span: tuple[int, int] | None = None
    rest: list[Paragraph] = field(default_factory=list)  # news: passages of the same article without the answer

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
    span: tuple[int, int] | None = None  # the answer phrase, offsets into the window text


# ---- data ---------------------------------------------------------------------------------------
def _words(text: str) -> list[str]:
    from ingest.normalize import words

    return words(text)


class Paragraphs:
    """Paragraphs by text, split into sentences by the index's own splitter, token lengths counted once."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.cache: dict[str, Paragraph] = {}

    def get(self, text: str, spans: list[tuple[int, int]] | None = None) -> Paragraph:
        p = self.cache.get(text)
        if p is None:
            spans = spans if spans is not None else [(s.start, s.end) for s in split_sentences(text)]
            ids = self.tokenizer([text[a:b] for a, b in spans], add_special_tokens=False)["input_ids"] if spans else []
            p = self.cache[text] = Paragraph(text, spans, [len(x) for x in ids])
        return p


def sentence_of(p: Paragraph, offset: int) -> int:
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


def _spans_items(rows, source: str, paragraphs: Paragraphs) -> list[Item]:
    """Items from (context, question, answer_start, answer_text) rows (SQuAD layout); distractors
    are the lexically closest other contexts."""
    texts = list(dict.fromkeys(c for c, _, _, _ in rows))
    close = dict(zip(texts, _close(texts)))
    items = []
    for context, question, start, text in rows:
        p = paragraphs.get(context)
        if not p.spans or not text:
            continue
        distractors = [paragraphs.get(texts[j]) for j in close[context]]
        span = (start, start + len(text))
        items.append(Item(question, p, sentence_of(p, start), source, distractors, answer=text, span=span))
    return items


def _squad_rows(path: Path):
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    return [
        (p["context"], qa["question"], qa["answers"][0]["answer_start"], qa["answers"][0]["text"])
        for a in data
        for p in a["paragraphs"]
        for qa in p["qas"]
        if qa.get("answers")
    ]


def load_items(train: Path, tokenizer, rng: random.Random, corpus: Path | None = None) -> list[Item]:
    """Every training question (see `qa.training.train_reader` for the sources); `corpus`: the news corpus folder."""
    paragraphs = Paragraphs(tokenizer)
    items: list[Item] = []

    # TyDi QA GoldP: English, Korean, Swahili
    items += _spans_items(_squad_rows(train / "tydiqa-goldp-en" / "tydiqa.goldp.en.train.json"), "tydi", paragraphs)
    for lang in ("ko", "sw"):
        path = train / "tydiqa-goldp-multi" / f"tydiqa.goldp.{lang}.train.json"
        if path.exists():
            items += _spans_items(_squad_rows(path), f"tydi-{lang}", paragraphs)

    # SQuAD 2.0 head: distractors are other paragraphs of the same article
    squad = json.loads((train / "squad2-train-head10" / "train-v2.0.json").read_text(encoding="utf-8"))["data"]
    for article in squad:
        contexts = [p["context"] for p in article["paragraphs"]]
        for para in article["paragraphs"]:
            p = paragraphs.get(para["context"])
            others = [paragraphs.get(contexts[j]) for j in rng.sample(range(len(contexts)), min(7, len(contexts)))]
            others = [o for o in others if o.text != p.text][:6]
            for qa in para["qas"]:
                if qa.get("is_impossible"):
                    items.append(Item(qa["question"], p, NULL, "squad-unanswerable", others))
                elif qa["answers"]:
                    start, text = qa["answers"][0]["answer_start"], qa["answers"][0]["text"]
                    items.append(
                        Item(qa["question"], p, sentence_of(p, start), "squad", others, answer=text,
                             span=(start, start + len(text)))
                    )  # fmt: skip

    items += xquad_items(train / "xquad-folds", paragraphs)
    items += mlqa_items(train / "mlqa-test-vi-unlabeled", paragraphs)
    if corpus is not None and (corpus / "splits.json").exists():
        items += news_items(corpus, paragraphs, rng)
    return items


def xquad_items(folder: Path, paragraphs: Paragraphs) -> list[Item]:
    """XQuAD's `train` fold: each Vietnamese paragraph with its Vietnamese answer span, asked in each
    of the 12 languages (most of them cross-lingual); distractors are the other paragraphs of its article."""
    folds = folder / "folds.json"
    if not folds.exists():
        return []
    train_titles = set(json.loads(folds.read_text(encoding="utf-8"))["train"])
    titles = [a["title"] for a in json.loads((folder / "xquad.en.json").read_text(encoding="utf-8"))["data"]]
    vi = json.loads((folder / "xquad.vi.json").read_text(encoding="utf-8"))["data"]
    asked = {}
    for lang in XQUAD_LANGS:
        path = folder / f"xquad.{lang}.json"
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))["data"]
            asked[lang] = {qa["id"]: qa["question"] for a in data for p in a["paragraphs"] for qa in p["qas"]}
    items = []
    for title, article in zip(titles, vi):
        if title not in train_titles:
            continue
        ps = [paragraphs.get(p["context"]) for p in article["paragraphs"]]
        for pi, para in enumerate(article["paragraphs"]):
            p = ps[pi]
            others = [o for j, o in enumerate(ps) if j != pi]
            for qa in para["qas"]:
                if not qa["answers"] or not p.spans:
                    continue
                start, text = qa["answers"][0]["answer_start"], qa["answers"][0]["text"]
                for lang, questions in asked.items():
                    if qa["id"] in questions:
                        items.append(
                            Item(questions[qa["id"]], p, sentence_of(p, start), f"xquad-{lang}", others,
                                 answer=text, span=(start, start + len(text)))
                        )  # fmt: skip
    return items


def mlqa_items(folder: Path, paragraphs: Paragraphs) -> list[Item]:
    """MLQA test, Vietnamese paragraphs without answers: the Vietnamese question, and the German
    question of the same instance, each with its own paragraph (some sentence answers)."""
    vi_ctx = json.loads((folder / "test-context-vi-question-de.json").read_text(encoding="utf-8"))["data"]
    vi_q = json.loads((folder / "test-context-de-question-vi.json").read_text(encoding="utf-8"))["data"]
    vi_question = {qa["id"]: qa["question"] for a in vi_q for p in a["paragraphs"] for qa in p["qas"]}
    rows = [(p["context"], qa["id"], qa["question"]) for a in vi_ctx for p in a["paragraphs"] for qa in p["qas"]]
    texts = list(dict.fromkeys(c for c, _, _ in rows))
    close = dict(zip(texts, _close(texts)))
    items = []
    for context, id_, de_question in rows:
        if id_ not in vi_question:
            continue
        p = paragraphs.get(context)
        if not p.spans:
            continue
        q = vi_question[id_]
        wanted = set(_words(q))
        hint = int(np.argmax([len(wanted & set(_words(context[a:b]))) for a, b in p.spans]))
        distractors = [paragraphs.get(texts[j]) for j in close[context]]
        items.append(Item(q, p, ANY, "mlqa-vi", distractors, hint))
        items.append(Item(de_question, p, ANY, "mlqa-de", distractors, hint))
    return items


def news_items(corpus: Path, paragraphs: Paragraphs, rng: random.Random) -> list[Item]:
    """Cloze questions (`qa.training.train_news`) over the passages of the corpus's `train` articles, chunked as
    the index chunks them. `rest` holds the article's other passages without the answer (tempting
    negatives); the distractors are hard negatives from lexical retrieval: the passages of other
    articles that best match the question by the index's own lexical tokens (folded syllables and
    bigrams, `ingest.lexical.tokens`, tf-idf weighted), without the answer."""
    from ingest.errors import ReadError
    from ingest.readers import read_file
    from qa.training.train_news import clozes, kind_swap, train_articles

    articles = []
    for path in train_articles(corpus):
        try:
            articles.append(read_file(path))
        except ReadError:
            continue
    chunked = [[paragraphs.get(c.text, [(s.start - c.start, s.end - c.start) for s in c.sentences])
                for c in chunk_text(a.text)] for a in articles]  # fmt: skip
    made = []  # (article index, passage, cloze)
    for i, passages in enumerate(chunked):
        for p in passages:
            made += [(i, p, c) for c in clozes(p.text, p.spans, rng)]
    flat = [(i, p) for i, passages in enumerate(chunked) for p in passages]
    ranked = _retrieve([c.question for _, _, c in made], [p.text for _, p in flat], n=8)
    items = []
    for (i, p, c), hits in zip(made, ranked):
        answer = p.text[c.answer[0] : c.answer[1]]
        key = answer.lower()
        rest = [o for o in chunked[i] if o is not p and key not in o.text.lower()]
        hard = [flat[j][1] for j in hits if flat[j][0] != i and key not in flat[j][1].text.lower()][:4]
        items.append(Item(c.question, p, c.sentence, "news", hard, answer=answer, span=c.answer, rest=rest))
        swapped = kind_swap(p.text, p.spans, c, rng)
        if swapped:  # the same passage does not give the kind of fact it asks for
            items.append(Item(swapped, p, NULL, "news-kind", hard))
    return items


def _retrieve(questions: list[str], texts: list[str], n: int) -> list[list[int]]:
    """For each question, the `n` best texts by tf-idf cosine over the lexical index's tokens."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from ingest.lexical import tokens

    vectorizer = TfidfVectorizer(analyzer=tokens, sublinear_tf=True).fit(texts)
    docs = vectorizer.transform(texts).T.tocsr()
    out = []
    for i in range(0, len(questions), 512):
        sims = (vectorizer.transform(questions[i : i + 512]) @ docs).toarray()
        out += [list(np.argsort(-row)[:n]) for row in sims]
    return out


def question_tokens(tokenizer, question: str) -> int:
    return min(QUESTION_TOKENS, len(tokenizer("query: " + question, add_special_tokens=False)["input_ids"]))


def window_around(
    p: Paragraph, budget: int, must: int | None, rng: random.Random, avoid: int | None = None
) -> Window | None:
    """A random window of consecutive sentences of `p` within `budget` tokens, holding sentence
    `must` (when given; at a random place in the window) and not holding `avoid` (when given)."""
    n = len(p.spans)
    if must is not None:
        starts = [s for s in range(must, -1, -1) if s == must or sum(p.lengths[s : must + 1]) <= budget]
    else:
        starts = [s for s in range(n) if s != avoid]
    rng.shuffle(starts)
    for s in starts:
        e, used = s, 0
        limit = n if must is None or rng.random() < 0.7 else must + 1 + rng.randint(0, 2)
        while e < min(n, limit) and (e == s or used + p.lengths[e] <= budget):
            if avoid is not None and e == avoid:
                break
            used += p.lengths[e]
            e += 1
        if e == s or (must is not None and e <= must):
            continue
        a = p.spans[s][0]
        return Window(p.text[a : p.spans[e - 1][1]], [(x - a, y - a) for x, y in p.spans[s:e]], (p.key, s))
    return None


def _span_in(window: Window, p: Paragraph, span: tuple[int, int] | None) -> tuple[int, int] | None:
    """The answer phrase's offsets in the window text, when the window holds all of it."""
    if span is None:
        return None
    a = p.spans[window.key[1]][0]
    s, e = span[0] - a, span[1] - a
    return (s, e) if 0 <= s < e <= len(window.text) else None


def draw(items: list[Item], rng: random.Random, mix: dict[str, int | None] = MIX) -> list[Item]:
    """The items of one training stage: up to `mix[source]` of each source (XQuAD's languages share
    the "xquad" budget), drawn at random."""
    by_source: dict[str, list[Item]] = {}
    for it in items:
        key = "xquad" if it.source.startswith("xquad-") else it.source
        by_source.setdefault(key, []).append(it)
    out = []
    for key, group in sorted(by_source.items()):
        cap = mix.get(key, len(group))
        out += group if cap is None or cap >= len(group) else rng.sample(group, cap)
    rng.shuffle(out)
    return out


def typed(question: str, source: str, rng: random.Random, share: float = 0.15) -> str:
    """A Vietnamese question as often typed: without diacritics, lower-case (for a `share` of them;
    the news cloze questions are typed so already)."""
    if source in ("xquad-vi", "mlqa-vi") and rng.random() < share:
        from ingest.normalize import fold

        return fold(question).lower().rstrip("?")
    return question


def make_examples(items: list[Item], tokenizer, rng: random.Random) -> list[Example]:
    out: list[Example] = []
    for it in items:
        it = replace(it, question=typed(it.question, it.source, rng))
        budget = MAX_TOKENS - question_tokens(tokenizer, it.question) - 7
        p = it.paragraph
        if it.target >= 0:
            w = window_around(p, budget, it.target, rng)
            if w is not None:
                out.append(Example(it.question, w, it.target - w.key[1], it.source, _span_in(w, p, it.span)))
            if it.rest and rng.random() < 0.5:  # another passage of the same article, without the answer
                w = window_around(rng.choice(it.rest), budget, None, rng)
                if w is not None:
                    out.append(Example(it.question, w, NULL, it.source + "-rest"))
            elif rng.random() < 0.3 and len(p.spans) > 1:  # the same paragraph without the answer sentence
                w = window_around(p, budget, None, rng, avoid=it.target)
                if w is not None and it.answer.lower() not in w.text.lower():
                    out.append(Example(it.question, w, NULL, it.source + "-rest"))
            if rng.random() < 0.25 and it.clean_distractors():
                w = window_around(rng.choice(it.clean_distractors()[:3]), budget, None, rng)
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
            if it.distractors and rng.random() < 0.5:
                w = window_around(it.distractors[rng.randrange(min(3, len(it.distractors)))], budget, None, rng)
                if w is not None:
                    out.append(Example(it.question, w, NULL, it.source + "-other"))
    return out
