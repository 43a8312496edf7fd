"""newsqa inside a LangChain (LCEL) pipeline: the retriever and the answerer as LangChain objects.

- `news_retriever(pipeline)`: a `BaseRetriever` (question -> Documents, best first, with their
  scores and article metadata);
- `answer_chain(pipeline)`: a `Runnable` (a question, or {"question", "history"?, "k"?}) -> the
  answer as a dict, the same object `newsqa ask --json` prints.

Both run the same code as the app and the CLI (`qa.pipeline.Pipeline`).
"""

from langchain_core.runnables import Runnable, RunnableLambda

from qa.pipeline import Pipeline
from qa.question.conversation import contextualize
from qa.question.query import Filters
from qa.retrieval.retriever import NewsRetriever


def news_retriever(pipeline: Pipeline, k: int = 5, filters: Filters | None = None) -> NewsRetriever:
    """The pipeline's hybrid search as a LangChain retriever."""
    return NewsRetriever(search=pipeline.search, k=k, filters=filters)


def answer_chain(pipeline: Pipeline) -> Runnable:
    """The pipeline's question answering as a LangChain Runnable."""

    def answer(request: str | dict) -> dict:
        if isinstance(request, str):
            request = {"question": request}
        question = request["question"]
        searched = contextualize(question, list(request.get("history") or []))
        return pipeline.ask(question, k=request.get("k"), searched=searched).to_dict()

    return RunnableLambda(answer, name="newsqa_answer")
