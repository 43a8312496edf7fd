"""`newsqa bench --simulate N`: the whole pipeline at N chunks against 10,000, in one run.

Two simulated indexes (`qa.evaluation.simulate_build`: real sentences recombined, real vectors plus noise)
of 10,000 and N chunks; for each, in fresh processes, as a user runs them:
- open: opening the index until the first hybrid retrieval has answered (store, registry, lexical
  index, Chroma's vector index), and whether opening rebuilt the lexical index;
- query p95: hybrid retrieval (`HybridSearch.search`, k=5) over a fixed list of questions (the
  seed questions and pieces of pool sentences, some without diacritics), asked once, then again;
- ingest: `Pipeline.ingest` of the same real articles (default 1,000 of the corpus, never in the
  pool) into the index, against the raw encode rate of their chunk texts (one encoder pass, the
  most an ingest can reach); they are removed again afterwards, so the index can be reused;
- serve RSS: a real `newsqa serve` answering chats (`qa.evaluation.bench_serve.serve_probe`);
- disk: the data folder (Chroma, lexical index).
With a `chroma run` server (the default; `--no-server` to skip): open, query and serve again with
NEWSQA_CHROMA_URL, the Chroma server's RSS reported beside the serve process's.

Indexes and the encoded pool are kept in the work folder and reused by a later run.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from qa.evaluation.bench import DEFAULT_CORPUS
from qa.evaluation.bench_serve import questions, serve_probe
from qa.evaluation.processes import ROOT, disk_mb, environment, percentile, rss_mb, stop

SMALL = 10_000
POOL_ARTICLES = 300
NEW_ARTICLES = 1000
SEED = 20
TARGETS = {"query_p95_ratio": 2.0, "serve_rss_mb": 1536, "open_s": 5.0, "ingest_vs_raw": 0.90}


def question_list(pool_sentences: list[str], n: int = 40) -> list[str]:
    """The fixed questions: the bench's (seed) questions, and the first words of `n` pool sentences
    (every third without diacritics)."""
    from ingest.normalize import fold

    step = max(1, len(pool_sentences) // n)
    made = []
    for i, sentence in enumerate(pool_sentences[::step][:n]):
        text = " ".join(sentence.split()[:12])
        made.append(fold(text) if i % 3 == 2 else text)
    return questions() + made


def run(settings, n: int, corpus: Path = DEFAULT_CORPUS, work_dir: Path | None = None, **kw) -> dict:
    """The whole simulation; returns {"simulate": {...}} (printed by `summary`)."""
    import random

    from ingest.readers import find_files
    from ingest.sources import read_articles
    from qa.pipeline import open_embedder

    log = kw.get("log", print)
    work = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="newsqa-simulate-"))
    work.mkdir(parents=True, exist_ok=True)
    files, _ = find_files([corpus])
    random.Random(SEED).shuffle(files)
    pool_files, new_files = (
        files[:POOL_ARTICLES],
        files[POOL_ARTICLES : POOL_ARTICLES + kw.get("articles", NEW_ARTICLES)],
    )
    models = settings.model_folder_root
    embedder = open_embedder(settings)
    pool_path = work / "pool"
    if not pool_path.with_suffix(".json").exists():
        log(f"Encoding the pool ({len(pool_files)} real articles) …")
    from qa.evaluation.simulate_build import build_pool

    pool = build_pool(embedder, read_articles(pool_files).articles, pool_path)
    asked = question_list(pool.sentences)
    (work / "questions.json").write_text(json.dumps(asked, ensure_ascii=False), encoding="utf-8")
    (work / "new_files.json").write_text(json.dumps([str(f) for f in new_files]), encoding="utf-8")

    new_articles = read_articles(new_files).articles
    raw = raw_encode(embedder, new_articles)
    log(f"Raw encode: {raw['chunks']} chunks of the {len(new_articles)} new articles at {raw['chunks_per_s']:.1f}/s")
    del embedder
    from ingest.lexical import ENGINE

    out: dict = {"lexical_engine": ENGINE, "work_dir": str(work), "cpus": os.cpu_count(), "raw_encode": raw}
    for size in dict.fromkeys([SMALL, n]):
        data = work / f"sim-{size}"
        sized = replace(settings, data_dir=data, chroma_url="", models_dir=models)
        log(f"— {size:,} chunks in {data}")
        out[str(size)] = measure(sized, size, pool_path, work, kw.get("rounds", 2), kw.get("server", True), log)
    # the machine is shared: the raw rate again at the end, the ratios against the mean of both
    # (wall clock), and by CPU time (what the ingest spends beyond encoding, whatever the load)
    out["raw_encode_after"] = after = raw_encode(open_embedder(settings), new_articles)
    raw_rate = (raw["chunks_per_s"] + after["chunks_per_s"]) / 2
    raw_cpu_rate = (raw["chunks"] + after["chunks"]) / (raw["cpu_s"] + after["cpu_s"])
    for size in dict.fromkeys([SMALL, n]):
        ingest = out[str(size)]["ingest"]
        out[str(size)]["ingest_vs_raw"] = ingest["chunks_per_s"] / raw_rate
        out[str(size)]["ingest_vs_raw_cpu"] = ingest["chunks"] / ingest["cpu_s"] / raw_cpu_rate
    out["targets"] = TARGETS
    out["met"] = met(out, n)
    return {"simulate": out}


def measure(settings, size: int, pool_path: Path, work: Path, rounds: int, server: bool, log) -> dict:
    data = Path(settings.data_dir)
    built = step(settings, "build", str(size), str(pool_path))
    log(f"  built: {built['chunks']:,} chunks ({built['chunks_per_s']:.0f}/s when built)")
    opened = step(settings, "probe", str(work / "questions.json"), str(rounds))
    log(f"  open {opened['open_s']:.2f}s, query p95 {opened['query_p95_ms']:.1f} ms, rebuilt: {opened['rebuilt']}")
    log("  serving it …")
    served = serve_probe(settings)
    log(f"  serve RSS {served['rss_mb']:.0f} MB; ingesting {work / 'new_files.json'} …")
    ingested = step(settings, "ingest", str(work / "new_files.json"))
    log(f"  ingest {ingested['chunks_per_s']:.1f} chunks/s; reopened in {ingested['reopen_s']:.2f}s")
    result = {
        "chunks": opened["chunks"],
        "open_s": opened["open_s"],
        "query_p95_ms": opened["query_p95_ms"],
        "ingest_chunks_per_s": ingested["chunks_per_s"],
        "serve_rss_mb": served["rss_mb"],
        "disk_mb": disk_mb(data),
        "lexical_rebuild_on_open": opened["rebuilt"] or ingested["rebuilt_on_reopen"],
        "build": built,
        "probe": opened,
        "ingest": ingested,
        "serve": {k: served[k] for k in ("ready_s", "rss_mb", "peak_rss_mb", "chats", "cited", "errors")},
        "disk": {"chroma_mb": disk_mb(data / "chroma"), "lexical_mb": disk_mb(data / "lexical")},
    }
    if server:
        result["server"] = measure_server(settings, work, rounds, log)
    return result


def measure_server(settings, work: Path, rounds: int, log) -> dict:
    """Open, query and serve through a `chroma run` server over the same Chroma folder (the client
    keeps its lexical index in the data folder, as in server mode)."""
    import urllib.request

    from qa.evaluation.processes import free_port

    data = Path(settings.data_dir)
    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    log(f"  with `chroma run` on port {port} …")
    with open(work / f"chroma-{port}.log", "w") as out:
        proc = subprocess.Popen(
            [str(chroma), "run", "--path", str(data / "chroma"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"chroma run did not start; see {work / f'chroma-{port}.log'}") from None
                time.sleep(0.3)
        remote = replace(settings, chroma_url=url)
        opened = step(remote, "probe", str(work / "questions.json"), str(rounds))
        served = serve_probe(remote)
        result = {
            "open_s": opened["open_s"],
            "query_p95_ms": opened["query_p95_ms"],
            "serve_rss_mb": served["rss_mb"],
            "chroma_server_rss_mb": rss_mb(proc.pid),
            "lexical_rebuild_on_open": opened["rebuilt"],
            "probe": opened,
            "serve": {k: served[k] for k in ("ready_s", "rss_mb", "peak_rss_mb", "chats", "cited", "errors")},
        }
        log(
            f"  server: open {result['open_s']:.2f}s, query p95 {result['query_p95_ms']:.1f} ms, serve RSS "
            f"{result['serve_rss_mb']:.0f} MB, Chroma server RSS {result['chroma_server_rss_mb']:.0f} MB"
        )
        return result
    finally:
        stop(proc, 30)


def met(out: dict, n: int) -> dict:
    small, big = out[str(SMALL)], out[str(n)]
    return {
        "query_p95_ratio": big["query_p95_ms"] / small["query_p95_ms"] <= TARGETS["query_p95_ratio"],
        "serve_rss_mb": big["serve_rss_mb"] <= TARGETS["serve_rss_mb"],
        "open_s": big["open_s"] <= TARGETS["open_s"],
        "no_rebuild_on_open": not big["lexical_rebuild_on_open"],
        "ingest_vs_raw": big["ingest_vs_raw"] >= TARGETS["ingest_vs_raw"],
        "ingest_vs_raw_cpu": big["ingest_vs_raw_cpu"] >= TARGETS["ingest_vs_raw"],
    }


def raw_encode(embedder, articles) -> dict:
    from ingest.chunk import chunk_text
    from ingest.records import embed_text

    texts = [embed_text(a.title, c.text) for a in articles for c in chunk_text(a.text)]
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), 256):
        embedder.encode_documents(texts[i : i + 256])
    seconds, cpu_s = time.perf_counter() - wall, time.process_time() - cpu
    return {"chunks": len(texts), "seconds": seconds, "chunks_per_s": len(texts) / seconds, "cpu_s": cpu_s}


def step(settings, name: str, *args: str) -> dict:
    """`python -m qa.evaluation.bench_simulate NAME ARGS` in a fresh process over the settings' index; its
    progress bars pass through, its last stdout line is the JSON result."""
    done = subprocess.run(
        [sys.executable, "-m", "qa.evaluation.bench_simulate", name, *args],
        env=environment(settings),
        cwd=str(ROOT),
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"simulate step {name} failed (exit {done.returncode}); its messages are above.")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- the steps, each in its own process ------------------------------------------------------
def _build(settings, size: str, pool_path: str) -> dict:
    from tqdm import tqdm

    from qa.evaluation.simulate_build import Pool, build

    meta = json.loads(Path(pool_path).with_suffix(".json").read_text(encoding="utf-8"))
    import numpy as np

    pool = Pool(meta["sentences"], np.load(Path(pool_path).with_suffix(".npy")).astype(np.float32), meta["titles"])
    with tqdm(total=int(size), unit="chunk", desc=f"Building {int(size):,} simulated chunks", mininterval=2) as bar:
        return build(settings.data_dir, int(size), pool, SEED + int(size), progress=bar.update)


def _probe(settings, questions_path: str, rounds: str) -> dict:
    from qa.pipeline import Pipeline, open_embedder

    asked = json.loads(Path(questions_path).read_text(encoding="utf-8"))
    embedder = open_embedder(settings)
    embedder.encode_queries(["warm"])  # the model is loaded before the clock starts
    started = time.perf_counter()
    pipeline = Pipeline.open(settings, embedder=embedder)
    pipeline.search.search(asked[0], k=5)
    open_s = time.perf_counter() - started
    index = pipeline.index
    rebuilt = index.lexical_rebuilds > 0
    first, again = [], []
    for timings in [first] + [again] * int(rounds):
        for q in asked:
            t = time.perf_counter()
            pipeline.search.search(q, k=5)
            timings.append((time.perf_counter() - t) * 1000)
    every = first + again
    lexical = index.lexical()
    return {
        "open_s": open_s,
        "rebuilt": rebuilt,
        "lexical_in_step": lexical.generation >= index.generation(),
        "chunks": index.chunks.count(),
        "lexical_chunks": lexical.count(),
        "questions": len(asked),
        "query_p50_ms": statistics.median(every),
        "query_p95_ms": percentile(every, 0.95),
        "first_p95_ms": percentile(first, 0.95),
        "again_p95_ms": percentile(again, 0.95) if again else None,
        "rss_mb": rss_mb(),
    }


def _ingest(settings, files_path: str) -> dict:
    from ingest.sources import read_articles
    from qa.pipeline import Pipeline, open_embedder

    files = [Path(f) for f in json.loads(Path(files_path).read_text())]
    embedder = open_embedder(settings)
    embedder.encode_queries(["warm"])
    articles = read_articles(files).articles
    pipeline = Pipeline.open(settings, embedder=embedder)
    cpu = time.process_time()
    report = pipeline.ingest(articles)
    cpu_s = time.process_time() - cpu
    started = time.perf_counter()
    pipeline.remove(report.added)  # as it was: the next run reuses the index
    remove_s = time.perf_counter() - started
    started = time.perf_counter()
    reopened = Pipeline.open(settings, embedder=embedder)
    reopened.search.search("Quảng Ngãi đề nghị gì?", k=5)
    return {
        "articles": len(report.added),
        "chunks": report.chunks_written,
        "seconds": report.seconds,
        "cpu_s": cpu_s,
        "chunks_per_s": report.chunks_written / report.seconds if report.seconds else 0.0,
        "commits": report.commits,
        "remove_s": remove_s,
        "reopen_s": time.perf_counter() - started,
        "rebuilt_on_reopen": reopened.index.lexical_rebuilds > 0 or pipeline.index.lexical_rebuilds > 0,
    }


def main(argv: list[str]) -> None:
    import logging

    from qa.settings import Settings

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings.load()
    steps = {"build": _build, "probe": _probe, "ingest": _ingest}
    print(json.dumps(steps[argv[0]](settings, *argv[1:])))


if __name__ == "__main__":
    main(sys.argv[1:])


def summary(result: dict) -> str:
    """The figures as a markdown table: 10,000 and N chunks side by side (and through a server)."""
    out = result["simulate"]
    sizes = [k for k in out if k.isdigit()]
    big = out[sizes[-1]]
    columns = [(f"{int(k):,} chunks", out[k]) for k in sizes]
    columns += [(f"{int(k):,}, chroma run", out[k]["server"]) for k in sizes if "server" in out[k]]
    rows = [
        ("open (s)", "open_s", ".2f"),
        ("query p95 (ms)", "query_p95_ms", ".1f"),
        ("ingest (chunks/s)", "ingest_chunks_per_s", ".1f"),
        ("ingest / raw encode (wall clock)", "ingest_vs_raw", ".2f"),
        ("ingest / raw encode (CPU time)", "ingest_vs_raw_cpu", ".2f"),
        ("serve RSS (MB)", "serve_rss_mb", ".0f"),
        ("Chroma server RSS (MB)", "chroma_server_rss_mb", ".0f"),
        ("disk (MB)", "disk_mb", ".0f"),
        ("lexical rebuilt on open", "lexical_rebuild_on_open", ""),
    ]
    lines = [
        f"Lexical engine: {out['lexical_engine']}; raw encode {out['raw_encode']['chunks_per_s']:.1f} chunks/s "
        f"(again at the end: {out['raw_encode_after']['chunks_per_s']:.1f})",
        "",
        "| | " + " | ".join(name for name, _ in columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for label, key, fmt in rows:
        cells = []
        for _, figures in columns:
            value = figures.get(key)
            cells.append("" if value is None else format(value, fmt) if fmt else str(value).lower())
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    small = out[sizes[0]]
    ratio = big["query_p95_ms"] / small["query_p95_ms"]
    lines += [
        "",
        f"Targets at {int(sizes[-1]):,} against {int(sizes[0]):,}: query p95 x{ratio:.2f} (<= x2), serve RSS "
        f"{big['serve_rss_mb']:.0f} MB (<= 1536), open {big['open_s']:.2f}s (<= 5), no rebuild on open, ingest "
        f"{big['ingest_vs_raw']:.0%} of the raw encode rate by wall clock, {big['ingest_vs_raw_cpu']:.0%} by CPU time "
        "(>= 90%).",
        "Met: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in out["met"].items()),
    ]
    return "\n".join(lines)
