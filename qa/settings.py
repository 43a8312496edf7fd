"""Settings, read once at start-up: command-line flag, then environment variable NEWSQA_*, then default."""

import os
from dataclasses import dataclass, fields
from pathlib import Path

from ingest.embedder import DEFAULT_MODEL


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
    onnx_queries: bool = True  # encode questions with ONNX Runtime when available (faster, same vectors)

    @classmethod
    def load(cls, **flags) -> "Settings":
        """Flags that are not None win over NEWSQA_<NAME> environment variables, which win over defaults."""
        values = {}
        for f in fields(cls):
            raw = flags.get(f.name)
            if raw is None:
                raw = os.environ.get(f"NEWSQA_{f.name.upper()}")
            if raw is None:
                continue
            values[f.name] = _convert(f.type, raw)
        return cls(**values)

    @property
    def model_folder_root(self) -> Path:
        return self.models_dir or self.data_dir / "models"


def _convert(kind, raw):
    if kind is Path or Path in getattr(kind, "__args__", ()):
        return Path(raw)
    if kind in (int, "int"):
        return int(raw)
    if kind in (bool, "bool"):
        return raw if isinstance(raw, bool) else str(raw).lower() in {"1", "true", "yes", "on"}
    return str(raw)
