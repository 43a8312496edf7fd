"""Serving the app: one FastAPI application holding the JSON API (/api, schema at /openapi.json)
and the Gradio chat UI mounted at /, run by uvicorn. Checks come first (exposure, address), then
the pipeline, the layout and the server."""

import logging
import threading
import time
from dataclasses import dataclass

import gradio as gr
import uvicorn
from fastapi import FastAPI

from ingest.errors import NewsqaError
from qa.pipeline import Pipeline, open_embedder
from qa.settings import Settings
from qa.web.api import add_api
from qa.web.layout import APP_JS, CHAT_CONCURRENCY, CSS, I18N, THEME, build_ui
from qa.web.security import LaunchError, LoginLimiter, check_exposure, check_port, port_message

logger = logging.getLogger(__name__)

AUTH_MESSAGE = "newsqa: đăng nhập để hỏi về các bài báo / sign in to ask about the articles"


def build_app(demo: gr.Blocks, settings: Settings) -> FastAPI:
    """The API and the UI of a built app in one FastAPI application, behind one login."""
    auth = check_exposure(settings)
    login = LoginLimiter(*auth) if auth else None
    app = FastAPI(title="newsqa", version="1", docs_url="/api/docs", redoc_url=None)
    add_api(app, demo.newsqa, login)
    demo.queue(default_concurrency_limit=CHAT_CONCURRENCY)
    return gr.mount_gradio_app(
        app,
        demo,
        path="",
        auth=login,
        auth_message=AUTH_MESSAGE if login else None,
        max_file_size=f"{settings.max_upload_mb}mb",
        show_error=False,
        theme=THEME,
        css=CSS,
        js=APP_JS,
        i18n=I18N,
        footer_links=["api", "settings"],
        run_history=False,  # the conversations are kept by the app itself (qa.web.chats), once
    )


@dataclass
class Served:
    """A server running in a background thread (tests, embedding): its address, and how to stop it."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread
    watcher: object | None = None  # `launch(watcher=…)`: stopped with the server

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        if self.watcher is not None:
            self.watcher.stop()


def serve(demo: gr.Blocks, settings: Settings, *, background: bool = False) -> Served | None:
    """Serve a built app on the settings' address; with `background`, in a thread (returns at once)."""
    app = build_app(demo, settings)
    check_port(settings.host, settings.port)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{host}:{settings.port}/"
    if not background:
        logger.warning("newsqa is serving on %s (API: %sapi, schema: %sopenapi.json)", url, url, url)
        server.run()
        return None
    thread = threading.Thread(target=server.run, name="newsqa-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise LaunchError(port_message(settings.host, settings.port, "the server did not start"))
        time.sleep(0.05)
    return Served(url, server, thread)


def launch(settings: Settings, *, background: bool = False, watcher=None) -> Served | None:
    """Open the Pipeline (the store may be down: the chat then says so), build the app, serve it.
    With `watcher` (a `qa.watching.BackgroundWatch`), it writes through the app's pipeline and
    the Articles tab shows its status."""
    check_exposure(settings)  # before the slow part: refuse early
    check_port(settings.host, settings.port)
    embedder = open_embedder(settings)
    pipeline = None
    try:
        pipeline = Pipeline.open(settings, embedder=embedder)
    except NewsqaError as e:
        logger.error("The store is not available yet (%s); the app starts and retries on each request.", e)
    demo = build_ui(pipeline, settings, embedder=embedder, watch_status=watcher.status if watcher else None)
    if watcher is None:
        return serve(demo, settings, background=background)
    watcher.start(demo.newsqa.service.get)
    try:
        served = serve(demo, settings, background=background)
    except BaseException:
        watcher.stop()
        raise
    if served is None:  # the server ran in the foreground and has stopped
        watcher.stop()
        return None
    served.watcher = watcher
    return served
