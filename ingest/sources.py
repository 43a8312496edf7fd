"""Reading what the user gives (files, folders, web page URLs) into articles; what cannot be read
is reported, never fatal."""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import NoArticlesError, ReadError
from ingest.fetch import fetch_url, is_url
from ingest.readers import Article, find_files, read_file


@dataclass
class ReadResult:
    articles: list[Article]
    problems: list[str]  # one message per file that was skipped


def read_articles(paths: Iterable[Path]) -> ReadResult:
    """Read every article file under `paths`; files that cannot be read are reported, not fatal."""
    files, problems = find_files(list(paths))
    articles = []
    for f in files:
        try:
            articles.append(read_file(f))
        except ReadError as e:
            problems.append(str(e))
    return ReadResult(articles, problems)


def read_sources(items: Iterable[str | Path], allow_empty: bool = False) -> ReadResult:
    """Read files, folders and web page URLs (fetched over HTTP); what cannot be read is reported.
    With `allow_empty`, folders without article files are reported instead of raising."""
    items = [str(i) for i in items]
    urls = [i for i in items if is_url(i)]
    paths = [Path(i) for i in items if not is_url(i)]
    result = ReadResult([], [])
    if paths:
        try:
            result = read_articles(paths)
        except NoArticlesError as e:
            if not (urls or allow_empty):
                raise
            result.problems.append(str(e))
    for url in urls:
        try:
            result.articles.append(fetch_url(url))
        except ReadError as e:
            result.problems.append(str(e))
    return result
