"""The watcher beside the app (`newsqa serve --watch`): passes in a background thread, writing
through the app's own pipeline, so that the app stays the data folder's one writer (its uploads and
the watcher's batches take turns, `Pipeline.ingest`)."""

import logging
import threading
from collections.abc import Callable

from ingest.watch import DEFAULT_INTERVAL_S, Watcher
from ingest.watch_report import PassReport
from qa.pipeline import Pipeline
from qa.settings import Settings

logger = logging.getLogger(__name__)


class BackgroundWatch:
    """Takes the data folder's watch lock when made (a second watcher is refused at once); `start`
    runs the passes in a thread, `stop` ends them."""

    def __init__(
        self,
        settings: Settings,
        sources: list[str],
        interval: float = DEFAULT_INTERVAL_S,
        on_pass: Callable[[PassReport], None] | None = None,
        delay: float | None = None,
    ):
        kw = {"delay": delay} if delay is not None else {}
        self.watcher = Watcher(sources, settings.data_dir, self._ingest, batch_seconds=settings.commit_seconds, **kw)
        self.interval = interval
        self.on_pass = on_pass
        self._lock = self.watcher.state.lock()
        self._pipeline: Callable[[], Pipeline] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _ingest(self, articles):
        return self._pipeline().ingest(articles)

    def status(self) -> list[dict]:
        return self.watcher.status()

    def start(self, pipeline: Callable[[], Pipeline]) -> None:
        """Pass now and every interval, writing through `pipeline()` (the app's, opened when needed)."""
        self._pipeline = pipeline
        self._thread = threading.Thread(target=self._run, name="newsqa-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.watcher.run(self.interval, self._stop, self.on_pass)
        except Exception:  # noqa: BLE001 - never expected (a pass catches what its sources do); logged
            logger.exception("the watcher stopped")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
        self._lock.release()
