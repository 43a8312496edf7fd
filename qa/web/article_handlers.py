"""The functions behind the Articles tab (listing, uploads, removal with a confirmation), over
the `qa` pipeline; `qa.web.handlers.Handlers` has them, beside the chat's.

Messages name files, never where the server keeps them (`qa.web.redact`).
"""

import logging
from collections.abc import Callable
from pathlib import Path

import gradio as gr

from ingest.errors import NewsqaError
from ingest.report import IngestReport
from ingest.uploads import UPLOAD_SUFFIXES, UPLOADS, free_upload_target, upload_target
from qa.web.redact import redact
from qa.web.render import article_choices, articles_table, esc, message_html
from qa.web.strings import count, texts

logger = logging.getLogger(__name__)


class ArticleHandlers:
    """Uploads, listing and removal; needs `self.service` and `self.settings` (see `Handlers`)."""

    def list_articles(self):
        try:
            return self.service.get().articles(), ""
        except NewsqaError as e:
            return [], redact(str(e))
        except Exception as e:  # noqa: BLE001
            logger.exception("listing articles failed")
            self.service.failed()
            return [], redact(f"{type(e).__name__}: {e}")

    def refresh(self, lang):
        """Article table, remove choices, filter choices (and a store problem, if any)."""
        t = texts(lang)
        articles, problem = self.list_articles()
        table = articles_table(articles, t)
        if problem:
            table = message_html(f"{t['error']}: {problem}", "error") + table
        choices = article_choices(articles)
        return table, gr.update(choices=choices, value=None), gr.update(choices=choices)

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
                problem, target = f"{path.name}: {e.strerror}.", None
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
        return report, [redact(p) for p in problems]

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
                    lines.append(ingest_done(report, t))
            lines += [f"{t['skipped']}: {p}" for p in problems]
            if problems:
                kind = "warn"
        except NewsqaError as e:
            lines.append(f"{t['error']}: {redact(str(e))}")
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

    def confirm_remove(self, article_id, lang):
        """The first click on "Remove article…": (the confirmation box, its question, status): the
        box asks before anything is removed; with no article chosen, the status says so."""
        t = texts(lang)
        if not article_id:
            return gr.update(visible=False), "", message_html(t["remove_none"], "warn")
        articles, _ = self.list_articles()
        info = next((a for a in articles if a.id == article_id), None)
        if info is None:
            return gr.update(visible=False), "", message_html(t["unknown_article"].format(id=article_id), "warn")
        question = t["remove_confirm"].format(title=info.title or info.id, chunks=count(t, "chunks", info.chunk_count))
        return gr.update(visible=True), f'<div class="nq-confirm" role="alert">{esc(question)}</div>', ""

    def remove(self, article_id, lang):
        """The confirmed removal: (status, table, remove choices, filter choices, hidden confirmation)."""
        t = texts(lang)
        if not article_id:
            status = message_html(t["remove_none"], "warn")
        else:
            try:
                status = message_html(count(t, "removed", len(self.remove_article(article_id))))
            except NewsqaError as e:
                status = message_html(f"{t['error']}: {redact(str(e))}", "error")
            except Exception as e:  # noqa: BLE001
                logger.exception("remove failed")
                self.service.failed()
                status = message_html(f"{t['error']}: " + t["unexpected"].format(kind=type(e).__name__), "error")
        table, remove_choices, filter_choices = self.refresh(lang)
        return status, table, remove_choices, filter_choices, gr.update(visible=False)

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


def ingest_done(report: IngestReport, t: dict) -> str:
    """ "1 added, 0 updated, 0 unchanged (1 chunk written in 0.4s)." in the UI's language."""
    return t["ingest_done"].format(
        added=len(report.added),
        updated=len(report.updated),
        unchanged=len(report.unchanged),
        chunks=count(t, "chunks", report.chunks_written),
        seconds=report.seconds,
    )
