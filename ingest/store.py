"""The Chroma store and its schema: the one place that names collections and metadata keys.

Two collections:
- CHUNKS: one record per passage, embedded by our model; metadata below.
- ARTICLES: one record per article (the registry): the cleaned text as document, the article's
  metadata, and the content hash whose chunks are current. It also holds the GENERATION record,
  bumped after every change, so readers in other processes know when to refresh.

A chunk is visible to readers only while its `article_hash` equals the registry's hash for its
article: new chunks are written before the registry points at them and old ones are deleted
after, so a reader sees the old version or the new one, never a mix.
"""

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import StoreError

logger = logging.getLogger(__name__)

CHUNKS = "newsqa_chunks"
ARTICLES = "newsqa_articles"
GENERATION_ID = "__generation__"
# Chroma needs an embedding per record; registry records are never searched by vector.
REGISTRY_VECTOR = [1.0]


class Key:
    """Metadata keys shared by the writer (ingest) and the readers (qa)."""

    ARTICLE_ID = "article_id"
    ARTICLE_HASH = "article_hash"
    TITLE = "title"
    BYLINE = "byline"
    DATE = "date"  # ISO yyyy-mm-dd or ""
    DAY = "day"  # the date as an int yyyymmdd (0 when unknown), for range filters
    URL = "url"
    SOURCE = "source"
    CHUNK_INDEX = "chunk_index"
    START = "start"  # offset of the chunk in the cleaned article text
    END = "end"
    SENTENCES = "sentences"  # JSON [[start, end], ...] offsets into the chunk text
    SENTENCE_VECTORS = "sentence_vectors"  # base64 float16, one row per sentence
    CHUNK_COUNT = "chunk_count"
    VALUE = "value"


@dataclass
class StoreConfig:
    data_dir: Path
    chroma_url: str = ""  # http://host:port of a `chroma run` server; empty = in-process


def open_client(config: StoreConfig):
    """A Chroma client: in-process under `data_dir/chroma`, or `HttpClient` when a URL is set."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if config.chroma_url:
        from urllib.parse import urlparse

        url = urlparse(config.chroma_url)
        if not url.hostname:
            raise StoreError(f"NEWSQA_CHROMA_URL '{config.chroma_url}' is not a URL like http://127.0.0.1:8000.")
        try:
            client = chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=settings,
            )
            client.heartbeat()
        except Exception as e:  # noqa: BLE001 - chromadb raises many kinds
            raise StoreError(
                f"Chroma server at {config.chroma_url} is not reachable ({type(e).__name__}). "
                "Start it with `chroma run --path DIR --host 127.0.0.1 --port PORT`, or unset NEWSQA_CHROMA_URL."
            ) from None
        return client
    path = config.data_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


def get_collections(client):
    """The (chunks, articles) collections, created on first use with cosine distance."""
    try:
        chunks = client.get_or_create_collection(CHUNKS, metadata={"hnsw:space": "cosine"}, embedding_function=None)
        articles = client.get_or_create_collection(ARTICLES, embedding_function=None)
    except Exception as e:  # noqa: BLE001
        raise StoreError(f"Chroma store is not usable: {e}") from e
    return chunks, articles


def read_generation(articles) -> int:
    got = articles.get(ids=[GENERATION_ID], include=["metadatas"])
    if not got["ids"]:
        return 0
    return int(got["metadatas"][0].get(Key.VALUE, 0))


def write_generation(articles, value: int) -> None:
    articles.upsert(
        ids=[GENERATION_ID], embeddings=[REGISTRY_VECTOR], documents=[""], metadatas=[{Key.VALUE: value}]
    )
