"""The `newsqa` command line."""

import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path

import click

from ingest.errors import NewsqaError, StoreError
from qa.settings import Settings


class Context:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._pipeline = None

    @property
    def pipeline(self):
        if self._pipeline is None:
            from qa.pipeline import Pipeline

            self._pipeline = Pipeline.open(self.settings)
        return self._pipeline

    @property
    def index_pipeline(self):
        """The pipeline of an existing index: a data folder without one (a typo?) is an error, not a new index."""
        settings = self.settings
        if not settings.chroma_url and not (settings.data_dir / "chroma" / "chroma.sqlite3").is_file():
            fail(
                f"No index in {settings.data_dir}. Run `newsqa ingest PATH` first, or give the folder that holds "
                "the index with --data-dir or NEWSQA_DATA_DIR."
            )
        return self.pipeline


def fail(message: str, code: int = 1):
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


class Group(click.Group):
    """Turns every NewsqaError into a one-line message and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except NewsqaError as e:
            fail(str(e))


@click.group(cls=Group)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Data folder [env NEWSQA_DATA_DIR; default ./data].",
)
@click.option(
    "--chroma-url", help="Chroma server, e.g. http://127.0.0.1:8000 [env NEWSQA_CHROMA_URL; default: in-process]."
)
@click.option("--model", help="sentence-transformers model id or folder [env NEWSQA_MODEL].")
@click.option("-v", "--verbose", is_flag=True, help="Log progress details.")
@click.version_option(package_name="newsqa")
@click.pass_context
def cli(ctx, data_dir, chroma_url, model, verbose):
    """Ask questions about Vietnamese news articles; answers cite their sources.

    \b
    newsqa ingest seeds/
    newsqa ask "Hai trọng tâm phát triển của Quảng Ngãi là gì?"
    newsqa serve
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    ctx.obj = Context(Settings.load(data_dir=data_dir, chroma_url=chroma_url, model=model))


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--prune", is_flag=True, help="Also remove indexed articles whose file under the given folders is gone.")
@click.pass_obj
def ingest(obj: Context, paths, prune):
    """Index article files (.txt, .html), folders (recursively) or web pages (URLs).

    \b
    newsqa ingest seeds/
    newsqa ingest article.txt page.html other/
    newsqa ingest https://example.com/some-article.html
    newsqa ingest --prune corpus/      # and drop articles whose file under corpus/ was deleted
    """
    from tqdm import tqdm

    from ingest.fetch import is_url
    from ingest.lock import check_not_locked
    from ingest.sources import read_sources

    check_not_locked(obj.settings.data_dir)  # fail fast, before reading or loading the model
    result = read_sources(paths, allow_empty=prune)
    for problem in result.problems:
        click.echo(f"Skipped: {problem}", err=True)
    if not result.articles and not prune:
        fail("No readable article in " + ", ".join(paths) + ". Nothing was indexed.")
    pipeline = obj.pipeline
    folders = [Path(p) for p in paths if not is_url(p)] if prune else None
    with tqdm(total=len(result.articles), unit="article", desc="Indexing", file=sys.stderr, disable=None) as bar:
        report = pipeline.ingest(result.articles, progress=lambda article, n: bar.update(n), prune=folders)
    for message in report.duplicates:
        click.echo(f"Skipped: {message}", err=True)
    click.echo(
        f"{len(report.added)} articles added, {len(report.updated)} updated, {len(report.unchanged)} unchanged; "
        f"{report.chunks_written} chunks written in {report.seconds:.1f}s."
    )
    if prune:
        click.echo(f"{len(report.removed)} articles pruned (their files are gone).")


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--interval", type=click.IntRange(1), default=300, show_default=True, help="Seconds from one pass to the next."
)
@click.option("--once", is_flag=True, help="Make one pass and exit (exit code 1 when a source failed).")
@click.option(
    "--delay",
    type=click.FloatRange(0),
    default=1.0,
    show_default=True,
    help="Seconds between two requests to one host (a larger robots.txt Crawl-delay wins).",
)
@click.option(
    "--timeout", type=click.FloatRange(1), default=20.0, show_default=True, help="Seconds a request may take."
)
@click.option(
    "--recheck",
    type=click.FloatRange(0),
    default=3600.0,
    show_default=True,
    help="Seconds after which a page a feed still lists is fetched again (conditionally), for unannounced edits.",
)
@click.pass_obj
def watch(obj: Context, sources, interval, once, delay, timeout, recheck):
    """Keep the index current: index what is new or changed in feeds (RSS/Atom), sitemaps and folders.

    \b
    newsqa watch https://example.com/rss/tin-moi-nhat.rss     # a pass every 5 minutes, until stopped
    newsqa watch --once https://example.com/sitemap.xml inbox/  # one pass over a sitemap and a folder
    newsqa watch --interval 60 https://example.com/feed.xml https://example.org/rss
    """
    from ingest.watch import Watcher
    from ingest.watch_report import clock_time

    watcher = Watcher(
        list(sources),
        obj.settings.data_dir,
        ingest=lambda articles: obj.pipeline.ingest(articles),  # the model and the store open on first use
        delay=delay,
        timeout=timeout,
        batch_seconds=obj.settings.commit_seconds,
        recheck=recheck,
    )
    lock = watcher.state.lock()
    try:
        if once:
            report = watcher.run_pass()
            _echo_pass(report, "")
            sys.exit(1 if report.failed else 0)
        import threading

        try:
            watcher.run(interval, threading.Event(), lambda r: _echo_pass(r, clock_time(watcher.next_pass, interval)))
        except KeyboardInterrupt:
            click.echo("Stopped.", err=True)
    finally:
        lock.release()


def _echo_pass(report, next_pass: str) -> None:
    """One line per source, then one line per item that was not indexed."""
    for source in report.sources:
        click.echo(source.line(next_pass))
        for problem in source.problems:
            click.echo(f"  skipped: {problem}")


@cli.command()
@click.argument("question", required=False)
@click.option("--file", "file_", type=click.File("rb"), help="JSONL file of {id, question} objects ('-': stdin).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("-k", type=click.IntRange(1, 50), default=None, help="Sources to retrieve (default 5).")
@click.pass_obj
def ask(obj: Context, question, file_, as_json, k):
    """Answer a question from the indexed articles.

    \b
    newsqa ask "what did Quảng Ngãi request?"
    newsqa ask --file questions.jsonl --json
    """
    from qa.pipeline import check_question

    if file_ is None:
        if question is None:
            fail("Give a QUESTION or --file QUESTIONS.jsonl.")
        check_question(question)
        answer = obj.index_pipeline.ask(question, k=k)
        if as_json:
            click.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        else:
            click.echo(answer.plain_text() if answer.found else _not_found_text(answer))
        return
    for n, raw in enumerate(file_, 1):
        if not raw.strip():
            continue
        out = _ask_line(obj, n, raw, k)
        click.echo(
            json.dumps(out, ensure_ascii=False)
            if as_json
            else f"{out.get('id')}: {out.get('answer', out.get('error'))}"
        )


def _ask_line(obj: Context, n: int, raw: bytes, k: int | None) -> dict:
    """The answer to one line of a questions file, or {"id", "error"}: a bad line never stops the batch."""
    try:
        item = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        return {"id": None, "error": f"line {n}: not valid UTF-8 (byte {e.start}); convert the file to UTF-8"}
    except json.JSONDecodeError:
        return {"id": None, "error": f"line {n}: not JSON; give one JSON object a line"}
    if not isinstance(item, dict) or not isinstance(item.get("question"), str):
        id_ = item.get("id") if isinstance(item, dict) else None
        return {"id": id_, "error": f"line {n}: not a JSON object with a 'question' string"}
    try:
        return {"id": item.get("id"), **obj.index_pipeline.ask(item["question"], k=k).to_dict()}
    except NewsqaError as e:
        if isinstance(e, StoreError):
            raise  # the store is away: every further line would fail the same way
        return {"id": item.get("id"), "error": str(e)}
    except Exception as e:  # noqa: BLE001 - one failing question must not lose the rest of the batch
        logging.getLogger(__name__).exception("question on line %d failed", n)
        return {"id": item.get("id"), "error": f"line {n}: {type(e).__name__}: {e}"}


def _not_found_text(answer) -> str:
    lines = [answer.answer]
    for s in answer.related[:3]:
        lines.append(f"- {s.title} ({s.date or 'undated'}): {s.text[:160]}…")
    return "\n".join(lines)


@cli.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def list_(obj: Context, as_json):
    """List indexed articles: id, date (and how it was found, or "undated"), chunk count, title.

    \b
    newsqa list
    newsqa list --json
    """
    articles = obj.index_pipeline.articles()
    if as_json:
        click.echo(json.dumps([asdict(a) for a in articles], ensure_ascii=False, indent=2))
        return
    if not articles:
        click.echo("No articles indexed yet. Run `newsqa ingest PATH`.")
    for a in articles:
        dated = f"{a.date} ({a.date_source})" if a.date and a.date_source else a.date or "undated"
        click.echo(f"{a.id}\t{dated}\t{a.chunk_count} chunks\t{a.title}")


@cli.command()
@click.argument("article_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def show(obj: Context, article_id, as_json):
    """Show an article's cleaned text and its chunks."""
    info, text, chunks = obj.index_pipeline.article(article_id)
    if as_json:
        rows = [{k: v for k, v in c.items() if k != "sentence_vectors"} for c in chunks]
        click.echo(json.dumps({**asdict(info), "text": text, "chunks": rows}, ensure_ascii=False, indent=2))
        return
    click.echo(f"{info.title}\n{info.byline}  {info.date}  {info.url or info.source}\n\n{text}\n")
    for c in chunks:
        click.echo(f"--- chunk {c['chunk_index']} [{c['start']}:{c['end']}]\n{c['text']}")


@cli.command()
@click.argument("article_ids", nargs=-1, required=True)
@click.pass_obj
def remove(obj: Context, article_ids):
    """Remove articles (and their chunks) from the index."""
    removed = obj.index_pipeline.remove(list(article_ids))
    click.echo(f"{len(removed)} articles removed.")


@cli.command(name="prepare-model")
@click.pass_obj
def prepare_model(obj: Context):
    """Build (once) and load the embedding model and the answer reader's ONNX export, so the first
    question is fast and needs no torch."""
    from ingest.embedder import default_model_folder
    from qa.pipeline import open_embedder
    from qa.reader import ARTEFACT, export_reader

    embedder = open_embedder(obj.settings)
    click.echo(f"Model ready: {embedder.name} ({embedder.dim} dimensions).")
    if (ARTEFACT / "reader.json").exists():
        click.echo(f"Reader ready: {export_reader(ARTEFACT, default_model_folder(obj.settings.model_folder_root))}.")


def json_file_option(help: str):
    return click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help=help)


def work_dir_option(help: str):
    return click.option("--work-dir", type=click.Path(file_okay=False, path_type=Path), help=help)


@cli.command(name="eval")
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

    from qa import datasets as ds
    from qa import eval as ev
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
        from qa import eval_dated

        with tqdm(unit="question", desc="Dated questions", file=sys.stderr, disable=None) as bar:
            result = eval_dated.run(shared, settings, embedder, work_dir, limit, progress=bar.update)
        click.echo(("\n\n" if results else "") + eval_dated.markdown(result))
        results.append(result)
    if json_path:
        json_path.write_text(json.dumps(results, ensure_ascii=False, indent=1))
        click.echo(f"Wrote {json_path}.")


@cli.command()
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
    from qa import bench as b

    corpus = corpus or b.DEFAULT_CORPUS
    if not corpus.is_dir():
        fail(f"{corpus} is absent. Give --corpus DIR (a folder of articles).")
    log = lambda m: click.echo(m, err=True)  # noqa: E731
    if simulate:
        from qa import bench_simulate as s

        results = s.run(
            obj.settings, simulate, corpus, work_dir, articles=articles, server=server, rounds=rounds, log=log
        )
        click.echo(s.summary(results))
    elif watch_only:
        import tempfile

        from qa import bench_watch as bw
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


@cli.command()
@click.option("--host", help="Address to bind [env NEWSQA_HOST; default 127.0.0.1].")
@click.option("--port", type=int, help="Port [env NEWSQA_PORT; default 7860].")
@click.option(
    "--watch",
    "sources",
    multiple=True,
    metavar="SOURCE",
    help="Also watch this feed, sitemap or folder, as `newsqa watch` does (repeat for more).",
)
@click.option(
    "--watch-interval", type=click.IntRange(1), default=300, show_default=True, help="Seconds between watch passes."
)
@click.pass_obj
def serve(obj: Context, host, port, sources, watch_interval):
    """Start the chat app (same as `python app.py`); with --watch, keep the index current beside it.

    \b
    newsqa serve
    newsqa serve --watch https://example.com/rss/tin-moi-nhat.rss --watch inbox/
    """
    from qa.web.server import launch

    settings = obj.settings
    if host or port:
        settings = Settings.load(
            data_dir=settings.data_dir, chroma_url=settings.chroma_url, model=settings.model, host=host, port=port
        )
    watcher = None
    if sources:
        from ingest.watch_report import clock_time
        from qa.watching import BackgroundWatch

        def echo(report):
            _echo_pass(report, clock_time(watcher.watcher.next_pass, watch_interval))

        watcher = BackgroundWatch(settings, list(sources), watch_interval, on_pass=echo)
    launch(settings, watcher=watcher)


@cli.command("train-reader")
@click.option(
    "--train-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Training data folder [default ../shared/train].",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the reader [default qa/reader_model].",
)
@click.option(
    "--stages", type=click.IntRange(1), default=2, show_default=True, help="Passes over the training windows."
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Random seed (the default reproduces the shipped reader)."
)
@click.option("--limit", type=click.IntRange(0), default=0, help="Use only N questions (a quick trial run).")
@click.option("--threads", type=click.IntRange(1), default=2, show_default=True, help="CPU threads for training.")
@click.option(
    "--corpus",
    type=click.Path(file_okay=False, path_type=Path),
    help="News corpus whose train split gives cloze questions [default ../shared/corpora/dantri-unc].",
)
@click.option(
    "--mix-scale",
    type=click.FloatRange(0.01),
    default=1.0,
    show_default=True,
    help="Scale the questions drawn per stage.",
)
@click.option("--layers", type=click.IntRange(1, 12), default=None, help="Transformer layers of the reader.")
def train_reader(train_dir, out, stages, seed, limit, threads, corpus, mix_scale, layers):
    """Fine-tune the answer reader (sentence scores + answerability) on CPU; 35-60 minutes on 2 cores.

    \b
    newsqa train-reader                    # rebuilds qa/reader_model from ../shared/train
    newsqa train-reader --limit 300 --out /tmp/reader   # a quick trial
    """
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch is imported: idle threads sleep
    from qa import train_reader as tr
    from qa.datasets import default_shared
    from qa.reader import ARTEFACT, base_model_folder, export_reader

    train_dir = train_dir or default_shared() / "train"
    if not train_dir.is_dir():
        fail(f"{train_dir} is absent. Give --train-dir DIR (the folder described in its README.md).")
    from qa.datasets import NEWS_CORPUS
    from qa.reader import LAYERS

    tr.train(
        train_dir,
        out=out or ARTEFACT,
        stages=stages,
        seed=seed,
        limit=limit,
        threads=threads,
        log=lambda m: click.echo(m, err=True),
        corpus=corpus or default_shared() / NEWS_CORPUS,
        mix_scale=mix_scale,
        layers=layers or LAYERS,
    )
    _choose_threshold(out or ARTEFACT, train_dir.parent)
    click.echo(f"Exported for questions: {export_reader(out or ARTEFACT, base_model_folder())}.")


def _choose_threshold(folder: Path, shared: Path) -> None:
    from qa import threshold
    from qa.reader import base_model_folder

    if not (shared / "eval" / "news_questions.jsonl").exists():
        click.echo(f"No {shared / 'eval' / 'news_questions.jsonl'}: the threshold stays the calibration's.", err=True)
        return
    chosen = threshold.choose(folder, shared, base_model_folder().parent, log=lambda m: click.echo(m, err=True))
    click.echo(
        f"Threshold {chosen['threshold']}: refuses {chosen['refused_answerable']:.1%} of the answerable and "
        f"{chosen['refused_unanswerable']:.1%} of the unanswerable news validation questions."
    )


@cli.command("choose-threshold")
@click.option(
    "--reader",
    "folder",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The reader folder [default qa/reader_model].",
)
@click.option(
    "--shared",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The shared material folder [default ../shared].",
)
def choose_threshold(folder, shared):
    """Choose the reader's refusal threshold on the news validation questions (writes reader.json).

    \b
    newsqa choose-threshold
    """
    from qa.datasets import default_shared
    from qa.reader import ARTEFACT

    _choose_threshold(folder or ARTEFACT, shared or default_shared())
