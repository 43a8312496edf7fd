"""`newsqa bench`: start-up, memory, ingest and query speed on a real corpus, in one run.

Each figure is measured side by side in the same run (these machines are shared and noisy):
1. on an index of the seed articles, each command in a fresh process as a user runs it:
   `newsqa list` and `newsqa ask` (wall time, the median of `STARTS` runs taken in turn, the
   first run beside it; the highest peak RSS), and `newsqa serve` (time until it
   answers, RSS after a few chats); then 20 simultaneous chats through Gradio's queue (its HTTP
   API, one thread each; and again with gradio_client, whose 20 clients spend CPU on the same
   machine) against the same 20 questions through the chat handler one after another in-process;
2. full ingest of the seeds + the corpus (default ../shared/corpora/dantri-unc) into a fresh
   index (reading included), against the raw encode rate of the same chunk texts
   (`Embedder.encode_documents`: one encoder pass, the limit an ingest can reach);
3. an unchanged re-ingest of the same input, as a fraction of the full one;
4. query p50/p95 on the seed index and on the full index (fresh processes), and `newsqa serve`
   over the full index (peak RSS after chats); the disk the full index and the model use.

Never touches the data folder: the indexes live in a temp folder (or `--work-dir`).
"""

import os
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from qa.evaluation.bench_serve import CHATS, probe, questions, serve_probe
from qa.evaluation.processes import ROOT, command, disk_mb, peak_rss_mb

STARTS = 3  # fresh-process runs of each start-up command: one run on a shared machine is noise

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "dantri-unc"
SEEDS = ROOT / "seeds"
TARGETS = {
    "list_s": 1.5,
    "list_rss_mb": 250,
    "ask_s": 3.0,
    "ask_rss_mb": 700,
    "serve_rss_mb": 700,
    "concurrent_vs_sequential": 1.5,
    "ingest_vs_raw": 0.90,
    "reingest_fraction": 0.05,
    "p95_ratio": 1.5,
    "serve_full_rss_mb": 1024,
}


def run(
    settings,
    corpus: Path = DEFAULT_CORPUS,
    limit: int | None = None,
    work_dir: Path | None = None,
    rounds: int = 4,
    raw_chunks: int | None = None,
    log=print,
) -> dict:
    """Run the whole benchmark; returns the figures (printed by `summary`)."""
    from ingest.chunk import chunk_text
    from ingest.readers import find_files
    from ingest.records import embed_text
    from ingest.sources import read_articles
    from qa.pipeline import Pipeline, open_embedder

    work = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="newsqa-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    out: dict = {"corpus": str(corpus), "limit": limit, "work_dir": str(work), "cpus": os.cpu_count()}
    embedder = open_embedder(settings)
    out["model"] = embedder.name
    out["encoder"] = type(embedder.encoder).__name__

    # 1. the seed index: commands as separate processes, the served app, concurrent chats
    models = settings.model_folder_root  # one model folder for every index and process, built already
    seed_settings = replace(settings, data_dir=work / "seed", chroma_url="", models_dir=models)
    seed = Pipeline.open(seed_settings, embedder=embedder)
    if seed.index.registry():
        raise SystemExit(f"{work / 'seed'} already holds an index; give an empty --work-dir.")
    seed.ingest(read_articles([SEEDS]).articles)
    seed_counts = seed.index.counts()
    del seed
    log("Start-up of list / ask / serve on the seed index (fresh processes) …")
    starts = {
        "list": (seed_settings, ["list"]),
        "ask": (seed_settings, ["ask", questions()[0]]),
        "ask_rules": (replace(seed_settings, answerer="rules"), ["ask", questions()[0]]),
    }
    runs = {key: [] for key in starts}
    for _ in range(STARTS):  # in turn: a slow moment of the shared machine falls on every command alike
        for key, (command_settings, args) in starts.items():
            runs[key].append(command(command_settings, args))
    for key, measured in runs.items():
        seconds = [m["seconds"] for m in measured]
        out[key] = {
            "seconds": statistics.median(seconds),
            "first_seconds": seconds[0],
            "peak_rss_mb": max(m["peak_rss_mb"] for m in measured),
        }
    out["query_seed"] = {**probe(seed_settings, rounds), **seed_counts}
    log(f"Serving the seed index; {CHATS} simultaneous chats …")
    out["serve_seed"] = serve_probe(seed_settings)
    out["concurrent_vs_sequential"] = out["serve_seed"]["concurrent_s"] / out["query_seed"]["sequential_s"]

    # 2. full ingest, reading included
    files, _ = find_files([corpus])
    files = files[:limit] if limit else files
    inputs = [SEEDS, *files]
    big_settings = replace(settings, data_dir=work / "big", chroma_url="", models_dir=models)
    pipeline = Pipeline.open(big_settings, embedder=embedder)
    log(f"Full ingest of {len(inputs) - 1} corpus files + the seeds into {work / 'big'} …")
    wall, cpu = time.perf_counter(), time.process_time()
    result = read_articles(inputs)
    read_s = time.perf_counter() - wall
    report = pipeline.ingest(result.articles)
    full_s, full_cpu = time.perf_counter() - wall, time.process_time() - cpu
    n_chunks = report.chunks_written
    out["full_ingest"] = {
        "articles": len(report.added),
        "chunks": n_chunks,
        "embedded": report.embedded,
        "commits": report.commits,
        "read_s": read_s,
        "seconds": full_s,
        "cpu_s": full_cpu,
        "chunks_per_s": n_chunks / full_s,
        "chunks_per_cpu_s": n_chunks / full_cpu,
    }
    log(f"  {len(report.added)} articles, {n_chunks} chunks in {full_s:.1f}s ({read_s:.1f}s reading)")

    # the raw encode rate on the same chunk texts
    texts = [embed_text(a.title, c.text) for a in result.articles for c in chunk_text(a.text)]
    if raw_chunks and raw_chunks < len(texts):
        step = len(texts) / raw_chunks
        texts = [texts[int(i * step)] for i in range(raw_chunks)]
    log(f"Raw encode of {len(texts)} of the same chunk texts …")
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), 256):
        embedder.encode_documents(texts[i : i + 256])
    raw_s, raw_cpu = time.perf_counter() - wall, time.process_time() - cpu
    out["raw_encode"] = {
        "chunks": len(texts),
        "seconds": raw_s,
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
    out["unchanged_reingest"] = {"seconds": re_s, "fraction_of_full": re_s / full_s, "embedded": again.embedded}
    out["counts"] = pipeline.index.counts()
    out["bench_peak_rss_mb"] = peak_rss_mb()
    del pipeline

    # 4. queries and serving over the full index
    log("Query latency on the full index; serving it …")
    out["query_big"] = {**probe(big_settings, rounds), **out["counts"]}
    out["p95_ratio"] = out["query_big"]["p95_ms"] / out["query_seed"]["p95_ms"]
    out["serve_big"] = serve_probe(big_settings)
    out["disk_mb"] = {"index": disk_mb(work / "big"), "model": disk_mb(Path(settings.model_folder_root))}
    out["targets"] = TARGETS
    out["met"] = met(out)
    return out


def met(r: dict) -> dict[str, bool]:
    t = TARGETS
    return {
        "list": r["list"]["seconds"] <= t["list_s"] and r["list"]["peak_rss_mb"] <= t["list_rss_mb"],
        "ask": r["ask"]["seconds"] <= t["ask_s"] and r["ask"]["peak_rss_mb"] <= t["ask_rss_mb"],
        "ask_rules": "ask_rules" not in r
        or (r["ask_rules"]["seconds"] <= t["ask_s"] and r["ask_rules"]["peak_rss_mb"] <= t["ask_rss_mb"]),
        "serve": r["serve_seed"]["rss_mb"] <= t["serve_rss_mb"],
        "concurrent": r["concurrent_vs_sequential"] <= t["concurrent_vs_sequential"],
        "ingest_vs_raw": r["ingest_vs_raw"] >= t["ingest_vs_raw"],
        "reingest_fraction": r["unchanged_reingest"]["fraction_of_full"] <= t["reingest_fraction"],
        "p95_ratio": r["p95_ratio"] <= t["p95_ratio"],
        "serve_full": r["serve_big"]["peak_rss_mb"] <= t["serve_full_rss_mb"],
    }


def _start(measured: dict) -> str:
    """A start-up time: the median of its runs, and the first run when there were several."""
    if "first_seconds" not in measured:  # a bench JSON of before STARTS
        return f"{measured['seconds']:.2f} s"
    return f"{measured['seconds']:.2f} s (median of {STARTS}; first run {measured['first_seconds']:.2f} s)"


def summary(r: dict) -> str:
    """The figures as a table (markdown), each with its target."""
    t, m = TARGETS, r["met"]
    f, raw, re_, qs, qb, ss, sb = (
        r["full_ingest"],
        r["raw_encode"],
        r["unchanged_reingest"],
        r["query_seed"],
        r["query_big"],
        r["serve_seed"],
        r["serve_big"],
    )

    def ok(key: str) -> str:
        return "ok" if m[key] else "MISSED"

    rows = [
        (
            "`newsqa list` (seed index)",
            f"{_start(r['list'])}, {r['list']['peak_rss_mb']:.0f} MB peak",
            f"<= {t['list_s']} s, <= {t['list_rss_mb']} MB",
            ok("list"),
        ),
        (
            "`newsqa ask` cold (seed index)",
            f"{_start(r['ask'])}, {r['ask']['peak_rss_mb']:.0f} MB peak",
            f"<= {t['ask_s']} s, <= {t['ask_rss_mb']} MB",
            ok("ask"),
        ),
        (
            "`NEWSQA_ANSWERER=rules newsqa ask` cold",
            f"{_start(r['ask_rules'])}, {r['ask_rules']['peak_rss_mb']:.0f} MB peak" if "ask_rules" in r else "-",
            f"<= {t['ask_s']} s, <= {t['ask_rss_mb']} MB",
            ok("ask_rules"),
        ),
        (
            "`newsqa serve` after 3 chats (seed index)",
            f"{ss['rss_mb']:.0f} MB (ready in {ss['ready_s']:.1f} s)",
            f"<= {t['serve_rss_mb']} MB",
            ok("serve"),
        ),
        (
            f"{ss['chats']} simultaneous chats (HTTP) vs the chat handler one after another in-process",
            f"{ss['concurrent_s']:.2f} s vs {qs['sequential_s']:.2f} s = {r['concurrent_vs_sequential']:.2f}x; "
            f"{ss['cited']}/{ss['chats']} cited, {ss['errors']} errors",
            f"<= {t['concurrent_vs_sequential']}x",
            ok("concurrent"),
        ),
        (
            f"the same {ss['chats']} chats with gradio_client (20 clients on the same CPUs)",
            f"{ss['gradio_client_s']:.2f} s = {ss['gradio_client_s'] / qs['sequential_s']:.2f}x; "
            f"{ss['gradio_client_cited']}/{ss['chats']} cited, {ss['gradio_client_errors']} errors",
            "",
            "",
        ),
        (
            f"full ingest ({f['articles']:,} articles, {f['chunks']:,} chunks)",
            f"{f['chunks_per_s']:.2f} chunks/s ({f['seconds'] / 60:.1f} min, {f['read_s']:.0f} s reading)",
            "",
            "",
        ),
        ("raw encode of the same chunks", f"{raw['chunks_per_s']:.2f} chunks/s ({raw['chunks']:,} chunks)", "", ""),
        (
            "ingest / raw encode",
            f"{r['ingest_vs_raw']:.0%} wall-clock, {r['ingest_vs_raw_cpu']:.0%} CPU time",
            f">= {t['ingest_vs_raw']:.0%}",
            ok("ingest_vs_raw"),
        ),
        (
            "unchanged re-ingest",
            f"{re_['seconds']:.1f} s = {re_['fraction_of_full']:.2%} of the full ingest "
            f"({re_['embedded']} chunks embedded)",
            f"<= {t['reingest_fraction']:.0%}",
            ok("reingest_fraction"),
        ),
        (
            f"query, seed index ({qs['chunks']} chunks)",
            f"p50 {qs['p50_ms']:.0f} ms, p95 {qs['p95_ms']:.0f} ms "
            f"(first time asked: p50 {qs['first_p50_ms']:.0f} ms, p95 {qs['first_p95_ms']:.0f} ms)",
            "",
            "",
        ),
        (
            f"query, full index ({qb['chunks']:,} chunks)",
            f"p50 {qb['p50_ms']:.0f} ms, p95 {qb['p95_ms']:.0f} ms = {r['p95_ratio']:.2f}x the seed p95 "
            f"(first time asked: p50 {qb['first_p50_ms']:.0f} ms, p95 {qb['first_p95_ms']:.0f} ms "
            f"= {qb['first_p95_ms'] / qs['first_p95_ms']:.2f}x)",
            f"<= {t['p95_ratio']}x",
            ok("p95_ratio"),
        ),
        (
            "`newsqa serve`, full index, after chats",
            f"{sb['peak_rss_mb']:.0f} MB peak; {sb['cited']}/{sb['chats']} cited",
            f"<= {t['serve_full_rss_mb']} MB",
            ok("serve_full"),
        ),
        ("disk", f"index {r['disk_mb']['index']:,.0f} MB, model {r['disk_mb']['model']:,.0f} MB", "", ""),
    ]
    head = (
        f"newsqa bench: seeds + {Path(r['corpus']).name}{', first ' + str(r['limit']) if r['limit'] else ''}; "
        f"{r['model']} ({r['encoder']}), {r['cpus']} CPUs\n\n| what | measured | target | |\n|---|---|---|---|\n"
    )
    return head + "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows)
