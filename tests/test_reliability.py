"""Nothing lost, nothing unbounded: the faults found when the app was attacked, each reproduced with
the real model, real Chroma (in-process and a real `chroma run` server) and the served app."""

import json
import shutil
import socket
import subprocess
import sys

import pytest

from qa.question.conversation import MAX_SEARCHED_CHARS, MAX_TURNS
from tests.conftest import ROOT, SEEDS
from tests.helpers import ChromaServer, free_port, serve_app

SEED = "000_e74fd82c0679ccb9"


def article(path, title: str, body: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{title}\n\n{body}\n", encoding="utf-8")
    return path


# ---- 1. two different sources never share an id ----------------------------------------------
def test_same_file_name_in_two_folders_keeps_both(run, tmp_path):
    a = article(tmp_path / "a" / "news.txt", "Cảng Dung Quất", "Cảng Dung Quất đón tàu 300.000 tấn vào tháng 5.")
    b = article(tmp_path / "b" / "news.txt", "Sân bay Chu Lai", "Sân bay Chu Lai mở đường bay quốc tế mới.")
    assert "1 articles added, 0 updated" in run("ingest", str(a)).stdout
    second = run("ingest", str(b))
    assert second.exit_code == 0
    assert "1 articles added, 0 updated, 0 unchanged" in second.stdout
    listed = json.loads(run("list", "--json").stdout)
    assert sorted(x["source"] for x in listed) == sorted([str(a.resolve()), str(b.resolve())])
    assert len({x["id"] for x in listed}) == 2

    # the same file again updates its own article, never the other one
    b.write_text(b.read_text(encoding="utf-8") + "Đường bay đầu tiên đi Seoul.\n", encoding="utf-8")
    assert "0 articles added, 1 updated, 0 unchanged" in run("ingest", str(b)).stdout
    assert "0 articles added, 0 updated, 1 unchanged" in run("ingest", str(a)).stdout

    # a third file with the same text as a/news.txt is reported as the same article, not indexed twice
    c = tmp_path / "c" / "news.txt"
    c.parent.mkdir()
    shutil.copy(a, c)
    third = run("ingest", str(c))
    assert third.exit_code == 0
    assert f"Skipped: {c.resolve()}: same article as 'news', already indexed; skipped." in third.stderr
    assert "0 articles added, 0 updated, 0 unchanged" in third.stdout
    assert len(json.loads(run("list", "--json").stdout)) == 2


def test_two_files_of_one_name_in_one_run_are_both_indexed(run, tmp_path):
    article(tmp_path / "x" / "tin.txt", "Lũ ở Huế", "Mưa lớn gây lũ ở Huế ngày 12/10.")
    article(tmp_path / "y" / "tin.txt", "Hạn ở Ninh Thuận", "Nắng hạn kéo dài ở Ninh Thuận.")
    result = run("ingest", str(tmp_path / "x"), str(tmp_path / "y"))
    assert "2 articles added" in result.stdout and "Skipped" not in result.stderr
    assert {x["title"] for x in json.loads(run("list", "--json").stdout)} == {"Lũ ở Huế", "Hạn ở Ninh Thuận"}


def test_upload_named_like_an_indexed_file_replaces_nothing(fresh, tmp_path):
    from ingest.uploads import UPLOADS
    from qa.web.layout import build_ui

    fresh.ingest(fresh.read([SEEDS]).articles)
    before = {a.id: a.chunk_count for a in fresh.articles()}
    ui = build_ui(fresh, fresh.settings).newsqa
    upload = article(tmp_path / "incoming" / f"{SEED}.txt", "Tin ngắn", "Một đoạn tin khác hẳn, chỉ một câu.")
    status = ui.upload([str(upload)], "en")[0]
    assert "1 added, 0 updated" in status
    after = {a.id: a.chunk_count for a in fresh.articles()}
    assert after[SEED] == before[SEED] > 10  # the seed article is untouched
    assert len(after) == 3

    # a different file uploaded under the same name again is a third article, not a replacement
    article(upload, "Tin ngắn khác", "Nội dung thứ ba, cũng chỉ một câu.")
    assert "1 added, 0 updated" in ui.upload([str(upload)], "en")[0]
    assert len(fresh.articles()) == 4

    # rejected uploads (binary, empty, duplicate) leave nothing behind in uploads/
    kept = sorted(p.name for p in (fresh.settings.data_dir / UPLOADS).iterdir())
    binary = tmp_path / "incoming" / "photo.txt"
    binary.write_bytes(b"GIF89a\x00\x01\x02")
    empty = tmp_path / "incoming" / "empty.txt"
    empty.write_text("\n\n")
    duplicate = tmp_path / "incoming" / "copy.txt"
    shutil.copy(SEEDS / f"{SEED}.txt", duplicate)
    status = ui.upload([str(binary), str(empty), str(duplicate)], "en")[0]
    assert "binary file" in status and "empty article" in status and "same article" in status
    assert sorted(p.name for p in (fresh.settings.data_dir / UPLOADS).iterdir()) == kept
    assert len(fresh.articles()) == 4


# ---- 2. a conversation keeps a bounded amount, whatever the input ----------------------------------
def test_long_conversation_stays_bounded(seeded):
    from qa.web.layout import build_ui

    ui = build_ui(seeded, seeded.settings).newsqa
    history, conversation, sizes = [], [], []
    questions = ["Quảng Ngãi đề nghị gì?", "x" * 1999, "và?", "🙂" * 50, "còn họ?", "a " * 600]
    for turn in range(3 * MAX_TURNS):
        steps = list(ui.respond(questions[turn % len(questions)], conversation, "vi", [], "", ""))
        history, _, conversation, *_ = steps[-1]
        sizes.append(len(history[-1]["content"]))
        assert len(history) <= 2 * MAX_TURNS
        assert len(conversation) <= MAX_TURNS
        assert all(len(c["q"]) <= max(MAX_SEARCHED_CHARS, 2000) for c in conversation)
    assert max(sizes) < 60_000  # one reply: an answer with its sources, never the whole history


# ---- 3. the app reconnects when the Chroma server's store is recreated -------------------------------
@pytest.mark.slow
def test_app_recovers_after_the_server_store_is_recreated(make_settings, embedder, tmp_path):
    from gradio_client import Client

    from qa.pipeline import Pipeline
    from qa.web.layout import build_ui
    from qa.web.server import serve

    server = ChromaServer(tmp_path / "chroma-server").start()
    try:
        settings = make_settings(tmp_path / "data", chroma_url=server.url, port=free_port())
        pipeline = Pipeline.open(settings, embedder=embedder)
        pipeline.ingest(pipeline.read([SEEDS]).articles)
        served = serve(build_ui(pipeline, settings), settings, background=True)
        client = Client(served.url, verbose=False)
        try:
            ask = ("Hai trọng tâm phát triển của Quảng Ngãi là gì?", "vi", [], "", "")
            assert "[1]" in last_message(client.predict(*ask, api_name="/chat"))

            server.kill()  # the store is recreated: a new, empty folder, the same address
            shutil.rmtree(server.path)
            server.start()
            other = Pipeline.open(make_settings(tmp_path / "other", chroma_url=server.url), embedder=embedder)
            other.ingest(other.read([SEEDS / f"{SEED}.txt"]).articles)

            page = last_message(client.predict(*ask, api_name="/chat"))
            assert "does not exist" not in page
            assert "[1]" in page and "Lý Sơn" in page
            # the API names an article ingested after the app started
            filtered = ("Quảng Ngãi đề nghị gì?", "vi", [SEED], "", "")
            assert "[1]" in last_message(client.predict(*filtered, api_name="/chat"))
        finally:
            client.close()
            served.close()
    finally:
        server.kill()


def last_message(result) -> str:
    content = result[0][-1]["content"]
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


# ---- 4. `ask --file`: one result a line, a bad line never loses the batch ----------------------------
def test_ask_file_survives_bad_lines(run, tmp_path):
    run("ingest", str(SEEDS))
    good = json.dumps({"id": "ok", "question": "Ai dẫn đầu đoàn công tác tỉnh Quảng Ngãi?"}, ensure_ascii=False)
    lines = [
        good.encode(),
        json.dumps({"id": "n", "question": 5}).encode(),
        b'["a", "list"]',
        b"{not json",
        '{"id": "latin", "question": "Qu\u1ea3ng Ng\u00e3i"}'.encode("utf-16-le"),
        json.dumps({"id": "last", "question": "Ai dẫn đầu đoàn công tác tỉnh Quảng Ngãi?"}).encode(),
    ]
    questions = tmp_path / "q.jsonl"
    questions.write_bytes(b"\n".join(lines) + b"\n")
    result = run("ask", "--file", str(questions), "--json")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 6
    assert rows[0]["id"] == "ok" and rows[0]["found"] is True
    assert rows[1] == {"id": "n", "error": "line 2: not a JSON object with a 'question' string"}
    assert rows[2] == {"id": None, "error": "line 3: not a JSON object with a 'question' string"}
    assert rows[3] == {"id": None, "error": "line 4: not JSON; give one JSON object a line"}
    assert rows[4]["id"] is None and rows[4]["error"].startswith("line 5: not valid UTF-8")
    assert rows[5]["id"] == "last" and rows[5]["found"] is True


# ---- 5. every setting is checked at start-up --------------------------------------------------------
@pytest.mark.parametrize(
    "name, value, accepts",
    [
        ("NEWSQA_PORT", "abc", "a whole number from 1 to 65535"),
        ("NEWSQA_PORT", "70000", "a whole number from 1 to 65535"),
        ("NEWSQA_K", "0", "a whole number from 1 to 50"),
        ("NEWSQA_MAX_UPLOAD_MB", "-1", "a whole number from 1 to 1024"),
        ("NEWSQA_CHROMA_URL", "localhost:8000", "a URL like http://127.0.0.1:8000"),
        ("NEWSQA_AUTH", "nocolon", "user:password"),
        ("NEWSQA_THREADS", "-1", "a whole number from 0 to 1024"),
        ("NEWSQA_HOST", "", "an address to bind, like 127.0.0.1 or 0.0.0.0"),
    ],
)
def test_bad_setting_is_one_line_naming_it(run, monkeypatch, name, value, accepts):
    monkeypatch.setenv(name, value)
    result = run("list")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {name}={value!r} is not usable: give {accepts}.\n"


@pytest.mark.slow
def test_bad_setting_in_a_real_process_has_no_traceback(tmp_path):
    env = {"NEWSQA_PORT": "abc", "NEWSQA_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for command in (["-c", "from qa.cli import cli; cli()", "list"], ["app.py"]):
        done = subprocess.run(
            [sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 1
        assert done.stderr == "Error: NEWSQA_PORT='abc' is not usable: give a whole number from 1 to 65535.\n"


def _serve_on_a_busy_port(tmp_path, command: list[str], env_port: str | None = None):
    """Runs `command` (from the project root) while a socket holds a free port: (that port, the process).
    The port goes to NEWSQA_PORT, or `env_port` does."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {"NEWSQA_DATA_DIR": str(tmp_path), "NEWSQA_PORT": env_port or str(port), "PATH": "/usr/bin:/bin"}
        command = [c.format(port=port) for c in command]
        done = subprocess.run(
            [sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
    return port, done


@pytest.mark.slow
def test_busy_port_is_reported_before_loading_anything(tmp_path):
    port, done = _serve_on_a_busy_port(tmp_path, ["-c", "from qa.cli import cli; cli()", "serve"])
    assert done.returncode == 1
    assert done.stderr == (
        f"Error: Cannot serve on 127.0.0.1:{port}: Address already in use. Stop what uses that port, "
        "or choose another one with --port or NEWSQA_PORT.\n"
    )


@pytest.mark.slow
def test_app_py_takes_the_port_flag_over_the_environment(tmp_path):
    port, done = _serve_on_a_busy_port(tmp_path, ["app.py", "--port", "{port}"], env_port="1")
    assert done.returncode == 1
    assert done.stderr.startswith(f"Error: Cannot serve on 127.0.0.1:{port}: Address already in use.")


# ---- also weak: no words, NUL bytes, guessing passwords ------------------------------------------
@pytest.mark.parametrize("question", ["🙂🙂🙂", "x" * 1999, "?!%$#", "12345 678"])
def test_question_without_words_is_not_answered(seeded, question):
    answer = seeded.ask(question)
    assert answer.found is False and not answer.sources


def test_nul_byte_anywhere_makes_a_file_binary(tmp_path):
    from ingest.errors import ReadError
    from ingest.readers import read_file

    path = tmp_path / "late-nul.txt"
    path.write_bytes(("Tiêu đề\n\n" + "Nội dung bài báo. " * 1000).encode() + b"\x00\x01tail")
    with pytest.raises(ReadError, match="binary file, not an article"):
        read_file(path)


def test_login_attempts_are_limited():
    from qa.web.security import LoginLimiter

    now = [0.0]
    check = LoginLimiter("ana", "s3cret", max_failures=3, window=60, clock=lambda: now[0])
    assert check("ana", "s3cret")
    assert not any(check("ana", guess) for guess in ("a", "b", "c"))
    assert not check("ana", "s3cret")  # locked: even the right password waits
    now[0] = 61.0
    assert check("ana", "s3cret")


@pytest.mark.slow
def test_served_app_with_a_login_limits_guessing(seeded):
    import urllib.error
    import urllib.parse
    import urllib.request

    served = serve_app(seeded, auth="ana:s3cret")
    url = served.url

    def login(password: str) -> int:
        data = urllib.parse.urlencode({"username": "ana", "password": password}).encode()
        try:
            with urllib.request.urlopen(urllib.request.Request(f"{url}login", data=data), timeout=30) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    try:
        assert login("s3cret") == 200
        assert all(login(f"guess{i}") == 400 for i in range(5))
        assert login("s3cret") == 400  # too many failures: refused for a while
    finally:
        served.close()
