"""What the watcher remembers between passes and restarts, in DATA_DIR/watch/state.json (written
atomically): per source its validators (`ETag`, `Last-Modified`), its last pass and its last
error; per page (by canonical URL) the article it gave, a hash of the page, its validators and
each source's mark for it; per file its size and modification time.

The index stays the authority: a page whose record was lost (a crash between an ingest and the
next save) is fetched again and the writer finds its article unchanged, so nothing is indexed twice.
"""

import json
import logging
import os
import time
from pathlib import Path

from filelock import FileLock, Timeout

from ingest.atomic import write_text
from ingest.errors import WatchError

logger = logging.getLogger(__name__)

FOLDER = "watch"  # under the data folder
FORGET_S = 30 * 86400  # a page no source has listed for this long is forgotten
VERSION = 1


class WatchState:
    """The watcher's memory of one data folder (load once, `save()` after each change)."""

    def __init__(self, data_dir: Path):
        self.folder = Path(data_dir) / FOLDER
        self.path = self.folder / "state.json"
        self.sources: dict[str, dict] = {}
        self.items: dict[str, dict] = {}  # canonical page URL -> record
        self.files: dict[str, dict] = {}  # absolute file path -> {"sig": [mtime_ns, size]}
        self.load()

    def load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as e:
            aside = self.path.with_name(f"state.json.bad-{int(time.time())}")
            logger.warning("%s cannot be read (%s); starting afresh (kept as %s).", self.path, e, aside.name)
            try:
                os.replace(self.path, aside)
            except OSError:
                pass
            return
        if not isinstance(data, dict) or data.get("version") != VERSION:
            logger.warning("%s is from another version of newsqa; starting afresh.", self.path)
            return
        self.sources = data.get("sources") or {}
        self.items = data.get("items") or {}
        self.files = data.get("files") or {}

    def source(self, name: str) -> dict:
        return self.sources.setdefault(name, {})

    def save(self) -> None:
        """Write the state atomically (a crash leaves the old file or the new one), forgetting
        pages no source has listed for FORGET_S and files that are gone."""
        now = time.time()
        self.items = {k: v for k, v in self.items.items() if now - v.get("listed", now) < FORGET_S}
        self.files = {k: v for k, v in self.files.items() if Path(k).exists()}
        data = {"version": VERSION, "sources": self.sources, "items": self.items, "files": self.files}
        write_text(self.path, json.dumps(data, ensure_ascii=False, separators=(",", ":")))

    def lock(self) -> FileLock:
        """Hold this while watching: one watcher per data folder. Raises WatchError when another has it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.folder / "watch.lock"), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise WatchError(
                f"Another newsqa watcher (`newsqa watch` or `newsqa serve --watch`) is running on {self.folder.parent} "
                f"(lock {self.folder / 'watch.lock'}). Stop it first, or give another --data-dir."
            ) from None
        return lock
