"""A real `chroma run` server (NEWSQA_CHROMA_URL): ingest, ask, re-ingest; the server down at start;
the server killed mid-session and mid-ingest."""

import json
import threading

import pytest
from click.testing import CliRunner

from ingest.errors import StoreError
from ingest.store import Key
from tests.conftest import MODELS_DIR
from tests.helpers import ChromaServer, free_port, ingest, newsqa, open_pipeline, small_corpus, state

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path):
    running = ChromaServer(tmp_path / "chroma-server").start()
    yield running
    running.kill()


def test_ingest_ask_reingest_against_a_server(server, make_settings, embedder, tmp_path, monkeypatch):
    files = small_corpus(tmp_path / "articles", 4)
    data = tmp_path / "data"
    pipeline = open_pipeline(make_settings, embedder, data, chroma_url=server.url)
    first = ingest(pipeline, tmp_path / "articles")
    assert len(first.added) == 4
    assert not (data / "chroma").exists()  # vectors live on the server; the folder keeps the lexical index
    assert (data / "lexical" / "tantivy" / "meta.json").exists()
    title = pipeline.read([files[2]]).articles[0].title
    answer = pipeline.ask(title)
    assert answer.sources or answer.related
    assert (answer.sources or answer.related)[0].title == title

    again = ingest(pipeline, tmp_path / "articles")
    assert again.embedded == 0 and len(again.unchanged) == 4
    files[0].write_text(files[0].read_text(encoding="utf-8") + "Thêm một câu để đổi bài báo.\n", encoding="utf-8")
    changed = ingest(pipeline, tmp_path / "articles")
    assert len(changed.updated) == 1 and changed.embedded >= 1
    before = state(pipeline)

    # another client (the CLI) sees the same index through the server
    monkeypatch.setattr("qa.pipeline.open_embedder", lambda settings: embedder)
    monkeypatch.setenv("NEWSQA_MODELS_DIR", str(MODELS_DIR))
    from qa.cli import cli

    listed = CliRunner().invoke(cli, ["--data-dir", str(data), "--chroma-url", server.url, "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert sorted(a["id"] for a in json.loads(listed.stdout)) == sorted(before["articles"])


def test_each_client_keeps_its_lexical_index_in_step_incrementally(server, make_settings, embedder, tmp_path):
    """Two clients of one server, each with its own data folder: the second builds its lexical
    index once, then catches up with what the first one changes (an edit, a removal, an addition)
    by re-reading only those articles: no rebuild."""
    folder = tmp_path / "articles"
    files = small_corpus(folder, 4)
    writer = open_pipeline(make_settings, embedder, tmp_path / "a", chroma_url=server.url)
    ingest(writer, folder)
    reader = open_pipeline(make_settings, embedder, tmp_path / "b", chroma_url=server.url)
    assert state(reader) == state(writer)
    assert reader.index.lexical_rebuilds == 1  # its first look: it had none

    edited = writer.read([files[0]]).articles[0]
    files[0].write_text(
        files[0].read_text(encoding="utf-8") + "Sản lượng cà phê xuất khẩu đạt kỷ lục 987.654 tấn.\n", encoding="utf-8"
    )
    removed = writer.read([files[1]]).articles[0].id
    files[1].unlink()
    small_corpus(folder, 1, start=11)
    report = ingest(writer, folder, prune=True)
    assert report.updated == [edited.id] and report.removed == [removed] and len(report.added) == 1

    hits = reader.search.search("cà phê xuất khẩu kỷ lục 987.654 tấn", k=1).hits
    assert hits[0].meta[Key.ARTICLE_ID] == edited.id and hits[0].lexical > 0
    assert reader.index.lexical_rebuilds == 1
    assert state(reader) == state(writer)


def test_server_down_at_start(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    proc = newsqa(tmp_path / "data", "--chroma-url", url, "ask", "Quảng Ngãi đề nghị gì?")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert err.startswith(f"Error: Chroma server at {url} is not reachable")
    assert f"chroma run --path CHROMA_DIR --host 127.0.0.1 --port {url.rsplit(':', 1)[1]}" in err
    assert "Traceback" not in err


def test_server_killed_mid_session(server, make_settings, embedder, tmp_path):
    small_corpus(tmp_path / "articles", 2)
    pipeline = open_pipeline(make_settings, embedder, tmp_path / "data", chroma_url=server.url)
    ingest(pipeline, tmp_path / "articles")
    answer = pipeline.ask("Vinamilk thương hiệu hàng đầu châu Á")
    assert answer.sources or answer.related
    server.kill()
    with pytest.raises(StoreError) as failed:
        pipeline.ask("Vinamilk thương hiệu hàng đầu châu Á")
    message = str(failed.value)
    assert message.startswith(f"Chroma server at {server.url} is not reachable")
    assert "chroma run --path" in message
    with pytest.raises(StoreError, match="is not reachable"):
        pipeline.articles()


def test_server_killed_mid_ingest_then_restarted(server, make_settings, embedder, tmp_path):
    """The CLI reports the lost server clearly (exit 1, no traceback); after a restart, running the
    ingest again completes an exact index."""
    small_corpus(tmp_path / "articles", 12, start=3)
    data = tmp_path / "data"
    proc = newsqa(
        data,
        "-v",
        "--chroma-url",
        server.url,
        "ingest",
        str(tmp_path / "articles"),
        NEWSQA_COMMIT_CHUNKS="2",
        NEWSQA_GRACE_SECONDS="0",
    )
    lines: list[str] = []
    committed = threading.Event()

    def watch():
        for line in proc.stderr:
            lines.append(line)
            if "Committed" in line:
                committed.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    assert committed.wait(timeout=600), "".join(lines[-20:])
    server.kill()
    proc.wait(timeout=120)
    watcher.join(timeout=10)
    err = "".join(lines)
    assert proc.returncode == 1, err[-2000:]
    assert f"Error: Chroma server at {server.url} is not reachable" in err
    assert "Traceback" not in err

    server.start()  # same folder, same port
    pipeline = open_pipeline(make_settings, embedder, data, chroma_url=server.url)
    report = ingest(pipeline, tmp_path / "articles")
    assert len(report.added) + len(report.unchanged) == 12
    assert len(state(pipeline)["articles"]) == 12


def test_env_variable_selects_the_server(server, tmp_path, monkeypatch):
    from ingest.store import StoreConfig, open_client

    monkeypatch.setenv("NEWSQA_CHROMA_URL", server.url)
    from qa.settings import Settings

    settings = Settings.load(data_dir=str(tmp_path / "data"))
    store = open_client(StoreConfig(settings.data_dir, settings.chroma_url))
    assert not store.embedded and store.heartbeat() > 0
