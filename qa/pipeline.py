"""The question-answering pipeline: the one object the CLI and the UI call.

A question goes: `Pipeline.ask` -> `Temporal.answer` (the time the question names, `qa.answering.temporal`)
-> `HybridSearch.search` (dense in Chroma + BM25, fused; with a date window when the question names
one) -> `ReaderAnswerer.answer` (the trained reader and the rules choose sentences of the retrieved passages,
or refuse; numbered sources) -> `Answer`.
"""

import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from ingest.embedder import Embedder, load_embedder
from ingest.errors import NewsqaError, QuestionError
from ingest.index import Index
from ingest.readers import Article
from ingest.records import ArticleInfo
from ingest.report import IngestReport
from ingest.sources import ReadResult, read_articles
from ingest.store import StoreConfig, open_client
from qa.answering.answer import Answer, refused
from qa.answering.answerer import ExtractiveAnswerer
from qa.answering.temporal import Temporal
from qa.question.language import has_words, question_language
from qa.question.query import Filters, Query, analyse
from qa.retrieval.retriever import HybridSearch, Retrieval
from qa.settings import Settings

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000


class Pipeline:
    """Questions and articles over one index. The embedding model is loaded on first use: listing,
    showing or removing articles never loads it."""

    def __init__(self, settings: Settings, index: Index, embedder: Embedder | None = None):
        self.settings = settings
        self.index = index
        self._embedder = embedder
        self._search: HybridSearch | None = None
        self._loading = threading.Lock()
        self._writes = threading.Lock()  # one write at a time in this process (the app's uploads, its watcher)
        self.answerer = make_answerer(settings.answerer)
        self.generative = make_generative(self) if settings.llm else None  # NEWSQA_LLM: qa/generation/llm.py
        self.temporal = Temporal(self)

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None) -> "Pipeline":
        """Connect to Chroma (the model waits until a question or an ingest needs it); raises a
        NewsqaError that says what to do."""
        client = open_client(StoreConfig(settings.data_dir, settings.chroma_url))
        index = Index(
            client,
            settings.data_dir,
            embedder,
            commit_chunks=settings.commit_chunks,
            commit_seconds=settings.commit_seconds,
            grace_seconds=settings.grace_seconds,
        )
        return cls(settings, index, embedder)

    @property
    def embedder(self) -> Embedder:
        """The embedding model, loaded the first time something needs it."""
        with self._loading:
            if self._embedder is None:
                self._embedder = open_embedder(self.settings)
            if self.index.embedder is None:
                self.index.embedder = self._embedder
            return self._embedder

    @property
    def search(self) -> HybridSearch:
        """Hybrid retrieval over the index (loads the model)."""
        embedder = self.embedder
        with self._loading:
            if self._search is None:
                self._search = HybridSearch(self.index, embedder)
            return self._search

    # ---- questions -----------------------------------------------------------------------
    def ask(
        self,
        question: str,
        k: int | None = None,
        filters: Filters | None = None,
        searched: str = "",
        on_token: Callable[[str], None] | None = None,
        time_aware: bool = True,
    ) -> Answer:
        """The answer to `question`; with NEWSQA_LLM, written by the language model and verified
        (`on_token` gets the model's text so far as it streams in). The time the question names
        restricts or orders what is read (`qa.answering.temporal`); `time_aware=False` ignores it (date-blind)."""
        question = check_question(question)
        if not has_words(question):  # "🙂🙂", "x" * 1999, "?!%": nothing to look for
            return refused(question, [], question_language(question), question, {"no_words": True})
        return self.answer(
            analyse(question, searched, filters), k or self.settings.k, on_token=on_token, time_aware=time_aware
        )

    def answer(
        self,
        query: Query,
        k: int,
        retrieval: Retrieval | None = None,
        on_token: Callable[[str], None] | None = None,
        time_aware: bool = True,
    ) -> Answer:
        """The answer to an analysed question from `k` passages (`retrieval`: passages already
        retrieved for it, as `newsqa eval` has them; used when the question names no time)."""
        return self.temporal.answer(query, k, retrieval, on_token, time_aware)

    # ---- articles ------------------------------------------------------------------------
    def read(self, paths: Iterable[Path]) -> ReadResult:
        return read_articles(paths)

    def ingest(
        self,
        articles: list[Article],
        progress: Callable[[Article, int], None] | None = None,
        prune: list[Path] | None = None,
    ) -> IngestReport:
        """Index `articles`; with `prune`, also remove articles whose file under those folders is gone."""
        self.embedder  # noqa: B018 - loaded (and handed to the index) before the write lock is taken
        with self._writes:
            return self.index.ingest(articles, progress, prune=prune)

    def prune(self, folders: list[Path]) -> list[str]:
        """Remove the indexed articles whose source file under `folders` no longer exists."""
        with self._writes:
            return self.index.prune(folders)

    def articles(self) -> list[ArticleInfo]:
        return sorted(self.index.registry().values(), key=lambda a: (a.date, a.title), reverse=False)

    def article(self, article_id: str) -> tuple[ArticleInfo, str, list[dict]]:
        info, text = self.index.article_text(article_id)
        return info, text, self.index.article_chunks(article_id, info.hash)

    def remove(self, article_ids: list[str]) -> list[str]:
        with self._writes:
            return self.index.remove(article_ids)


def open_embedder(settings: Settings) -> Embedder:
    """The embedding model named by the settings (the default one runs in ONNX Runtime, without torch)."""
    return load_embedder(settings.model, settings.model_folder_root, settings.threads or None)


def make_answerer(kind: str):
    """The answerer the settings name: "reader" (the default: the trained reader, loaded on its first
    question, with the rules' ranking) or "rules" (the extractive answerer with calibrated rules only)."""
    if kind == "rules":
        return ExtractiveAnswerer()
    from qa.answering.reader_answerer import ReaderAnswerer

    return ReaderAnswerer()


def make_generative(pipeline: "Pipeline"):
    """The generative answerer (NEWSQA_LLM): the reader answerer gates it (the pipeline's own when
    NEWSQA_ANSWERER=reader) and its reader verifies each sentence against the passages."""
    from ingest.normalize import normalize
    from qa.answering.reader_answerer import ReaderAnswerer
    from qa.generation.llm import GenerativeAnswerer
    from qa.generation.verify import Verifier

    gate = pipeline.answerer if isinstance(pipeline.answerer, ReaderAnswerer) else ReaderAnswerer()
    verifier = Verifier(
        gate,
        encode=lambda text: pipeline.embedder.encode_queries([normalize(text)])[0],
        cross=lambda text: 1.0 - pipeline.search.lexical_weight(text),
    )
    return GenerativeAnswerer(pipeline.settings, gate, verifier)


def check_question(question: str) -> str:
    question = (question or "").strip()
    if not question:
        raise QuestionError("The question is empty. Type a question about the articles.")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"The question is {len(question):,} characters long; the limit is {MAX_QUESTION_CHARS:,}. Ask something shorter."
        )
    return question


__all__ = ["Pipeline", "NewsqaError", "check_question"]
