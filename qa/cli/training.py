"""`newsqa train-reader`, `newsqa choose-threshold` and `newsqa build-lexicon`: what is trained from ../shared/train."""

import sys
from pathlib import Path

import click

from qa.cli.context import fail

train_dir_option = click.option(
    "--train-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Training data folder [default ../shared/train].",
)


@click.command("train-reader")
@train_dir_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the reader [default qa/answering/reader_model].",
)
@click.option(
    "--stages", type=click.IntRange(1), default=1, show_default=True, help="Passes over the training windows."
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
@click.option(
    "--frozen",
    type=click.IntRange(0, 12),
    default=0,
    show_default=True,
    help="Lower layers (and the embeddings) kept as the base model's: no backward through them.",
)
def train_reader(train_dir, out, stages, seed, limit, threads, corpus, mix_scale, layers, frozen):
    """Fine-tune the answer reader (sentence scores + answerability) on CPU; about 80 minutes on 2 cores.

    \b
    newsqa train-reader                    # rebuilds qa/answering/reader_model from ../shared/train
    newsqa train-reader --limit 300 --out /tmp/reader   # a quick trial
    newsqa train-reader --layers 8 --frozen 3 --out /tmp/reader   # deeper, at the same step time
    """
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch is imported: idle threads sleep
    from qa.answering.reader import ARTEFACT, base_model_folder
    from qa.answering.reader_net import export_reader
    from qa.evaluation.datasets import default_shared
    from qa.training import train_reader as tr

    train_dir = train_dir or default_shared() / "train"
    if not train_dir.is_dir():
        fail(f"{train_dir} is absent. Give --train-dir DIR (the folder described in its README.md).")
    from qa.answering.reader import LAYERS
    from qa.evaluation.datasets import NEWS_CORPUS

    layers = layers or LAYERS
    if frozen >= layers:
        fail(f"--frozen {frozen} leaves none of the reader's {layers} layers to train. Give --frozen below --layers.")
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
        layers=layers,
        frozen=frozen,
    )
    _choose_threshold(out or ARTEFACT, train_dir.parent)
    click.echo(f"Exported for questions: {export_reader(out or ARTEFACT, base_model_folder())}.")


def _choose_threshold(folder: Path, shared: Path) -> None:
    from qa.answering.reader import base_model_folder
    from qa.training import threshold

    if not (shared / "eval" / "news_questions.jsonl").exists():
        click.echo(f"No {shared / 'eval' / 'news_questions.jsonl'}: the threshold stays the calibration's.", err=True)
        return
    chosen = threshold.choose(folder, shared, base_model_folder().parent, log=lambda m: click.echo(m, err=True))
    click.echo(
        f"Threshold {chosen['threshold']}: refuses {chosen['refused_answerable']:.1%} of the answerable and "
        f"{chosen['refused_unanswerable']:.1%} of the unanswerable news validation questions."
    )


@click.command("choose-threshold")
@click.option(
    "--reader",
    "folder",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The reader folder [default qa/answering/reader_model].",
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
    from qa.answering.reader import ARTEFACT
    from qa.evaluation.datasets import default_shared

    _choose_threshold(folder or ARTEFACT, shared or default_shared())


@click.command("build-lexicon")
@train_dir_option
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the word list [default qa/question/en_vi.json].",
)
@click.option(
    "--translator",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A local GGUF instruct model (llama-cpp-python) that translates the words (about 30 minutes).",
)
@click.pass_obj
def build_lexicon(obj, train_dir, out, translator):
    """Build the English -> Vietnamese word list English questions are searched with (two minutes; the
    shipped one with --translator, README "English questions: a word list").

    \b
    newsqa build-lexicon                   # rebuilds qa/question/en_vi.json from ../shared/train
    newsqa build-lexicon --translator qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
    """
    from tqdm import tqdm

    from qa.evaluation.datasets import default_shared
    from qa.pipeline import open_embedder
    from qa.question.translation import LEXICON
    from qa.training import lexicon

    train_dir = train_dir or default_shared() / "train"
    missing = [name for name in lexicon.SOURCES if not (train_dir / name).is_file()]
    if missing:
        fail(f"{train_dir / missing[0]} is absent. Give --train-dir DIR (the folder described in its README.md).")
    translate = None
    if translator is not None:
        complete = lexicon.llama_complete(translator)

        def translate(words: list[str]) -> dict[str, str]:
            with tqdm(total=len(words), unit="word", desc="Translating", file=sys.stderr, disable=None) as bar:
                return lexicon.translate_words(words, complete, bar.update)

    lexicon.build(
        train_dir,
        open_embedder(obj.settings),
        out or LEXICON,
        log=lambda m: click.echo(m, err=True),
        translate=translate,
    )


COMMANDS = [train_reader, choose_threshold, build_lexicon]
