"""Settings, read once at start-up: command-line flag, then environment variable NEWSQA_*, then default.

Every value is checked here, once: a bad one stops start-up with a `SettingsError` that names the
setting (the flag or the variable it came from) and what it accepts.
"""

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlparse

from ingest.embedder import DEFAULT_MODEL
from ingest.errors import SettingsError


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    chroma_url: str = ""  # NEWSQA_CHROMA_URL=http://127.0.0.1:8000 uses a Chroma server
    model: str = DEFAULT_MODEL
    models_dir: Path | None = None  # where the default model folder is built; default DATA_DIR/models
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str = ""  # "user:password"; required when host is not a loopback address
    k: int = 5  # sources retrieved per question
    max_upload_mb: int = 5
    threads: int = 0  # CPU threads for the embedding model; 0 = one per core
    commit_chunks: int = 256  # an ingest commits (readers see new articles) every this many chunks…
    commit_seconds: float = 30.0  # …or this many seconds
    grace_seconds: float = 2.0  # replaced chunks stay this long for questions already under way
    answerer: str = (
        "reader"  # "reader" (the trained reader with the rules' ranking) or "rules" (calibrated rules only)
    )
    llm: str = ""  # "openai:MODEL" or "ollama:MODEL": generative answers (qa/generation/llm.py); "" = extractive only
    llm_base_url: str = ""  # the model server, e.g. http://127.0.0.1:11434 (Ollama), http://host:8000/v1
    llm_api_key: str = field(default="", repr=False)  # OpenAI-compatible servers; never printed
    llm_timeout: float = 60.0  # seconds the whole generated answer may take
    llm_unverified: str = "mark"  # a generated sentence that fails verification: "mark" (shown, marked) or "drop"

    @classmethod
    def load(cls, **flags) -> "Settings":
        """Flags that are not None win over NEWSQA_<NAME> environment variables, which win over
        defaults; raises SettingsError naming the first value that cannot be used."""
        values = {}
        for f in fields(cls):
            raw, origin = flags.get(f.name), f"--{f.name.replace('_', '-')}"
            if raw is None:
                origin = f"NEWSQA_{f.name.upper()}"
                raw = os.environ.get(origin)
            if raw is None:
                continue
            values[f.name] = _check(f.name, raw, origin)
        return cls(**values)

    @property
    def model_folder_root(self) -> Path:
        return self.models_dir or self.data_dir / "models"


# name -> (what it accepts, for the message; converter that raises ValueError on a bad value)
def _number(kind: type, low: float, high: float):
    """(what it accepts, converter) for a number of `kind` (int or float) in [low, high]."""

    def convert(raw):
        value = kind(str(raw).strip())
        if not low <= value <= high:
            raise ValueError
        return value

    what = "a whole number" if kind is int else "a number of seconds"
    return f"{what} from {low} to {high}", convert


def _url(raw) -> str:
    value = str(raw).strip()
    if value:
        url = urlparse(value)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError
        url.port  # noqa: B018 - raises ValueError for a port that is not a number 0-65535
    return value


def _auth(raw) -> str:
    value = str(raw).strip()
    if value:
        user, sep, password = value.partition(":")
        if not (sep and user and password):
            raise ValueError
    return value


def _text(raw) -> str:
    value = str(raw).strip()
    if not value or any(c.isspace() for c in value):
        raise ValueError
    return value


def _path(raw) -> Path:
    value = str(raw).strip()
    if not value or "\x00" in value:
        raise ValueError
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise ValueError
    return path


def _choice(raw, allowed: tuple[str, ...]) -> str:
    value = str(raw).strip().lower()
    if value not in allowed:
        raise ValueError
    return value


def _nonempty(raw) -> str:
    value = str(raw).strip()
    if not value:
        raise ValueError
    return value


def _llm(raw) -> str:
    """ "openai:MODEL" or "ollama:MODEL" (the provider in any case), "" for none."""
    value = str(raw).strip()
    if value:
        provider, sep, model = value.partition(":")
        if not sep or provider.strip().lower() not in ("openai", "ollama") or not model.strip():
            raise ValueError
        value = f"{provider.strip().lower()}:{model.strip()}"
    return value


_CHECKS = {
    "data_dir": ("a folder (it may not exist yet; not a file)", _path),
    "models_dir": ("a folder (it may not exist yet; not a file)", _path),
    "chroma_url": ("a URL like http://127.0.0.1:8000", _url),
    "model": ("a sentence-transformers model id or folder", _nonempty),
    "host": ("an address to bind, like 127.0.0.1 or 0.0.0.0", _text),
    "port": _number(int, 1, 65535),
    "auth": ("user:password", _auth),
    "k": _number(int, 1, 50),
    "max_upload_mb": _number(int, 1, 1024),
    "threads": _number(int, 0, 1024),
    "commit_chunks": _number(int, 1, 1_000_000),
    "commit_seconds": _number(float, 0, 86_400),
    "grace_seconds": _number(float, 0, 3_600),
    "answerer": ("reader or rules", lambda raw: _choice(raw, ("reader", "rules"))),
    "llm": ("openai:MODEL or ollama:MODEL (or nothing: extractive answers only)", lambda raw: _llm(raw)),
    "llm_base_url": ("a URL like http://127.0.0.1:11434 or http://127.0.0.1:8000/v1", _url),
    "llm_api_key": ("an API key", lambda raw: str(raw).strip()),
    "llm_timeout": _number(float, 1, 3_600),
    "llm_unverified": ("mark or drop", lambda raw: _choice(raw, ("mark", "drop"))),
}


def _check(name: str, raw, origin: str):
    accepts, convert = _CHECKS[name]
    try:
        return convert(raw)
    except ValueError:
        shown = str(raw) if len(str(raw)) <= 60 else str(raw)[:57] + "..."
        raise SettingsError(f"{origin}={shown!r} is not usable: give {accepts}.") from None
