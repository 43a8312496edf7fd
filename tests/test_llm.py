"""Generative answers (NEWSQA_LLM, qa/generation/llm.py + qa/generation/verify.py) end to end: the real model and Chroma over
the seed articles, the real reader, LangChain's ChatOpenAI talking real HTTP (streamed) to a local
OpenAI-compatible server started here, whose replies each test scripts and which records every
request it gets."""

import dataclasses
import json
import time

import pytest

from tests.conftest import SEEDS
from tests.helpers import FakeLLM, free_port, passage_number, prompt_of

EXPORTS_VI = "Kim ngạch xuất khẩu 9 tháng đầu năm 2023 của Quảng Ngãi đạt bao nhiêu?"
EXPORTS_EN = "How much did Quang Ngai export in the first nine months of 2023?"
EVIDENCE = "Kim ngạch xuất khẩu 9 tháng đầu năm 2023 ước đạt 1,9 tỷ USD, tăng 8,7% so với cùng kỳ năm 2022."
UNANSWERABLE = "Kết quả xổ số miền Bắc ngày 1/5/2024?"
FALLBACK = "Showing the answer quoted from the articles instead."


@pytest.fixture
def llm_server():
    server = FakeLLM()
    yield server
    server.close()


@pytest.fixture
def generative(seeded, embedder, llm_server):
    """make(**settings) -> a pipeline over the seeded index that answers with the fake server's model."""
    from qa.pipeline import Pipeline

    def make(**changes):
        wanted = {
            "llm": "openai:test-model",
            "llm_base_url": llm_server.url,
            "llm_api_key": "sk-test-key",
            "llm_timeout": 20.0,
            **changes,
        }
        settings = dataclasses.replace(seeded.settings, **wanted)
        return Pipeline(settings, seeded.index, embedder)

    return make


def exports_reply(extra: str):
    """A reply with one sentence true to the exports passage, then `extra` (a format string: {n} is that passage)."""

    def script(request):
        n = passage_number(request, "1,9 tỷ USD")
        return {
            "text": f"Kim ngạch xuất khẩu 9 tháng đầu năm 2023 của Quảng Ngãi ước đạt 1,9 tỷ USD [{n}]. "
            + extra.format(n=n)
        }

    return script


def test_good_answer_streams_and_is_verified(generative, llm_server):
    llm_server.script = exports_reply("Con số này tăng 8,7% so với cùng kỳ năm 2022 [{n}].")
    tokens = []
    answer = generative().ask(EXPORTS_VI, on_token=tokens.append)

    assert answer.mode == "llm" and answer.found and not answer.note
    assert [c.verified for c in answer.claims] == [True, True], answer.signals.get("llm_claims")
    first = answer.claims[0]
    assert first.text == "Kim ngạch xuất khẩu 9 tháng đầu năm 2023 của Quảng Ngãi ước đạt 1,9 tỷ USD."
    assert first.cited == [1] and first.source == 1 and first.reason == ""
    source = answer.sources[0]
    assert source.text[first.start : first.end] == EVIDENCE  # the evidence sentence, highlighted
    assert (first.start, first.end) in source.highlights
    assert answer.answer.startswith(first.text + " [1] ")
    # streamed: the text grew token by token, to the whole reply
    assert (
        len(tokens) > 5
        and tokens[-1].startswith("Kim ngạch")
        and tokens[-1].endswith("[{}].".format(passage_number(llm_server.requests[0]["body"], "1,9 tỷ USD")))
    )
    # one request, streamed, with the key, the model and the numbered passages
    (request,) = llm_server.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["authorization"] == "Bearer sk-test-key"
    body = request["body"]
    assert body["model"] == "test-model" and body["stream"] is True
    assert "in Vietnamese" in prompt_of(body) and f"Question: {EXPORTS_VI}" in prompt_of(body)
    assert "[1] " in prompt_of(body) and "[5] " in prompt_of(body)
    data = answer.to_dict()
    assert data["mode"] == "llm" and data["claims"][0]["verified"] is True


def test_a_figure_no_passage_holds_is_not_verified(generative, llm_server):
    llm_server.script = exports_reply("Tỉnh đặt mục tiêu xuất khẩu đạt 5 tỷ USD vào năm 2025 [{n}].")
    answer = generative().ask(EXPORTS_VI)
    assert answer.mode == "llm"
    good, bad = answer.claims
    assert good.verified and not bad.verified
    assert bad.text == "Tỉnh đặt mục tiêu xuất khẩu đạt 5 tỷ USD vào năm 2025."
    assert bad.reason == "the figure “5 tỷ” is not in the cited passage [1]"
    assert answer.answer.endswith("vào năm 2025. [1] (unverified)")
    assert answer.sources[0].highlights == [(good.start, good.end)]  # only verified claims highlight

    dropped = generative(llm_unverified="drop").ask(EXPORTS_VI)
    assert [c.text for c in dropped.claims] == [good.text]
    assert [c["verified"] for c in dropped.signals["llm_claims"]] == [True, False]


def test_a_citation_out_of_range_is_not_verified(generative, llm_server):
    llm_server.script = exports_reply("Con số này tăng 8,7% so với cùng kỳ năm 2022 [9].")
    answer = generative().ask(EXPORTS_VI)
    good, bad = answer.claims
    assert good.verified and not bad.verified
    assert bad.reason == "it cites [9], but only 5 passages were given"
    assert bad.cited == [] and bad.source == 0
    assert [s.number for s in answer.sources] == [1]


def test_english_answer_citing_vietnamese_passages(generative, llm_server):
    def script(request):
        n = passage_number(request, "1,9 tỷ USD")
        return {
            "text": f"Quang Ngai's exports in the first nine months of 2023 reached an estimated 1.9 billion USD [{n}]. "
            f"That is 8.7 percent more than in the same period of 2022 [{n}]. "
            f"Exports are expected to reach 3.5 billion USD in 2024 [{n}]."
        }

    llm_server.script = script
    answer = generative().ask(EXPORTS_EN)
    assert answer.mode == "llm" and answer.language == "en"
    assert "in English" in prompt_of(llm_server.requests[0]["body"])
    assert [c.verified for c in answer.claims] == [True, True, False], answer.signals["llm_claims"]
    assert answer.sources[0].text[answer.claims[0].start : answer.claims[0].end] == EVIDENCE
    assert answer.claims[2].reason == "the figure “3.5 billion” is not in the cited passage [1]"


@pytest.mark.parametrize(
    "status, message",
    [
        (500, "The language model server at {url} failed (HTTP 500)."),
        (401, "The language model server at {url} refused the API key (HTTP 401). Check NEWSQA_LLM_API_KEY."),
        (429, "The language model server at {url} is limiting requests (HTTP 429). Try again later."),
    ],
)
def test_server_errors_fall_back_to_the_quoted_answer(generative, llm_server, status, message):
    llm_server.script = lambda request: {"status": status}
    answer = generative().ask(EXPORTS_VI)
    assert answer.mode == "extractive" and answer.found
    assert answer.note == message.format(url=llm_server.url) + " " + FALLBACK
    assert answer.claims[0].text == EVIDENCE and answer.claims[0].verified
    assert len(llm_server.requests) == 1  # no retries


@pytest.mark.parametrize("pause", [False, True], ids=["no-reply", "stalls-mid-stream"])
def test_timeout_falls_back_without_hanging(generative, llm_server, pause):
    if pause:
        llm_server.script = lambda request: {"text": "Kim ngạch xuất khẩu đạt 1,9 tỷ USD [1].", "pause": 30}
    else:
        llm_server.script = lambda request: {"sleep": 30, "text": "late"}
    pipeline = generative(llm_timeout=2.0)
    pipeline.ask(EXPORTS_VI)  # warm: the reader and the query encoder are loaded
    started = time.monotonic()
    answer = pipeline.ask(EXPORTS_VI)
    assert time.monotonic() - started < 8
    assert answer.mode == "extractive" and answer.claims[0].text == EVIDENCE
    assert answer.note == (
        "The language model (openai:test-model) did not answer within 2 s (NEWSQA_LLM_TIMEOUT). "
        "Try again, or allow it more time. " + FALLBACK
    )


def test_garbage_output_falls_back(generative, llm_server):
    llm_server.script = lambda request: {"raw": b"data: <html>502 Bad Gateway</html>\n\n"}
    answer = generative().ask(EXPORTS_VI)
    assert answer.mode == "extractive" and answer.claims[0].text == EVIDENCE
    assert answer.note.startswith("The language model (openai:test-model) gave a reply that could not be read (")
    assert answer.note.endswith(FALLBACK)

    llm_server.script = lambda request: {"text": "Lorem ipsum dolor sit amet, consectetur adipiscing elit."}
    answer = generative().ask(EXPORTS_VI)
    assert answer.mode == "extractive" and answer.claims[0].text == EVIDENCE
    assert answer.note == (
        "The sentence the language model wrote could not be verified against the passages: it cites no passage. "
        + FALLBACK
    )

    llm_server.script = lambda request: {"raw": b"data: [DONE]\n\n"}
    answer = generative().ask(EXPORTS_VI)
    assert answer.note == "The language model (openai:test-model) gave an empty answer. " + FALLBACK


def test_unreachable_server_falls_back(generative):
    answer = generative(llm_base_url=f"http://127.0.0.1:{free_port()}/v1").ask(EXPORTS_VI)
    assert answer.mode == "extractive" and answer.claims[0].text == EVIDENCE
    assert "cannot be reached. Start it, or check NEWSQA_LLM_BASE_URL." in answer.note


def test_the_gate_refuses_without_calling_the_model(generative, llm_server):
    answer = generative().ask(UNANSWERABLE)
    assert not answer.found and answer.mode == "extractive"
    assert answer.answer.startswith("Các bài báo đã lập chỉ mục không trả lời câu hỏi này.")
    assert answer.signals["llm_asked"] is False and answer.signals["confidence"] < answer.signals["threshold"]
    assert llm_server.requests == []


def test_the_model_says_the_passages_do_not_answer(generative, llm_server):
    llm_server.script = lambda request: {"text": "NOT_IN_PASSAGES"}
    answer = generative().ask(EXPORTS_VI)
    assert not answer.found and answer.mode == "llm" and answer.claims == []
    assert answer.answer.startswith("Các bài báo đã lập chỉ mục không trả lời câu hỏi này.")


def test_chat_streams_then_marks_unverified_sentences(generative, llm_server):
    from qa.web.handlers import Handlers, Service

    llm_server.script = exports_reply("Tỉnh đặt mục tiêu xuất khẩu đạt 5 tỷ USD vào năm 2025 [{n}].")
    pipeline = generative()
    handlers = Handlers(Service(pipeline.settings, pipeline), pipeline.settings)
    steps = [h[-1]["content"] for h, *_ in handlers.respond(EXPORTS_VI, [], "en", [], "", "")]
    streamed = [s for s in steps if "nq-streaming" in s]
    assert streamed and "The language model is writing…" in streamed[0]
    final = steps[-1]
    assert "Written by the language model (openai:test-model)" in final
    assert final.count('class="nq-claim"') == 1 and final.count('class="nq-claim nq-unverified"') == 1
    assert 'title="unverified: the figure “5 tỷ” is not in the cited passage [1]"' in final
    assert '<span class="nq-badge">unverified</span>' in final
    assert "<mark>" + EVIDENCE + "</mark>" in final


def test_ask_json_with_the_settings_in_the_environment(run, llm_server, monkeypatch):
    """The issue's check: NEWSQA_LLM, NEWSQA_LLM_BASE_URL, NEWSQA_LLM_API_KEY pointing at the scripted
    server; `newsqa ask --json` shows the true sentence verified and the made-up figure not; an
    unanswerable question is refused with no request reaching the server."""
    monkeypatch.setenv("NEWSQA_LLM", "openai:test-model")
    monkeypatch.setenv("NEWSQA_LLM_BASE_URL", llm_server.url)
    monkeypatch.setenv("NEWSQA_LLM_API_KEY", "sk-test-key")
    llm_server.script = exports_reply("Tỉnh đặt mục tiêu xuất khẩu đạt 5 tỷ USD vào năm 2025 [{n}].")
    assert run("ingest", str(SEEDS)).exit_code == 0

    result = run("ask", EXPORTS_VI, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["mode"] == "llm"
    assert [(c["verified"], c["reason"]) for c in data["claims"]] == [
        (True, ""),
        (False, "the figure “5 tỷ” is not in the cited passage [1]"),
    ]
    assert data["sources"][0]["text"][data["claims"][0]["start"] : data["claims"][0]["end"]] == EVIDENCE
    assert len(llm_server.requests) == 1

    result = run("ask", UNANSWERABLE, "--json")
    data = json.loads(result.stdout)
    assert data["found"] is False and data["mode"] == "extractive" and data["claims"] == []
    assert len(llm_server.requests) == 1  # the refused question never reached the server


def test_bad_llm_settings_are_named(run, monkeypatch):
    monkeypatch.setenv("NEWSQA_LLM", "gpt-4o")
    result = run("list")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: NEWSQA_LLM='gpt-4o' is not usable: give openai:MODEL or ollama:MODEL "
        "(or nothing: extractive answers only).\n"
    )


def test_ollama_unreachable_falls_back(generative):
    port = free_port()
    answer = generative(llm="ollama:llama3.1", llm_base_url=f"http://127.0.0.1:{port}").ask(EXPORTS_VI)
    assert answer.mode == "extractive" and answer.claims[0].text == EVIDENCE
    assert answer.note == (
        f"The language model server at http://127.0.0.1:{port} cannot be reached. Start it, or check "
        "NEWSQA_LLM_BASE_URL. " + FALLBACK
    )


def test_eval_llm_reports_citation_precision_and_recall(run, llm_server, monkeypatch, tmp_path):
    questions = tmp_path / "llm.jsonl"
    rows = [
        {"id": "a", "question": EXPORTS_VI, "evidence": ["ước đạt 1,9 tỷ USD"]},
        {"id": "b", "question": UNANSWERABLE, "evidence": []},
    ]
    questions.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    llm_server.script = exports_reply("Tỉnh đặt mục tiêu xuất khẩu đạt 5 tỷ USD vào năm 2025 [{n}].")

    result = run("eval", "--questions", str(questions), "--llm")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --llm needs a language model: set NEWSQA_LLM=openai:MODEL or ollama:MODEL (and NEWSQA_LLM_BASE_URL).\n"
    )

    monkeypatch.setenv("NEWSQA_LLM", "openai:test-model")
    monkeypatch.setenv("NEWSQA_LLM_BASE_URL", llm_server.url)
    out = tmp_path / "eval.json"
    result = run("eval", "--questions", str(questions), "--llm", "--json", str(out))
    assert result.exit_code == 0, result.output
    assert "| llm | 2 | 1 | 1 | 0 | 2 | 0.500 | 1.000 |" in result.stdout  # questions, asked, answered, …
    ours = json.loads(out.read_text())[0]["systems"]["newsqa"]
    assert ours["first"] == 1.0 and ours["cited"] == 1.0 and ours["refused_unanswerable"] == 1.0
    assert ours["llm"]["citation_precision"] == 0.5 and ours["llm"]["citation_recall"] == 1.0
    asked = len(llm_server.requests)
    assert asked >= 1 and all(EXPORTS_VI in prompt_of(r["body"]) for r in llm_server.requests)

    result = run("eval", "--questions", str(questions))  # without --llm the model is not used
    assert result.exit_code == 0 and "citation precision" not in result.stdout
    assert len(llm_server.requests) == asked
