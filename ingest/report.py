"""What one ingest did (`IngestReport`), and two facts about a source file the writer decides on:
whether the file is gone, and the id of a file whose name another file already holds.
"""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class IngestReport:
    """What one ingest did: article ids by outcome, chunks written and embedded, commits, time."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # messages
    removed: list[str] = field(default_factory=list)  # by `prune`
    chunks_written: int = 0
    embedded: int = 0  # chunks run through the model (chunks of a changed article whose text is unchanged are not)
    commits: int = 0
    recovered: list[str] = field(default_factory=list)  # articles whose interrupted write was finished or undone
    seconds: float = 0.0


def path_article_id(name_id: str, source: str) -> str:
    """The id of a file article whose name is taken by another file: the name, then a hash of the path."""
    return f"{name_id}-{hashlib.sha1(source.encode('utf-8')).hexdigest()[:8]}"


def file_gone(source: str) -> bool:
    """Whether a file source no longer exists (URL sources never are)."""
    return bool(source) and "://" not in source and not Path(source).exists()
