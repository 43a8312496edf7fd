"""Crash safety and writers: a write interrupted at any step (or by kill -9) and run again equals a
clean ingest of the same input; one writer at a time; the app answers while the CLI ingests."""

import os
import signal
import time

import pytest
from filelock import FileLock

from ingest.store import Key
from tests.conftest import ROOT
from tests.helpers import follow_commits, ingest, newsqa, open_pipeline, small_corpus, state

STEPS = ["pending", "chunks", "lexical", "commit", "cleanup"]


class Crash(Exception):
    pass


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Three articles indexed first, then an edit of one of them and two new ones."""
    root = tmp_path_factory.mktemp("crash-corpus")
    before = root / "before"
    files = small_corpus(before, 3)
    after = root / "after"
    after.mkdir()
    for f in files:
        (after / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    edited = after / files[1].name
    edited.write_text(
        edited.read_text(encoding="utf-8") + "Một câu mới làm bài báo đổi phiên bản.\n", encoding="utf-8"
    )
    small_corpus(after, 2, start=7)
    return before, after


@pytest.fixture(scope="module")
def clean(corpus, make_settings, embedder, tmp_path_factory):
    """The state of a clean ingest of the final input."""
    pipeline = open_pipeline(make_settings, embedder, tmp_path_factory.mktemp("clean") / "data")
    ingest(pipeline, corpus[1])
    return state(pipeline)


@pytest.mark.parametrize("step", STEPS)
def test_interrupted_write_then_rerun_equals_a_clean_ingest(step, corpus, clean, make_settings, embedder, tmp_path):
    before, after = corpus
    pipeline = open_pipeline(make_settings, embedder, tmp_path / "data")
    ingest(pipeline, before)

    def crash(at: str) -> None:
        if at == step:
            raise Crash(at)

    pipeline.index.fault = crash
    with pytest.raises(Crash):
        ingest(pipeline, after)
    # a reader meanwhile sees each article whole, in one version
    reader = open_pipeline(make_settings, embedder, tmp_path / "data")
    for info in reader.articles():
        _, _, chunks = reader.article(info.id)
        assert len(chunks) == info.chunk_count and {c[Key.ARTICLE_HASH] for c in chunks} == {info.hash}

    rerun = open_pipeline(make_settings, embedder, tmp_path / "data")  # a new process, as after a crash
    report = ingest(rerun, after)
    assert report.recovered  # the interrupted write was finished or undone first
    assert state(rerun) == clean


def test_interrupted_remove_then_rerun(corpus, make_settings, embedder, tmp_path):
    before, _ = corpus
    pipeline = open_pipeline(make_settings, embedder, tmp_path / "data")
    first = ingest(pipeline, before)
    gone = first.added[0]

    def crash(at: str) -> None:
        if at == "commit":
            raise Crash(at)

    pipeline.index.fault = crash
    with pytest.raises(Crash):
        pipeline.remove([gone])
    rerun = open_pipeline(make_settings, embedder, tmp_path / "data")
    assert gone not in {a.id for a in rerun.articles()}  # committed: gone for readers already
    assert rerun.index.recover() == [gone]
    assert set(state(rerun)["articles"]) == set(first.added) - {gone}


@pytest.mark.slow
def test_kill_9_mid_ingest_then_rerun_equals_a_clean_ingest_while_the_app_answers(
    make_settings, embedder, tmp_path, tmp_path_factory
):
    """A CLI ingest of 30 dantri articles, committing every few chunks, is killed with SIGKILL after
    it has committed some. Meanwhile an in-process reader (as the app) keeps answering. Running the
    ingest again gives exactly the index of a clean ingest, with the same answers."""
    corpus = tmp_path / "corpus"
    small_corpus(corpus / "first", 3, start=1)
    small_corpus(corpus / "more", 30, start=2)
    data = tmp_path / "data"
    app = open_pipeline(make_settings, embedder, data)
    ingest(app, corpus / "first")
    known = app.articles()[0]

    proc = newsqa(data, "-v", "ingest", str(corpus), NEWSQA_COMMIT_CHUNKS="3", NEWSQA_GRACE_SECONDS="0")
    commits, lines, watcher = follow_commits(proc)
    answers, errors = 0, []
    deadline = time.monotonic() + 600
    while len(commits) < 3 and proc.poll() is None and time.monotonic() < deadline:
        try:
            hits = app.search.search(known.title, k=3).hits
            assert hits and hits[0].meta[Key.ARTICLE_ID] == known.id
            answers += 1
        except Exception as e:  # noqa: BLE001 - collected and reported below
            errors.append(repr(e))
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    watcher.join(timeout=10)
    assert proc.returncode == -signal.SIGKILL, "".join(lines[-20:])
    assert len(commits) >= 3, "".join(lines[-20:])
    assert answers > 0 and not errors, errors[:3]

    # killed half-way: readers see whole articles, fewer than all of them
    reader = open_pipeline(make_settings, embedder, data)
    partial = reader.articles()
    assert 3 < len(partial) < 33
    for info in partial:
        _, _, chunks = reader.article(info.id)
        assert len(chunks) == info.chunk_count and {c[Key.ARTICLE_HASH] for c in chunks} == {info.hash}

    rerun = open_pipeline(make_settings, embedder, data)
    report = ingest(rerun, corpus)
    assert report.added and len(report.added) + len(report.unchanged) == 33

    reference = open_pipeline(make_settings, embedder, tmp_path_factory.mktemp("reference") / "data")
    ingest(reference, corpus)
    assert state(rerun) == state(reference)
    for article in (partial[-1], reference.articles()[-1]):
        for pipeline in (rerun, reference):
            assert pipeline.search.search(article.title, k=1).hits[0].meta[Key.ARTICLE_ID] == article.id
        ours, theirs = rerun.ask(article.title), reference.ask(article.title)
        assert ours.answer == theirs.answer
        assert [s.article_id for s in ours.sources] == [s.article_id for s in theirs.sources]
    # the app's process sees the new articles too, by their vectors (its Chroma was reopened)
    newest = reference.articles()[-1]
    app.index.generation()
    vector = embedder.encode_queries([newest.title])[0].tolist()
    dense = app.search.vectorstore.similarity_search_by_vector_with_relevance_scores(
        vector, k=1, filter={Key.ARTICLE_ID: newest.id}
    )
    assert dense and dense[0][0].metadata[Key.ARTICLE_ID] == newest.id


def test_a_second_writer_is_refused_by_the_cli(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    with FileLock(str(data / "write.lock"), timeout=0):
        proc = newsqa(data, "ingest", str(ROOT / "seeds"))
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert err == (
        f"Error: Another newsqa process is writing to {data} (lock {data / 'write.lock'}). "
        "Wait for it to finish, then run this again.\n"
    )
    assert "Traceback" not in err
