"""The reader network in PyTorch: built (`build_net`), loaded from a trained folder (`torch_net`),
and exported once to ONNX beside the base model (`export_reader`); questions run the export
(`qa.answering.reader`), and only the export itself needs torch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from pathlib import Path

import numpy as np

from ingest.onnx_model import ONNX_DIR, PieceTokenizer, session, word_table
from qa.answering.reader import ARTEFACT, THREADS, PieceTokens, Window, base_model_folder, encode_windows, feeds

logger = logging.getLogger(__name__)


def build_net(config):
    """The reader network for a `transformers.BertConfig` (its word-embedding table is not used)."""
    import torch
    from torch import nn
    from transformers import BertModel

    class ReaderNet(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.bert = BertModel(config, add_pooling_layer=False)
            h = config.hidden_size
            self.head = nn.Sequential(nn.Dropout(0.1), nn.Linear(h, h), nn.GELU(), nn.Linear(h, 1))
            self.null = nn.Sequential(nn.Dropout(0.1), nn.Linear(h, h), nn.GELU(), nn.Linear(h, 1))
            self.span = nn.Linear(h, 2)

        def forward(self, inputs_embeds, attention_mask, sentence_of, n_sentences):
            """inputs_embeds (B, T, H); sentence_of (B, T): sentence number of each token, -1 outside
            any sentence; n_sentences: a number, or the tensor arange(n) (so an export keeps it
            dynamic). Returns logits (B, 1 + n_sentences): [null, sentence 0, ...], -1e4 where a
            window has no such sentence; and span logits (B, T, 2): each token's score as the first
            and as the last token of the answer phrase, -1e4 outside the sentences."""
            hidden = self.bert(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state
            if not torch.is_tensor(n_sentences):
                n_sentences = torch.arange(n_sentences, device=hidden.device)
            slots = n_sentences.view(1, -1, 1)
            member = (sentence_of.unsqueeze(1) == slots).to(hidden.dtype)  # (B, S, T)
            counts = member.sum(-1, keepdim=True)
            pooled = (member @ hidden) / counts.clamp(min=1.0)
            logits = self.head(pooled).squeeze(-1).masked_fill(counts.squeeze(-1) == 0, -1e4)
            null = self.null(hidden[:, 0]).squeeze(-1)
            spans = self.span(hidden).masked_fill((sentence_of < 0).unsqueeze(-1), -1e4)
            return torch.cat([null.unsqueeze(1), logits], dim=1), spans

    return ReaderNet(config)


def torch_net(folder: Path, meta: dict):
    """The trained network in PyTorch (for export and training; questions use the ONNX export)."""
    import torch
    from safetensors.torch import load_file
    from transformers import BertConfig

    config = BertConfig(**meta["config"])
    config.vocab_size = 2  # the word embeddings come from the base model table (2: room for pad id 1)
    net = build_net(config)
    state = {k: v.float() for k, v in load_file(str(folder / "model.safetensors")).items()}
    state["bert.embeddings.word_embeddings.weight"] = torch.zeros(2, config.hidden_size)
    if "span.weight" not in state:  # a reader trained before the span head (format 1): no phrases
        state["span.weight"] = torch.zeros(2, config.hidden_size)
        state["span.bias"] = torch.zeros(2)
    net.load_state_dict(state)
    return net.eval()


def onnx_path(folder: Path, base: Path) -> Path:
    """Where the export of the reader in `folder` lives: named by a hash of its network (weights and
    configuration; the calibration and threshold in reader.json do not change the export)."""
    digest = hashlib.sha256((folder / "model.safetensors").read_bytes())
    meta = json.loads((folder / "reader.json").read_text(encoding="utf-8"))
    digest.update(json.dumps(meta.get("config", {}), sort_keys=True).encode())
    return base / ONNX_DIR / f"reader-{digest.hexdigest()[:12]}.onnx"


def export_reader(folder: Path = ARTEFACT, base: Path | None = None) -> Path:
    """Export the reader in `folder` to ONNX beside the base model (once; needs torch) and check it
    against PyTorch on a sample window; returns the path."""
    base = base or base_model_folder()
    path = onnx_path(folder, base)
    if path.exists():
        return path
    import torch  # only to export: answering needs no torch

    from ingest.atomic import replacing

    meta = json.loads((folder / "reader.json").read_text(encoding="utf-8"))
    net = torch_net(folder, meta)
    table = word_table(base)
    tokens = PieceTokens(PieceTokenizer(base))
    window = Window("Quảng Ngãi đề nghị Bộ hỗ trợ. Kim ngạch đạt 1,9 tỷ USD.", [(0, 28), (29, 55)])
    ids, mask, sentence_of, _ = encode_windows(tokens, "Quảng Ngãi đề nghị gì?", [window, window])
    mask[1, -3:] = 0
    inputs = {k: torch.from_numpy(v) for k, v in feeds(table, ids, mask, sentence_of, 2).items()}
    names = ["inputs_embeds", "attention_mask", "sentence_of", "slots"]
    with torch.no_grad():
        expected = [x.numpy() for x in net(*(inputs[k] for k in names))]
    with replacing(path) as tmp, torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about shapes; the graph is checked below
        torch.onnx.export(
            net,
            tuple(inputs[k] for k in names),
            str(tmp),
            input_names=names,
            output_names=["logits", "spans"],
            dynamic_axes={
                "inputs_embeds": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "sentence_of": {0: "batch", 1: "tokens"},
                "slots": {0: "sentences"},
                "logits": {0: "batch", 1: "slots"},
                "spans": {0: "batch", 1: "tokens"},
            },
            opset_version=17,
            do_constant_folding=True,
            dynamo=False,
        )
        got = session(tmp, THREADS).run(None, {k: v.numpy() for k, v in inputs.items()})
        for g, e in zip(got, expected):
            live = e > -1e3  # the masked places hold -1e4 in both
            if not np.allclose(g[live], e[live], atol=1e-3):
                raise ValueError(
                    f"the exported reader disagrees with PyTorch (max difference {np.abs(g - e)[live].max():.4f})"
                )
    logger.info("exported the reader to %s", path)
    return path
