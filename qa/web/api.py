"""The JSON API, served beside the chat UI (same process, same pipeline, same login).

    POST   /api/ask              {"question", "history"?, "article_ids"?, "date_from"?, "date_to"?, "k"?}
                                 -> the object `newsqa ask --json` prints
    GET    /api/articles         -> the indexed articles
    GET    /api/articles/{id}    -> one article: metadata, cleaned text, chunks (404 when unknown)
    POST   /api/articles         multipart "files": upload and index (the UI's limits)
    DELETE /api/articles/{id}    -> {"removed": [id]} (404 when unknown)

The schema is at /openapi.json. Errors are JSON `{"detail": "..."}` with a 4xx status (503 when
the Chroma store cannot be reached). When the app has a login (NEWSQA_AUTH; required off
loopback), every /api route asks for it as HTTP Basic, with the UI's bound on failed attempts.
"""

import asyncio
from dataclasses import asdict
from datetime import date

from fastapi import APIRouter, Depends, File, HTTPException, UploadFile
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, Field

from ingest.errors import NewsqaError, NotFoundError, StoreError, StoreLockedError
from qa.conversation import MAX_TURNS, contextualize
from qa.pipeline import MAX_QUESTION_CHARS
from qa.query import Filters
from qa.web.handlers import Handlers
from qa.web.security import LoginLimiter
from qa.web.strings import texts

MAX_FILES = 20  # files in one upload request


class AskRequest(BaseModel):
    question: str = Field(
        description="The question, in Vietnamese or English.",
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        pattern=r"\S",
    )
    history: list[str] = Field(
        default_factory=list,
        max_length=MAX_TURNS,
        description="The earlier questions of this conversation, oldest first (for follow-ups).",
    )
    article_ids: list[str] = Field(default_factory=list, max_length=1000, description="Search only these articles.")
    date_from: date | None = Field(None, description="Only articles dated on or after this day.")
    date_to: date | None = Field(None, description="Only articles dated on or before this day.")
    k: int = Field(5, ge=1, le=50, description="Passages retrieved.")


class Removed(BaseModel):
    removed: list[str]


class Uploaded(BaseModel):
    added: list[str]
    updated: list[str]
    unchanged: list[str]
    chunks_written: int
    problems: list[str] = Field(description="One message per file that was not indexed, and why.")


def status_of(e: NewsqaError) -> int:
    """The HTTP status for an error newsqa reports."""
    if isinstance(e, NotFoundError):
        return 404
    if isinstance(e, StoreLockedError):
        return 409
    if isinstance(e, StoreError):
        return 503
    return 400


def api_router(handlers: Handlers, login: LoginLimiter | None) -> APIRouter:
    """The /api routes over the app's handlers (and so its pipeline)."""
    service, t = handlers.service, texts("en")
    basic = HTTPBasic(auto_error=False)

    def signed_in(credentials: HTTPBasicCredentials | None = Depends(basic)) -> None:
        if credentials is None or not login(credentials.username, credentials.password):
            raise HTTPException(401, "Sign in with the app's user and password.", {"WWW-Authenticate": "Basic"})

    router = APIRouter(prefix="/api", dependencies=[Depends(signed_in)] if login else [])

    @router.post("/ask", responses={400: {"description": "The question cannot be asked"}})
    def ask(body: AskRequest) -> dict:
        """Answer a question from the indexed articles, with numbered sources."""
        day = lambda d: d.year * 10000 + d.month * 100 + d.day if d else 0  # noqa: E731 - yyyymmdd
        # an empty range (from after to) is no error here: no article is dated in it
        filters = Filters(article_ids=body.article_ids, day_from=day(body.date_from), day_to=day(body.date_to))
        searched = contextualize(body.question, body.history)
        return call(lambda: service.get().ask(body.question, k=body.k, filters=filters, searched=searched).to_dict())

    @router.get("/articles")
    def articles() -> list[dict]:
        """The indexed articles, with their chunk counts."""
        return call(lambda: [asdict(a) for a in service.get().articles()])

    @router.get("/articles/{article_id}", responses={404: {"description": "No such article"}})
    def article(article_id: str) -> dict:
        """One article: its metadata, cleaned text and chunks (offsets into the text)."""

        def get():
            info, text, chunks = service.get().article(article_id)
            rows = [{k: v for k, v in c.items() if k != "sentence_vectors"} for c in chunks]
            return {**asdict(info), "text": text, "chunks": rows}

        return call(get)

    @router.post("/articles")
    async def upload(files: list[UploadFile] = File(default=[])) -> Uploaded:  # noqa: B008 - FastAPI style
        """Upload article files (.txt, .html; the app's size limit, at most 20 a request) and index them."""
        files = files or []
        problems = [t["nothing_uploaded"]] if not files else []
        problems += [f"{f.filename}: not taken, over {MAX_FILES} files in one request." for f in files[MAX_FILES:]]
        files = files[:MAX_FILES]
        kept = []
        limit = handlers.settings.max_upload_mb * 1024 * 1024
        for f in files:
            name = f.filename or "upload"
            data = await f.read(limit + 1)
            problem = handlers.upload_problem(name, len(data), t)
            if problem:
                problems.append(problem)
            else:
                kept.append(handlers.keep_upload(name, data, t))
        report, more = await asyncio.to_thread(call, lambda: handlers.ingest_kept(kept, t) if kept else (None, []))
        problems += more
        return Uploaded(
            added=report.added if report else [],
            updated=report.updated if report else [],
            unchanged=report.unchanged if report else [],
            chunks_written=report.chunks_written if report else 0,
            problems=problems,
        )

    @router.delete("/articles/{article_id}", responses={404: {"description": "No such article"}})
    def remove(article_id: str) -> Removed:
        """Remove an article and its chunks (and our copy of it, if it was uploaded)."""
        return Removed(removed=call(lambda: handlers.remove_article(article_id)))

    def call(fn):
        try:
            return fn()
        except NewsqaError as e:
            if isinstance(e, StoreError):
                service.failed()
            raise HTTPException(status_of(e), str(e)) from None

    return router
