"""The records newsqa keeps in Chroma, encoded and decoded in one place (the writer and the readers
both use these): an article's registry record, a chunk's metadata, and a chunk read back.

Key names live in `ingest.store.Key`.
"""

import json
import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ingest.chunk import Chunk
from ingest.embedder import unpack_vectors
from ingest.normalize import match_key, words
from ingest.readers import Article
from ingest.store import Key
from ingest.stories import figures, signature


@dataclass
class ArticleInfo:
    """An indexed article, as the registry holds it."""

    id: str
    title: str
    byline: str
    date: str
    url: str
    source: str
    hash: str
    chunk_count: int
    date_source: str = ""  # how the date was found (`ingest.dates`); "" when undated
    # The packed MinHash signature and the figures (`ingest.stories`): attributes, not fields, so
    # that asdict() (`list --json`, /api/articles) leaves them out; set by `article_info`.
    minhash = ""
    figures = ""


@dataclass
class ChunkRecord:
    """A chunk read back from Chroma: its text, metadata (without the packed vectors), sentence
    offsets into the text, one vector per sentence, and the passage vector."""

    text: str
    meta: dict
    sentences: list[tuple[int, int]]
    sentence_vectors: np.ndarray
    vector: np.ndarray | None = None

    @cached_property
    def key(self) -> str:
        """match_key of the text, for spotting copies."""
        return match_key(self.text)

    @cached_property
    def sentence_words(self) -> list[frozenset[str]]:
        """The folded words of each sentence."""
        return [frozenset(words(self.text[a:b])) for a, b in self.sentences]


def embed_text(title: str, text: str) -> str:
    """What is embedded and BM25-indexed for a chunk: its article's title, then the chunk."""
    return f"{title}\n{text}" if title else text


def article_meta(article: Article, chunk_count: int) -> dict:
    """The registry metadata of an article."""
    return {
        Key.ARTICLE_ID: article.id,
        Key.ARTICLE_HASH: article.content_hash,
        Key.TITLE: article.title,
        Key.BYLINE: article.byline,
        Key.DATE: article.date,
        Key.DAY: day_number(article.date),
        Key.DATE_SOURCE: article.date_source,
        Key.URL: article.url,
        Key.SOURCE: article.source,
        Key.CHUNK_COUNT: chunk_count,
        Key.MINHASH: signature(article.title, article.text),
        Key.FIGURES: figures(article.text),
    }


def chunk_meta(article: Article, chunk: Chunk, packed_sentence_vectors: str) -> dict:
    """A chunk's metadata: its article's fields, where it is in the article, its sentences."""
    fields = article_meta(article, 0)
    del fields[Key.CHUNK_COUNT], fields[Key.MINHASH], fields[Key.FIGURES]
    return {
        **fields,
        Key.CHUNK_INDEX: chunk.index,
        Key.START: chunk.start,
        Key.END: chunk.end,
        Key.SENTENCES: sentences_json(chunk),
        Key.SENTENCE_VECTORS: packed_sentence_vectors,
    }


def sentences_json(chunk: Chunk) -> str:
    """The chunk's sentence offsets, relative to the chunk, as stored."""
    return json.dumps([[s.start - chunk.start, s.end - chunk.start] for s in chunk.sentences])


def article_info(id_: str, meta: dict) -> ArticleInfo:
    """The ArticleInfo of a registry record."""
    info = ArticleInfo(
        id=id_,
        title=meta.get(Key.TITLE, ""),
        byline=meta.get(Key.BYLINE, ""),
        date=meta.get(Key.DATE, ""),
        url=meta.get(Key.URL, ""),
        source=meta.get(Key.SOURCE, ""),
        hash=meta.get(Key.ARTICLE_HASH, ""),
        chunk_count=int(meta.get(Key.CHUNK_COUNT, 0)),
        date_source=meta.get(Key.DATE_SOURCE, ""),
    )
    info.minhash = meta.get(Key.MINHASH, "")
    info.figures = meta.get(Key.FIGURES, "")
    return info


def decode_chunk(text: str, meta: dict, vector, dim: int) -> ChunkRecord:
    """A chunk as Chroma returns it (document, metadata, embedding) -> ChunkRecord."""
    packed = meta.get(Key.SENTENCE_VECTORS, "")
    sentence_vectors = unpack_vectors(packed, dim) if packed else np.zeros((0, dim), dtype=np.float32)
    return ChunkRecord(
        text=text,
        meta={k: v for k, v in meta.items() if k != Key.SENTENCE_VECTORS},
        sentences=[tuple(s) for s in json.loads(meta.get(Key.SENTENCES, "[]"))],
        sentence_vectors=sentence_vectors,
        vector=np.asarray(vector, dtype=np.float32) if vector is not None else None,
    )


def article_where(article_id: str, article_hash: str) -> dict:
    """Chroma's filter for the chunks of one version of an article."""
    return {"$and": [{Key.ARTICLE_ID: article_id}, {Key.ARTICLE_HASH: article_hash}]}


def day_number(date: str) -> int:
    """yyyymmdd as an int for an ISO date, 0 otherwise."""
    return int(date.replace("-", "")) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) else 0
