"""The question-answering pipeline: the one object the CLI and the UI call.

A question goes: `Pipeline.ask` -> `HybridSearch.search` (dense in Chroma + BM25, fused) ->
`ExtractiveAnswerer.answer` (sentences of the retrieved passages, numbered sources) -> `Answer`.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ingest.embedder import Embedder, load_model
from ingest.errors import NewsqaError, QuestionError, ReadError
from ingest.index import ArticleInfo, Index, IngestReport
from ingest.readers import Article, find_files, read_file
from ingest.store import StoreConfig, open_client
from qa.answer import Answer, ExtractiveAnswerer
from qa.retriever import Filters, HybridSearch
from qa.settings import Settings

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000


@dataclass
class ReadResult:
    articles: list[Article]
    problems: list[str]  # one message per file that was skipped


class Pipeline:
    def __init__(self, settings: Settings, index: Index, embedder: Embedder):
        self.settings = settings
        self.index = index
        self.embedder = embedder
        self.search = HybridSearch(index, embedder)
        self.answerer = ExtractiveAnswerer()

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None) -> "Pipeline":
        """Load the model (unless given one), connect to Chroma; raises a NewsqaError that says what to do."""
        if embedder is None:
            embedder = open_embedder(settings)
        client = open_client(StoreConfig(settings.data_dir, settings.chroma_url))
        return cls(settings, Index(client, settings.data_dir, embedder), embedder)

    # ---- questions -----------------------------------------------------------------------
    def ask(self, question: str, k: int | None = None, filters: Filters | None = None, searched: str = "") -> Answer:
        question = check_question(question)
        query = searched or question
        retrieval = self.search.search(query, k or self.settings.k, filters)
        return self.answerer.answer(question, retrieval, searched=query)

    # ---- articles ------------------------------------------------------------------------
    def read(self, paths: Iterable[Path]) -> ReadResult:
        return read_articles(paths)

    def ingest(self, articles: list[Article], progress: Callable[[Article, int], None] | None = None) -> IngestReport:
        return self.index.ingest(articles, progress)

    def articles(self) -> list[ArticleInfo]:
        return sorted(self.index.registry().values(), key=lambda a: (a.date, a.title), reverse=False)

    def article(self, article_id: str) -> tuple[ArticleInfo, str, list[dict]]:
        info, text = self.index.article_text(article_id)
        return info, text, self.index.article_chunks(article_id, info.hash)

    def remove(self, article_ids: list[str]) -> list[str]:
        return self.index.remove(article_ids)


def read_articles(paths: Iterable[Path]) -> ReadResult:
    """Read every article file under `paths`; files that cannot be read are reported, not fatal."""
    files, problems = find_files(list(paths))
    articles = []
    for f in files:
        try:
            articles.append(read_file(f))
        except ReadError as e:
            problems.append(str(e))
    return ReadResult(articles, problems)


def open_embedder(settings: Settings) -> Embedder:
    """The embedding model named by the settings, with the fast query encoder when enabled."""
    model = load_model(settings.model, settings.model_folder_root)
    embedder = Embedder(model, name=settings.model)
    if settings.onnx_queries:
        from qa.fast_query import attach_onnx_query_encoder

        attach_onnx_query_encoder(embedder, settings.model_folder_root)
    return embedder


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
