"""Shared fixtures: the real model (built once into .cache/models), real Chroma in temp folders."""

import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEEDS = ROOT / "seeds"
SEED_QUESTIONS = SHARED / "eval" / "seed_questions.jsonl"
MODELS_DIR = ROOT / ".cache" / "models"


def shared_file(path: Path) -> Path:
    if not path.exists():
        # at a module's top level this skips the whole module, with this message
        pytest.skip(f"{path} is absent (the shared test material lives in ../shared)", allow_module_level=True)
    return path


def seed_questions() -> list[dict]:
    return [json.loads(line) for line in shared_file(SEED_QUESTIONS).read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def make_settings():
    from qa.settings import Settings

    def make(data_dir: Path, **kw):
        return Settings(data_dir=Path(data_dir), models_dir=MODELS_DIR, **kw)

    return make


@pytest.fixture(scope="session")
def embedder(make_settings, tmp_path_factory):
    from qa.pipeline import open_embedder

    return open_embedder(make_settings(tmp_path_factory.mktemp("unused")))


@pytest.fixture(scope="session")
def seeded(make_settings, embedder, tmp_path_factory):
    """A pipeline over the two seed articles, shared by read-only tests."""
    from qa.pipeline import Pipeline

    pipeline = Pipeline.open(make_settings(tmp_path_factory.mktemp("seeded")), embedder=embedder)
    result = pipeline.read([SEEDS])
    pipeline.ingest(result.articles)
    return pipeline


@pytest.fixture
def fresh(make_settings, embedder, tmp_path):
    """An empty pipeline in its own temp folder."""
    from qa.pipeline import Pipeline

    return Pipeline.open(make_settings(tmp_path / "data"), embedder=embedder)


@pytest.fixture
def seeds_copy(tmp_path):
    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    return folder


@pytest.fixture
def run(tmp_path, monkeypatch):
    """`newsqa ARGS` in-process (click's runner), on a data folder of its own: run("list", "--json")."""
    from click.testing import CliRunner

    from qa.cli import cli

    monkeypatch.setenv("NEWSQA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NEWSQA_MODELS_DIR", str(MODELS_DIR))
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke
