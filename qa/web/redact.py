"""What leaves the server names files, never where they are: an absolute path in a message, an
answer or an article record becomes the file's name ("/srv/newsqa/data/uploads/tin.txt" ->
"tin.txt"). URLs are left alone."""

import re
from pathlib import PurePath

# An absolute POSIX path (two parts or more), not the path of a URL ("https://x.vn/a/b.html").
_PATH = re.compile(r"(?<![\w:/.~-])/(?:[^\s/'\"“”<>()\[\]]+/)+([^\s/'\"“”<>()\[\]]+)")


def redact(text: str) -> str:
    """`text` with every absolute path replaced by its last part."""
    return _PATH.sub(r"\1", text or "")


def file_name(source: str) -> str:
    """The name of an article's source file ("/data/uploads/tin.txt" -> "tin.txt"); other
    sources ("xquad.vi.json#3", a URL) as they are."""
    source = source or ""
    if "://" in source or not source.startswith(("/", "\\")) and ":\\" not in source:
        return source
    return PurePath(source).name


def public_record(record: dict) -> dict:
    """An article or source record with its `source` as a file name."""
    return {**record, "source": file_name(record.get("source", ""))} if "source" in record else dict(record)
