"""`newsqa serve`: the chat app and its API (optionally with the watcher beside it)."""

import click

from qa.cli.context import Context, echo_pass
from qa.settings import Settings


@click.command()
@click.option("--host", help="Address to bind [env NEWSQA_HOST; default 127.0.0.1].")
@click.option("--port", type=int, help="Port [env NEWSQA_PORT; default 7860].")
@click.option(
    "--watch",
    "sources",
    multiple=True,
    metavar="SOURCE",
    help="Also watch this feed, sitemap or folder, as `newsqa watch` does (repeat for more).",
)
@click.option(
    "--watch-interval", type=click.IntRange(1), default=300, show_default=True, help="Seconds between watch passes."
)
@click.pass_obj
def serve(obj: Context, host, port, sources, watch_interval):
    """Start the chat app (same as `python app.py`); with --watch, keep the index current beside it.

    \b
    newsqa serve
    newsqa serve --watch https://example.com/rss/tin-moi-nhat.rss --watch inbox/
    """
    from qa.web.server import launch

    settings = obj.settings
    if host or port:
        settings = Settings.load(
            data_dir=settings.data_dir, chroma_url=settings.chroma_url, model=settings.model, host=host, port=port
        )
    watcher = None
    if sources:
        from ingest.watch_report import clock_time
        from qa.watching import BackgroundWatch

        def echo(report):
            echo_pass(report, clock_time(watcher.watcher.next_pass, watch_interval))

        watcher = BackgroundWatch(settings, list(sources), watch_interval, on_pass=echo)
    launch(settings, watcher=watcher)


COMMANDS = [serve]
