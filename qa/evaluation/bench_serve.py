"""`newsqa bench`, serving: `newsqa serve` in a fresh process (time until it answers, memory),
simultaneous chats through Gradio, and query latency over an index in a fresh process (`python -m
qa.evaluation.bench_serve --probe ROUNDS`).
"""

import json
import statistics
import subprocess
import sys
import threading
import time

from qa.evaluation.processes import CLI, ROOT, environment, free_port, peak_rss_mb, percentile, rss_mb, stop

SEED_QUESTIONS = ROOT.parent / "shared" / "eval" / "seed_questions.jsonl"


FALLBACK_QUESTIONS = [
    "Hai trọng tâm phát triển của Quảng Ngãi là gì?",
    "what did Quảng Ngãi request?",
    "quang ngai de nghi gi",
    "Ai dẫn đầu đoàn công tác tỉnh Quảng Ngãi?",
    "Kim ngạch xuất khẩu 9 tháng đầu năm 2023 của Quảng Ngãi là bao nhiêu?",
]


CHATS = 20


def questions() -> list[str]:
    """CHATS questions: the seed questions, topped up with the fallback ones."""
    asked = []
    if SEED_QUESTIONS.exists():
        rows = [json.loads(line) for line in SEED_QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
        asked = [r["question"] for r in rows]
    while len(asked) < CHATS:
        asked += FALLBACK_QUESTIONS
    return asked[:CHATS]


def message_text(history: list) -> str:
    """The last chat message's text (Gradio gives it as a string or a list of parts)."""
    content = history[-1]["content"]
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def chat(client, question: str) -> str:
    """One question through the app's chat endpoint with gradio_client; the answer's HTML."""
    return message_text(client.predict(question, "en", [], "", "", api_name="/chat")[0])


def chat_http(http, url: str, question: str) -> str:
    """One question through Gradio's HTTP API for the chat endpoint (POST, then read the event
    stream to its end); the answer's HTML."""
    event = http.post(f"{url}gradio_api/call/chat", json={"data": [question, "en", [], "", ""]}).json()
    result, kind = None, ""
    with http.stream("GET", f"{url}gradio_api/call/chat/{event['event_id']}") as response:
        for line in response.iter_lines():
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:") and kind == "complete":
                result = json.loads(line[5:])
    if result is None:
        raise RuntimeError(f"the chat ended with {kind or 'nothing'}")
    return message_text(result[0])


def burst(asked: list[str], ask) -> tuple[float, list[str], list[str]]:
    """`ask(i, question)` for every question at once, one thread each, released together: the time
    until the last answer, the answers and the errors."""
    answers: list[str] = [""] * len(asked)
    errors: list[str] = []
    barrier = threading.Barrier(len(asked))
    ended: list[float] = [0.0] * len(asked)

    def one(i: int) -> None:
        barrier.wait()
        try:
            answers[i] = ask(i, asked[i])
        except Exception as e:  # noqa: BLE001 - counted as a failed chat
            errors.append(f"{type(e).__name__}: {e}")
        ended[i] = time.perf_counter()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(asked))]
    begun = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    errors += [f"chat {i}: error message" for i, a in enumerate(answers) if "nq-error" in a]
    return max(ended) - begun, answers, errors


def serve_probe(settings, warm: int = 3) -> dict:
    """`newsqa serve` over the settings' index in a fresh process: time until it answers, RSS after
    `warm` chats, then CHATS simultaneous chats (each must come back cited), and its peak RSS."""
    import urllib.request

    import httpx
    from gradio_client import Client

    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-c", CLI, "serve", "--port", str(port)],
        env=environment(settings),
        cwd=str(ROOT),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"newsqa serve stopped:\n{server.stderr.read()[-3000:]}")
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                time.sleep(0.1)
        ready_s = time.perf_counter() - started
        asked = questions()
        http = httpx.Client(timeout=120)
        for q in asked[:warm]:
            chat_http(http, url, q)
        after_warm = rss_mb(server.pid)
        concurrent_s, answers, errors = burst(asked, lambda i, q: chat_http(http, url, q))
        # the same with gradio_client, one client each (their own CPU is spent on this machine too)
        clients = [Client(url, verbose=False, ssl_verify=False) for _ in asked]  # connected before the burst
        client_s, client_answers, client_errors = burst(asked, lambda i, q: chat(clients[i], q))
        return {
            "ready_s": ready_s,
            "rss_mb": after_warm,
            "peak_rss_mb": peak_rss_mb(server.pid),
            "chats": len(asked),
            "cited": sum("[1]" in a for a in answers),
            "errors": len(errors),
            "concurrent_s": concurrent_s,
            "gradio_client_s": client_s,
            "gradio_client_cited": sum("[1]" in a for a in client_answers),
            "gradio_client_errors": len(client_errors),
        }
    finally:
        stop(server, 15)


def probe(settings, rounds: int) -> dict:
    """Open the index of `settings` in a fresh process (as the app would) and time questions."""
    done = subprocess.run(
        [sys.executable, "-m", "qa.evaluation.bench_serve", "--probe", str(rounds)],
        env=environment(settings),
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"query probe failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _probe_main(rounds: int) -> None:
    """In the probe process: open the pipeline from the environment, warm up, time the questions;
    `sequential_s`: the CHATS questions one after another through the chat handler, in-process."""
    from qa.pipeline import Pipeline
    from qa.settings import Settings

    wall = time.perf_counter()
    pipeline = Pipeline.open(Settings.load())
    asked = questions()
    for q in FALLBACK_QUESTIONS[:3]:
        pipeline.ask(q)  # warm: model, lexical index
    ready_s = time.perf_counter() - wall
    first = []  # each question asked the first time: its passages are read from the store
    for q in asked:
        t = time.perf_counter()
        pipeline.ask(q)
        first.append((time.perf_counter() - t) * 1000)
    times = []  # asked again: the passages come from the in-memory cache
    for _ in range(rounds):
        for q in asked:
            t = time.perf_counter()
            pipeline.ask(q)
            times.append((time.perf_counter() - t) * 1000)
    from qa.web.handlers import Handlers, Service

    settings = pipeline.settings
    handlers = Handlers(Service(settings, pipeline), settings)
    started = time.perf_counter()
    for q in asked:  # the chat handler, as the app runs it for each chat (answer and HTML)
        for _ in handlers.respond(q, [], "en", [], "", ""):
            pass
    sequential_s = time.perf_counter() - started
    result = {
        "queries": len(times),
        "p50_ms": statistics.median(times),
        "p95_ms": percentile(times, 0.95),
        "first_p50_ms": statistics.median(first),
        "first_p95_ms": percentile(first, 0.95),
        "ready_s": ready_s,
        "sequential_s": sequential_s,
        "peak_rss_mb": peak_rss_mb(),
    }
    print(json.dumps(result))


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "--probe":
    _probe_main(int(sys.argv[2]))
