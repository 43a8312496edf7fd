"""The trained reader over question windows (`forward`), and its calibration on held-out question sets:
the sentence chooser weights, the answerability model and the default threshold (`calibrate`;
`recalibrate` runs it again for a trained reader).
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np

from qa.answering.reader import (
    ANSWERABILITY,
    CHOOSER,
    MAX_TOKENS,
    Window,
    answerability_features,
    encode_windows,
    pack_windows,
)
from qa.training.train_data import (
    HELD_OUT,
    NULL,
    Item,
    Paragraph,
    load_items,
    question_tokens,
)


def base_state(base: Path, layers: int):
    import torch
    from safetensors.torch import load_file

    state = load_file(str(base / "model.safetensors"))
    table = state.pop("embeddings.word_embeddings.weight").float()  # stored as float16
    keep = {}
    for k, v in state.items():
        m = re.match(r"encoder\.layer\.(\d+)\.", k)
        if m and int(m.group(1)) >= layers:
            continue
        keep["bert." + k] = v
    keep["bert.embeddings.word_embeddings.weight"] = torch.zeros(2, table.shape[1])
    return table, keep


def forward(net, table, tokenizer, question_windows: list[tuple[str, Window]]):
    import torch

    rows = [encode_windows(tokenizer, q, [w]) for q, w in question_windows]
    width = max(r[0].shape[1] for r in rows)
    pad = tokenizer.pad_token_id
    ids = np.full((len(rows), width), pad, dtype=np.int64)
    mask = np.zeros_like(ids)
    sent = np.full_like(ids, -1)
    offsets = np.full((len(rows), width, 2), -1, dtype=np.int64)
    for i, (r_ids, r_mask, r_sent, r_off) in enumerate(rows):
        n = r_ids.shape[1]
        ids[i, :n], mask[i, :n], sent[i, :n], offsets[i, :n] = r_ids[0], r_mask[0], r_sent[0], r_off[0]
    n_sent = max(len(w.spans) for _, w in question_windows)
    embeds = torch.nn.functional.embedding(torch.from_numpy(ids), table)
    return net(embeds, torch.from_numpy(mask), torch.from_numpy(sent), n_sent), sent, offsets


def _question_score(
    net, table, tokenizer, question: str, paragraphs: list[Paragraph]
) -> tuple[float, list[np.ndarray]]:
    """Best sentence score over `paragraphs` read in windows as the answerer does, and each paragraph's scores."""
    import torch

    budget = MAX_TOKENS - question_tokens(tokenizer, question) - 7
    windows, owner = [], []
    for pi, p in enumerate(paragraphs):
        for w in pack_windows(p.text, p.spans, p.lengths, budget, pi):
            windows.append(w)
            owner.append(pi)
    with torch.inference_mode():
        (logits, _), sent, _ = forward(net, table, tokenizer, [(question, w) for w in windows])
    logits = logits.float().numpy()
    per = [np.full(len(p.spans), -np.inf, dtype=np.float32) for p in paragraphs]
    for i, w in enumerate(windows):
        pi, first = w.key
        for j in range(len(w.spans)):
            if (sent[i] == j).any():
                per[pi][first + j] = max(per[pi][first + j], logits[i, 1 + j] - logits[i, 0])
    best = max((float(s.max()) for s in per if len(s)), default=-30.0)
    return best, per


def _fit_chooser(groups: list[tuple[np.ndarray, int]]) -> dict:
    """Conditional logit: weights of the `CHOOSER` features so the gold sentence of each group scores highest."""
    import torch

    w = torch.tensor([1.0] + [0.0] * (len(CHOOSER) - 1), requires_grad=True)
    opt = torch.optim.LBFGS([w], max_iter=200, line_search_fn="strong_wolfe")
    xs = [torch.tensor(x, dtype=torch.float32) for x, _ in groups]
    gold = [g for _, g in groups]

    def closure():
        opt.zero_grad()
        loss = sum(-torch.log_softmax(x @ w, 0)[g] for x, g in zip(xs, gold)) / len(xs) + 1e-3 * (w**2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return dict(zip(CHOOSER, (round(float(v), 5) for v in w.detach())))


def calibrate(net, table, tokenizer, items: list[Item], rng: random.Random, log, embedder) -> dict:
    """On held-out question sets read as the answerer reads them (own paragraph and distractors, or
    distractors alone): the sentence-score weights (`CHOOSER`), the answerability model (logistic
    over `ANSWERABILITY`) and the default threshold; sentence accuracy too."""
    from sklearn.linear_model import LogisticRegression

    from qa.answering.answerer import content_words, coverage
    from qa.question.kinds import asked_kind, kind_fit, sentence_kinds

    sets = []  # (item, paragraphs, label, kind)
    for it in items:
        distractors = it.clean_distractors()
        if it.target == NULL:
            sets.append((it, [it.paragraph, *distractors[:2]], 0, it.source))
            continue
        sets.append((it, [it.paragraph, *distractors[:2]], 1, it.source))
        if rng.random() < 0.5 and distractors:  # its paragraph left out (as if the article were not indexed)
            sets.append((it, distractors[:3], 0, it.source + "-removed"))
        if it.rest and rng.random() < 0.5:  # news: the article's other passages, the asked fact absent
            sets.append((it, it.rest[:3], 0, it.source + "-tempting"))
    paragraphs = list({p.key: p for _, ps, _, _ in sets for p in ps}.values())
    log(f"calibration: {len(sets)} question sets, {len(paragraphs)} paragraphs to embed")
    _, vectors = embedder.encode_passages([p.text for p in paragraphs], [p.spans for p in paragraphs])
    sentence_vectors = {p.key: v for p, v in zip(paragraphs, vectors)}
    questions = list(dict.fromkeys(it.question for it, _, _, _ in sets))
    query = dict(zip(questions, embedder.encode_queries(questions)))

    rows = []  # per set: (features per sentence (n, 3), paragraph-sentence index, label, kind, cross, gold row)
    for n, (it, ps, label, kind) in enumerate(sets):
        _, per = _question_score(net, table, tokenizer, it.question, ps)
        wanted = content_words(it.question)
        asked = asked_kind(it.question)
        feats, gold = [], None
        for pi, p in enumerate(ps):
            cos = sentence_vectors[p.key] @ query[it.question]
            for si, (a, b) in enumerate(p.spans):
                if not np.isfinite(per[pi][si]):
                    continue
                if label == 1 and pi == 0 and si == it.target:
                    gold = len(feats)
                text = p.text[a:b]
                fit = kind_fit(asked, sentence_kinds(text))
                feats.append([float(per[pi][si]), float(cos[si]), coverage(wanted, text), fit])
        cross = 1.0 if it.source == "mlqa-de" or (it.source.startswith("xquad-") and it.source != "xquad-vi") else 0.0
        rows.append((np.asarray(feats, dtype=np.float32).reshape(-1, len(CHOOSER)), label, kind, cross, gold))
        if n % 200 == 0:
            log(f"calibration {n}/{len(sets)}")
    chooser = _fit_chooser([(x, g) for x, _, _, _, g in rows if g is not None and len(x)])
    w = np.asarray([chooser[k] for k in CHOOSER], dtype=np.float32)
    X, y, kinds = [], [], []
    correct = total = 0
    for x, label, kind, cross, gold in rows:
        if not len(x):
            continue
        f = x @ w
        if gold is not None:
            total += 1
            correct += int(np.argmax(f)) == gold
        i = int(np.argmax(f))
        X.append(
            answerability_features(float(f[i]), float(x[:, 0].max()), float(x[:, 1].max()), cross, float(x[i, 3]))
        )
        y.append(label)
        kinds.append(kind)
    X, y = np.asarray(X), np.asarray(y)
    model = LogisticRegression(C=1.0, max_iter=1000).fit(X, y)
    prob = model.predict_proba(X)[:, 1]
    # default threshold: the highest that refuses at most 5% of the held-out answerable question sets
    pos = np.sort(prob[y == 1])
    threshold = min(float(pos[int(0.05 * len(pos))]) if len(pos) else 0.5, 0.5)
    by_kind = {}
    for k in sorted(set(kinds)):
        sel = np.asarray([x == k for x in kinds])
        by_kind[k] = {"n": int(sel.sum()), "answered": round(float((prob[sel] >= threshold).mean()), 4)}
    return {
        "chooser": chooser,
        "answerability": {
            "features": list(ANSWERABILITY),
            "coef": [round(float(c), 5) for c in model.coef_[0]],
            "intercept": round(float(model.intercept_[0]), 5),
        },
        "threshold": round(threshold, 4),
        "held_out": {
            "question_sets": len(y),
            "refused_unanswerable": float((prob[y == 0] < threshold).mean()),
            "refused_answerable": float((prob[y == 1] < threshold).mean()),
            "sentence_accuracy": correct / total if total else None,
            "sentences_scored": total,
            "by_kind": by_kind,
        },
    }


CALIBRATION_ITEMS = 1200  # held-out questions the calibration reads (1,765 question sets)


def held_out(items: list[Item], seed: int, count: int = CALIBRATION_ITEMS) -> tuple[list[Item], list[Item]]:
    """The training items and the held-out ones (their paragraphs never trained on; at most `count`
    of them, drawn with `seed`) that the calibration reads."""
    held = {it.paragraph.key for it in items if int(it.paragraph.key[:8], 16) / 0xFFFFFFFF < HELD_OUT}
    train_items = [it for it in items if it.paragraph.key not in held]
    held_items = [it for it in items if it.paragraph.key in held]
    if len(held_items) > count:
        held_items = random.Random(seed + 2).sample(held_items, count)
    return train_items, held_items


def recalibrate(
    train_dir: Path, folder: Path, corpus: Path | None = None, base: Path | None = None, seed: int = 0, log=print
) -> dict:
    """Run the held-out calibration again for a trained reader in `folder` (rewrites its reader.json):
    the same held-out questions as `newsqa train-reader` with the same `seed` and news `corpus`."""
    import torch
    from transformers import AutoTokenizer

    from ingest.embedder import DEFAULT_MODEL, load_embedder
    from qa.answering.reader import BASE_NAME, base_model_folder
    from qa.answering.reader_net import torch_net

    torch.manual_seed(seed)
    rng = random.Random(seed)
    base = base or base_model_folder()
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    _, held_items = held_out(load_items(Path(train_dir), tokenizer, rng, corpus), seed)
    meta = json.loads((folder / "reader.json").read_text(encoding="utf-8"))
    net = torch_net(folder, meta)
    table, _ = base_state(base, 0)
    embedder = load_embedder(DEFAULT_MODEL, base.parent)
    assert base.name == BASE_NAME
    result = calibrate(net, table, tokenizer, held_items, random.Random(seed + 1), log, embedder)
    for k in ("calibration",):
        meta.pop(k, None)
    meta.update(result)
    (folder / "reader.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"recalibrated {folder}: {json.dumps(result)}")
    return meta
