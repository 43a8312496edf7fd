"""The JSON API, served beside the chat UI (same process, same pipeline, same login).

    POST   /api/ask              {"question", "history"?, "article_ids"?, "date_from"?, "date_to"?, "k"?}
                                 -> the object `newsqa ask --json` prints
    GET    /api/articles         -> the indexed articles
    GET    /api/articles/{id}    -> one article: metadata, cleaned text, chunks (404 when unknown)
    POST   /api/articles         multipart "files": upload and index (the UI's limits)
    DELETE /api/articles/{id}    -> {"removed": [id]} (404 when unknown)

The schema is at /openapi.json. An error is JSON `{"detail": "one line"}`, in the words the UI
uses (`qa.web.strings`): 400 (nothing to upload, nothing indexed), 401 (sign in), 404 (an unknown
article, in the path or in `article_ids`; an unknown route), 405 (a route asked with a method it
does not take, with `Allow`), 409 (the store is locked), 422 (a field that is not valid: the
question empty or too long, a bad date…; never the value echoed back), 503 (the Chroma store
cannot be reached). Responses name files, never the server's paths (`qa.web.redact`). When the
app has a login (NEWSQA_AUTH; required off loopback), every /api route asks for it as HTTP Basic,
with the UI's bound on failed attempts.
"""

import asyncio
from dataclasses import asdict
from datetime import date

from fastapi import APIRouter, Depends, FastAPI, File, HTTPException, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, Field

from ingest.errors import NewsqaError, NotFoundError, StoreError, StoreLockedError
from qa.pipeline import MAX_QUESTION_CHARS
from qa.question.conversation import MAX_TURNS, contextualize
from qa.question.query import Filters
from qa.web.handlers import Handlers
from qa.web.redact import public_record, redact
from qa.web.security import LoginLimiter
from qa.web.strings import API_TEXT, texts

MAX_FILES = 20  # files in one upload request
MAX_K = 50
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


class Problem(BaseModel):
    detail: str = Field(description="What went wrong and what to do, in one line.")


ERRORS = {
    code: {"model": Problem, "description": text}
    for code, text in (
        (400, "Nothing to do: no file, or no file could be indexed"),
        (404, "No such article"),
        (409, "The store is locked by another process"),
        (422, "A field is not valid"),
        (503, "The Chroma store cannot be reached"),
    )
}


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
    k: int = Field(5, ge=1, le=MAX_K, description="Passages retrieved.")


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


def validation_message(errors: list[dict]) -> str:
    """One line for what is wrong with a request, in the UI's words (the first problem found)."""
    t = texts("en")
    if not errors:
        return API_TEXT["bad_json"].format(example='{"question": "..."}')
    e = errors[0]
    kind, loc, value = e.get("type", ""), [str(x) for x in e.get("loc", []) if x != "body"], e.get("input")
    field = ".".join(loc) or "body"
    if kind == "json_invalid" or (not loc and kind in ("model_attributes_type", "dict_type")):
        return API_TEXT["bad_json"].format(example='{"question": "..."}')
    if field == "question":
        if kind in ("missing", "string_too_short", "string_pattern_mismatch"):
            return t["empty"]
        if kind == "string_too_long" and isinstance(value, str):
            return t["too_long"].format(n=len(value), limit=MAX_QUESTION_CHARS)
        return API_TEXT["bad_field"].format(field=field, problem="must be a string")
    if field in ("date_from", "date_to"):
        shown = str(value) if len(str(value)) <= 40 else str(value)[:39] + "…"
        return t["bad_date"].format(value=shown)
    if field == "k":
        return API_TEXT["bad_field"].format(field="k", problem=f"must be a whole number from 1 to {MAX_K}")
    if field == "history" and kind == "too_long":
        return API_TEXT["bad_field"].format(field="history", problem=f"at most {MAX_TURNS} earlier questions")
    problem = str(e.get("msg", "not valid")).rstrip(".")
    return API_TEXT["bad_field"].format(field=field, problem=problem[:1].lower() + problem[1:])


def add_api(app: FastAPI, handlers: Handlers, login: LoginLimiter | None) -> None:
    """The /api routes over the app's handlers (and so its pipeline), with their error replies."""
    app.include_router(api_router(handlers, login))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if errors and tuple(errors[0].get("loc", ())) == ("body", "files"):  # an upload without a file
            return JSONResponse({"detail": texts("en")["nothing_uploaded"]}, status_code=400)
        return JSONResponse({"detail": validation_message(errors)}, status_code=422)


def api_router(handlers: Handlers, login: LoginLimiter | None) -> APIRouter:
    service, t = handlers.service, texts("en")
    basic = HTTPBasic(auto_error=False)

    def signed_in(credentials: HTTPBasicCredentials | None = Depends(basic)) -> None:
        if credentials is None or not login(credentials.username, credentials.password):
            raise HTTPException(401, API_TEXT["sign_in"], {"WWW-Authenticate": "Basic"})

    router = APIRouter(prefix="/api", dependencies=[Depends(signed_in)] if login else [])

    def call(fn):
        try:
            return fn()
        except NotFoundError as e:
            raise HTTPException(404, redact(str(e))) from None
        except NewsqaError as e:
            if isinstance(e, StoreError):
                service.failed()
            raise HTTPException(status_of(e), redact(str(e))) from None

    def known(article_id: str) -> None:
        if article_id not in {a.id for a in call(lambda: service.get().articles())}:
            raise HTTPException(404, API_TEXT["unknown_article"].format(id=article_id))

    @router.post("/ask", responses=ERRORS)
    def ask(body: AskRequest) -> dict:
        """Answer a question from the indexed articles, with numbered sources ([1] the most relevant)."""
        day = lambda d: d.year * 10000 + d.month * 100 + d.day if d else 0  # noqa: E731 - yyyymmdd
        # an empty range (from after to) is a well-formed request: no article is dated in it
        filters = Filters(article_ids=body.article_ids, day_from=day(body.date_from), day_to=day(body.date_to))
        if body.article_ids:
            have = {a.id for a in call(lambda: service.get().articles())}
            unknown = next((a for a in body.article_ids if a not in have), None)
            if unknown is not None:
                shown = unknown if len(unknown) <= 80 else unknown[:79] + "…"
                raise HTTPException(404, API_TEXT["unknown_filter"].format(id=shown))
        searched = contextualize(body.question, body.history)
        answer = call(lambda: service.get().ask(body.question, k=body.k, filters=filters, searched=searched))
        data = answer.to_dict()
        data["sources"] = [public_record(s) for s in data["sources"]]
        data["related"] = [public_record(s) for s in data["related"]]
        return data

    @router.get("/articles", responses=ERRORS)
    def articles() -> list[dict]:
        """The indexed articles, with their chunk counts (`source`: the file's name)."""
        return call(lambda: [public_record(asdict(a)) for a in service.get().articles()])

    @router.get("/articles/{article_id}", responses=ERRORS)
    def article(article_id: str) -> dict:
        """One article: its metadata, cleaned text and chunks (offsets into the text)."""

        def get():
            try:
                info, text, chunks = service.get().article(article_id)
            except NotFoundError:
                raise HTTPException(404, API_TEXT["unknown_article"].format(id=article_id)) from None
            rows = [{k: v for k, v in c.items() if k != "sentence_vectors"} for c in chunks]
            return {**public_record(asdict(info)), "text": text, "chunks": [public_record(r) for r in rows]}

        return call(get)

    @router.post("/articles", responses=ERRORS)
    async def upload(files: list[UploadFile] = File(...)) -> Uploaded:  # noqa: B008 - FastAPI style
        """Upload article files (.txt, .html; the app's size limit, at most 20 a request) and index
        them. 400 when no file was sent or none could be indexed (the problems in one line)."""
        files = files or []
        if not files:
            raise HTTPException(400, t["nothing_uploaded"])
        problems = [API_TEXT["too_many_files"].format(name=f.filename, n=MAX_FILES) for f in files[MAX_FILES:]]
        kept = []
        limit = handlers.settings.max_upload_mb * 1024 * 1024
        for f in files[:MAX_FILES]:
            name = f.filename or "upload"
            data = await f.read(limit + 1)
            problem = handlers.upload_problem(name, len(data), t)
            if problem:
                problems.append(problem)
            else:
                kept.append(handlers.keep_upload(name, data, t))
        report, more = await asyncio.to_thread(call, lambda: handlers.ingest_kept(kept, t) if kept else (None, []))
        problems = [redact(p) for p in problems + more]
        if report is None or not (report.added or report.updated or report.unchanged):
            raise HTTPException(400, t["nothing_indexed"].format(problems=" ".join(problems)).strip())
        return Uploaded(
            added=report.added,
            updated=report.updated,
            unchanged=report.unchanged,
            chunks_written=report.chunks_written,
            problems=problems,
        )

    @router.delete("/articles/{article_id}", responses=ERRORS)
    def remove(article_id: str) -> Removed:
        """Remove an article and its chunks (and our copy of it, if it was uploaded)."""
        known(article_id)
        return Removed(removed=call(lambda: handlers.remove_article(article_id)))

    # A known route asked with another method: 405 and the methods it takes (the UI mounted at /
    # would answer 404); any other /api path: 404 with where the routes are listed.
    taken: dict[str, set[str]] = {}
    for route in router.routes:
        taken.setdefault(route.path.removeprefix(router.prefix), set()).update(route.methods or ())
    for path, methods in taken.items():
        allowed = ", ".join(sorted(methods))

        def not_allowed(request: Request, allowed: str = allowed) -> None:
            message = API_TEXT["method"].format(method=request.method, path=request.url.path, allowed=allowed)
            raise HTTPException(405, message, {"Allow": allowed})

        others = [m for m in METHODS if m not in methods]
        router.add_api_route(path, not_allowed, methods=others, include_in_schema=False)

    @router.api_route("/{rest:path}", methods=list(METHODS), include_in_schema=False)
    def no_route(request: Request) -> None:
        raise HTTPException(404, API_TEXT["no_route"].format(path=request.url.path[:200]))

    return router
