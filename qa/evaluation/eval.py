"""`newsqa eval`: retrieval and answer quality on question sets with known evidence (the sets and
the rule for `first` are in `qa/evaluation/datasets.py`, the systems compared in `qa/evaluation/systems.py`).

A retrieved chunk is a hit when it contains the evidence (seed format: every evidence string;
XQuAD: the gold answer text), compared with `ingest.normalize.match_key` on both sides.

Answers are scored on their first claim (`first`): the text before the first ` [n]` marker of
`Answer.answer`, the sentence (or span) a reader reads first. It is right when, compared with
`match_key`,
- XQuAD: it contains one of the gold answers;
- seed format: it contains at least one evidence string in full, or it is part of an evidence
  string: one whole sentence of a quote longer than a sentence, or a span at least half as long
  as the quote (a lone name or number inside a long quote is not enough).
  One evidence string is enough, not all of them: a list answer spread over several sentences
  cannot fit in one claim; `cited` (a cited source holds every evidence string) measures that.
A refused answer's `first` is false. `first` is counted over the answerable questions.

Refusals are reported on the unanswerable questions together and split: `probes` (XQuAD questions
asked with their article filtered out) and `tempting` (`tests/data/tempting_questions.jsonl`:
questions about an indexed article, for a number, person, date or place that it does not give;
asked without filtering anything out; each written in Vietnamese and in English: `seed` gets the
seed-corpus ones in both languages, `xquad-vi`/`xquad-en` the XQuAD-corpus ones in their language;
`--limit` keeps all of them). They are for measuring only, never for tuning. With a reader that gives `signals["confidence"]` (0..1), a reliability
table groups our answers by confidence: count, mean confidence, share answered, share with a
right first claim, share of unanswerable questions.

"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from qa.evaluation.datasets import Dataset, Question
from qa.evaluation.systems import DEPTH, NAIVE, NAIVE_K, OURS, Outcome, Runner, is_ours, naive_store

logger = logging.getLogger(__name__)

BUCKETS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # reliability table: confidence ranges


# ---- metrics -------------------------------------------------------------------------------
def first_hit(ranks: list[bool]) -> int | None:
    return next((i + 1 for i, h in enumerate(ranks) if h), None)


def summarize(system: str, questions: list[Question], outcomes: list[Outcome], depth: int) -> dict:
    answerable = [(q, o) for q, o in zip(questions, outcomes) if q.answerable]
    unanswerable = [(q, o) for q, o in zip(questions, outcomes) if not q.answerable]
    firsts = [first_hit(o.ranks) for _, o in answerable]
    n = len(answerable) or 1

    def recall(k):
        return None if k > depth else sum(1 for f in firsts if f is not None and f <= k) / n

    main = [o.seconds for q, o in zip(questions, outcomes) if not q.probe]
    out = {
        "system": system,
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "probes": sum(q.probe for q, _ in unanswerable),
        "tempting": sum(q.kind == "tempting" for q, _ in unanswerable),
        "recall@1": recall(1),
        "recall@5": recall(5),
        "recall@10": recall(10),
        "mrr@10": sum(1 / f for f in firsts if f is not None and f <= 10) / n,
        "first": sum(bool(o.first) for _, o in answerable) / n,
        "latency_p50_ms": float(np.percentile(main, 50) * 1000) if main else None,
        "latency_p95_ms": float(np.percentile(main, 95) * 1000) if main else None,
    }
    if is_ours(system):

        def refused(pairs):
            return sum(not o.found for _, o in pairs) / len(pairs) if pairs else None

        out["cited"] = sum(bool(o.cited) for _, o in answerable) / n
        phrased = [o for q, o in answerable if q.answers]
        out["phrase"] = sum(bool(o.phrase) for o in phrased) / len(phrased) if phrased else None
        out["refused_unanswerable"] = refused(unanswerable)  # all of them: probes, tempting and others
        out["refused_probes"] = refused([(q, o) for q, o in unanswerable if q.probe])
        out["refused_tempting"] = refused([(q, o) for q, o in unanswerable if q.kind == "tempting"])
        out["refused_answerable"] = sum(not o.found for _, o in answerable) / n
        generated = [(q, o) for q, o in zip(questions, outcomes) if o.llm is not None]
        if generated:  # `newsqa eval --llm`
            out["llm"] = llm_summary(generated)
    return out


def llm_summary(pairs: list[tuple[Question, Outcome]]) -> dict:
    """Generated answers (`newsqa eval --llm`): how often the model was asked, answered (verified
    sentences shown) or fell back to the quoted answer; citation precision (the share of the
    sentences it wrote, citing a passage, that the verifier accepts) and recall (the share of
    answerable questions whose gold evidence is in a source cited by a verified sentence)."""
    sentences = sum(o.llm["sentences"] for _, o in pairs)
    answerable = [o for q, o in pairs if q.answerable]
    return {
        "questions": len(pairs),
        "asked": sum(o.llm["asked"] for _, o in pairs),
        "answered": sum(o.llm["mode"] == "llm" and bool(o.found) for _, o in pairs),
        "fallbacks": sum(bool(o.llm["error"]) for _, o in pairs),
        "sentences": sentences,
        "citation_precision": sum(o.llm["verified"] for _, o in pairs) / sentences if sentences else None,
        "citation_recall": sum(o.llm["verified_cites"] for o in answerable) / len(answerable) if answerable else None,
    }


def confidence(outcome: Outcome) -> float | None:
    """The reader's confidence (0..1) in an answer, when it gives one."""
    value = outcome.signals.get("confidence") if outcome.signals else None
    try:
        value = None if value is None else float(value)
    except (TypeError, ValueError):
        return None
    return value if value is not None and value == value else None  # NaN: none given


def reliability(questions: list[Question], outcomes: list[Outcome], edges=BUCKETS) -> list[dict] | None:
    """Answers grouped by confidence: per range, how many, their mean confidence, the share answered,
    the share whose first claim holds the answer, and the share of unanswerable questions.
    None when no answer has a confidence."""
    rows = [(q, o, c) for q, o in zip(questions, outcomes) if (c := confidence(o)) is not None]
    if not rows:
        return None
    buckets = []
    for i, (low, high) in enumerate(zip(edges, edges[1:])):
        last = i == len(edges) - 2
        inside = [(q, o, c) for q, o, c in rows if low <= c < high or (last and c >= high) or (i == 0 and c < low)]
        n = len(inside)
        buckets.append(
            {
                "range": f"{low:.1f}–{high:.1f}",
                "count": n,
                "mean_confidence": sum(c for _, _, c in inside) / n if n else None,
                "answered": sum(bool(o.found) for _, o, _ in inside) / n if n else None,
                "first": sum(bool(o.first) for _, o, _ in inside) / n if n else None,
                "unanswerable": sum(not q.answerable for q, _, _ in inside) / n if n else None,
            }
        )
    return buckets


# ---- running -------------------------------------------------------------------------------
@dataclass
class Corpus:
    pipeline: object
    naive: object
    chunks: int
    naive_chunks: int
    seconds: float


def build_corpus(dataset: Dataset, settings, embedder, work_dir: Path, compare: bool) -> Corpus:
    """Our index (through `Pipeline`/`Index`) and, with `compare`, the naive store, in `work_dir`."""
    from qa.pipeline import Pipeline

    started = time.perf_counter()
    data_dir = work_dir / "index"
    pipeline = Pipeline.open(replace(settings, data_dir=data_dir, chroma_url=""), embedder=embedder)
    report = pipeline.ingest(dataset.articles)
    wanted = {a.id for a in dataset.articles}
    stale = [a for a in pipeline.index.registry() if a not in wanted]
    if stale:
        pipeline.remove(stale)
    if report.duplicates:
        logger.warning("Skipped as duplicates: %s", "; ".join(report.duplicates))
    naive, naive_chunks = (None, 0)
    if compare:
        naive, naive_chunks = naive_store(dataset.articles, embedder, work_dir / "naive")
    chunks = sum(a.chunk_count for a in pipeline.index.registry().values())
    return Corpus(pipeline, naive, chunks, naive_chunks, time.perf_counter() - started)


def evaluate(
    dataset: Dataset, corpus: Corpus, compare: bool, progress: Callable[[int], None] | None = None, warmup: int = 5
) -> dict:
    runner = Runner(corpus.pipeline, compare, corpus.naive)
    systems = runner.systems()
    for q in dataset.questions[:warmup]:  # load the lexical index, warm caches and the model
        for system in systems:
            runner.run(system, q)
    outcomes: dict[str, list[Outcome]] = {s: [] for s in systems}
    for n, q in enumerate(dataset.questions):
        order = systems[n % len(systems) :] + systems[: n % len(systems)]  # rotate: no system always first
        for system in order:
            if q.probe and not is_ours(system):
                outcomes[system].append(Outcome([], 0.0))
                continue
            outcomes[system].append(runner.run(system, q))
        if progress:
            progress(1)
    rows = {s: summarize(s, dataset.questions, outcomes[s], NAIVE_K if s == NAIVE else DEPTH) for s in systems}
    details = []
    for i, q in enumerate(dataset.questions):
        ours = outcomes[OURS][i]
        row = {
            "id": q.id,
            "kind": q.kind,
            "lang": q.lang,
            "question": q.text,
            "answerable": q.answerable,
            "found": ours.found,
            "cited": ours.cited if q.answerable else None,
            "confidence": confidence(ours),
            "signals": ours.signals,
            "first_hit": {s: first_hit(outcomes[s][i].ranks) for s in systems if not (q.probe and not is_ours(s))},
            "first": {s: outcomes[s][i].first for s in systems if not (q.probe and not is_ours(s))},
            "claim": {s: outcomes[s][i].claim for s in systems if not (q.probe and not is_ours(s))},
            "span": ours.span,
            "phrase": ours.phrase,
            "llm": ours.llm,
            "ms": round(ours.seconds * 1000, 2),
        }
        details.append(row)
    result = {
        "dataset": dataset.name,
        "articles": len(dataset.articles),
        "chunks": corpus.chunks,
        "naive_chunks": corpus.naive_chunks if compare else None,
        "questions": len(dataset.questions),
        "index_seconds": round(corpus.seconds, 1),
        "encoder": type(corpus.pipeline.embedder.encoder).__name__,
        "systems": rows,
        "reliability": reliability(dataset.questions, outcomes[OURS]),
        "details": details,
    }
    if compare and rows[NAIVE]["latency_p95_ms"]:
        result["latency_ratio_p95"] = rows[OURS]["latency_p95_ms"] / rows[NAIVE]["latency_p95_ms"]
    return result


def run(
    datasets: list[Dataset], settings, embedder, compare: bool, work_dir: Path | None = None, progress=None
) -> list[dict]:
    """Evaluate each dataset; datasets over the same corpus share one index."""
    own = work_dir is None
    root = Path(tempfile.mkdtemp(prefix="newsqa-eval-")) if own else Path(work_dir)
    results = []
    corpora: dict[str, Corpus] = {}
    try:
        for dataset in datasets:
            if dataset.corpus not in corpora:
                folder = root / ("corpus-" + hashlib.sha1(dataset.corpus.encode()).hexdigest()[:10])
                corpora[dataset.corpus] = build_corpus(dataset, settings, embedder, folder, compare)
            results.append(evaluate(dataset, corpora[dataset.corpus], compare, progress))
    finally:
        if own:
            shutil.rmtree(root, ignore_errors=True)
    return results


# ---- output --------------------------------------------------------------------------------
def _fmt(value, digits=3) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}"


def markdown(results: list[dict]) -> str:
    head = (
        "| dataset | system | R@1 | R@5 | R@10 | MRR@10 | first | cited | refused unanswerable (all) "
        "| refused probes | refused tempting | refused answerable | answer phrase | p50 ms | p95 ms |"
    )
    lines = [head, "|" + "---|" * 15]
    for r in results:
        for s in r["systems"].values():
            lines.append(
                f"| {r['dataset']} | {s['system']} | {_fmt(s['recall@1'])} | {_fmt(s['recall@5'])} | "
                f"{_fmt(s['recall@10'])} | {_fmt(s['mrr@10'])} | {_fmt(s.get('first'))} | {_fmt(s.get('cited'))} | "
                f"{_fmt(s.get('refused_unanswerable'))} | {_fmt(s.get('refused_probes'))} | "
                f"{_fmt(s.get('refused_tempting'))} | {_fmt(s.get('refused_answerable'))} | {_fmt(s.get('phrase'))} | "
                f"{_fmt(s['latency_p50_ms'], 1)} | {_fmt(s['latency_p95_ms'], 1)} |"
            )
    notes = []
    for r in results:
        ours = r["systems"][OURS]
        note = (
            f"{r['dataset']}: {r['articles']} articles, {r['chunks']} chunks"
            + (f" (naive: {r['naive_chunks']})" if r.get("naive_chunks") else "")
            + f"; {ours['answerable']} answerable, {ours['unanswerable']} unanswerable questions "
            f"({ours.get('probes', 0)} probes, {ours.get('tempting', 0)} tempting); "
            f"encoder {r['encoder']}"
        )
        if "latency_ratio_p95" in r:
            note += f"; answer p95 / naive similarity_search p95 = {r['latency_ratio_p95']:.2f}"
        notes.append(note)
    out = "\n".join(lines) + "\n\n" + "\n".join(notes)
    if any("llm" in r["systems"][OURS] for r in results):
        out += "\n\n" + llm_markdown(results)
    tables = [reliability_markdown(r["dataset"], r["reliability"]) for r in results if r.get("reliability")]
    return out + "".join("\n\n" + t for t in tables)


def llm_markdown(results: list[dict]) -> str:
    lines = [
        "Generated answers (NEWSQA_LLM; `first` and `cited` above are of these answers):",
        "",
        "| dataset | questions | model asked | answered by the model | fell back (model error or nothing verified) "
        "| sentences | citation precision | citation recall |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        g = r["systems"][OURS].get("llm")
        if g:
            lines.append(
                f"| {r['dataset']} | {g['questions']} | {g['asked']} | {g['answered']} | {g['fallbacks']} | "
                f"{g['sentences']} | {_fmt(g['citation_precision'])} | {_fmt(g['citation_recall'])} |"
            )
    return "\n".join(lines)


def reliability_markdown(dataset: str, buckets: list[dict]) -> str:
    lines = [
        f"Reliability of {OURS} on {dataset} (answers grouped by the reader's confidence):",
        "",
        "| confidence | count | mean confidence | answered | first | unanswerable |",
        "|---|---|---|---|---|---|",
    ]
    for b in buckets:
        lines.append(
            f"| {b['range']} | {b['count']} | {_fmt(b['mean_confidence'])} | {_fmt(b['answered'])} | "
            f"{_fmt(b['first'])} | {_fmt(b['unanswerable'])} |"
        )
    return "\n".join(lines)
