"""The incremental index: idempotent re-ingest, changed, duplicate, moved, pruned and removed
articles, old-or-new visibility for readers, the persisted lexical index. Real model, real Chroma."""

import json
import shutil

import pytest
from click.testing import CliRunner
from filelock import FileLock

from ingest.errors import NotFoundError, StoreLockedError
from ingest.store import Key
from qa.question.query import Filters
from tests.conftest import MODELS_DIR
from tests.helpers import ingest, open_pipeline, small_corpus, state


# ---- idempotent, changed -------------------------------------------------------------------------
def test_unchanged_reingest_embeds_and_changes_nothing(make_settings, embedder, tmp_path):
    small_corpus(tmp_path / "articles", 5)
    pipeline = open_pipeline(make_settings, embedder, tmp_path / "data")
    first = ingest(pipeline, tmp_path / "articles")
    assert len(first.added) == 5 and first.embedded == first.chunks_written > 0
    before, generation = state(pipeline), pipeline.index.generation()
    lexical_version = (tmp_path / "data" / "lexical" / "tantivy" / "meta.json").read_text()

    again = ingest(pipeline, tmp_path / "articles")
    assert again.embedded == 0 and again.chunks_written == 0 and again.commits == 0
    assert sorted(again.unchanged) == sorted(first.added) and not again.added and not again.updated
    assert state(pipeline) == before
    assert pipeline.index.generation() == generation
    assert (tmp_path / "data" / "lexical" / "tantivy" / "meta.json").read_text() == lexical_version


def test_changed_article_replaces_its_chunks(make_settings, embedder, tmp_path):
    files = small_corpus(tmp_path / "articles", 3, sentences=8)
    pipeline = open_pipeline(make_settings, embedder, tmp_path / "data")
    ingest(pipeline, tmp_path / "articles")
    before = state(pipeline)
    changed = files[1]
    lines = changed.read_text(encoding="utf-8").split("\n")
    lines.insert(6, "Theo số liệu mới công bố, sản lượng cà phê xuất khẩu đạt kỷ lục 987.654 tấn trong năm nay.")
    changed.write_text("\n".join(lines), encoding="utf-8")

    report = ingest(pipeline, tmp_path / "articles")
    (article_id,) = report.updated
    assert len(report.unchanged) == 2 and not report.added
    assert 0 < report.embedded <= report.chunks_written  # chunks whose text is unchanged keep their vectors
    after = state(pipeline)
    assert after["articles"][article_id] != before["articles"][article_id]
    assert {k: v for k, v in after["articles"].items() if k != article_id} == {
        k: v for k, v in before["articles"].items() if k != article_id
    }
    old_chunks = {c for c in before["chunks"] if c.startswith(article_id + ":")}
    assert old_chunks and not old_chunks & set(after["chunks"])  # no orphans of the old version
    hits = pipeline.search.search("sản lượng cà phê xuất khẩu kỷ lục 987.654 tấn", k=3).hits
    assert hits[0].meta[Key.ARTICLE_ID] == article_id and "987.654 tấn" in hits[0].text


def test_reader_sees_old_or_new_version_never_a_mix_or_nothing(make_settings, embedder, tmp_path):
    files = small_corpus(tmp_path / "articles", 2, sentences=8)
    writer = open_pipeline(make_settings, embedder, tmp_path / "data", grace=0.5)
    ingest(writer, tmp_path / "articles")
    reader = open_pipeline(make_settings, embedder, tmp_path / "data")  # another Index: no shared state
    target = files[0]
    article_id = writer.read([target]).articles[0].id
    old_hash = writer.index.registry()[article_id].hash
    text = target.read_text(encoding="utf-8")
    target.write_text(text + "Câu mới thêm vào cuối bài để đổi phiên bản của bài báo.\n", encoding="utf-8")
    new_hash = writer.read([target]).articles[0].content_hash

    seen = []

    def look(step: str) -> None:
        hits = reader.search.search("phiên bản của bài báo", k=5, filters=Filters(article_ids=[article_id])).hits
        hashes = {h.meta[Key.ARTICLE_HASH] for h in hits}
        assert len(hashes) == 1, (step, hashes)  # something, and one version only
        seen.append((step, hashes.pop()))

    writer.index.fault = look
    ingest(writer, tmp_path / "articles")
    assert [s for s, _ in seen] == ["pending", "chunks", "lexical", "commit", "cleanup"]
    assert [h for _, h in seen] == [old_hash, old_hash, old_hash, new_hash, new_hash]
    assert state(reader) == state(writer)


# ---- duplicates, moves, prune, remove ---------------------------------------------------------------
def test_same_article_by_two_paths_is_indexed_once(make_settings, embedder, tmp_path):
    folder = tmp_path / "articles"
    first, second = small_corpus(folder, 2)
    copy = tmp_path / "elsewhere" / "copy-of-first.txt"
    copy.parent.mkdir()
    shutil.copy(first, copy)
    pipeline = open_pipeline(make_settings, embedder, tmp_path / "data")
    report = ingest(pipeline, folder, first, copy)  # first reached twice, and a copy under another name
    assert len(report.added) == 2
    assert len(report.duplicates) == 1 and str(copy) in report.duplicates[0] and "same article" in report.duplicates[0]
    assert len(state(pipeline)["articles"]) == 2


def test_plain_text_duplicate_is_kept_when_its_original_changes(make_settings, embedder, tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text("Tiêu đề bài A\n\nNội dung ban đầu của bài A nói về thời tiết Hà Nội.\n")
    pipeline = open_pipeline(make_settings, embedder, tmp_path / "data")
    ingest(pipeline, folder)
    # a.txt changes, and its former text arrives as b.txt, which comes first in the run
    shutil.move(folder / "a.txt", folder / "tmp")
    (folder / "b.txt").write_text((folder / "tmp").read_text())
    (folder / "tmp").unlink()
    (folder / "a.txt").write_text("Tiêu đề bài A\n\nNội dung mới của bài A nói về giao thông Đà Nẵng.\n")
    report = ingest(pipeline, folder / "b.txt", folder / "a.txt")
    assert report.updated == ["a"] and report.added == ["b"] and not report.duplicates
    assert set(state(pipeline)["articles"]) == {"a", "b"}


def test_prune_removes_deleted_files_and_keeps_moved_ones(make_settings, embedder, tmp_path):
    folder = tmp_path / "articles"
    files = small_corpus(folder, 3)
    (folder / "own.txt").write_text("Bài tự viết\n\nMột bài không có địa chỉ, chỉ có tên tệp.\n")
    pipeline = open_pipeline(make_settings, embedder, tmp_path / "data")
    ingest(pipeline, folder)
    ids = {a.source: a.id for a in pipeline.articles()}
    gone = ids[str(files[0].resolve())]
    files[0].unlink()
    (folder / "sub").mkdir()
    shutil.move(files[1], folder / "sub" / files[1].name)  # moved: same URL id, same text
    shutil.move(folder / "own.txt", folder / "sub" / "renamed.txt")  # moved and renamed: same text

    report = ingest(pipeline, folder, prune=True)
    assert report.removed == [gone]
    assert report.embedded == 0 and not report.added and not report.updated
    after = {a.id: a.source for a in pipeline.articles()}
    assert gone not in after and len(after) == 3
    assert after[ids[str(files[1].resolve())]] == str((folder / "sub" / files[1].name).resolve())
    assert after["own"] == str((folder / "sub" / "renamed.txt").resolve())  # keeps its id, follows the file
    state(pipeline)
    # an unrelated folder prunes nothing
    assert pipeline.prune([tmp_path / "elsewhere"]) == []


def test_remove(make_settings, embedder, tmp_path):
    small_corpus(tmp_path / "articles", 2)
    pipeline = open_pipeline(make_settings, embedder, tmp_path / "data")
    report = ingest(pipeline, tmp_path / "articles")
    assert pipeline.remove([report.added[0]]) == [report.added[0]]
    assert set(state(pipeline)["articles"]) == {report.added[1]}
    with pytest.raises(NotFoundError, match="no-such-id"):
        pipeline.remove(["no-such-id"])


# ---- formats in the index ----------------------------------------------------------------------------
def test_dantri_and_html_metadata_reach_the_index(make_settings, embedder, tmp_path):
    (dantri,) = small_corpus(tmp_path / "articles", 1)
    page = tmp_path / "articles" / "saved-page.html"
    page.write_text(
        '<html><head><link rel="canonical" href="https://vnexpress.net/thoi-su/mua-lon-o-hue-4790001.html">'
        '<meta name="author" content="Võ Thạnh"><meta property="article:published_time" content="2024-09-19T08:00:00+07:00">'
        "<title>Mưa lớn ở Huế</title></head><body><nav><a href='/'>Trang chủ</a></nav><article><h1>Mưa lớn ở Huế</h1>"
        "<p>Mưa lớn kéo dài khiến nhiều tuyến đường ở thành phố Huế ngập sâu, giao thông bị chia cắt.</p>"
        "<p>Chính quyền đã sơ tán hàng trăm hộ dân ở vùng trũng đến nơi an toàn trong đêm.</p>"
        "</article><footer>Giấy phép số 548/GP-BTTTT</footer></body></html>",
        encoding="utf-8",
    )
    pipeline = open_pipeline(make_settings, embedder, tmp_path / "data")
    ingest(pipeline, tmp_path / "articles")
    by_id = {a.id: a for a in pipeline.articles()}
    html_article = by_id["vnexpress.net_thoi-su_mua-lon-o-hue-4790001"]
    assert (html_article.title, html_article.byline, html_article.date) == ("Mưa lớn ở Huế", "Võ Thạnh", "2024-09-19")
    assert html_article.url == "https://vnexpress.net/thoi-su/mua-lon-o-hue-4790001.html"
    _, text, chunks = pipeline.article(html_article.id)
    assert "Giấy phép" not in text and "Trang chủ" not in text
    assert chunks[0][Key.DAY] == 20240919
    dantri_article = next(a for a in by_id.values() if a.url.startswith("https://dantri.com.vn/"))
    assert dantri_article.source == str(dantri.resolve())
    assert len(dantri_article.date) == 10 and dantri_article.date[4] == "-"


def test_cli_ingests_a_url(make_settings, embedder, tmp_path, monkeypatch):
    import http.server
    import threading

    site = tmp_path / "site"
    site.mkdir()
    (site / "tin.html").write_text(
        '<html><head><link rel="canonical" href="https://example.vn/tin/hoi-nghi-123.html"></head><body><article>'
        "<h1>Hội nghị xúc tiến đầu tư</h1><p>Hội nghị xúc tiến đầu tư thu hút hơn 300 doanh nghiệp tham dự.</p>"
        "<p>Các bên đã ký kết 12 biên bản ghi nhớ hợp tác.</p></article></body></html>",
        encoding="utf-8",
    )

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(site), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/tin.html"
    monkeypatch.setattr("qa.pipeline.open_embedder", lambda settings: embedder)
    monkeypatch.setenv("NEWSQA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NEWSQA_MODELS_DIR", str(MODELS_DIR))
    from qa.cli import cli

    runner = CliRunner()
    try:
        result = runner.invoke(cli, ["ingest", url], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert "1 articles added" in result.stdout
        listed = json.loads(runner.invoke(cli, ["list", "--json"]).stdout)
        assert [(a["id"], a["source"]) for a in listed] == [("example.vn_tin_hoi-nghi-123", url)]
        again = runner.invoke(cli, ["ingest", url])
        assert "0 articles added, 0 updated, 1 unchanged" in again.stdout
        missing = runner.invoke(cli, ["ingest", url.replace("tin.html", "khong-co.html")])
        assert missing.exit_code == 1 and "HTTP 404" in missing.stderr
    finally:
        server.shutdown()
        server.server_close()


# ---- readers: the persisted lexical index, the lock ------------------------------------------------------
def test_readers_load_the_lexical_index_instead_of_rebuilding_it(make_settings, embedder, tmp_path, monkeypatch):
    files = small_corpus(tmp_path / "articles", 3)
    writer = open_pipeline(make_settings, embedder, tmp_path / "data")
    ingest(writer, tmp_path / "articles")
    from ingest.index import Index

    def no_rebuild(self, generation):
        raise AssertionError("the lexical index was rebuilt")

    monkeypatch.setattr(Index, "rebuild_lexical", no_rebuild)
    reader = open_pipeline(make_settings, embedder, tmp_path / "data")
    title = writer.read([files[2]]).articles[0].title
    assert reader.search.search(title, k=1).hits[0].meta[Key.TITLE] == title
    files[2].write_text(
        files[2].read_text(encoding="utf-8") + "Câu thêm vào cuối để bài đổi nội dung.\n", encoding="utf-8"
    )
    ingest(writer, tmp_path / "articles")  # the writer updates the saved index; the reader loads the new version
    lexical = reader.index.lexical()
    assert lexical.generation == writer.index.generation()
    assert sorted(lexical.ids) == state(writer)["chunks"]


def test_one_writer_at_a_time(make_settings, embedder, tmp_path):
    small_corpus(tmp_path / "articles", 1)
    pipeline = open_pipeline(make_settings, embedder, tmp_path / "data")
    held = FileLock(str(tmp_path / "data" / "write.lock"), timeout=0)
    with held:
        with pytest.raises(StoreLockedError, match="Another newsqa process is writing to"):
            ingest(pipeline, tmp_path / "articles")
    assert len(ingest(pipeline, tmp_path / "articles").added) == 1
    with held:  # readers take no lock: questions are answered while a writer holds it
        answer = pipeline.ask("Vinamilk thương hiệu")
        assert answer.sources or answer.related
