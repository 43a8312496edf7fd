"""The functions behind the app's events (chat, sources, uploads, removal), over the `qa` pipeline.

A question error, a store that is down, an unexpected exception: each becomes a message in the
chat, and the app keeps working.
"""

import json
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from ingest.errors import NewsqaError, StoreError
from ingest.readers import normalize_date
from ingest.records import day_number
from ingest.uploads import UPLOAD_SUFFIXES, UPLOADS, free_upload_target, upload_target
from ingest.writer import IngestReport
from qa.conversation import MAX_TURNS, contextualize, keep_recent
from qa.pipeline import MAX_QUESTION_CHARS, Pipeline, open_embedder
from qa.query import Filters
from qa.settings import Settings
from qa.web.render import (
    answer_html,
    article_choices,
    article_html,
    article_placeholder,
    articles_table,
    message_html,
    streaming_html,
    user_html,
)
from qa.web.strings import texts

logger = logging.getLogger(__name__)


def parse_day(value: str, t: dict) -> int:
    """A date the user typed (yyyy-mm-dd, dd/mm/yyyy, … as `ingest.readers.normalize_date` reads
    them) -> yyyymmdd int; "" -> 0; raises ValueError with a message."""
    value = (value or "").strip()
    if not value:
        return 0
    day = day_number(normalize_date(value))
    if not day:
        raise ValueError(t["bad_date"].format(value=value))
    return day


def make_filters(article_ids, day_from: str, day_to: str, t: dict) -> Filters:
    ids = [a for a in (article_ids or []) if isinstance(a, str) and a]
    start, end = parse_day(day_from, t), parse_day(day_to, t)
    if start and end and start > end:
        raise ValueError(t["bad_range"])
    return Filters(article_ids=ids, day_from=start, day_to=end)


class Service:
    """The pipeline, opened lazily: a store that is down at start (or later) does not stop the app."""

    def __init__(self, settings: Settings, pipeline: Pipeline | None = None, embedder=None):
        self.settings = settings
        self._pipeline = pipeline
        self._embedder = embedder if embedder is not None else getattr(pipeline, "embedder", None)
        self._lock = threading.Lock()

    def get(self) -> Pipeline:
        with self._lock:
            if self._pipeline is None:
                if self._embedder is None:
                    self._embedder = open_embedder(self.settings)
                self._pipeline = Pipeline.open(self.settings, embedder=self._embedder)
            return self._pipeline

    def failed(self) -> None:
        """After an unexpected store failure with a Chroma server: reconnect on next use."""
        if self.settings.chroma_url:
            with self._lock:
                self._pipeline = None


@dataclass
class Handlers:
    """The functions behind the UI's events; tests call them directly."""

    service: Service
    settings: Settings

    # -- chat --
    def respond(self, question, history, conversation, lang, article_ids, day_from, day_to):
        """Generator: (chat history, question box, searched-questions state), answer streamed in."""
        t = texts(lang)
        # What a conversation keeps is bounded, whatever comes in: the last turns, shown and searched.
        history = keep_recent(history, MAX_TURNS - 1, per_turn=2)
        conversation = [c for c in keep_recent(conversation, MAX_TURNS - 1) if isinstance(c, str)]
        question = question if isinstance(question, str) else ""
        stripped = question.strip()
        history.append({"role": "user", "content": user_html(stripped or "…")})
        problem = None
        if not stripped:
            problem = t["empty"]
        elif len(stripped) > MAX_QUESTION_CHARS:
            problem = t["too_long"].format(n=len(stripped), limit=MAX_QUESTION_CHARS)
        if problem is None:
            try:
                filters = make_filters(article_ids, day_from, day_to, t)
            except ValueError as e:
                problem = str(e)
        if problem is not None:
            history.append({"role": "assistant", "content": message_html(problem, "error")})
            yield list(history), question, conversation
            return

        searched = contextualize(stripped, conversation)
        if searched == " ".join(stripped.split()):
            searched = stripped  # unchanged (up to spaces): nothing to show as "Searched:"
        history.append({"role": "assistant", "content": message_html(t["searching"], "wait")})
        yield list(history), "", conversation
        try:
            if self.settings.llm:  # the model's text streams into the chat, then the verified answer replaces it
                answer = None
                for partial, answer in self.ask_streaming(stripped, filters, searched):
                    if answer is None:
                        history[-1] = {"role": "assistant", "content": streaming_html(partial, t)}
                        yield list(history), "", conversation
            else:
                answer = self.service.get().ask(stripped, k=self.settings.k, filters=filters, searched=searched)
        except NewsqaError as e:
            if isinstance(e, StoreError):
                self.service.failed()  # a server that comes back, or was recreated, is reconnected to
            text = t["store_down"].format(message=str(e)) if isinstance(e, StoreError) else str(e)
            history[-1] = {"role": "assistant", "content": message_html(f"{t['error']}: {text}", "error")}
            yield list(history), "", conversation
            return
        except Exception as e:  # noqa: BLE001 - the app must keep answering
            logger.exception("question failed: %r", stripped[:200])
            self.service.failed()
            if self.settings.chroma_url:
                text = t["store_down"].format(message=f"{type(e).__name__}: {str(e)[:300]}.")
            else:
                text = t["unexpected"].format(kind=type(e).__name__)
            history[-1] = {"role": "assistant", "content": message_html(f"{t['error']}: {text}", "error")}
            yield list(history), "", conversation
            return
        conversation.append(searched)
        history[-1] = {"role": "assistant", "content": answer_html(answer, t)}
        yield list(history), "", conversation

    def ask_streaming(self, question: str, filters: Filters, searched: str):
        """Generator over a question answered by the language model: (text so far, None) while it
        writes, then ("", answer). The pipeline runs in a worker thread; its errors are raised here."""
        updates: queue.Queue = queue.Queue()
        result: dict = {}

        def work():
            try:
                result["answer"] = self.service.get().ask(
                    question, k=self.settings.k, filters=filters, searched=searched, on_token=updates.put
                )
            except BaseException as e:  # noqa: BLE001 - raised again in the generator
                result["error"] = e
            finally:
                updates.put(None)

        threading.Thread(target=work, name="newsqa-ask", daemon=True).start()
        while True:
            items = [updates.get()]
            while not updates.empty():  # only the latest text is shown
                items.append(updates.get_nowait())
            texts_so_far = [i for i in items if i is not None]
            if texts_so_far:
                yield texts_so_far[-1], None
            if None in items:
                break
        if "error" in result:
            raise result["error"]
        yield "", result["answer"]

    def clear(self, lang):
        return [], [], "", article_placeholder(texts(lang))

    def open_source(self, key: str, lang: str = "vi") -> str:
        """The article panel for a clicked source (key from `source_key`)."""
        t = texts(lang)
        try:
            data = json.loads(key) if isinstance(key, str) else None
            article_id = data["a"] if isinstance(data, dict) else None
            if not isinstance(article_id, str) or not article_id:
                raise ValueError
        except (ValueError, KeyError, TypeError):
            return message_html(f"{t['error']}: bad source reference.", "error")
        try:
            info, text, _ = self.service.get().article(article_id)
        except NewsqaError as e:
            return message_html(f"{t['error']}: {e}", "error")
        except Exception as e:  # noqa: BLE001
            logger.exception("opening article %s failed", article_id)
            self.service.failed()
            return message_html(f"{t['error']}: " + t["unexpected"].format(kind=type(e).__name__), "error")
        try:
            return article_html(info, text, data, t)
        except (TypeError, ValueError):
            return article_html(info, text, None, t)

    def select_source(self, lang, evt: gr.SelectData):
        return self.open_source(evt.value, lang)

    # -- articles --
    def list_articles(self):
        try:
            return self.service.get().articles(), ""
        except NewsqaError as e:
            return [], str(e)
        except Exception as e:  # noqa: BLE001
            logger.exception("listing articles failed")
            self.service.failed()
            return [], f"{type(e).__name__}: {e}"

    def refresh(self, lang):
        """Article table, remove choices, filter choices (and a store problem, if any)."""
        t = texts(lang)
        articles, problem = self.list_articles()
        table = articles_table(articles, t)
        if problem:
            table = message_html(f"{t['error']}: {problem}", "error") + table
        choices = article_choices(articles)
        return table, gr.update(choices=choices, value=None), gr.update(choices=choices)

    def on_load(self, lang, history):
        """Fill the article lists; when the store cannot be used, say so in the chat."""
        t = texts(lang)
        articles, problem = self.list_articles()
        table = articles_table(articles, t)
        history = list(history or [])
        if problem:
            table = message_html(f"{t['error']}: {problem}", "error") + table
            history.append({"role": "assistant", "content": message_html(f"{t['error']}: {problem}", "error")})
        choices = article_choices(articles)
        return table, gr.update(choices=choices, value=None), gr.update(choices=choices), history

    def store_files(self, files, t: dict) -> tuple[list[Path], list[str]]:
        """Copy uploaded files (paths) into data_dir/uploads; (kept paths, problems)."""
        kept, problems = [], []
        for f in files or []:
            path = Path(f if isinstance(f, str) else getattr(f, "name", "") or getattr(f, "path", ""))
            try:
                size = path.stat().st_size
                problem = self.upload_problem(path.name, size, t)
                target = None if problem else self.keep_upload(path.name, path.read_bytes(), t)
            except OSError as e:
                problem, target = f"{path.name}: {e.strerror}", None
            if target is None:
                problems.append(problem)
            else:
                kept.append(target)
        return kept, problems

    def upload_problem(self, name: str, size: int, t: dict) -> str:
        """Why an upload of this name and size is refused ("" when it is not)."""
        if Path(name).suffix.lower() not in UPLOAD_SUFFIXES:
            return t["bad_suffix"].format(name=name, suffixes=", ".join(UPLOAD_SUFFIXES))
        if size > self.settings.max_upload_mb * 1024 * 1024:
            return t["too_big"].format(name=name, size=size / 1024 / 1024, mb=self.settings.max_upload_mb)
        return ""

    def keep_upload(self, name: str, data: bytes, t: dict) -> Path:
        """Our copy of an accepted upload, under data_dir/uploads (never over a different earlier upload)."""
        target = free_upload_target(upload_target(self.settings.data_dir, name), data)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return target

    def ingest_kept(
        self, kept: list[Path], t: dict, progress: Callable | None = None
    ) -> tuple[IngestReport, list[str]]:
        """Read and index kept uploads: (report, problems). Copies that end up indexed by no
        article (unreadable, empty, duplicates, or the store failed) are deleted afterwards."""
        progress = progress or (lambda *a, **k: None)
        report, problems = IngestReport(), []
        try:
            pipeline = self.service.get()
            result = pipeline.read(kept)
            problems += result.problems
            total, done = max(1, len(result.articles)), [0]

            def tick(article, n):
                done[0] += n
                progress((done[0], total), desc=f"{t['ingest_progress']}: {article.title[:60]}")

            if result.articles:
                progress((0, total), desc=t["ingest_progress"])
                report = pipeline.ingest(result.articles, progress=tick)
                problems += report.duplicates
        finally:
            self._drop_unindexed(kept)
        return report, problems

    def upload(self, files, lang, progress: Callable | None = None):
        """Ingest uploaded files; (status HTML, table, remove choices, filter choices, cleared files)."""
        t = texts(lang)
        lines: list[str] = []
        kind = "info"
        try:
            kept, problems = self.store_files(files, t)
            if not kept and not problems:
                lines.append(t["nothing_uploaded"])
            if kept:
                report, more = self.ingest_kept(kept, t, progress)
                problems += more
                if report.added or report.updated or report.unchanged:
                    lines.append(
                        t["ingest_done"].format(
                            added=len(report.added),
                            updated=len(report.updated),
                            unchanged=len(report.unchanged),
                            chunks=report.chunks_written,
                            seconds=report.seconds,
                        )
                    )
            lines += [f"{t['skipped']}: {p}" for p in problems]
            if problems:
                kind = "warn"
        except NewsqaError as e:
            lines.append(f"{t['error']}: {e}")
            kind = "error"
        except Exception as e:  # noqa: BLE001
            logger.exception("upload failed")
            self.service.failed()
            lines.append(f"{t['error']}: " + t["unexpected"].format(kind=type(e).__name__))
            kind = "error"
        status = "".join(message_html(line, kind) for line in lines)
        table, remove_choices, filter_choices = self.refresh(lang)
        return status, table, remove_choices, filter_choices, None

    def _drop_unindexed(self, kept: list[Path]) -> None:
        """Delete our copies of uploads that no indexed article comes from: uploads/ holds only
        what the index holds."""
        if not kept:
            return
        try:
            sources = {a.source for a in self.service.get().articles()}
        except Exception as e:  # noqa: BLE001 - the store is away: nothing of this upload was indexed
            logger.info("store unavailable while tidying uploads: %s", e)
            sources = set()
        for path in kept:
            if str(path.resolve()) not in sources:
                self._delete_upload(str(path))

    def remove(self, article_id, lang):
        t = texts(lang)
        if not article_id:
            status = message_html(t["remove_none"], "warn")
        else:
            try:
                status = message_html(t["removed"].format(n=len(self.remove_article(article_id))))
            except NewsqaError as e:
                status = message_html(f"{t['error']}: {e}", "error")
            except Exception as e:  # noqa: BLE001
                logger.exception("remove failed")
                self.service.failed()
                status = message_html(f"{t['error']}: " + t["unexpected"].format(kind=type(e).__name__), "error")
        table, remove_choices, filter_choices = self.refresh(lang)
        return status, table, remove_choices, filter_choices

    def remove_article(self, article_id: str) -> list[str]:
        """Remove an article from the index, and our copy of it if it was uploaded; the ids removed."""
        pipeline = self.service.get()
        sources = {a.id: a.source for a in pipeline.articles()}
        removed = pipeline.remove([article_id])
        for a in removed:
            self._delete_upload(sources.get(a, ""))
        return removed

    def _delete_upload(self, source: str) -> None:
        """Delete our copy of an uploaded file (only files inside data_dir/uploads)."""
        if not source:
            return
        folder = (Path(self.settings.data_dir) / UPLOADS).resolve()
        try:
            path = Path(source).resolve()
            if path.parent == folder and path.is_file():
                path.unlink()
        except OSError as e:
            logger.warning("could not delete %s: %s", source, e)
