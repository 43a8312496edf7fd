"""The `newsqa` command line: exit codes and exact messages for bad input, and a real round trip."""

import json
import os
import subprocess
import sys

from tests.conftest import MODELS_DIR, ROOT, SEEDS


def test_empty_question(run):
    result = run("ask", "   ")
    assert result.exit_code == 1
    assert result.stderr == "Error: The question is empty. Type a question about the articles.\n"


def test_huge_question(run):
    result = run("ask", "x" * 20_000)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: The question is 20,000 characters long; the limit is 2,000. Ask something shorter.\n"
    )


def test_train_reader_with_every_layer_frozen(run, tmp_path):
    result = run("train-reader", "--train-dir", str(tmp_path), "--frozen", "6")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --frozen 6 leaves none of the reader's 6 layers to train. Give --frozen below --layers.\n"
    )


def test_binary_file(run, tmp_path):
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    result = run("ingest", str(path))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Skipped: {path}: binary file, not an article. Give a UTF-8 text or HTML file.\n"
        f"Error: No readable article in {path}. Nothing was indexed.\n"
    )


def test_non_utf8_file(run, tmp_path):
    path = tmp_path / "cp1258.txt"
    path.write_bytes("Tiêu đề\n\nNội dung bài báo.".encode("utf-16-le").replace(b"\x00", b"\xff"))
    result = run("ingest", str(path))
    assert result.exit_code == 1
    assert f"Skipped: {path}: not valid UTF-8 (byte " in result.stderr
    assert "Convert it to UTF-8" in result.stderr


def test_empty_article(run, tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("\n\n  \n")
    result = run("ingest", str(path))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Skipped: {path}: empty article (no title, no text). Nothing was indexed from it.\n"
        f"Error: No readable article in {path}. Nothing was indexed.\n"
    )


def test_folder_without_articles(run, tmp_path):
    folder = tmp_path / "nothing"
    folder.mkdir()
    result = run("ingest", str(folder))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: No article files found in {folder}. Give .txt files or folders that contain them.\n"
    )


def test_data_folder_without_an_index(run, tmp_path):
    """A mistyped data folder is reported, not turned into a new empty index (nor is the model loaded)."""
    for command in (["list"], ["show", "some-id"], ["remove", "some-id"], ["ask", "Quảng Ngãi đề nghị gì?"]):
        result = run(*command)
        assert result.exit_code == 1
        assert result.stderr == (
            f"Error: No index in {tmp_path / 'data'}. Run `newsqa ingest PATH` first, or give the folder that "
            "holds the index with --data-dir or NEWSQA_DATA_DIR.\n"
        )
    assert not (tmp_path / "data").exists()


def test_round_trip_with_a_bad_file_beside_good_ones(run, tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    for seed in SEEDS.glob("*.txt"):
        (folder / seed.name).write_bytes(seed.read_bytes())
    (folder / "broken.txt").write_bytes(b"\xff\xfe\x00\x00garbage")
    result = run("ingest", str(folder))
    assert result.exit_code == 0, result.output
    assert "2 articles added, 0 updated, 0 unchanged" in result.stdout
    assert f"Skipped: {folder / 'broken.txt'}: binary file" in result.stderr

    again = run("ingest", str(folder))
    assert "0 articles added, 0 updated, 2 unchanged; 0 chunks written" in again.stdout

    listed = json.loads(run("list", "--json").stdout)
    assert {a["id"] for a in listed} == {"000_e74fd82c0679ccb9", "003_7211dce79f53bb69"}
    assert all(a["chunk_count"] > 5 for a in listed)

    answer = json.loads(run("ask", "Hai trọng tâm phát triển của Quảng Ngãi là gì?", "--json").stdout)
    assert answer["found"] is True
    assert "[1]" in answer["answer"]
    assert any("Trung tâm du lịch biển - đảo tại Lý Sơn" in s["text"] for s in answer["sources"])

    unknown = run("show", "no-such-article")
    assert unknown.exit_code == 1
    assert unknown.stderr == "Error: No article with id 'no-such-article'. `newsqa list` shows the indexed articles.\n"

    shown = json.loads(run("show", "003_7211dce79f53bb69", "--json").stdout)
    assert shown["byline"] == "Anh Sơn"
    for chunk in shown["chunks"]:
        assert shown["text"][chunk["start"] : chunk["end"]] == chunk["text"]


def test_ask_file_jsonl(run, tmp_path):
    run("ingest", str(SEEDS))
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps({"id": "a", "question": "Ai dẫn đầu đoàn công tác tỉnh Quảng Ngãi?"}, ensure_ascii=False)
        + "\n"
        + json.dumps({"id": "b", "question": ""})
        + "\n"
    )
    result = run("ask", "--file", str(questions), "--json")
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[0]["id"] == "a" and rows[0]["found"] is True
    assert "Bùi Thị Quỳnh Vân" in " ".join(s["text"] for s in rows[0]["sources"])
    assert rows[1] == {"id": "b", "error": "The question is empty. Type a question about the articles."}


def test_no_torch_for_list_show_ask_remove(run, tmp_path):
    """Checked in a fresh process through `sys.modules`: no torch, no sentence-transformers, no
    transformers; `ask` answers with the ONNX encoder (and the ONNX reader)."""

    run("ingest", str(SEEDS))
    probe = (
        "import sys\nfrom qa.cli import cli\ntry:\n    cli()\nexcept SystemExit as e:\n    code = e.code\n"
        "heavy = ('torch', 'sentence_transformers', 'transformers')\n"
        "print('LOADED', sorted(m for m in heavy if m in sys.modules), code)"
    )
    env = {**os.environ, "NEWSQA_DATA_DIR": str(tmp_path / "data"), "NEWSQA_MODELS_DIR": str(MODELS_DIR)}
    from ingest.embedder import default_model_folder
    from qa.answering.reader import ARTEFACT
    from qa.answering.reader_net import export_reader

    export_reader(ARTEFACT, default_model_folder(MODELS_DIR))  # as `newsqa prepare-model` does at set-up
    question = ["ask", "Ai dẫn đầu đoàn công tác tỉnh Quảng Ngãi?"]
    for args, answerer in (
        (["list"], "rules"),
        (["show", "003_7211dce79f53bb69"], "rules"),
        (question, "rules"),
        (question, "reader"),
        (["remove", "003_7211dce79f53bb69"], "rules"),
    ):
        done = subprocess.run(
            [sys.executable, "-c", probe, *args],
            cwd=ROOT,
            env={**env, "NEWSQA_ANSWERER": answerer},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.stdout.strip().splitlines()[-1] == "LOADED [] 0", (args, done.stdout[-500:], done.stderr[-500:])
        if args == question:
            assert "Bùi Thị Quỳnh Vân" in done.stdout
