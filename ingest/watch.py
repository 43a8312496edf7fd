"""The watcher: keeps the index current from feeds, sitemaps and folders (`newsqa watch`,
`newsqa serve --watch`).

A pass visits each source once. A feed or sitemap is fetched conditionally (ETag /
Last-Modified); each page it lists that is new, or whose entry changed, is fetched (conditionally
too; a feed's pages are also checked again every RECHECK_S, for edits the feed does not announce),
read like a saved page (`ingest.fetch.page_article`, the feed item's date when the page has
none) and handed in batches to `ingest`, the same incremental writer `newsqa ingest` and the app
use (`Pipeline.ingest`): a changed page replaces its article in place, an unchanged one costs no
embedding, and a page reached twice (two feeds, a restart) is one article. A folder is scanned for
files that are new or changed. Requests go through `ingest.polite` (robots.txt, a delay per host).

Every fault (a feed that is down or not a feed, a page that fails, is not an article or is too
large) is one line in the source's report; the pass goes on, nothing indexed is touched, and the
page is tried again at the next pass (MAX_TRIES times). A store that cannot be written (another
writer, a server that is down) fails the source for this pass; the next pass retries it.
"""

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ingest.errors import NewsqaError, NoArticlesError, ReadError, WatchError
from ingest.feeds import FEED_ACCEPT, MAX_LISTING_BYTES, Entry, Listing, parse_listing
from ingest.fetch import PAGE_TYPES, TIMEOUT_S, is_url, page_article
from ingest.polite import DEFAULT_DELAY_S, Polite
from ingest.readers import Article, find_files, read_file
from ingest.report import IngestReport
from ingest.watch_report import PassReport, SourceReport
from ingest.watch_state import WatchState

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 300
BATCH_ARTICLES = 64  # articles handed to the writer at once…
BATCH_SECONDS = 30.0  # …or after this long, so that the first ones are answerable soon
MAX_PAGES_PER_PASS = 500  # pages fetched per source and pass; the rest wait for the next pass
MAX_SITEMAPS = 5  # of a sitemap index: the most recently modified ones
MAX_TRIES = 3  # a page that keeps failing is given up until its listing entry changes
RECHECK_S = (
    3600.0  # a page still listed is fetched again (conditionally) after this long: edits the feed does not announce
)
KEPT_TITLES = 20  # the titles last added (or changed) from a source, kept for the app


def check_source(source: str) -> str:
    """A feed or sitemap address (http/https) as given, or a folder as an absolute path."""
    source = str(source).strip()
    if is_url(source):
        return source
    path = Path(source).expanduser()
    if path.is_dir():
        return str(path.resolve())
    if path.exists():
        raise WatchError(
            f"{source}: a file, not a folder. Watch the folder it is in, or index it with `newsqa ingest`."
        )
    raise WatchError(f"{source}: neither a feed or sitemap address (http:// or https://) nor an existing folder.")


class Watcher:
    """Passes over `sources`, writing through `ingest` (a list of articles -> IngestReport)."""

    def __init__(
        self,
        sources: list[str],
        data_dir: Path,
        ingest: Callable[[list[Article]], IngestReport],
        delay: float = DEFAULT_DELAY_S,
        timeout: float = TIMEOUT_S,
        batch_seconds: float = BATCH_SECONDS,
        polite: Polite | None = None,
        recheck: float = RECHECK_S,
    ):
        self.sources = list(dict.fromkeys(check_source(s) for s in sources))
        if not self.sources:
            raise WatchError("Give at least one feed or sitemap address, or a folder, to watch.")
        self.state = WatchState(data_dir)
        self.ingest = ingest
        self.polite = polite or Polite(delay, timeout)
        self.batch_seconds = batch_seconds
        self.recheck = recheck
        self.next_pass = 0.0  # time.time() of the next pass, 0 before the first
        self.passing = False
        self._lock = threading.Lock()  # the state as the app reads it (`status`) while a pass runs

    # ---- passes ------------------------------------------------------------------------------
    def run_pass(self) -> PassReport:
        """One pass over every source; never raises for what a source or an item does."""
        started, clock = time.time(), time.monotonic()
        self.passing = True
        try:
            reports = [self._pass(source) for source in self.sources]
        finally:
            self.passing = False
        return PassReport(reports, started, time.monotonic() - clock)

    def run(self, interval: float, stop: threading.Event, on_pass: Callable[[PassReport], None] | None = None) -> None:
        """Pass every `interval` seconds (start to start) until `stop` is set."""
        while not stop.is_set():
            report = self.run_pass()
            self.next_pass = max(report.started + interval, time.time())
            if on_pass is not None:
                try:
                    on_pass(report)
                except Exception:  # noqa: BLE001 - reporting a pass must not stop the passes
                    logger.exception("reporting a watch pass failed")
            stop.wait(max(0.0, self.next_pass - time.time()))

    def _pass(self, source: str) -> SourceReport:
        clock = time.monotonic()
        kind = "folder" if not is_url(source) else self.state.source(source).get("kind", "feed")
        report = SourceReport(source, kind)
        batch = Batch(self, report)
        try:
            if kind == "folder":
                self._folder(source, report, batch)
            else:
                self._listing(source, report, batch)
            batch.flush()
        except NewsqaError as e:
            message = str(e)
            report.error = message.removeprefix(f"{source}: ")
        except Exception as e:  # noqa: BLE001 - a bug or a library failure must not stop the watcher
            logger.exception("watching %s failed", source)
            report.error = f"unexpected {type(e).__name__}: {e}"
        report.seconds = time.monotonic() - clock
        self._record(source, report)
        return report

    def _record(self, source: str, report: SourceReport) -> None:
        now = time.time()
        with self._lock:
            s = self.state.source(source)
            s.update(
                kind=report.kind,
                last_pass=now,
                seconds=round(report.seconds, 3),
                new=report.new,
                changed=report.changed,
                seen=report.seen,
                skipped=len(report.problems),
                failed=bool(report.error),
                added=([[now, t] for t in report.added] + s.get("added", []))[:KEPT_TITLES],  # newest first
            )
            last = report.error or (report.problems[-1] if report.problems else "")
            if last:
                s.update(error=last, error_at=now)
            self.state.save()

    # ---- feeds and sitemaps ------------------------------------------------------------------
    def _listing(self, source: str, report: SourceReport, batch: "Batch") -> None:
        s = self.state.source(source)
        answer = self.polite.get(
            source,
            max_bytes=MAX_LISTING_BYTES,
            accept=FEED_ACCEPT,
            etag=s.get("etag", ""),
            modified=s.get("modified", ""),
        )
        body = _digest(answer.data) if not answer.not_modified else s.get("body", "")
        if answer.not_modified or body == s.get("body"):
            report.not_modified = True
            listing = Listing(s.get("kind", "feed"))
            listing.entries = [e for e in (self._known_entry(source, key) for key in s.get("keys", [])) if e]
        else:
            listing = parse_listing(answer.data, answer.url, answer.kind)
            if listing.sitemaps:
                self._sitemaps(listing)
        report.kind = listing.kind
        report.problems += listing.problems
        retry = s.setdefault("retry", {})
        listed = {e.key: e for e in listing.entries}
        for key, entry in retry.items():  # pages that failed last time, listed now or not
            listed.setdefault(key, Entry(**{k: v for k, v in entry.items() if k != "tries"}))
        fetched, now = 0, time.time()
        for entry in listed.values():
            item = self.state.items.get(entry.key)
            mark = item.get("marks", {}).get(source) if item else None
            known = item is not None and entry.key not in retry
            if known and (mark == entry.mark or (mark is None and item.get("page"))):
                stale = (  # a feed page edited silently: found at its next check (a sitemap's lastmod is trusted)
                    listing.kind == "feed" and bool(item.get("page")) and now - item.get("checked", 0) >= self.recheck
                )
                if not stale or fetched >= MAX_PAGES_PER_PASS:
                    item.setdefault("marks", {})[source] = entry.mark  # also: the same page listed by another source
                    item["listed"] = now
                    report.seen += 1
                    continue
            elif fetched >= MAX_PAGES_PER_PASS:
                report.later += 1
                continue
            fetched += 1
            self._page(source, entry, item, report, batch)
            batch.due()
        batch.flush()  # raises when the store cannot be written: the validators below are then not kept
        if not report.not_modified:
            s["keys"] = [e.key for e in listing.entries]
            if not report.later:  # else the next pass reads the whole listing again while pages wait
                s.update(etag=answer.etag, modified=answer.modified, body=body)
        self.state.save()

    def _known_entry(self, source: str, key: str) -> Entry | None:
        """An entry of the source's last listing, as remembered (the listing itself answered 304)."""
        item = self.state.items.get(key)
        if not item or not item.get("url"):
            return None
        return Entry(item["url"], key, item.get("marks", {}).get(source, ""), "", item.get("date", ""))

    def _sitemaps(self, index: Listing) -> None:
        """A sitemap index: the entries of its MAX_SITEMAPS most recently modified sitemaps."""
        for url, _ in sorted(index.sitemaps, key=lambda x: x[1], reverse=True)[:MAX_SITEMAPS]:
            try:
                answer = self.polite.get(url, max_bytes=MAX_LISTING_BYTES, accept=FEED_ACCEPT)
                child = parse_listing(answer.data, answer.url, answer.kind)
            except ReadError as e:
                index.problems.append(str(e))
                continue
            index.entries += child.entries
            index.problems += child.problems

    def _page(self, source: str, entry: Entry, item: dict | None, report: SourceReport, batch: "Batch") -> None:
        retry = self.state.source(source)["retry"]
        known = item if item is not None and item.get("page") else {}
        try:
            answer = self.polite.get(
                entry.url, kinds=PAGE_TYPES, etag=known.get("etag", ""), modified=known.get("modified", "")
            )
            page = _digest(answer.data)
            if answer.not_modified or page == known.get("page"):
                self._remember(source, entry, {**known, "etag": answer.etag or known.get("etag", "")})
                retry.pop(entry.key, None)
                report.seen += 1
                return
            article = page_article(answer, entry.url)
        except ReadError as e:
            self._failed(source, entry, item, report, str(e))
            return
        if not article.date and entry.date:
            article.date = entry.date  # the page gives none: the feed's
        record = {"id": article.id, "page": page, "etag": answer.etag, "modified": answer.modified}
        batch.add(article, lambda: (self._remember(source, entry, record), retry.pop(entry.key, None)))

    def _failed(self, source: str, entry: Entry, item: dict | None, report: SourceReport, message: str) -> None:
        retry = self.state.source(source)["retry"]
        tries = retry.get(entry.key, {}).get("tries", 0) + 1
        if tries >= MAX_TRIES:
            retry.pop(entry.key, None)
            self._remember(source, entry, item or {})  # not fetched again until its entry changes
            message += f" Given up after {tries} tries, until the listing changes this item."
        else:
            fields = {"url": entry.url, "key": entry.key, "mark": entry.mark, "title": entry.title, "date": entry.date}
            retry[entry.key] = {**fields, "tries": tries}
        report.problems.append(message)

    def _remember(self, source: str, entry: Entry, record: dict) -> None:
        """The page as fetched (or given up) now: its record, where it is listed, when it was checked."""
        item = self.state.items.setdefault(entry.key, {})
        item.update({k: v for k, v in record.items() if k != "marks"})
        item.setdefault("marks", {})[source] = entry.mark
        item.update(url=entry.url, date=entry.date or item.get("date", ""), listed=time.time(), checked=time.time())

    # ---- folders -----------------------------------------------------------------------------
    def _folder(self, source: str, report: SourceReport, batch: "Batch") -> None:
        root = Path(source)
        if not root.is_dir():
            raise WatchError(f"{source}: the folder is gone (or cannot be read).")
        try:
            files, skipped = find_files([root])
        except NoArticlesError:
            files, skipped = [], []
        s = self.state.source(source)
        reported = set(s.get("reported", []))
        report.problems += [m for m in skipped if m not in reported]
        s["reported"] = skipped
        for path in files:
            key = str(path.resolve())
            try:
                st = path.stat()
            except OSError:
                continue  # gone since the listing
            sig = [st.st_mtime_ns, st.st_size]
            known = self.state.files.get(key, {})
            if known.get("sig") == sig:
                report.seen += 0 if known.get("error") else 1  # a file that failed was reported once
                continue
            try:
                article = read_file(path)
            except ReadError as e:
                report.problems.append(str(e))
                self.state.files[key] = {"sig": sig, "error": True}  # said once, until the file changes
                continue
            batch.add(article, lambda key=key, sig=sig: self.state.files.__setitem__(key, {"sig": sig}))
            batch.due()

    # ---- for the app -------------------------------------------------------------------------
    def status(self) -> list[dict]:
        """Each source's last pass (when, what it found), the titles it added last ([time, title],
        newest first) and its last error."""
        with self._lock:
            out = []
            for source in self.sources:
                s = self.state.sources.get(source, {})
                out.append(
                    {
                        "source": source,
                        "kind": s.get("kind", "folder" if not is_url(source) else "feed"),
                        **{
                            k: s.get(k)
                            for k in ("last_pass", "seconds", "new", "changed", "seen", "skipped", "failed")
                        },
                        "added": list(s.get("added", [])),
                        "error": s.get("error", ""),
                        "error_at": s.get("error_at"),
                        "next_pass": self.next_pass or None,
                        "passing": self.passing,
                    }
                )
            return out


class Batch:
    """Articles on their way to the writer; each one's `done` runs once the writer took it."""

    def __init__(self, watcher: Watcher, report: SourceReport):
        self.watcher, self.report = watcher, report
        self.items: list[tuple[Article, Callable[[], object]]] = []
        self.since = 0.0

    def add(self, article: Article, done: Callable[[], object]) -> None:
        if not self.items:
            self.since = time.monotonic()
        self.items.append((article, done))

    def due(self) -> None:
        """Write now if the batch is full or its first article has waited long enough."""
        if len(self.items) >= BATCH_ARTICLES or (
            self.items and time.monotonic() - self.since >= self.watcher.batch_seconds
        ):
            self.flush()

    def flush(self) -> None:
        if not self.items:
            return
        articles = [a for a, _ in self.items]
        result = self.watcher.ingest(articles)  # when it raises, nothing of the batch is remembered: fetched again
        report = self.report
        report.new += len(result.added)
        report.changed += len(result.updated)
        report.seen += len(articles) - len(result.added) - len(result.updated)
        titles = {a.id: a.title for a in articles}
        report.added += [titles.get(i, i) for i in result.added + result.updated]
        with self.watcher._lock:
            for _, done in self.items:
                done()
            self.watcher.state.save()
        self.items = []


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]
