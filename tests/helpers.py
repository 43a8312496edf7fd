"""Helpers shared by the test modules: a small real corpus, index checks, the CLI in a subprocess,
a real `chroma run` server, free ports."""

import dataclasses
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


def follow_commits(proc: subprocess.Popen) -> tuple[list[str], list[str], threading.Thread]:
    """Read a `newsqa -v` process's stderr in a thread: (its "Committed …" lines, all its lines, the thread)."""
    commits: list[str] = []
    lines: list[str] = []

    def read():
        for line in proc.stderr:
            lines.append(line)
            if "Committed" in line:
                commits.append(line)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return commits, lines, thread


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


class FakeLLM:
    """An OpenAI-compatible chat server on 127.0.0.1: `POST /v1/chat/completions` answered by
    `script(request) -> reply`; a reply is {"text": ...} (streamed as SSE chunks when asked for),
    {"status": 500}, {"sleep": s, ...} before replying, or {"raw": bytes} sent as is."""

    def __init__(self):
        self.requests: list[dict] = []
        self.script = lambda request: {"text": "Nothing scripted [1]."}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake.requests.append(
                    {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                )
                reply = fake.script(body)
                try:
                    time.sleep(reply.get("sleep", 0))
                    if "status" in reply:
                        self.send_json(reply["status"], {"error": {"message": "scripted failure", "type": "test"}})
                    elif "raw" in reply:
                        self.send_bytes(200, "text/event-stream", reply["raw"])
                    elif body.get("stream"):
                        self.stream(reply["text"], reply.get("pause", 0.0))
                    else:
                        message = {"role": "assistant", "content": reply["text"]}
                        self.send_json(200, completion([{"index": 0, "message": message, "finish_reason": "stop"}]))
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def send_json(self, status, data):
                self.send_bytes(status, "application/json", json.dumps(data).encode())

            def send_bytes(self, status, kind, data):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def stream(self, text, pause):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                pieces = re.findall(r"\S+\s*", text)
                for i, piece in enumerate(pieces):
                    if i == 2:
                        time.sleep(pause)
                    self.event(completion([{"index": 0, "delta": {"content": piece}, "finish_reason": None}]))
                self.event(completion([{"index": 0, "delta": {}, "finish_reason": "stop"}]))
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

            def event(self, data):
                self.wfile.write(b"data: " + json.dumps(data).encode() + b"\n\n")
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def completion(choices: list[dict]) -> dict:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "test-model",
        "choices": choices,
    }


def prompt_of(request: dict) -> str:
    return "\n".join(m["content"] for m in request["messages"] if isinstance(m.get("content"), str))


def passage_number(request: dict, needle: str) -> int:
    """The [n] the prompt gives the passage that holds `needle`."""
    blocks = re.split(r"\n\n(?=\[\d+\] )", prompt_of(request))
    for block in blocks:
        m = re.match(r"\[(\d+)\] ", block)
        if m and needle in block:
            return int(m.group(1))
    raise AssertionError(f"no passage holds {needle!r}")
