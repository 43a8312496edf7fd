"""The default model's encoder as an ONNX graph run by ONNX Runtime: no torch when asking questions.

The graph is the BERT body, from input embeddings to token embeddings; the word-embedding rows are
gathered outside it, from the model folder's `model.safetensors` (float16, memory-mapped, so only
the rows in use are ever read), and pooling happens in numpy (`ingest.embedder`). So the folder
keeps one copy of the 250,002 x 384 table and stays a standard sentence-transformers folder; the
graph sits beside its files in `newsqa-onnx/` (`encoder.onnx`, `encoder.json`), with the same
tokenisation as `tokenizer.json` for the sentencepiece library (`tokenizer.model`, `charmap.json`):
the `tokenizers` library needs ~280 MB of memory for XLM-R's 250,002-piece Unigram model,
sentencepiece ~40 MB, with the same ids (checked on the seed and XQuAD texts).

`export_encoder` runs once, when the folder is built (`newsqa prepare-model`, or the first use),
with torch; it checks the graph against the PyTorch model on sample texts (cosine >= 0.999) and
fails the build otherwise. `OnnxEncoder` needs only numpy, `sentencepiece` and `onnxruntime`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import unicodedata
import warnings
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

ONNX_DIR = "newsqa-onnx"
WORD_TABLE = "embeddings.word_embeddings.weight"
TOKEN_BUDGET = 4096  # tokens per ONNX Runtime batch (8 full 512-token passages): bounds its memory
CHECK_TEXTS = [
    "query: Ai dẫn đầu đoàn công tác tỉnh Quảng Ngãi?",
    "query: What did the province request from the ministry?",
    "passage: Kim ngạch xuất khẩu 9 tháng đầu năm đạt 1,9 tỷ USD, tăng 12% so với cùng kỳ năm trước.",
]
SAFETENSORS_DTYPES = {"F16": "<f2", "F32": "<f4"}


def word_table(folder: Path) -> np.ndarray:
    """The word-embedding rows of the folder's `model.safetensors`, memory-mapped (float16 or float32)."""
    path = Path(folder) / "model.safetensors"
    with path.open("rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
    info = header[WORD_TABLE]
    if info["dtype"] not in SAFETENSORS_DTYPES:
        raise ValueError(f"{path}: word embeddings are {info['dtype']}; expected F16 or F32")
    start, _ = info["data_offsets"]
    rows, dim = info["shape"]
    return np.memmap(path, dtype=SAFETENSORS_DTYPES[info["dtype"]], mode="r", offset=8 + n + start, shape=(rows, dim))


def has_encoder(folder: Path) -> bool:
    files = ("encoder.json", "encoder.onnx", "tokenizer.model", "charmap.json")
    return all((Path(folder) / ONNX_DIR / name).exists() for name in files)


def write_tokenizer(folder: Path, pieces: list[str], scores: list[float], special_ids: dict, charmap: dict) -> None:
    """The Unigram model as a sentencepiece `tokenizer.model` (ids as in tokenizer.json; normalisation
    left to `PieceTokenizer`) and its character map, in `<folder>/newsqa-onnx/`."""
    from sentencepiece import sentencepiece_model_pb2 as pb

    model = pb.ModelProto()
    spec = model.trainer_spec
    spec.model_type = pb.TrainerSpec.UNIGRAM
    spec.vocab_size = len(pieces)
    spec.unk_id, spec.bos_id, spec.eos_id, spec.pad_id = (special_ids[k] for k in ("unk", "bos", "eos", "pad"))
    model.normalizer_spec.name = "identity"
    model.normalizer_spec.add_dummy_prefix = True
    model.normalizer_spec.remove_extra_whitespaces = False
    model.normalizer_spec.escape_whitespaces = True
    control = set(special_ids.values()) - {special_ids["unk"]}
    for i, (piece, score) in enumerate(zip(pieces, scores)):
        entry = model.pieces.add(piece=piece, score=score)
        if i == special_ids["unk"]:
            entry.type = pb.ModelProto.SentencePiece.UNKNOWN
        elif i in control:
            entry.type = pb.ModelProto.SentencePiece.CONTROL
        elif piece == "<mask>":
            entry.type = pb.ModelProto.SentencePiece.USER_DEFINED
    target = Path(folder) / ONNX_DIR
    target.mkdir(exist_ok=True)
    (target / "tokenizer.model").write_bytes(model.SerializeToString())
    (target / "charmap.json").write_text(json.dumps(charmap, ensure_ascii=False), encoding="utf-8")


class PieceTokenizer:
    """tokenizer.json's tokenisation with sentencepiece: NFC, the model's character map and runs of
    spaces collapsed (here, keeping where each character came from), then the Unigram model; <s>
    and </s> around, truncated to `max_length` tokens."""

    def __init__(self, folder: Path):
        """From a model folder's `newsqa-onnx/` (its encoder.json names the special ids)."""
        import sentencepiece as spm

        folder = Path(folder) / ONNX_DIR
        meta = json.loads((folder / "encoder.json").read_text(encoding="utf-8"))
        self.sp = spm.SentencePieceProcessor(model_file=str(folder / "tokenizer.model"))
        self.charmap = json.loads((folder / "charmap.json").read_text(encoding="utf-8"))
        self.bos, self.eos, self.pad = int(meta["bos_id"]), int(meta["eos_id"]), int(meta["pad_id"])
        self.max_length = int(meta["max_length"])

    def normalise(self, text: str) -> tuple[str, list[int]]:
        """The normalised text and, for each of its characters, its index in NFC `text`."""
        chars, origin = [], []
        for i, ch in enumerate(unicodedata.normalize("NFC", text)):
            for out in self.charmap.get(ch, ch):
                if out == " " and chars and chars[-1] == " ":
                    continue
                chars.append(out)
                origin.append(i)
        while chars and chars[-1] == " ":
            chars.pop()
            origin.pop()
        start = 0
        while start < len(chars) and chars[start] == " ":
            start += 1
        return "".join(chars[start:]), origin[start:]

    def encode(self, text: str) -> tuple[list[int], np.ndarray]:
        """Token ids with <s> and </s>, and each token's (start, end) in NFC `text` ((0, 0) for both)."""
        normal, origin = self.normalise(text)
        pieces = self.sp.encode(normal, return_type="proto").pieces[: self.max_length - 2]
        sizes = np.fromiter((len(c.encode("utf-8")) for c in normal), dtype=np.int64, count=len(normal))
        char_at = np.repeat(np.arange(len(normal)), sizes)  # byte -> character of `normal`
        ids, offsets = [self.bos], [(0, 0)]
        for p in pieces:
            ids.append(p.id)
            if p.end > p.begin:
                offsets.append((origin[char_at[p.begin]], origin[char_at[p.end - 1]] + 1))
            else:
                offsets.append((0, 0))
        ids.append(self.eos)
        offsets.append((0, 0))
        return ids, np.asarray(offsets, dtype=np.int64)


_LOADED: dict[tuple, object] = {}
_LOADING = threading.RLock()  # an encoder reads its tokenizer while loading


def _once(kind: str, folder: Path, file: str, make, *args):
    """`make(folder, *args)`, made once a process for the folder's `file` as it is now (a rebuilt
    folder is read again)."""
    path = (Path(folder) / ONNX_DIR / file).resolve()
    key = (kind, str(path), path.stat().st_mtime_ns, *args)
    with _LOADING:
        if key not in _LOADED:
            _LOADED[key] = make(folder, *args)
        return _LOADED[key]


def piece_tokenizer(folder: Path) -> PieceTokenizer:
    """The model folder's `PieceTokenizer`, read once a process: the encoder and the answer reader
    share it (reading the 250,002-piece model takes ~0.4 s of a cold `newsqa ask`)."""
    return _once("tokenizer", folder, "tokenizer.model", PieceTokenizer)


def onnx_encoder(folder: Path, threads: int | None = None) -> OnnxEncoder:
    """The model folder's `OnnxEncoder`, loaded once a process for a number of threads (pipelines
    of one process share it; ONNX Runtime runs a session from several threads at once)."""
    return _once("encoder", folder, "encoder.onnx", OnnxEncoder, threads)


def load_in_background(name: str, load) -> None:
    """Run `load()` in a thread named `name`: sentencepiece and ONNX Runtime read their files
    without holding Python's lock, so a model loads beside the imports a command does meanwhile. A
    failure is logged at debug level only: the model's first real use loads it again and says what
    went wrong. Not a daemon thread: a command that fails before it needs the model ("Chroma server
    … is not reachable") waits for the load to end before it exits, instead of tearing the
    interpreter down under a load running in C++ (SIGABRT instead of exit status 1)."""

    def run() -> None:
        try:
            load()
            release_freed_memory()  # what loading freed, in this thread's own heap
        except Exception:  # noqa: BLE001 - see above
            logger.debug("loading in the background (%s) failed", name, exc_info=True)

    threading.Thread(target=run, name=name, daemon=False).start()


def session(path: Path, threads: int | None = None):
    """An ONNX Runtime CPU session for a graph of newsqa's (`threads`: default one per core)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads or os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.enable_cpu_mem_arena = False  # give a big ingest batch's memory back to the server afterwards
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # shared CPUs: no busy waits
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


_LIBC = None


def release_freed_memory() -> None:
    """Give the heap pages freed by a run back to the system (glibc `malloc_trim`; nothing elsewhere).

    glibc keeps the buffers of a freed ONNX run for reuse, and with several threads answering at
    once its per-thread heaps keep growing: without this, `newsqa serve` with the reader grew from
    430 MB to 850 MB over 40 questions on two threads (455 MB with it). A call takes 2-4 ms."""
    global _LIBC
    if _LIBC is None:
        import ctypes
        import ctypes.util

        try:
            _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _LIBC.malloc_trim  # noqa: B018 - glibc only
        except (OSError, AttributeError):
            _LIBC = False
    if _LIBC:
        _LIBC.malloc_trim(0)


class OnnxEncoder:
    """Token embeddings of texts (prompts already added) with ONNX Runtime and sentencepiece."""

    def __init__(self, folder: Path, threads: int | None = None):
        folder = Path(folder)
        meta = json.loads((folder / ONNX_DIR / "encoder.json").read_text(encoding="utf-8"))
        self.dim = int(meta["dim"])
        self.tokenizer = piece_tokenizer(folder)
        self.table = word_table(folder)
        self.session = session(folder / ONNX_DIR / "encoder.onnx", threads)

    def token_embeddings(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each text, (token vectors [n, dim] float32, character offsets [n, 2]) incl. <s> and </s>."""
        encodings = [self.tokenizer.encode(t) for t in texts]
        out: list[tuple[np.ndarray, np.ndarray] | None] = [None] * len(encodings)
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i][0]))  # similar lengths together
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order) and (end - start + 1) * len(encodings[order[end]][0]) <= TOKEN_BUDGET:
                end += 1
            batch = order[start:end]
            longest = len(encodings[batch[-1]][0])
            ids = np.full((len(batch), longest), self.tokenizer.pad, dtype=np.int64)
            mask = np.zeros((len(batch), longest), dtype=np.int64)
            for row, i in enumerate(batch):
                n = len(encodings[i][0])
                ids[row, :n] = encodings[i][0]
                mask[row, :n] = 1
            embeds = np.asarray(self.table[ids.reshape(-1)], dtype=np.float32).reshape(len(batch), longest, -1)
            (hidden,) = self.session.run(None, {"inputs_embeds": embeds, "attention_mask": mask})
            for row, i in enumerate(batch):
                out[i] = (hidden[row, : len(encodings[i][0])], encodings[i][1])
            start = end
        return out  # type: ignore[return-value]


def export_encoder(folder: Path) -> None:
    """Export the folder's BERT body to `<folder>/newsqa-onnx/` and check it against PyTorch (needs torch)."""
    import torch
    from transformers import BertModel

    folder = Path(folder)
    model = BertModel.from_pretrained(
        str(folder), add_pooling_layer=False, attn_implementation="eager", dtype=torch.float32
    ).eval()

    class Body(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, inputs_embeds, attention_mask):
            return self.bert(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state

    reference = _pooled_reference(folder, model)  # before exporting: tracing can leave the model changed
    target = folder / ONNX_DIR
    target.mkdir(exist_ok=True)
    embeds = torch.randn(2, 7, model.config.hidden_size)
    mask = torch.tensor([[1] * 7, [1] * 4 + [0] * 3], dtype=torch.long)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about shapes; the graph is checked below
        torch.onnx.export(
            Body(model),
            (embeds, mask),
            str(target / "encoder.onnx"),
            input_names=["inputs_embeds", "attention_mask"],
            output_names=["token_embeddings"],
            dynamic_axes={
                "inputs_embeds": {0: "batch", 1: "sequence"},
                "attention_mask": {0: "batch", 1: "sequence"},
                "token_embeddings": {0: "batch", 1: "sequence"},
            },
            opset_version=17,
            do_constant_folding=True,
            dynamo=False,
        )
    _fuse(target / "encoder.onnx", model.config.num_attention_heads, model.config.hidden_size)
    max_length = min(int(model.config.max_position_embeddings), 512)
    tokenizer = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    special = {t["content"]: t["id"] for t in tokenizer["added_tokens"]}
    meta = {
        "max_length": max_length,
        "dim": model.config.hidden_size,
        "pad_id": special["<pad>"],
        "bos_id": special["<s>"],
        "eos_id": special["</s>"],
    }
    (target / "encoder.json").write_text(json.dumps(meta), encoding="utf-8")
    _check(folder, reference)


def _fuse(path: Path, heads: int, hidden: int) -> None:
    """ONNX Runtime's transformer fusions (attention, GELU, skip + layer norm) in place: about 1.3x
    faster passages on a CPU, the same vectors (checked by `_check`)."""
    from onnxruntime.transformers import optimizer

    fused = optimizer.optimize_model(str(path), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=1)
    fused.save_model_to_file(str(path))


def _pooled_reference(folder: Path, model) -> list[tuple[list[int], np.ndarray]]:
    """tokenizer.json's ids and the PyTorch model's mean-pooled vectors of CHECK_TEXTS."""
    import torch
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    with torch.no_grad():
        return [
            (e.ids, model(input_ids=torch.tensor([e.ids])).last_hidden_state[0].mean(0).numpy())
            for e in tokenizer.encode_batch(CHECK_TEXTS)
        ]


def _check(folder: Path, reference: list[tuple[list[int], np.ndarray]]) -> None:
    """The exported graph gives tokenizer.json's ids and the PyTorch model's mean-pooled vectors
    (cosine >= 0.999), or raise."""
    encoder = OnnxEncoder(folder)
    for i, (row, (ids, expected)) in enumerate(zip(encoder.token_embeddings(CHECK_TEXTS), reference)):
        if encoder.tokenizer.encode(CHECK_TEXTS[i])[0] != ids:
            raise ValueError(f"the sentencepiece tokenizer disagrees with tokenizer.json on {CHECK_TEXTS[i]!r}")
        ours = row[0].mean(0)
        cosine = float(ours @ expected / (np.linalg.norm(ours) * np.linalg.norm(expected)))
        if cosine < 0.999:
            raise ValueError(
                f"the exported encoder disagrees with PyTorch (cosine {cosine:.4f} on {CHECK_TEXTS[i]!r})"
            )
