"""The Chroma store and its schema: the one place that names collections and metadata keys.

Two collections:
- CHUNKS: one record per passage, embedded by our model; metadata below.
- ARTICLES: one record per article (the registry): the cleaned text as document, the article's
  metadata, and the content hash whose chunks are current. It also holds the GENERATION record,
  bumped after every change, so readers in other processes know when to refresh.

A chunk is visible to readers only while its `article_hash` equals the registry's hash for its
article: new chunks are written before the registry points at them and old ones are deleted
after, so a reader sees the old version or the new one, never a mix (see `ingest.index`).

`open_client` gives a `Store`: the Chroma client (in-process `PersistentClient` under
`DATA_DIR/chroma`, or `HttpClient` for a `chroma run` server) behind a thin wrapper that turns a
failed Chroma call into a `StoreError` naming the store and what to do, and that can reopen an
in-process store to see what another process wrote.
"""

import functools
import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlparse

from ingest.errors import StoreError

logger = logging.getLogger(__name__)

CHUNKS = "newsqa_chunks"
ARTICLES = "newsqa_articles"
GENERATION_ID = "__generation__"
PAGE = 2000  # records per page when scanning a collection
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
    DATE_SOURCE = "date_source"  # how the date was found (ingest.dates: "header", "url", "dateline"…); "" undated
    MINHASH = "minhash"  # registry only: the article's MinHash signature (ingest.stories), for near-duplicates
    FIGURES = "figures"  # registry only: the numbers the article gives (ingest.stories), space-separated
    URL = "url"
    SOURCE = "source"
    CHUNK_INDEX = "chunk_index"
    START = "start"  # offset of the chunk in the cleaned article text
    END = "end"
    SENTENCES = "sentences"  # JSON [[start, end], ...] offsets into the chunk text
    SENTENCE_VECTORS = "sentence_vectors"  # base64 float16, one row per sentence
    CHUNK_COUNT = "chunk_count"
    PENDING = "pending"  # registry: the hash being written; "" once the write is complete
    RETIRED = "retired"  # registry: a replaced hash whose chunks are still to be deleted
    VALUE = "value"  # generation record: the generation
    STORE_ID = "store"  # generation record: a random id of this store, made on its first write
    WRITER = "writer"  # generation record: host:pid of the process that wrote it
    COMMITTED = "committed"  # registry: the generation of the commit that last wrote the record


@dataclass
class StoreConfig:
    data_dir: Path
    chroma_url: str = ""  # http://host:port of a `chroma run` server; empty = in-process


def _failure_types() -> tuple[type[BaseException], ...]:
    """Exceptions that mean the store failed (unreachable, broken), as opposed to a bug of ours."""
    import chromadb.errors

    kinds: list[type[BaseException]] = [chromadb.errors.ChromaError, ConnectionError, TimeoutError, OSError]
    try:
        import httpx

        kinds += [httpx.TransportError, httpx.HTTPStatusError]
    except ImportError:  # pragma: no cover - chromadb depends on httpx
        pass
    return tuple(kinds)


# In-process stores, per store folder, shared by every Store of this process (Chroma caches one
# system per folder): the current client and how often it was reopened, the generation that
# system is known to reflect, and how many writers of this process are busy with it.
_EMBEDDED: dict[str, tuple[object, int]] = {}
_SEEN: dict[str, int] = {}
_WRITERS: dict[str, int] = {}
_REOPEN_LOCK = threading.Lock()


class Store:
    """A Chroma client with readable failures. Offers what newsqa and LangChain's `Chroma` use of
    a client (`get_or_create_collection`, `get_collection`, `heartbeat`); anything else is passed
    through to the Chroma client, also with readable failures."""

    _http = None

    def __init__(self, config: StoreConfig):
        self.config = config
        self.url = config.chroma_url.strip()
        self.embedded = not self.url
        self.path = config.data_dir / "chroma"
        self._key = str(self.path)
        self._failures = _failure_types()
        if self.embedded:
            with _REOPEN_LOCK:
                if self._key not in _EMBEDDED:
                    _EMBEDDED[self._key] = (self._connect(), 0)
        else:
            self._http = self._connect()

    @property
    def _client(self):
        return _EMBEDDED[self._key][0] if self.embedded else self._http

    @property
    def _epoch(self) -> int:
        return _EMBEDDED[self._key][1] if self.embedded else 0

    def describe(self) -> str:
        return f"Chroma server at {self.url}" if self.url else f"Chroma store in {self.path}"

    def error(self, e: BaseException, doing: str = "") -> StoreError:
        """The StoreError for a failed Chroma call: names the store and says what to do."""
        kind = type(e).__name__
        if self.url and not _is_chroma_error(e):
            url = urlparse(self.url)
            return StoreError(
                f"Chroma server at {self.url} is not reachable ({kind}{' in ' + doing if doing else ''}). "
                f"Start it with `chroma run --path CHROMA_DIR --host {url.hostname} --port {url.port or 8000}` "
                "and try again, or unset NEWSQA_CHROMA_URL to use the in-process store."
            )
        detail = str(e).strip() or kind
        return StoreError(f"{self.describe()} failed{' ' + doing if doing else ''}: {detail}")

    def guard(self, fn, doing: str = ""):
        """`fn` with Chroma failures turned into StoreError."""

        @functools.wraps(fn)
        def call(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except StoreError:
                raise
            except self._failures as e:
                raise self.error(e, doing or getattr(fn, "__name__", "")) from e

        return call

    # ---- the client interface ------------------------------------------------------------
    def get_or_create_collection(self, name: str, **kwargs) -> "Collection":
        return Collection(self, name, create=True, kwargs=kwargs)

    def get_collection(self, name: str, **kwargs) -> "Collection":
        return Collection(self, name, create=False, kwargs=kwargs)

    def heartbeat(self) -> int:
        return self.guard(self._client.heartbeat)()

    def __getattr__(self, name: str):
        value = getattr(self._client, name)
        return self.guard(value) if callable(value) else value

    # ---- connection ----------------------------------------------------------------------
    def _connect(self):
        os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
        import chromadb
        from chromadb.config import Settings

        settings = Settings(anonymized_telemetry=False)
        if self.url:
            url = urlparse(self.url)
            if url.scheme not in ("http", "https") or not url.hostname:
                raise StoreError(f"NEWSQA_CHROMA_URL '{self.url}' is not a URL like http://127.0.0.1:8000.")
            try:
                client = chromadb.HttpClient(
                    host=url.hostname,
                    port=url.port or (443 if url.scheme == "https" else 8000),
                    ssl=url.scheme == "https",
                    settings=settings,
                )
                client.heartbeat()
            except Exception as e:  # noqa: BLE001 - chromadb raises many kinds when the server is away
                raise self.error(e) from None
            return client
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            from chromadb.api.shared_system_client import SharedSystemClient

            fresh = self._key not in getattr(SharedSystemClient, "_identifier_to_system", {})
            client = chromadb.PersistentClient(path=self._key, settings=settings)
            if fresh:  # a system loaded now reflects at least the current generation
                articles = client.get_or_create_collection(ARTICLES, embedding_function=None)
                _SEEN[self._key] = read_state(articles).generation
            return client
        except self._failures as e:
            raise self.error(e, "to open") from e

    def sync(self, generation: int, writer: str) -> bool:
        """In-process store: make this process's Chroma system reflect `generation`. Chroma's
        in-process vector index does not see what another process wrote, so when another process
        moved the generation on, reopen (unless a writer of this process is busy). A writer must
        call this before writing, or it would write through (and persist) a stale vector index.
        Returns True when it reopened."""
        if not self.embedded:
            return False
        key = self._key
        seen = _SEEN.get(key)
        stale = seen is not None and generation != seen and writer != this_process() and not _WRITERS.get(key)
        if stale:
            self.reopen()
        _SEEN[key] = generation
        return stale

    @contextmanager
    def writes(self):
        """Mark a writer of this process as busy (no reopen meanwhile)."""
        _WRITERS[self._key] = _WRITERS.get(self._key, 0) + 1
        try:
            yield
        finally:
            _WRITERS[self._key] -= 1

    def reopen(self) -> bool:
        """In-process store only: drop this process's cached Chroma system and open the folder
        again, so vectors another process wrote become searchable (Chroma's in-process vector index
        does not see other processes' writes). Collections handed out follow the new client.
        Returns False where there is nothing to reopen."""
        if not self.embedded:
            return False
        try:
            from chromadb.api.shared_system_client import SharedSystemClient
        except ImportError:  # pragma: no cover - a Chroma without the cache we know
            return False
        with _REOPEN_LOCK:
            old, epoch = _EMBEDDED[self._key]
            identifier = getattr(old, "_identifier", self._key)
            # Not stopped: a query in another thread may still be using it; it goes with its last user.
            SharedSystemClient._identifier_to_system.pop(identifier, None)
            SharedSystemClient._identifier_to_refcount.pop(identifier, None)
            _EMBEDDED[self._key] = (self._connect(), epoch + 1)
        logger.info("Reopened %s to see changes written by another process.", self.describe())
        return True


def _is_missing_collection(e: BaseException | None) -> bool:
    """Chroma's answer when a collection handle outlived its collection."""
    import chromadb.errors

    return isinstance(e, chromadb.errors.NotFoundError) and "does not exist" in str(e)


def _is_chroma_error(e: BaseException) -> bool:
    import chromadb.errors

    return isinstance(e, chromadb.errors.ChromaError)


class Collection:
    """A Chroma collection that follows its `Store` across reopen, with readable failures."""

    _target = None

    def __init__(self, store: Store, name: str, create: bool, kwargs: dict):
        self._store = store
        self._name = name
        self._create = create
        self._kwargs = {k: v for k, v in kwargs.items() if v is not None}
        self._epoch = -1
        self._target = None
        self._resolve()

    def _resolve(self):
        if self._epoch != self._store._epoch or self._target is None:
            client = self._store._client
            opener = client.get_or_create_collection if self._create else client.get_collection
            self._target = self._store.guard(opener, f"opening collection {self._name}")(self._name, **self._kwargs)
            self._epoch = self._store._epoch
        return self._target

    @property
    def name(self) -> str:
        return self._name

    def __getattr__(self, attr: str):
        value = getattr(self._resolve(), attr)
        if not callable(value):
            return value

        def call(*args, **kwargs):
            try:
                return self._store.guard(getattr(self._resolve(), attr), attr)(*args, **kwargs)
            except StoreError as e:
                if not _is_missing_collection(e.__cause__):
                    raise
            # The store was recreated (a new `chroma run` folder, a reset): look the collection
            # up again, by name, and try once more.
            logger.warning("Collection %s is gone from %s; looking it up again.", self._name, self._store.describe())
            self._target = None
            return self._store.guard(getattr(self._resolve(), attr), attr)(*args, **kwargs)

        return call

    def __repr__(self) -> str:
        return f"Collection({self._name!r} in {self._store.describe()})"


def open_client(config: StoreConfig) -> Store:
    """The store of a data folder, or of the Chroma server named by `config.chroma_url`."""
    return Store(config)


def collection_schema(vectors: bool):
    """How Chroma indexes a collection made now: no full-text index of the documents (newsqa's
    lexical search is its own index) and no inverted index of the packed sentence vectors and
    offsets (never filtered on), which makes writes about twice as fast and the store smaller; the
    chunks' vectors by cosine distance. A collection made before keeps its own configuration."""
    from chromadb import FtsIndexConfig, Schema, StringInvertedIndexConfig, VectorIndexConfig

    schema = Schema()
    if vectors:
        schema.create_index(config=VectorIndexConfig(space="cosine"))
    schema.delete_index(config=FtsIndexConfig(), key="#document")
    for key in (Key.SENTENCE_VECTORS, Key.SENTENCES):
        schema.delete_index(config=StringInvertedIndexConfig(), key=key)
    return schema


def get_collections(client):
    """The (chunks, articles) collections, created on first use (see `collection_schema`)."""
    try:
        chunks = client.get_or_create_collection(CHUNKS, schema=collection_schema(True), embedding_function=None)
        articles = client.get_or_create_collection(ARTICLES, schema=collection_schema(False), embedding_function=None)
    except StoreError:
        raise
    except Exception as e:  # noqa: BLE001
        raise StoreError(f"Chroma store is not usable: {e}") from e
    return chunks, articles


class State(NamedTuple):
    generation: int
    store_id: str
    writer: str  # host:pid of the last writer


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def read_state(articles) -> State:
    """The generation record; State(0, "", "") for a store never written."""
    got = articles.get(ids=[GENERATION_ID], include=["metadatas"])
    if not got["ids"]:
        return State(0, "", "")
    meta = got["metadatas"][0] or {}
    return State(int(meta.get(Key.VALUE, 0)), str(meta.get(Key.STORE_ID, "")), str(meta.get(Key.WRITER, "")))


def scan(collection, include: list[str]) -> Iterator[tuple]:
    """(id, [document,] [metadata]) of every record of a collection, page by page."""
    offset = 0
    while True:
        got = collection.get(include=include, limit=PAGE, offset=offset)
        columns = [got["ids"]] + [got[k] for k in include]
        for row in zip(*columns):
            yield (*row[:-1], row[-1] or {}) if "metadatas" in include else row
        if len(got["ids"]) < PAGE:
            return
        offset += PAGE


def generation_record(value: int, store_id: str) -> tuple[str, list[float], str, dict]:
    """(id, embedding, document, metadata) of the generation record, to upsert beside registry records."""
    return GENERATION_ID, REGISTRY_VECTOR, "", {Key.VALUE: value, Key.STORE_ID: store_id, Key.WRITER: this_process()}


def new_store_id() -> str:
    return uuid.uuid4().hex[:12]
