"""Writing files and folders so that a reader (or a crash) sees the old content or the new, never a part."""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(target: Path, folder: bool = False) -> Iterator[Path]:
    """A temporary file (or, with `folder`, an empty folder) beside `target` to write into. When the
    block ends without error it takes `target`'s place in one rename (a folder already at `target`
    is moved aside first, then deleted); when it fails, the temporary is removed."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{target.name}.tmp-"
    if folder:
        tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
    else:
        fd, name = tempfile.mkstemp(prefix=prefix, dir=target.parent)
        os.close(fd)
        tmp = Path(name)
    try:
        yield tmp
        tmp.chmod(0o755 if folder else 0o644)  # mkstemp/mkdtemp make them private
        if folder and target.exists():
            aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.replace(target, aside / "old")
            shutil.rmtree(aside, ignore_errors=True)
        os.replace(tmp, target)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()


def write_text(target: Path, text: str) -> None:
    """Write a text file (UTF-8) atomically."""
    with replacing(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
