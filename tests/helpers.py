"""Helpers shared by the test modules: a small real corpus, index checks, the CLI in a subprocess,
a real `chroma run` server, free ports."""

import dataclasses
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ingest.store import GENERATION_ID, Key
from tests.conftest import MODELS_DIR, ROOT, SHARED, shared_file

DANTRI = SHARED / "corpora" / "dantri-unc"


def small_corpus(folder: Path, n: int, sentences: int = 3, start: int = 0) -> list[Path]:
    """`n` dantri articles (spread over the topics), each cut to its header, title and first
    sentences so that it makes one chunk: cheap to embed."""
    files = sorted(shared_file(DANTRI).glob("*.txt"))
    step = max(1, len(files) // n)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for path in files[start::step][:n]:
        lines = path.read_text(encoding="utf-8").split("\n")
        header = [line for line in lines if line.startswith("#")]
        body = [line for line in lines if line.strip() and not line.startswith("#")]
        target = folder / path.name
        target.write_text("\n".join(header + body[: 1 + sentences]) + "\n", encoding="utf-8")
        written.append(target)
    return written


def open_pipeline(make_settings, embedder, data_dir: Path, grace: float = 0.0, **kw):
    from qa.pipeline import Pipeline

    pipeline = Pipeline.open(make_settings(data_dir, **kw), embedder=embedder)
    pipeline.index.grace_seconds = grace
    return pipeline


def ingest(pipeline, *paths, prune=False):
    result = pipeline.read([Path(p) for p in paths])
    return pipeline.ingest(result.articles, prune=[Path(p) for p in paths] if prune else None)


def state(pipeline) -> dict:
    """The index as data, after checking it is exact: every chunk belongs to the current version of
    a registered article, chunk counts add up, the lexical index holds exactly the chunks, no marks."""
    index = pipeline.index
    registry = index.registry()
    got = index.chunks.get(include=["metadatas"])
    for meta in got["metadatas"]:
        assert registry[meta[Key.ARTICLE_ID]].hash == meta[Key.ARTICLE_HASH], meta[Key.ARTICLE_ID]
    assert len(got["ids"]) == sum(a.chunk_count for a in registry.values())
    lexical = index.lexical()
    assert sorted(lexical.ids) == sorted(got["ids"])
    marks = index.articles.get(include=["metadatas"])
    for id_, meta in zip(marks["ids"], marks["metadatas"]):
        if id_ != GENERATION_ID:
            assert meta.get(Key.ARTICLE_HASH) and not meta.get(Key.PENDING) and not meta.get(Key.RETIRED), id_
    return {"articles": {a.id: a.hash for a in registry.values()}, "chunks": sorted(got["ids"])}


def newsqa(data_dir: Path, *args: str, **env: str) -> subprocess.Popen:
    """`newsqa ARGS` in a subprocess (the real CLI, its own Chroma client)."""
    environment = {
        **os.environ,
        "NEWSQA_DATA_DIR": str(data_dir),
        "NEWSQA_MODELS_DIR": str(MODELS_DIR),
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-c", "from qa.cli import cli; cli()", *args],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


CHROMA = Path(sys.executable).parent / "chroma"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChromaServer:
    """`chroma run --path PATH --host 127.0.0.1 --port PORT`, started and stopped by the tests."""

    def __init__(self, path: Path, port: int | None = None):
        self.path, self.port = path, port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "ChromaServer":
        if not CHROMA.exists():
            pytest.skip(f"{CHROMA} is absent (it comes with the chromadb package)")
        log = open(self.path.parent / f"chroma-{self.port}.log", "a")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self.proc.returncode}; see {log.name}")
        raise RuntimeError("chroma run did not answer its heartbeat within 60s")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)


def serve_app(pipeline, **changes):
    """The app (UI and API) over `pipeline`, served on a free loopback port in a background thread:
    `.url`, `.close()`."""
    from qa.web.layout import build_ui
    from qa.web.server import serve

    settings = dataclasses.replace(
        pipeline.settings, **{"host": "127.0.0.1", "port": free_port(), "auth": "", **changes}
    )
    return serve(build_ui(pipeline, settings), settings, background=True)
