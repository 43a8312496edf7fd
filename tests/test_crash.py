"""Crash safety and writers: a write interrupted at any step (or by kill -9) and run again equals a
clean ingest of the same input; one writer at a time; the app answers while the CLI ingests."""

import os
import signal
import subprocess
import sys
import time

import pytest
from filelock import FileLock

from ingest.store import Key
from tests.conftest import MODELS_DIR, ROOT
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


# A real kill -9 at a step of a commit: the ingest runs in a process of its own, whose fault hook
# sends SIGKILL to itself (nothing is flushed, no exception handler or destructor runs).
KILL_AT = """
import os, signal, sys
from pathlib import Path
from qa.pipeline import Pipeline
from qa.settings import Settings

step, folder = sys.argv[1], Path(sys.argv[2])
pipeline = Pipeline.open(Settings.load(grace_seconds=0))
pipeline.index.fault = lambda at: os.kill(os.getpid(), signal.SIGKILL) if at == step else None
pipeline.ingest(pipeline.read([folder]).articles)
"""


def no_rebuild(self, generation):
    raise AssertionError("the lexical index was rebuilt")


@pytest.mark.parametrize(
    "step", ["lexical"] + [pytest.param(s, marks=pytest.mark.slow) for s in STEPS if s != "lexical"]
)
def test_kill_9_between_the_two_commits_then_rerun_repairs_without_a_rebuild(
    step, corpus, clean, make_settings, embedder, tmp_path, monkeypatch
):
    """Killed after the lexical commit and before Chroma's ("lexical"; the other steps too, in the
    slow run): a reader opens the index without rebuilding anything and sees only what Chroma
    committed; the next ingest repairs exactly the touched articles (no rebuild) and equals a
    clean ingest."""
    from ingest.index import Index
    from ingest.lexical import LexicalIndex

    before, after = corpus
    data = tmp_path / "data"
    ingest(open_pipeline(make_settings, embedder, data), before)
    committed = state(open_pipeline(make_settings, embedder, data))
    env = {**os.environ, "NEWSQA_DATA_DIR": str(data), "NEWSQA_MODELS_DIR": str(MODELS_DIR), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", KILL_AT, step, str(after)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]

    monkeypatch.setattr(Index, "rebuild_lexical", no_rebuild)
    reader = open_pipeline(make_settings, embedder, data)
    reader.index.client.reopen()  # as a new process would: this one's Chroma predates the killed writer's chunks
    lexical = reader.index.lexical()
    if step in ("lexical", "commit", "cleanup"):  # the lexical commit happened
        assert lexical.generation == reader.index.generation() + (step == "lexical")
    if step in ("pending", "chunks", "lexical"):  # Chroma's did not: readers see the first ingest
        assert {a.id: a.hash for a in reader.articles()} == committed["articles"]
    for info in reader.articles():  # whole articles, in one version, found by their title
        _, _, chunks = reader.article(info.id)
        assert len(chunks) == info.chunk_count and {c[Key.ARTICLE_HASH] for c in chunks} == {info.hash}
        assert reader.search.search(info.title, k=1).hits[0].meta[Key.ARTICLE_ID] == info.id

    rerun = open_pipeline(make_settings, embedder, data)
    report = ingest(rerun, after)
    assert report.recovered
    assert state(rerun) == clean
    assert LexicalIndex.open(data / "lexical" / "tantivy").generation == rerun.index.generation()


def remove_crashing_at(step: str, corpus, make_settings, embedder, data) -> list[str]:
    """Ingest the first corpus, then remove its first article, crashing at `step`; returns the ids added."""
    pipeline = open_pipeline(make_settings, embedder, data)
    added = ingest(pipeline, corpus[0]).added

    def crash(at: str) -> None:
        if at == step:
            raise Crash(at)

    pipeline.index.fault = crash
    with pytest.raises(Crash):
        pipeline.remove([added[0]])
    return added


def test_interrupted_remove_then_rerun(corpus, make_settings, embedder, tmp_path):
    added = remove_crashing_at("commit", corpus, make_settings, embedder, tmp_path / "data")
    gone = added[0]
    rerun = open_pipeline(make_settings, embedder, tmp_path / "data")
    assert gone not in {a.id for a in rerun.articles()}  # committed: gone for readers already
    assert rerun.index.recover() == [gone]
    assert set(state(rerun)["articles"]) == set(added) - {gone}


def test_remove_interrupted_between_the_two_commits_keeps_the_article(corpus, make_settings, embedder, tmp_path):
    """The lexical index committed the removal, Chroma did not: the article is still there, and
    the next write puts its chunks back into the lexical index (it knows which: the lexical state
    names the articles of its last commit)."""
    added = remove_crashing_at("lexical", corpus, make_settings, embedder, tmp_path / "data")
    kept = added[0]
    rerun = open_pipeline(make_settings, embedder, tmp_path / "data")
    assert kept in {a.id for a in rerun.articles()}
    assert rerun.index.lexical().state.touched == [kept]
    with rerun.index.writing():
        assert rerun.index.recover() == [kept]
    assert set(state(rerun)["articles"]) == set(added)
    assert rerun.index.lexical_rebuilds == 0


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
