"""`newsqa bench --simulate`'s simulated index: built the way the writer writes, exact, searchable,
opened without rebuilding the lexical index; and the summary table."""

from ingest.sources import read_articles
from ingest.store import Key
from qa.evaluation.bench_simulate import question_list, summary
from qa.evaluation.simulate_build import build, build_pool
from tests.helpers import open_pipeline, small_corpus, state


def test_a_simulated_index_is_exact_and_searchable(make_settings, embedder, tmp_path):
    files = small_corpus(tmp_path / "pool", 4, sentences=6)
    pool = build_pool(embedder, read_articles(files).articles, tmp_path / "work" / "pool")
    again = build_pool(embedder, [], tmp_path / "work" / "pool")  # cached
    assert again.sentences == pool.sentences and again.vectors.shape == (len(pool.sentences), embedder.dim)

    done = build(tmp_path / "data", 203, pool, seed=7)
    assert done["chunks"] == 203
    assert build(tmp_path / "data", 203, pool, seed=7) == done  # complete: reused
    pipeline = open_pipeline(make_settings, embedder, tmp_path / "data")
    got = state(pipeline)  # every chunk registered, lexical index == Chroma, no marks
    assert len(got["chunks"]) == 203 and len(got["articles"]) == 51
    question = question_list(pool.sentences, n=3)[-3]
    hits = pipeline.search.search(question, k=3).hits
    assert hits and hits[0].lexical > 0 and hits[0].meta[Key.ARTICLE_ID].startswith("sim-7-")
    assert pipeline.index.lexical_rebuilds == 0 and pipeline.index.lexical().generation == 1


def test_summary_puts_the_sizes_side_by_side():
    row = {
        "open_s": 0.5,
        "query_p95_ms": 20.0,
        "ingest_chunks_per_s": 30.0,
        "ingest_vs_raw": 0.95,
        "ingest_vs_raw_cpu": 0.97,
        "serve_rss_mb": 600.0,
        "disk_mb": 100.0,
        "lexical_rebuild_on_open": False,
    }
    big = {**row, "query_p95_ms": 30.0, "server": {**row, "chroma_server_rss_mb": 900.0}}
    result = {
        "simulate": {
            "lexical_engine": "tantivy",
            "raw_encode": {"chunks_per_s": 31.0},
            "raw_encode_after": {"chunks_per_s": 32.0},
            "10000": row,
            "1000000": big,
            "met": {"query_p95_ratio": True},
        }
    }
    text = summary(result)
    assert "| | 10,000 chunks | 1,000,000 chunks | 1,000,000, chroma run |" in text
    assert "| query p95 (ms) | 20.0 | 30.0 | 20.0 |" in text
    assert "| Chroma server RSS (MB) |  |  | 900 |" in text
    assert "query p95 x1.50 (<= x2)" in text
