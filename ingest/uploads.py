"""Uploaded files: where they are kept (DATA_DIR/uploads, under sanitised names that never leave
that folder) and how a new upload never overwrites an earlier, different one."""

import re
import unicodedata
from pathlib import Path

from ingest.errors import NewsqaError

UPLOAD_SUFFIXES = (".txt", ".html", ".htm")
UPLOADS = "uploads"  # folder under settings.data_dir that receives uploaded files


def sanitize_filename(name: str) -> str:
    """A safe file name for an upload: no folders, no dots in front, only word characters, '.', '-'."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = re.sub(r"[^\w.-]+", "-", stem)
    stem = re.sub(r"([.-])[.-]+", r"\1", stem).strip(".-_")[:100].strip(".-_") or "upload"
    suffix = re.sub(r"[^\w]+", "", suffix).lower()[:10]
    return f"{stem}.{suffix}" if suffix else stem


def upload_target(data_dir: Path, name: str) -> Path:
    """Where an uploaded file is kept: data_dir/uploads/<sanitized name>, never outside it."""
    folder = (Path(data_dir) / UPLOADS).resolve()
    target = (folder / sanitize_filename(name)).resolve()
    if target.parent != folder:  # cannot happen after sanitizing; kept as the last guard
        raise NewsqaError(f"Upload name '{name}' is not allowed.")
    return target


def free_upload_target(target: Path, data: bytes) -> Path:
    """`target`, or `stem-2.suffix`, `stem-3.suffix`…: the first that is free or already holds
    `data`. A different file uploaded under a taken name never overwrites the earlier upload."""
    candidate, n = target, 1
    while candidate.exists() and (not candidate.is_file() or candidate.read_bytes() != data):
        n += 1
        candidate = target.with_name(f"{target.stem}-{n}{target.suffix}")
    return candidate
