"""`newsqa bench`: ingest and query speed, and memory, on a real corpus, in one run.

1. full ingest of the seeds + the corpus (default ../shared/corpora/dantri-unc) into a fresh
   index: articles/s and chunks/s, reading included;
2. the model's raw encode rate on the same chunk texts (`Embedder.encode_documents`, the limit an
   ingest can reach), measured right after, side by side;
3. an unchanged re-ingest of the same input (reading included), as a fraction of the full one;
4. query latency p50/p95 on an index of the seeds alone and on the full index, each measured in a
   fresh process that serves the index like the app does (and whose peak RSS is reported).

Never touches the data folder: the indexes live in a temp folder (or `--work-dir`).
Targets: ingest >= 85% of the raw encode rate; unchanged re-ingest <= 5% of the full ingest;
query p95 on the full index <= 1.5x the seed index's; serving the full index in <= 1.5 GB RSS.
"""

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "dantri-unc"
SEEDS = ROOT / "seeds"
SEED_QUESTIONS = ROOT.parent / "shared" / "eval" / "seed_questions.jsonl"
FALLBACK_QUESTIONS = [
    "Hai trọng tâm phát triển của Quảng Ngãi là gì?",
    "what did Quảng Ngãi request?",
    "quang ngai de nghi gi",
    "Ai dẫn đầu đoàn công tác tỉnh Quảng Ngãi?",
    "Kim ngạch xuất khẩu 9 tháng đầu năm 2023 của Quảng Ngãi là bao nhiêu?",
]
TARGETS = {"ingest_vs_raw": 0.85, "reingest_fraction": 0.05, "p95_ratio": 1.5, "serve_rss_gb": 1.5}


def peak_rss_mb() -> float:
    """This process's peak resident set size in MiB: VmHWM on Linux (ru_maxrss would include the
    parent's peak for a child started by fork + exec), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def questions() -> list[str]:
    if SEED_QUESTIONS.exists():
        rows = [json.loads(line) for line in SEED_QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [r["question"] for r in rows] or FALLBACK_QUESTIONS
    return FALLBACK_QUESTIONS


def run(
    settings,
    corpus: Path = DEFAULT_CORPUS,
    limit: int | None = None,
    work_dir: Path | None = None,
    rounds: int = 4,
    raw_chunks: int | None = None,
    log=print,
) -> dict:
    """Run the whole benchmark; returns the figures (also printed through `log`)."""
    import torch

    from ingest.chunk import chunk_text
    from ingest.readers import find_files
    from ingest.records import embed_text
    from ingest.sources import read_articles
    from qa.pipeline import Pipeline, open_embedder

    work = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="newsqa-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    out: dict = {"corpus": str(corpus), "limit": limit, "work_dir": str(work), "threads": torch.get_num_threads()}

    t = time.perf_counter()
    embedder = open_embedder(settings)
    out["model_load_s"] = time.perf_counter() - t
    out["model"] = embedder.name

    files, _ = find_files([corpus])
    files = files[:limit] if limit else files
    inputs = [SEEDS, *files]

    # 1. full ingest, reading included
    big_settings = replace(settings, data_dir=work / "big", chroma_url="")
    pipeline = Pipeline.open(big_settings, embedder=embedder)
    if pipeline.index.registry():
        raise SystemExit(f"{work / 'big'} already holds an index; give an empty --work-dir.")
    log(f"Full ingest of {len(inputs) - 1} corpus files + the seeds into {work / 'big'} …")
    wall, cpu = time.perf_counter(), time.process_time()
    result = read_articles(inputs)
    read_s = time.perf_counter() - wall
    report = pipeline.ingest(result.articles)
    full_s, full_cpu = time.perf_counter() - wall, time.process_time() - cpu
    n_articles, n_chunks = len(report.added), report.chunks_written
    out["full_ingest"] = {
        "articles": n_articles,
        "chunks": n_chunks,
        "embedded": report.embedded,
        "commits": report.commits,
        "read_s": read_s,
        "seconds": full_s,
        "cpu_s": full_cpu,
        "articles_per_s": n_articles / full_s,
        "chunks_per_s": n_chunks / full_s,
        "chunks_per_cpu_s": n_chunks / full_cpu,
    }
    log(f"  {n_articles} articles, {n_chunks} chunks in {full_s:.1f}s ({read_s:.1f}s reading)")

    # 2. raw encode rate on the same chunk texts
    texts = [embed_text(a.title, c.text) for a in result.articles for c in chunk_text(a.text)]
    if raw_chunks and raw_chunks < len(texts):
        step = len(texts) / raw_chunks
        texts = [texts[int(i * step)] for i in range(raw_chunks)]
    log(f"Raw encode of {len(texts)} of the same chunk texts (encode_documents) …")
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), 1024):
        embedder.encode_documents(texts[i : i + 1024])
    raw_s, raw_cpu = time.perf_counter() - wall, time.process_time() - cpu
    out["raw_encode"] = {
        "chunks": len(texts),
        "seconds": raw_s,
        "cpu_s": raw_cpu,
        "chunks_per_s": len(texts) / raw_s,
        "chunks_per_cpu_s": len(texts) / raw_cpu,
    }
    out["ingest_vs_raw"] = out["full_ingest"]["chunks_per_s"] / out["raw_encode"]["chunks_per_s"]
    out["ingest_vs_raw_cpu"] = out["full_ingest"]["chunks_per_cpu_s"] / out["raw_encode"]["chunks_per_cpu_s"]

    # 3. unchanged re-ingest, reading included
    log("Unchanged re-ingest …")
    wall = time.perf_counter()
    again = pipeline.ingest(read_articles(inputs).articles)
    re_s = time.perf_counter() - wall
    out["unchanged_reingest"] = {
        "seconds": re_s,
        "fraction_of_full": re_s / full_s,
        "embedded": again.embedded,
        "chunks_written": again.chunks_written,
        "unchanged": len(again.unchanged),
    }
    out["counts"] = pipeline.index.counts()
    out["bench_peak_rss_mb"] = peak_rss_mb()
    del pipeline

    # 4. query latency and serving memory, each index in a fresh process
    seed_settings = replace(settings, data_dir=work / "seed", chroma_url="")
    seed_pipeline = Pipeline.open(seed_settings, embedder=embedder)
    seed_pipeline.ingest(read_articles([SEEDS]).articles)
    seed_counts = seed_pipeline.index.counts()
    del seed_pipeline
    log("Query latency on the seed index and on the full index (fresh processes) …")
    out["query_seed"] = {**probe(seed_settings, rounds), **seed_counts}
    out["query_big"] = {**probe(big_settings, rounds), **out["counts"]}
    out["p95_ratio"] = out["query_big"]["p95_ms"] / out["query_seed"]["p95_ms"]
    out["targets"] = TARGETS
    out["met"] = {
        "ingest_vs_raw": out["ingest_vs_raw"] >= TARGETS["ingest_vs_raw"],
        "reingest_fraction": out["unchanged_reingest"]["fraction_of_full"] <= TARGETS["reingest_fraction"],
        "p95_ratio": out["p95_ratio"] <= TARGETS["p95_ratio"],
        "serve_rss_gb": out["query_big"]["peak_rss_mb"] / 1024 <= TARGETS["serve_rss_gb"],
    }
    return out


def probe(settings, rounds: int) -> dict:
    """Serve the index of `settings` in a fresh process (as the app would) and time questions."""
    env = {
        **os.environ,
        "NEWSQA_DATA_DIR": str(settings.data_dir),
        "NEWSQA_MODEL": settings.model,
        "NEWSQA_ONNX_QUERIES": "1" if settings.onnx_queries else "0",
        "NEWSQA_CHROMA_URL": "",
    }
    if settings.models_dir:
        env["NEWSQA_MODELS_DIR"] = str(settings.models_dir)
    done = subprocess.run(
        [sys.executable, "-m", "qa.bench", "--probe", str(rounds)],
        env=env,
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"query probe failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _probe_main(rounds: int) -> None:
    """In the probe process: open the pipeline from the environment, warm up, time the questions."""
    from qa.pipeline import Pipeline
    from qa.settings import Settings

    wall = time.perf_counter()
    pipeline = Pipeline.open(Settings.load())
    asked = questions()
    for q in asked[:3]:
        pipeline.ask(q)  # warm: model, lexical index, Chroma caches
    ready_s = time.perf_counter() - wall
    times = []
    for _ in range(rounds):
        for q in asked:
            t = time.perf_counter()
            pipeline.ask(q)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    result = {
        "queries": len(times),
        "p50_ms": statistics.median(times),
        "p95_ms": times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))],
        "mean_ms": statistics.fmean(times),
        "ready_s": ready_s,
        "peak_rss_mb": peak_rss_mb(),
    }
    print(json.dumps(result))


def summary(r: dict) -> str:
    f, raw, re_, qs, qb = r["full_ingest"], r["raw_encode"], r["unchanged_reingest"], r["query_seed"], r["query_big"]

    def ok(key):
        return "ok" if r["met"][key] else "MISSED"

    lines = [
        f"newsqa bench: {f['articles']:,} articles (seeds + {Path(r['corpus']).name}"
        f"{', first ' + str(r['limit']) if r['limit'] else ''}), {f['chunks']:,} chunks; "
        f"{r['model']}, {r['threads']} CPU threads",
        f"full ingest          {f['articles_per_s']:.2f} articles/s, {f['chunks_per_s']:.2f} chunks/s "
        f"({f['seconds']:.1f}s incl. {f['read_s']:.1f}s reading; {f['commits']} commits)",
        f"raw encode (limit)   {raw['chunks_per_s']:.2f} chunks/s on {raw['chunks']:,} of the same chunks ({raw['seconds']:.1f}s)",
        f"ingest / raw         {r['ingest_vs_raw']:.0%} wall-clock, {r['ingest_vs_raw_cpu']:.0%} CPU-time "
        f"(target >= {TARGETS['ingest_vs_raw']:.0%}: {ok('ingest_vs_raw')})",
        f"unchanged re-ingest  {re_['seconds']:.2f}s = {re_['fraction_of_full']:.2%} of the full ingest, "
        f"{re_['embedded']} chunks embedded (target <= {TARGETS['reingest_fraction']:.0%}: {ok('reingest_fraction')})",
        f"query, seed index    p50 {qs['p50_ms']:.0f} ms, p95 {qs['p95_ms']:.0f} ms ({qs['articles']} articles, {qs['chunks']} chunks)",
        f"query, full index    p50 {qb['p50_ms']:.0f} ms, p95 {qb['p95_ms']:.0f} ms = {r['p95_ratio']:.2f}x the seed p95 "
        f"(target <= {TARGETS['p95_ratio']}x: {ok('p95_ratio')})",
        f"peak RSS serving     {qb['peak_rss_mb']:.0f} MB the full index, {qs['peak_rss_mb']:.0f} MB the seed index "
        f"(target <= {TARGETS['serve_rss_gb']} GB: {ok('serve_rss_gb')}); bench process peak {r['bench_peak_rss_mb']:.0f} MB",
    ]
    return "\n".join(lines)


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "--probe":
    _probe_main(int(sys.argv[2]))
