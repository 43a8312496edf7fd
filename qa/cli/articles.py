"""Commands that change or show the index: ingest, watch, list, show, remove, prepare-model."""

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from qa.cli.context import Context, echo_pass, fail


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--prune", is_flag=True, help="Also remove indexed articles whose file under the given folders is gone.")
@click.pass_obj
def ingest(obj: Context, paths, prune):
    """Index article files (.txt, .html), folders (recursively) or web pages (URLs).

    \b
    newsqa ingest seeds/
    newsqa ingest article.txt page.html other/
    newsqa ingest https://example.com/some-article.html
    newsqa ingest --prune corpus/      # and drop articles whose file under corpus/ was deleted
    """
    from tqdm import tqdm

    from ingest.fetch import is_url
    from ingest.lock import check_not_locked
    from ingest.sources import read_sources

    check_not_locked(obj.settings.data_dir)  # fail fast, before reading or loading the model
    result = read_sources(paths, allow_empty=prune)
    for problem in result.problems:
        click.echo(f"Skipped: {problem}", err=True)
    if not result.articles and not prune:
        fail("No readable article in " + ", ".join(paths) + ". Nothing was indexed.")
    pipeline = obj.pipeline
    folders = [Path(p) for p in paths if not is_url(p)] if prune else None
    with tqdm(total=len(result.articles), unit="article", desc="Indexing", file=sys.stderr, disable=None) as bar:
        report = pipeline.ingest(result.articles, progress=lambda article, n: bar.update(n), prune=folders)
    for message in report.duplicates:
        click.echo(f"Skipped: {message}", err=True)
    click.echo(
        f"{len(report.added)} articles added, {len(report.updated)} updated, {len(report.unchanged)} unchanged; "
        f"{report.chunks_written} chunks written in {report.seconds:.1f}s."
    )
    if prune:
        click.echo(f"{len(report.removed)} articles pruned (their files are gone).")


@click.command()
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--interval", type=click.IntRange(1), default=300, show_default=True, help="Seconds from one pass to the next."
)
@click.option("--once", is_flag=True, help="Make one pass and exit (exit code 1 when a source failed).")
@click.option(
    "--delay",
    type=click.FloatRange(0),
    default=1.0,
    show_default=True,
    help="Seconds between two requests to one host (a larger robots.txt Crawl-delay wins).",
)
@click.option(
    "--timeout", type=click.FloatRange(1), default=20.0, show_default=True, help="Seconds a request may take."
)
@click.option(
    "--recheck",
    type=click.FloatRange(0),
    default=3600.0,
    show_default=True,
    help="Seconds after which a page a feed still lists is fetched again (conditionally), for unannounced edits.",
)
@click.pass_obj
def watch(obj: Context, sources, interval, once, delay, timeout, recheck):
    """Keep the index current: index what is new or changed in feeds (RSS/Atom), sitemaps and folders.

    \b
    newsqa watch https://example.com/rss/tin-moi-nhat.rss     # a pass every 5 minutes, until stopped
    newsqa watch --once https://example.com/sitemap.xml inbox/  # one pass over a sitemap and a folder
    newsqa watch --interval 60 https://example.com/feed.xml https://example.org/rss
    """
    from ingest.watch import Watcher
    from ingest.watch_report import clock_time

    watcher = Watcher(
        list(sources),
        obj.settings.data_dir,
        ingest=lambda articles: obj.pipeline.ingest(articles),  # the model and the store open on first use
        delay=delay,
        timeout=timeout,
        batch_seconds=obj.settings.commit_seconds,
        recheck=recheck,
    )
    lock = watcher.state.lock()
    try:
        if once:
            report = watcher.run_pass()
            echo_pass(report, "")
            sys.exit(1 if report.failed else 0)
        import threading

        try:
            watcher.run(interval, threading.Event(), lambda r: echo_pass(r, clock_time(watcher.next_pass, interval)))
        except KeyboardInterrupt:
            click.echo("Stopped.", err=True)
    finally:
        lock.release()


@click.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def list_(obj: Context, as_json):
    """List indexed articles: id, date (and how it was found, or "undated"), chunk count, title.

    \b
    newsqa list
    newsqa list --json
    """
    articles = obj.index_pipeline.articles()
    if as_json:
        click.echo(json.dumps([asdict(a) for a in articles], ensure_ascii=False, indent=2))
        return
    if not articles:
        click.echo("No articles indexed yet. Run `newsqa ingest PATH`.")
    for a in articles:
        dated = f"{a.date} ({a.date_source})" if a.date and a.date_source else a.date or "undated"
        click.echo(f"{a.id}\t{dated}\t{a.chunk_count} chunks\t{a.title}")


@click.command()
@click.argument("article_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def show(obj: Context, article_id, as_json):
    """Show an article's cleaned text and its chunks."""
    info, text, chunks = obj.index_pipeline.article(article_id)
    if as_json:
        rows = [{k: v for k, v in c.items() if k != "sentence_vectors"} for c in chunks]
        click.echo(json.dumps({**asdict(info), "text": text, "chunks": rows}, ensure_ascii=False, indent=2))
        return
    click.echo(f"{info.title}\n{info.byline}  {info.date}  {info.url or info.source}\n\n{text}\n")
    for c in chunks:
        click.echo(f"--- chunk {c['chunk_index']} [{c['start']}:{c['end']}]\n{c['text']}")


@click.command()
@click.argument("article_ids", nargs=-1, required=True)
@click.pass_obj
def remove(obj: Context, article_ids):
    """Remove articles (and their chunks) from the index."""
    removed = obj.index_pipeline.remove(list(article_ids))
    click.echo(f"{len(removed)} articles removed.")


@click.command(name="prepare-model")
@click.pass_obj
def prepare_model(obj: Context):
    """Build (once) and load the embedding model and the answer reader's ONNX export, so the first
    question is fast and needs no torch."""
    from ingest.embedder import default_model_folder
    from qa.answering.reader import ARTEFACT
    from qa.answering.reader_net import export_reader
    from qa.pipeline import open_embedder

    embedder = open_embedder(obj.settings)
    click.echo(f"Model ready: {embedder.name} ({embedder.dim} dimensions).")
    if (ARTEFACT / "reader.json").exists():
        click.echo(f"Reader ready: {export_reader(ARTEFACT, default_model_folder(obj.settings.model_folder_root))}.")


COMMANDS = [ingest, watch, list_, show, remove, prepare_model]
