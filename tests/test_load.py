"""20 simultaneous chat requests through Gradio's queue, driven with gradio_client."""

import statistics
import threading
import time

import pytest

from tests.helpers import serve_app

pytestmark = pytest.mark.slow  # a browser / a server: run in the full suite

CLIENTS = 20
QUESTIONS = ["what did Quảng Ngãi request?", "Hai trọng tâm phát triển của Quảng Ngãi là gì?"]

gradio_client = pytest.importorskip("gradio_client")


@pytest.fixture(scope="module")
def app_url(seeded):
    served = serve_app(seeded)
    yield served.url
    served.close()


def answer_text(result) -> str:
    """The last assistant message of the chat history the endpoint returns."""
    history = result[0]
    content = history[-1]["content"]
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def test_twenty_simultaneous_questions(app_url):
    from gradio_client import Client

    warm = Client(app_url, verbose=False)
    assert "[1]" in answer_text(warm.predict(QUESTIONS[0], "en", [], "", "", api_name="/chat"))
    clients: list = [None] * CLIENTS
    barrier = threading.Barrier(CLIENTS, timeout=60)
    latencies: list[float] = [0.0] * CLIENTS
    answers: list[str] = [""] * CLIENTS
    errors: list[str] = []

    def one(i: int):
        clients[i] = Client(app_url, verbose=False)  # connected before the burst, in parallel
        barrier.wait()
        started = time.perf_counter()
        try:
            result = clients[i].predict(QUESTIONS[i % 2], "en", [], "", "", api_name="/chat")
            answers[i] = answer_text(result)
        except Exception as e:  # noqa: BLE001 - collected and reported below
            errors.append(f"request {i}: {type(e).__name__}: {e}")
        latencies[i] = time.perf_counter() - started
        clients[i].close()  # ~1 s each: closed in parallel, after the measurement

    threads = [threading.Thread(target=one, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    wall = max(latencies)  # from the common start (the barrier) to the last answer
    warm.close()

    assert not errors, errors
    for i, text in enumerate(answers):
        assert "[1]" in text and "nq-sources" in text and "nq-error" not in text, (i, text[:300])
    p50, p95 = statistics.median(latencies), percentile(latencies, 0.95)
    print(f"\nload: {CLIENTS} simultaneous chat requests, all answered in {wall:.2f}s; p50 {p50:.2f}s, p95 {p95:.2f}s")
    assert wall < 60


def test_questions_are_answered_while_an_upload_is_indexed(fresh, tmp_path):
    """A big upload (about 150 passages) through the API; questions asked meanwhile come back
    cited before it is done."""
    import httpx

    from tests.conftest import SEEDS
    from tests.helpers import DANTRI, shared_file

    fresh.ingest(fresh.read([SEEDS]).articles)
    bodies = [p.read_text(encoding="utf-8") for p in sorted(shared_file(DANTRI).glob("*.txt"))[:40]]
    article = tmp_path / "big.txt"
    article.write_text("Tổng hợp tin tức\n\n" + "\n\n".join(bodies), encoding="utf-8")
    served = serve_app(fresh)
    http = httpx.Client(base_url=served.url, timeout=300)
    upload: dict = {}

    def send():
        with article.open("rb") as f:
            upload["response"] = http.post("api/articles", files={"files": ("big.txt", f, "text/plain")})
        upload["done"] = time.perf_counter()

    try:
        sender = threading.Thread(target=send)
        sender.start()
        time.sleep(1.0)  # the upload is being read and embedded
        answered = []
        while sender.is_alive() and len(answered) < 5:
            reply = http.post("api/ask", json={"question": QUESTIONS[len(answered) % 2]}).json()
            answered.append((time.perf_counter(), reply))
        sender.join(timeout=300)
        assert upload["response"].status_code == 200, upload["response"].text
        assert answered, "the upload finished before any question was asked"
        for at, reply in answered:
            assert reply["found"] and reply["claims"], reply
        assert answered[0][0] < upload["done"]  # answered while the upload was still being indexed
        assert any(a["title"] == "Tổng hợp tin tức" for a in http.get("api/articles").json())
    finally:
        http.close()
        served.close()
