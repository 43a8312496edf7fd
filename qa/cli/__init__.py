"""The `newsqa` command line: the group and its commands, one module per command group."""

import logging
from pathlib import Path

import click

from ingest.errors import NewsqaError
from qa.cli import articles, asking, measuring, serving, training
from qa.cli.context import Context, fail
from qa.settings import Settings


class Group(click.Group):
    """Turns every NewsqaError into a one-line message and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except NewsqaError as e:
            fail(str(e))


@click.group(cls=Group)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Data folder [env NEWSQA_DATA_DIR; default ./data].",
)
@click.option(
    "--chroma-url", help="Chroma server, e.g. http://127.0.0.1:8000 [env NEWSQA_CHROMA_URL; default: in-process]."
)
@click.option("--model", help="sentence-transformers model id or folder [env NEWSQA_MODEL].")
@click.option("-v", "--verbose", is_flag=True, help="Log progress details.")
@click.version_option(package_name="newsqa")
@click.pass_context
def cli(ctx, data_dir, chroma_url, model, verbose):
    """Ask questions about Vietnamese news articles; answers cite their sources.

    \b
    newsqa ingest seeds/
    newsqa ask "Hai trọng tâm phát triển của Quảng Ngãi là gì?"
    newsqa serve
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    ctx.obj = Context(Settings.load(data_dir=data_dir, chroma_url=chroma_url, model=model))


for _module in (articles, asking, measuring, serving, training):
    for _command in _module.COMMANDS:
        cli.add_command(_command)
