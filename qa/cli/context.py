"""What every command shares: the settings and pipeline of one run, failing with a message, common options."""

import sys
from pathlib import Path

import click

from qa.settings import Settings


class Context:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._pipeline = None

    @property
    def pipeline(self):
        if self._pipeline is None:
            from qa.pipeline import Pipeline

            self._pipeline = Pipeline.open(self.settings)
        return self._pipeline

    @property
    def index_pipeline(self):
        """The pipeline of an existing index: a data folder without one (a typo?) is an error, not a new index."""
        settings = self.settings
        if not settings.chroma_url and not (settings.data_dir / "chroma" / "chroma.sqlite3").is_file():
            fail(
                f"No index in {settings.data_dir}. Run `newsqa ingest PATH` first, or give the folder that holds "
                "the index with --data-dir or NEWSQA_DATA_DIR."
            )
        return self.pipeline


def fail(message: str, code: int = 1):
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def json_file_option(help: str):
    return click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help=help)


def work_dir_option(help: str):
    return click.option("--work-dir", type=click.Path(file_okay=False, path_type=Path), help=help)


def echo_pass(report, next_pass: str) -> None:
    """One line per source, then one line per item that was not indexed."""
    for source in report.sources:
        click.echo(source.line(next_pass))
        for problem in source.problems:
            click.echo(f"  skipped: {problem}")
