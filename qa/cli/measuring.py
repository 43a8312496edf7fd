"""`newsqa eval` and `newsqa bench`: quality and speed, measured."""

import json
import sys
from pathlib import Path

import click

from qa.cli.context import Context, fail, json_file_option, work_dir_option


@click.command(name="eval")
@click.argument(
    "datasets", nargs=-1, type=click.Choice(["seed", "news", "xquad-vi", "xquad-en", "followups", "dated"])
)
@click.option(
    "--questions",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Questions file in the seed format (JSONL).",
)
@click.option(
    "--corpus",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Article folder for --questions (default: seeds/).",
)
@click.option(
    "--shared",
    type=click.Path(file_okay=False, path_type=Path),
    help="The shared material folder [default ../shared].",
)
@click.option("--compare", is_flag=True, help="Also run dense only, BM25 only and the naive LangChain pipeline.")
@click.option(
    "--probes/--no-probes",
    default=True,
    help="XQuAD: also ask each question with its article filtered out (must be refused).",
)
@click.option("--limit", type=click.IntRange(1), help="Ask only the first N questions of each dataset.")
@click.option(
    "--llm", is_flag=True, help="Answer with the language model of NEWSQA_LLM; report citation precision and recall."
)
@json_file_option("Write the results as JSON here.")
@work_dir_option("Keep (and reuse) the eval indexes here instead of a temp folder.")
@click.option("--threads", type=click.IntRange(1), help="CPU threads for the embedding model (default: one per core).")
@click.pass_obj
def eval_(
    obj: Context, datasets, questions, corpus, shared, compare, probes, limit, llm, json_path, work_dir, threads
):
    """Measure retrieval (Recall@1/5/10, MRR@10), citations, refusals and latency; never touches the data folder.

    \b
    newsqa eval                      # the seed questions over seeds/
    newsqa eval xquad-vi xquad-en --compare --json eval.json
    newsqa eval --questions my.jsonl --corpus articles/
    newsqa eval dated                # time-sensitive questions, with and without reading time
    NEWSQA_LLM=ollama:llama3.1 newsqa eval --llm   # generated answers, verified
    """
    if llm and not obj.settings.llm:
        fail("--llm needs a language model: set NEWSQA_LLM=openai:MODEL or ollama:MODEL (and NEWSQA_LLM_BASE_URL).")
    from tqdm import tqdm

    from qa.evaluation import datasets as ds
    from qa.evaluation import eval as ev
    from qa.pipeline import open_embedder

    shared = shared or ds.default_shared()
    chosen = []
    if questions:
        chosen.append(ds.file_dataset(questions.stem, questions, corpus or ds.ROOT / "seeds"))
    dated = "dated" in datasets
    if dated and not (shared / ds.NEWS_CORPUS / "splits.json").exists():
        fail(f"{shared / ds.NEWS_CORPUS} is absent. Give --shared DIR (the folder with corpora/dantri-unc/).")
    for name in datasets or (() if questions else ("seed",)):
        if name == "dated":
            continue
        if name == "seed":
            path = shared / "eval" / "seed_questions.jsonl"
            if not path.exists():
                fail(f"{path} is absent. Give --shared DIR (the folder with eval/seed_questions.jsonl).")
            chosen.append(ds.file_dataset("seed", path, corpus or ds.ROOT / "seeds"))
        elif name == "news":
            if not (shared / ds.NEWS_CORPUS / "splits.json").exists():
                fail(f"{shared / ds.NEWS_CORPUS} is absent. Give --shared DIR (the folder with corpora/dantri-unc/).")
            chosen.append(ds.news_dataset(shared))
        elif name == "followups":
            if not (shared / "eval" / "xquad").exists():
                fail(f"{shared / 'eval' / 'xquad'} is absent. Give --shared DIR (the folder with eval/xquad/).")
            chosen.append(ds.followups_dataset(shared))
        else:
            if not (shared / "eval" / "xquad").exists():
                fail(f"{shared / 'eval' / 'xquad'} is absent. Give --shared DIR (the folder with eval/xquad/).")
            chosen.append(ds.xquad_dataset(shared, name.split("-")[1], probes=probes))
    if limit:
        chosen = [ds.limit(d, limit) for d in chosen]
    import dataclasses

    settings = obj.settings if llm else dataclasses.replace(obj.settings, llm="")  # the model only with --llm
    if threads:
        import dataclasses

        settings = dataclasses.replace(settings, threads=threads)
    embedder = open_embedder(settings)
    total = sum(len(d.questions) for d in chosen)
    results = []
    if chosen:
        with tqdm(total=total, unit="question", desc="Evaluating", file=sys.stderr, disable=None) as bar:
            results = ev.run(chosen, settings, embedder, compare, work_dir, progress=bar.update)
        click.echo(ev.markdown(results))
    if dated:
        from qa.evaluation import eval_dated

        with tqdm(unit="question", desc="Dated questions", file=sys.stderr, disable=None) as bar:
            result = eval_dated.run(shared, settings, embedder, work_dir, limit, progress=bar.update)
        click.echo(("\n\n" if results else "") + eval_dated.markdown(result))
        results.append(result)
    if json_path:
        json_path.write_text(json.dumps(results, ensure_ascii=False, indent=1))
        click.echo(f"Wrote {json_path}.")


@click.command()
@click.option(
    "--corpus",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Article folder [default ../shared/corpora/dantri-unc].",
)
@click.option("--limit", type=click.IntRange(1), help="Use only the first N corpus files (a quick run).")
@json_file_option("Write the figures as JSON here.")
@work_dir_option("Build the bench indexes here (empty folder) instead of a temp folder.")
@click.option(
    "--rounds", type=click.IntRange(1), default=4, show_default=True, help="Times each question is asked per index."
)
@click.option(
    "--raw-chunks",
    type=click.IntRange(1),
    help="Measure the raw encode rate on N of the chunks (evenly spread) instead of all.",
)
@click.option(
    "--simulate",
    type=click.IntRange(10_000),
    help="Simulate an index of N chunks and measure open, query, ingest, serve and disk against 10,000.",
)
@click.option(
    "--server/--no-server",
    default=True,
    show_default=True,
    help="With --simulate: also measure through a `chroma run` server.",
)
@click.option(
    "--articles",
    type=click.IntRange(1),
    default=1000,
    show_default=True,
    help="With --simulate: real articles ingested into each index.",
)
@click.option(
    "--watch",
    "watch_only",
    is_flag=True,
    help="Only the watcher: `newsqa watch` over a local feed of 50 corpus pages (or --limit) against `newsqa ingest`.",
)
@click.pass_obj
def bench(
    obj: Context, corpus, limit, json_path, work_dir, rounds, raw_chunks, simulate, server, articles, watch_only
):
    """Start-up time and memory of list/ask/serve, concurrent chats, ingest rate against the raw
    encode rate, re-ingest time, query latency and serving memory on the whole corpus; or, with
    --simulate N, the same pipeline on N simulated chunks against 10,000 (indexes kept in --work-dir
    and reused).

    \b
    newsqa bench --limit 200                          # a quick run
    newsqa bench --json bench-out/bench.json          # the whole corpus (about an hour on 2 cores)
    newsqa bench --simulate 20000 --work-dir /tmp/sim --articles 100   # a quick simulation
    newsqa bench --simulate 1000000 --work-dir /tmp/sim --json sim.json   # hours on 2 cores
    newsqa bench --watch                              # the watcher against ingest (a few minutes)
    """
    from qa.evaluation import bench as b

    corpus = corpus or b.DEFAULT_CORPUS
    if not corpus.is_dir():
        fail(f"{corpus} is absent. Give --corpus DIR (a folder of articles).")
    log = lambda m: click.echo(m, err=True)  # noqa: E731
    if simulate:
        from qa.evaluation import bench_simulate as s

        results = s.run(
            obj.settings, simulate, corpus, work_dir, articles=articles, server=server, rounds=rounds, log=log
        )
        click.echo(s.summary(results))
    elif watch_only:
        import tempfile

        from qa.evaluation import bench_watch as bw
        from qa.pipeline import open_embedder

        work = work_dir or Path(tempfile.mkdtemp(prefix="newsqa-bench-watch-"))
        if work.exists() and any(work.iterdir()):
            fail(f"{work} is not empty. Give an empty --work-dir.")
        results = bw.run(obj.settings, corpus, work, open_embedder(obj.settings), log, items=limit or bw.ITEMS)
        click.echo(bw.summary(results))
    else:
        results = b.run(obj.settings, corpus, limit, work_dir, rounds, raw_chunks, log=log)
        click.echo(b.summary(results))
    if json_path:
        json_path.write_text(json.dumps(results, ensure_ascii=False, indent=1))
        click.echo(f"Wrote {json_path}.")


COMMANDS = [eval_, bench]
