"""`newsqa eval dated`: time-sensitive questions over the `validation` articles of the dantri corpus,
answered by the app (`Pipeline.ask`) and by the same pipeline date-blind (`time_aware=False`).

The questions (`tests/data/dated_questions.jsonl`, written for this project by reading the articles)
carry no article text: each names its answering article (`file`) and that article's `date` (and
`also` the other articles that answer it, with their dates), and the evidence as hashes (`evidence_sha`: sha1 of `match_key` of each sentence of the article that
answers, as `ingest.chunk.split_sentences` splits it). Kinds:
- `dated`: the question names a date or period (the answer is in the article of that date, or in
  the article that reports what happened on it); `latest`: "hiện nay", "so far" (the newest
  article that answers); `after`/`before`: relative to an event;
- `timeline`: "diễn biến…", "how did … change" (`files`: the articles that tell it, with dates);
- `uncovered`: a date no article is dated in or names: must be refused.

Measured (counts beside each share):
- first claim right: the answer's first claim holds an evidence sentence (dated, latest, after/before);
- right date: the first claim's date is the answering article's date (same questions);
- timelines in order: at least two claims, their dates strictly increasing, from at least two of
  the question's articles;
- uncovered refused: the answer is a refusal;
- answered: the share of answerable questions (all but `uncovered`) not refused.
"""

import hashlib
import json
import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ingest.chunk import split_sentences
from ingest.normalize import match_key

logger = logging.getLogger(__name__)

QUESTIONS = Path(__file__).resolve().parents[2] / "tests" / "data" / "dated_questions.jsonl"
POINTED = ("dated", "latest", "after", "before")  # questions with one answering article
SYSTEMS = ("newsqa", "date-blind")


@dataclass
class DatedQuestion:
    id: str
    lang: str
    kind: str
    question: str
    file: str = ""  # the answering article's file name in the corpus
    date: str = ""  # its date (ISO)
    evidence_sha: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # timelines: the articles that tell it
    also: list[dict] = field(default_factory=list)  # other articles that answer it as well: {file, date}


def sentence_sha(sentence: str) -> str:
    """The hash an evidence sentence is stored as."""
    return hashlib.sha1(match_key(sentence).rstrip(".!?… ").encode("utf-8")).hexdigest()[:16]


def claim_shas(text: str) -> set[str]:
    """The hashes of a claim's sentences (a claim is one or more whole sentences of its passage)."""
    return {sentence_sha(text[s.start : s.end]) for s in split_sentences(text)} | {sentence_sha(text)}


def read_questions(path: Path = QUESTIONS) -> list[DatedQuestion]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [DatedQuestion(**row) for row in rows]


def score(q: DatedQuestion, answer: dict, file_of: dict[str, str]) -> dict:
    """What one answer (`Answer.to_dict()`) gets right for its question."""
    claims = answer.get("claims") or []
    first = claims[0] if claims else None
    out = {"id": q.id, "kind": q.kind, "found": bool(answer.get("found"))}
    if q.kind in POINTED:
        out["first"] = bool(first) and bool(claim_shas(first["text"]) & set(q.evidence_sha))
        out["right_date"] = bool(first) and first.get("date") in {q.date, *(a["date"] for a in q.also)}
    if q.kind == "timeline":
        by_number = {s["number"]: s for s in answer.get("sources") or []}
        dates = [c.get("date", "") for c in claims]
        cited = {file_of.get(by_number[c["source"]]["article_id"], "") for c in claims if c["source"] in by_number}
        ordered = len(claims) >= 2 and all(a and b and a < b for a, b in zip(dates, dates[1:]))
        out["ordered"] = ordered and len(cited & set(q.files)) >= 2
    out["first_claim"] = first["text"][:160] if first else None
    out["first_date"] = first.get("date") if first else None
    return out


def summarize(rows: list[dict]) -> dict:
    def share(values: list[bool]) -> dict:
        return {"share": sum(values) / len(values) if values else None, "n": len(values), "right": sum(values)}

    pointed = [r for r in rows if r["kind"] in POINTED]
    return {
        "first_claim_right": share([r["first"] for r in pointed]),
        "right_date": share([r["right_date"] for r in pointed]),
        "timelines_in_order": share([r["ordered"] for r in rows if r["kind"] == "timeline"]),
        "uncovered_refused": share([not r["found"] for r in rows if r["kind"] == "uncovered"]),
        "answered": share([r["found"] for r in rows if r["kind"] != "uncovered"]),
    }


def ask_all(pipeline, questions: list[DatedQuestion], file_of: dict[str, str], progress=None) -> dict[str, list[dict]]:
    """Every question asked with and without time (`time_aware`), scored."""
    rows: dict[str, list[dict]] = {s: [] for s in SYSTEMS}
    for q in questions:
        for system in SYSTEMS:
            answer = pipeline.ask(q.question, time_aware=system == "newsqa").to_dict()
            row = score(q, answer, file_of)
            row["time"] = answer.get("time")
            rows[system].append(row)
        if progress:
            progress(1)
    return rows


def run(
    shared: Path,
    settings,
    embedder,
    work_dir: Path | None = None,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
    path: Path = QUESTIONS,
) -> dict:
    """Index the validation articles, ask every question with and without time, score both."""
    from qa.evaluation import datasets as ds
    from qa.evaluation.eval import build_corpus

    dataset = ds.news_dataset(shared)
    questions = read_questions(path)[:limit] if limit else read_questions(path)
    own = work_dir is None
    # with --work-dir, the same index folder `newsqa eval news` uses (`qa.evaluation.eval.run`): built once
    folder = "corpus-" + hashlib.sha1(dataset.corpus.encode()).hexdigest()[:10]
    root = Path(tempfile.mkdtemp(prefix="newsqa-dated-")) if own else Path(work_dir) / folder
    try:
        corpus = build_corpus(dataset, settings, embedder, root, compare=False)
        pipeline = corpus.pipeline
        file_of = {a.id: Path(a.source).name for a in dataset.articles}
        rows = ask_all(pipeline, questions, file_of, progress)
        return {
            "dataset": "dated",
            "articles": len(dataset.articles),
            "questions": len(questions),
            "kinds": {k: sum(q.kind == k for q in questions) for k in sorted({q.kind for q in questions})},
            "systems": {s: summarize(rows[s]) for s in SYSTEMS},
            "details": rows,
        }
    finally:
        if own:
            shutil.rmtree(root, ignore_errors=True)


def markdown(result: dict) -> str:
    def cell(m: dict) -> str:
        return "–" if m["share"] is None else f"{m['share']:.3f} ({m['right']}/{m['n']})"

    lines = [
        "| dataset | system | first claim right | right date | timelines in order | uncovered refused | answered |",
        "|---|---|---|---|---|---|---|",
    ]
    for system, m in result["systems"].items():
        lines.append(
            f"| dated | {system} | {cell(m['first_claim_right'])} | {cell(m['right_date'])} | "
            f"{cell(m['timelines_in_order'])} | {cell(m['uncovered_refused'])} | {cell(m['answered'])} |"
        )
    kinds = ", ".join(f"{n} {k}" for k, n in result["kinds"].items())
    return "\n".join(lines) + f"\n\ndated: {result['articles']} articles, {result['questions']} questions ({kinds})"
