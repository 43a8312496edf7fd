"""The functions behind the app's events, over the `qa` pipeline: the chat (questions, sources,
saved conversations, export) here, the Articles tab in `qa.web.article_handlers`.

The chat is rendered from the conversation's turns (`qa.web.chats`), in the UI's language: after a
language switch or a reload, every message is shown again in the chosen language. A question
error, a store that is down, an unexpected exception: each becomes a message in the chat, and the
app keeps working. An empty question changes nothing.
"""

import json
import logging
import queue
import re
import threading
from dataclasses import dataclass

import gradio as gr

from ingest.errors import NewsqaError, NotFoundError, StoreError
from ingest.readers import normalize_date
from ingest.records import day_number
from qa.pipeline import MAX_QUESTION_CHARS, Pipeline, open_embedder
from qa.question import conversation as conv
from qa.question.query import Filters
from qa.settings import Settings
from qa.web import chats
from qa.web.article_handlers import ArticleHandlers
from qa.web.redact import redact
from qa.web.render import (
    MAX_SHOWN_QUESTION,
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


class InputError(ValueError):
    """A question the app cannot ask as given: `key` names its message in `qa.web.strings`."""

    def __init__(self, key: str, t: dict | None = None, **values):
        super().__init__(t[key].format(**values) if t else key)
        self.key, self.values = key, values


def parse_day(value: str, t: dict) -> int:
    """A date the user typed (yyyy-mm-dd, dd/mm/yyyy, … as `ingest.readers.normalize_date` reads
    them) -> yyyymmdd int; "" -> 0; raises InputError (a ValueError) with its message."""
    value = (value or "").strip()
    if not value:
        return 0
    day = day_number(normalize_date(value))
    if not day:
        shown = value if len(value) <= 40 else value[:39] + "…"
        raise InputError("bad_date", t, value=shown)
    return day


def make_filters(article_ids, day_from: str, day_to: str, t: dict) -> Filters:
    ids = [a for a in (article_ids or []) if isinstance(a, str) and a]
    start, end = parse_day(day_from, t), parse_day(day_to, t)
    if start and end and start > end:
        raise InputError("bad_range", t)
    return Filters(article_ids=ids, day_from=start, day_to=end)


def question_problem(question: str) -> InputError | None:
    """Why a (stripped, non-empty) question cannot be asked, or None."""
    if len(question) > MAX_QUESTION_CHARS:
        return InputError("too_long", n=len(question), limit=MAX_QUESTION_CHARS)
    return None


def shown_question(question: str) -> str:
    return question if len(question) <= MAX_SHOWN_QUESTION else question[:MAX_SHOWN_QUESTION] + "…"


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
class Handlers(ArticleHandlers):
    """The functions behind the UI's events; tests call them directly.

    Chat events take and give: the conversation's `turns` (session state), the saved `library`
    (a copy in session state, written to the browser's localStorage by the layout)."""

    service: Service
    settings: Settings

    # -- chat --
    def respond(self, question, turns, lang, article_ids, day_from, day_to, library=None):
        """Generator: (chat messages, question box, turns, library, past conversations), the
        answer streamed in. An empty question yields no change."""
        t = texts(lang)
        turns = chats.valid_turns(turns)[-(conv.MAX_TURNS - 1) :]  # bounded, whatever comes in
        library = chats.valid_library(library)
        question = question if isinstance(question, str) else ""
        stripped = question.strip()
        if not stripped:
            yield gr.update(), gr.update(), turns, library, gr.update()
            return
        try:
            problem = question_problem(stripped)
            if problem is not None:
                raise problem
            filters = make_filters(article_ids, day_from, day_to, t)
        except InputError as e:
            turns.append(chats.error_turn(shown_question(stripped), e.key, **e.values))
            library = self._saved(library, turns)
            yield chats.history_html(turns, t), question, turns, library, self.past(library)
            return

        searched = conv.contextualize(stripped, chats.searched_history(turns))
        if searched == " ".join(stripped.split()):
            searched = stripped  # unchanged (up to spaces): nothing to show as "Searched:"
        shown = chats.history_html(turns, t) + [{"role": "user", "content": user_html(stripped)}]
        yield (
            shown + [{"role": "assistant", "content": message_html(t["searching"], "wait")}],
            "",
            turns,
            library,
            gr.update(),
        )
        try:
            if self.settings.llm:  # the model's text streams into the chat, then the verified answer replaces it
                answer = None
                for partial, answer in self.ask_streaming(stripped, filters, searched):
                    if answer is None:
                        yield (
                            shown + [{"role": "assistant", "content": streaming_html(partial, t)}],
                            "",
                            turns,
                            library,
                            gr.update(),
                        )
            else:
                answer = self.service.get().ask(stripped, k=self.settings.k, filters=filters, searched=searched)
        except NewsqaError as e:
            if isinstance(e, StoreError):
                self.service.failed()  # a server that comes back, or was recreated, is reconnected to
                turn = chats.error_turn(stripped, "store_down", message=redact(str(e)))
            else:
                turn = chats.error_turn(stripped, "raw", text=redact(str(e)))
            turns.append(turn)
        except Exception as e:  # noqa: BLE001 - the app must keep answering
            logger.exception("question failed: %r", stripped[:200])
            self.service.failed()
            if self.settings.chroma_url:
                turn = chats.error_turn(stripped, "store_down", message=redact(f"{type(e).__name__}: {str(e)[:300]}."))
            else:
                turn = chats.error_turn(stripped, "unexpected", kind=type(e).__name__)
            turns.append(turn)
        else:
            turns.append(chats.answer_turn(stripped, searched, answer))
        library = self._saved(library, turns)
        yield chats.history_html(turns, t), "", turns, library, self.past(library)

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

    def _saved(self, library: dict, turns: list[dict]) -> dict:
        return chats.save(library, library["current"] or chats.new_id(), turns)

    def past(self, library: dict):
        """The past-conversations list: its choices, the current one chosen."""
        choices = chats.choices(library)
        current = library["current"] if any(c[1] == library["current"] for c in choices) else None
        return gr.update(choices=choices, value=current)

    def new_conversation(self, library, lang):
        """Start over: (messages, turns, question box, article panel, library, past list). The
        conversation before stays in the past list."""
        library = {**chats.valid_library(library), "current": chats.new_id()}
        return [], [], "", article_placeholder(texts(lang)), library, self.past(library)

    def clear(self, lang, library=None):
        return self.new_conversation(library, lang)

    def open_conversation(self, conversation_id, library, lang):
        """A past conversation, chosen in the list: (messages, turns, article panel, library)."""
        library = chats.valid_library(library)
        found = chats.find(library, conversation_id) if isinstance(conversation_id, str) else None
        if found is None:
            return gr.update(), gr.update(), gr.update(), library
        turns = chats.valid_turns(found["turns"])
        library = {**library, "current": found["id"]}
        return chats.history_html(turns, texts(lang)), turns, article_placeholder(texts(lang)), library

    def delete_conversation(self, library, lang):
        """Forget the conversation shown (and start a new one)."""
        library = chats.valid_library(library)
        return self.new_conversation(chats.remove(library, library["current"]), lang)

    def export(self, turns, lang) -> str:
        """The conversation as Markdown, for the browser to download: {"name", "text"} as JSON
        ("" when there is nothing to export)."""
        turns = chats.valid_turns(turns)
        if not turns:
            return ""
        title = re.sub(r"[^\w]+", "-", turns[0]["q"].lower()).strip("-")[:40] or "newsqa"
        return json.dumps(
            {"name": f"newsqa-{title}.md", "text": chats.markdown(turns, texts(lang))}, ensure_ascii=False
        )

    def on_load(self, lang, stored):
        """At page load: the article lists, the saved conversations (the current one shown, in the
        language chosen before, else the browser's). Returns (table, remove choices, filter
        choices, messages, turns, library, language, past list)."""
        library = chats.valid_library(stored)
        lang = library["lang"] or (lang if lang in ("vi", "en") else "vi")
        t = texts(lang)
        current = chats.find(library, library["current"])
        turns = chats.valid_turns(current["turns"]) if current else []
        if current is None:
            library = {**library, "current": chats.new_id()}
        articles, problem = self.list_articles()
        table = articles_table(articles, t)
        history = chats.history_html(turns, t)
        if problem:
            table = message_html(f"{t['error']}: {problem}", "error") + table
            history.append({"role": "assistant", "content": message_html(f"{t['error']}: {problem}", "error")})
        choices = article_choices(articles)
        return (
            table,
            gr.update(choices=choices, value=None),
            gr.update(choices=choices),
            history,
            turns,
            library,
            lang,
            self.past(library),
        )

    def open_source(self, key: str, lang: str = "vi") -> str:
        """The article panel for a clicked source (key from `source_key`)."""
        t = texts(lang)
        try:
            data = json.loads(key) if isinstance(key, str) else None
            article_id = data["a"] if isinstance(data, dict) else None
            if not isinstance(article_id, str) or not article_id:
                raise ValueError
        except (ValueError, KeyError, TypeError):
            return message_html(f"{t['error']}: {t['bad_source']}", "error")
        try:
            info, text, _ = self.service.get().article(article_id)
        except NewsqaError as e:
            text = t["unknown_article"].format(id=article_id) if isinstance(e, NotFoundError) else redact(str(e))
            return message_html(f"{t['error']}: {text}", "error")
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
