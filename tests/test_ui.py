"""The chat app's handlers, called directly (no server, no browser)."""

import html
import json
import re
import socket
from pathlib import Path

import gradio as gr
import pytest

from ingest.uploads import UPLOADS, sanitize_filename, upload_target
from qa.answering.answer import NOT_FOUND, Answer, Claim, Source
from qa.web.handlers import make_filters
from qa.web.layout import build_ui
from qa.web.render import answer_html, safe_url
from qa.web.security import LaunchError, check_exposure, is_loopback, parse_auth
from qa.web.server import launch
from qa.web.strings import EXAMPLES, texts

HOSTILE = """# url = javascript:alert(1)
# date = 2024-05-01
Cảng Sa Kỳ <script>alert(1)</script> mở rộng <img src=x onerror=alert(1)>

Tỉnh Quảng Ngãi công bố kế hoạch mở rộng cảng Sa Kỳ <script>alert(1)</script> trong năm 2024 với tổng vốn 500 tỷ đồng.

Theo kế hoạch, cảng Sa Kỳ sẽ có thêm hai bến tàu <img src=x onerror=alert(1)> phục vụ tuyến đảo Lý Sơn. Xem [x](javascript:alert(1)) để biết thêm ${alert(1)} {{7*7}}.

Ban quản lý cảng cho biết công trình khởi công vào tháng 6/2024 và hoàn thành sau 18 tháng.
"""


def run_chat(ui, question, turns=None, lang="en", article_ids=None, day_from="", day_to="", library=None):
    """All the yields of one chat turn: [(messages, box, turns, library, past list), ...]."""
    return list(ui.respond(question, turns or [], lang, article_ids or [], day_from, day_to, library))


def ask_in_turn(ui, *questions, lang="en"):
    """Ask questions one after the other in one conversation: the last step of each."""
    turns, library, steps = [], None, []
    for question in questions:
        step = run_chat(ui, question, turns, lang=lang, library=library)[-1]
        turns, library = step[2], step[3]
        steps.append(step)
    return steps


def last_html(steps) -> str:
    history = steps[-1][0]
    assert history[-1]["role"] == "assistant"
    return history[-1]["content"]


def cited_numbers(page: str) -> set[int]:
    return {int(n) for n in re.findall(r'class="nq-cite"[^>]*>\[(\d+)\]</button>', page)}


def listed_numbers(page: str) -> set[int]:
    return {int(n) for n in re.findall(r'class="nq-num">\[(\d+)\]<', page)}


def source_keys(page: str) -> list[str]:
    return [html.unescape(k) for k in re.findall(r'class="nq-open" value="([^"]*)"', page)]


@pytest.fixture(scope="module")
def seeded_ui(seeded):
    demo = build_ui(seeded, seeded.settings)
    return demo.newsqa


@pytest.fixture
def hostile(fresh, tmp_path):
    path = tmp_path / "hostile.txt"
    path.write_text(HOSTILE, encoding="utf-8")
    result = fresh.read([path])
    fresh.ingest(result.articles)
    return fresh


def test_build_ui_returns_blocks(seeded):
    demo = build_ui(seeded, seeded.settings)
    assert isinstance(demo, gr.Blocks)
    api_names = {getattr(fn, "api_name", None) for fn in demo.fns.values()}
    assert "chat" in api_names


def test_answer_comes_with_cited_sources(seeded_ui):
    steps = run_chat(seeded_ui, "what did Quảng Ngãi request?")
    assert len(steps) == 2  # "searching…" at once, then the whole answer as soon as it is ready
    assert "nq-wait" in steps[0][0][-1]["content"]
    assert steps[0][0][0] == {"role": "user", "content": '<div class="nq-question">what did Quảng Ngãi request?</div>'}
    page = last_html(steps)
    assert "[1]" in page and "<mark>" in page
    cited, listed = cited_numbers(page), listed_numbers(page)
    assert cited and cited == listed  # every [n] is listed, every listed source is cited
    assert 1 in cited
    history, box, turns, library, _ = steps[-1]
    assert box == "" and [t["q"] for t in turns] == ["what did Quảng Ngãi request?"]
    assert library["conversations"][0]["turns"] == turns  # saved for the browser to keep
    assert "Copy answer" in page and "nq-copy" in page


def test_vietnamese_question_and_ui_language(seeded_ui):
    page = last_html(run_chat(seeded_ui, "Hai trọng tâm phát triển của Quảng Ngãi là gì?", lang="vi"))
    assert "[1]" in page and "<mark>" in page
    assert "Nguồn" in page and "Sao chép câu trả lời" in page
    assert "trọng tâm" in page


@pytest.mark.parametrize(
    "question, ui, said, not_said",
    [
        ("Kết quả xổ số miền Bắc ngày 1/5/2024?", "en", NOT_FOUND["en"], NOT_FOUND["vi"]),
        ("Who won the Indian lower house election?", "vi", NOT_FOUND["vi"], NOT_FOUND["en"]),
    ],
)
def test_not_found_says_so_in_the_ui_language_and_shows_closest(seeded_ui, question, ui, said, not_said):
    page = last_html(run_chat(seeded_ui, question, lang=ui))
    assert html.escape(said) in page and html.escape(not_said) not in page  # one language in one message
    assert "nq-cite" not in page and "nq-sources" not in page
    closest = texts(ui)["closest"]
    assert '<details class="nq-related" open>' in page and closest in page


def test_follow_up_is_searched_with_context(seeded_ui):
    first, follow = ask_in_turn(seeded_ui, "Quảng Ngãi đề nghị gì?", "còn Bộ trưởng đáp lại thế nào?", lang="vi")
    page = follow[0][-1]["content"]
    assert "Đã tìm:" in page and "Quảng Ngãi đề nghị gì? còn Bộ trưởng đáp lại thế nào?" in page
    assert follow[2][-1]["s"] == "Quảng Ngãi đề nghị gì? còn Bộ trưởng đáp lại thế nào?"
    own = last_html(run_chat(seeded_ui, "Hai trọng tâm phát triển của Quảng Ngãi là gì?", first[2]))
    assert "Searched:" not in own


def test_follow_up_leads_with_what_it_asks(seeded_ui):
    """The issue's example: the follow-up's answer starts with the GRDP sentence, not the export
    figure the first answer gave."""
    first, follow = ask_in_turn(
        seeded_ui, "quang ngai xuat khau bao nhieu trong 9 thang dau nam 2023", "còn GRDP thì sao?"
    )
    lead = follow[2][-1]["a"]["claims"][0]["text"]
    assert "GRDP" in lead and "2,65%" in lead
    assert "1,9 tỷ USD" in first[2][0]["a"]["claims"][0]["text"]


def test_new_conversation_starts_over_and_keeps_the_old_one(seeded_ui):
    (step,) = ask_in_turn(seeded_ui, "Ai dẫn đầu đoàn công tác tỉnh Quảng Ngãi?")
    old = step[3]["current"]
    history, turns, box, panel, library, past = seeded_ui.new_conversation(step[3], "vi")
    assert history == [] and turns == [] and box == "" and "nq-placeholder" in panel
    assert library["current"] != old and [c["id"] for c in library["conversations"]] == [old]
    assert past["choices"][0][1] == old and past["value"] is None


@pytest.mark.parametrize("question", ["", "   ", None])
def test_empty_question_changes_nothing(seeded_ui, question):
    (history, box, turns, library, past) = run_chat(seeded_ui, question)[-1]
    assert history == gr.update() and box == gr.update() and past == gr.update()  # no bubble, no error
    assert turns == []


def test_too_long_question_is_a_short_chat_message(seeded_ui):
    steps = run_chat(seeded_ui, "x" * 20_000)
    page = last_html(steps)
    assert "20,000 characters" in page and "nq-error" in page
    assert len(page) < 2_000 and len(steps[-1][0][0]["content"]) < 1_000  # not echoed whole
    assert steps[-1][1] == "x" * 20_000  # the box keeps it, to be shortened
    assert "a" not in steps[-1][2][0]  # nothing searched


def test_bad_dates_become_chat_messages(seeded_ui):
    page = last_html(run_chat(seeded_ui, "what did Quảng Ngãi request?", day_from="2024-13-45"))
    assert "2024-13-45" in page and "yyyy-mm-dd" in page
    page = last_html(run_chat(seeded_ui, "what did Quảng Ngãi request?", day_from="2024-02-01", day_to="2024-01-01"))
    assert "nq-error" in page


def test_filters():
    t = texts("en")
    f = make_filters(["a", "b"], "2023-10-01", "24/10/2023", t)
    assert (f.article_ids, f.day_from, f.day_to) == (["a", "b"], 20231001, 20231024)
    assert make_filters(None, "", "", t).where() is None
    with pytest.raises(ValueError, match="not valid"):
        make_filters([], "yesterday", "", t)


def test_article_filter_restricts_sources(seeded_ui, seeded):
    other = [a.id for a in seeded.articles() if a.id.startswith("003")]
    page = last_html(run_chat(seeded_ui, "what did Quảng Ngãi request?", article_ids=other))
    ids = {__import__("json").loads(k)["a"] for k in source_keys(page)}
    assert ids and ids <= set(other)


def test_open_source_shows_whole_article_with_passage(seeded_ui):
    page = last_html(run_chat(seeded_ui, "Hai trọng tâm phát triển của Quảng Ngãi là gì?"))
    key = source_keys(page)[0]
    panel = seeded_ui.open_source(key, "en")
    assert 'id="nq-focus"' in panel and "<mark>" in panel
    assert "nq-article-title" in panel and len(panel) > 5_000  # the whole article, not the passage
    marked = re.search(r"<mark>(.*?)</mark>", page).group(1)
    assert marked in panel
    assert "This source cannot be opened" in seeded_ui.open_source("not json", "en")
    missing = seeded_ui.open_source('{"a": "no-such-article", "s": 0, "e": 5}', "en")
    assert "No article with id “no-such-article”. The Articles tab lists" in html.unescape(missing)
    assert "newsqa list" not in missing  # the CLI's advice is not for the app's users


def test_hostile_article_is_escaped_everywhere(hostile, make_settings):
    ui = build_ui(hostile, hostile.settings).newsqa
    for question in ("Cảng Sa Kỳ mở rộng thế nào?", "Kết quả xổ số miền Bắc ngày 1/5/2024?"):
        page = last_html(run_chat(ui, question))
        assert "Sa Kỳ" in page
        assert "&lt;script&gt;" in page and "<script" not in page
        assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
        assert 'href="javascript:' not in page and "<a " not in page  # its url is not http(s): no link
        assert "${" not in page and "{{" not in page
    key = source_keys(page)[0]
    panel = ui.open_source(key, "en")
    assert "&lt;script&gt;" in panel and "<script" not in panel and "<img" not in panel
    assert 'href="javascript:' not in panel and "<a " not in panel
    table = ui.refresh("en")[0]
    assert "&lt;script&gt;" in table and "<script" not in table


def test_only_http_urls_become_links():
    assert safe_url("https://baoquocte.vn/a.html") == "https://baoquocte.vn/a.html"
    for bad in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "/relative", "http://", "ftp://x/y"):
        assert safe_url(bad) == ""
    source = Source(1, "a", "T", "", "", 'https://x.vn/"><script>', "", "text", 0, 4, 0.9, [(0, 4)])
    answer = Answer("q", "text [1]", True, [source], claims=[Claim("text", 1, 0, 4)])
    page = answer_html(answer, texts("en"))
    assert 'href="https://x.vn/&quot;&gt;&lt;script&gt;"' in page and "<script" not in page


def test_claims_with_brackets_inside_render_as_written():
    """Claims are data: a literal "[2]" inside an article's sentence is never read as a citation."""
    s1 = Source(1, "a", "T", "", "", "", "", "Điều [2] của luật. Câu khác.", 0, 27, 0.9, [(0, 18)])
    s2 = Source(2, "b", "U", "", "", "", "", "Một câu [1] nữa.", 0, 16, 0.8, [(0, 16)])
    claims = [Claim("Điều [2] của luật.", 1, 0, 18), Claim("Một câu [1] nữa.", 2, 0, 16)]
    answer = Answer("q", "Điều [2] của luật. [1] Một câu [1] nữa. [2]", True, [s1, s2], claims=claims)
    page = answer_html(answer, texts("en"))
    assert cited_numbers(page) == listed_numbers(page) == {1, 2}
    assert page.count('class="nq-claim"') == 2 and "Điều [2] của luật." in page


def test_uncited_source_is_listed_as_related():
    s1 = Source(1, "a", "T", "", "", "", "", "Câu một.", 0, 8, 0.9, [(0, 8)])
    s2 = Source(2, "b", "U", "", "", "", "", "Câu hai.", 0, 8, 0.8, [(0, 8)])
    page = answer_html(Answer("q", "Câu một. [1]", True, [s1, s2], claims=[Claim("Câu một.", 1, 0, 8)]), texts("en"))
    assert listed_numbers(page) == {1}
    assert "Also related (not cited) (1)" in page and "Câu hai." in page


def test_store_down_is_a_chat_message(make_settings, embedder, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    settings = make_settings(tmp_path / "data", chroma_url=f"http://127.0.0.1:{port}")
    ui = build_ui(None, settings, embedder=embedder).newsqa
    page = last_html(run_chat(ui, "what did Quảng Ngãi request?"))
    assert "nq-error" in page and "Chroma" in page and f"127.0.0.1:{port}" in page
    table, _, _, history, *_ = ui.on_load("en", None)
    assert "Chroma" in table and "Chroma" in history[-1]["content"]
    status = ui.upload([], "en")[0]
    assert "No file chosen" in status
    assert "nq-error" in ui.open_source('{"a": "x", "s": 0, "e": 1}', "en")


def test_public_host_without_password_refuses_to_launch(make_settings, tmp_path):
    public = make_settings(tmp_path, host="0.0.0.0")
    with pytest.raises(LaunchError, match="NEWSQA_AUTH"):
        check_exposure(public)
    with pytest.raises(LaunchError):
        launch(public)  # refused before the model or the store is opened
    assert check_exposure(make_settings(tmp_path, host="0.0.0.0", auth="ana:s3cr:et")) == ("ana", "s3cr:et")
    assert check_exposure(make_settings(tmp_path)) is None
    with pytest.raises(LaunchError, match="user:password"):
        parse_auth("no-colon")
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("example.com")


@pytest.mark.parametrize(
    "name, expected",
    [
        ("bai-bao.txt", "bai-bao.txt"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\evil.HTML", "evil.html"),
        (".hidden.txt", "hidden.txt"),
        ("Tin mới: <b>hay<b>.txt", "Tin-mới-b-hay-b.txt"),
        ("x/<b>.txt", "b.txt"),
        ("../..", "upload"),
        ("", "upload"),
        ("a" * 300 + ".txt", "a" * 100 + ".txt"),
    ],
)
def test_upload_names_are_sanitized(name, expected, tmp_path):
    assert sanitize_filename(name) == expected
    target = upload_target(tmp_path, name)
    assert target.parent == (tmp_path / UPLOADS).resolve()


def test_upload_ingest_answer_remove(fresh, tmp_path):
    ui = build_ui(fresh, fresh.settings).newsqa
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    article = incoming / "Tin nóng; rm -rf.txt"
    article.write_text(
        "# url = https://example.vn/le-hoi-hoa-sen.html\nLễ hội Hoa sen Đồng Tháp 2024\n\nLễ hội Hoa sen Đồng Tháp năm 2024 khai mạc ngày 15/6/2024 tại thành phố "
        "Cao Lãnh với chủ đề Sen hồng đất Tháp.\n\nBan tổ chức dự kiến đón 50.000 lượt khách trong 5 ngày.\n",
        encoding="utf-8",
    )
    wrong = incoming / "notes.pdf"
    wrong.write_bytes(b"%PDF-1.4")
    calls = []
    status, table, remove_choices, filter_choices, cleared = ui.upload(
        [str(article), str(wrong)], "en", lambda *a, **k: calls.append(a)
    )
    assert "1 added" in status and "(1 chunk written in" in status and "notes.pdf" in status and cleared is None
    assert calls  # progress was reported
    kept = Path(fresh.settings.data_dir) / UPLOADS / "Tin-nóng-rm-rf.txt"
    assert kept.is_file()
    assert "Lễ hội Hoa sen Đồng Tháp 2024" in table
    article_id = remove_choices["choices"][0][1]
    assert filter_choices["choices"] == remove_choices["choices"]

    page = last_html(run_chat(ui, "Lễ hội Hoa sen Đồng Tháp 2024 khai mạc ngày nào?", lang="vi"))
    assert "[1]" in page and "15/6/2024" in page
    link = 'href="https://example.vn/le-hoi-hoa-sen.html" target="_blank" rel="noopener noreferrer nofollow"'
    assert link in page  # the source links to the original page
    panel = ui.open_source(source_keys(page)[0], "en")
    assert link in panel and 'id="nq-focus"' in panel and "<mark>" in panel
    assert ">Xem bài gốc (example.vn)</a>" in page  # where it was published, in the UI's language

    box, question, status = ui.confirm_remove(article_id, "en")
    assert box == gr.update(visible=True) and status == ""  # nothing removed yet: asked first
    assert "Remove “Lễ hội Hoa sen Đồng Tháp 2024” (1 chunk) from the index?" in html.unescape(question)
    assert "Hoa sen" in ui.refresh("en")[0]
    box, _, status = ui.confirm_remove(None, "en")
    assert box == gr.update(visible=False) and "Choose an article" in status
    status, table, remove_choices, _, box = ui.remove(article_id, "en")
    assert "1 article removed." in status and box == gr.update(visible=False)
    assert "Hoa sen" not in table and remove_choices["choices"] == []
    assert not kept.exists()


def test_upload_limits(make_settings, embedder, tmp_path):
    from qa.pipeline import Pipeline

    settings = make_settings(tmp_path / "data", max_upload_mb=1)
    ui = build_ui(Pipeline.open(settings, embedder=embedder), settings).newsqa
    big = tmp_path / "big.txt"
    big.write_text("Tiêu đề\n\n" + "chữ " * 400_000, encoding="utf-8")
    status = ui.upload([str(big)], "vi")[0]
    assert "big.txt" in status and "1 MB" in status and "Bỏ qua" in status
    assert not (tmp_path / "data" / UPLOADS / "big.txt").exists()


ABSOLUTE_PATH = re.compile(r"(^|[\s(“\"'])/[\w.-]+/")  # "/srv/data/x.txt", not "24/10"


# ---- issue 17: what people see --------------------------------------------------------------
def _source(number, title="T", date="", url="", source="", text="Câu một. Câu hai.", highlights=((0, 8),)):
    return Source(number, f"a{number}", title, "", date, url, source, text, 0, len(text), 0.76, list(highlights))


def test_sources_are_numbered_by_retrieval_rank():
    """[1] is the most relevant passage cited, whatever order the claims come in."""
    import numpy as np

    from qa.answering.answer import assemble
    from qa.retrieval.retriever import Hit

    def hit(i):
        text = f"Câu số {i} của đoạn. Câu khác {i}."
        return Hit(
            f"c{i}",
            text,
            {"article_id": f"a{i}"},
            1.0 - i / 10,
            0.9,
            0.0,
            [(0, 18), (19, len(text))],
            np.zeros((2, 4)),
        )

    hits = [hit(0), hit(1), hit(2)]
    answer = assemble("q", hits, [(2, 0), (0, 0)], "vi", "q", {})  # the claims cite rank 3 first, then rank 1
    assert [c.source for c in answer.claims] == [2, 1]
    assert [(s.number, s.article_id) for s in answer.sources] == [(1, "a0"), (2, "a2")]
    assert answer.answer == "Câu số 2 của đoạn. [2] Câu số 0 của đoạn. [1]"


def test_source_cards_show_date_and_original_and_no_relevance_figure():
    dated = _source(1, date="2023-10-24", url="https://www.baoquocte.vn/bai.html")
    answer = Answer("q", "Câu một. [1]", True, [dated], claims=[Claim("Câu một.", 1, 0, 8)])
    vi, en = answer_html(answer, texts("vi")), answer_html(answer, texts("en"))
    assert '<span class="nq-date">24/10/2023</span>' in vi and '<span class="nq-date">24 Oct 2023</span>' in en
    assert ">Xem bài gốc (baoquocte.vn)</a>" in vi and ">Original page (baoquocte.vn)</a>" in en
    assert "0.76" not in vi + en and "relevance" not in en and "độ liên quan" not in vi
    assert "Sources (most relevant first)" in en and "Nguồn (liên quan nhất trước)" in vi
    filed = _source(1, source="/srv/newsqa/data/uploads/tin-moi.txt")
    page = answer_html(Answer("q", "Câu một. [1]", True, [filed], claims=[Claim("Câu một.", 1, 0, 8)]), texts("en"))
    assert 'File: <span class="nq-file">tin-moi.txt</span>' in page and "/srv/" not in page


def test_copy_and_export_name_files_not_server_paths(seeded_ui):
    from qa.web import chats

    (step,) = ask_in_turn(seeded_ui, "Ai dẫn đầu đoàn công tác tỉnh Quảng Ngãi?")
    page = step[0][-1]["content"]
    copied = html.unescape(re.search(r'class="nq-copy" value="([^"]*)"', page).group(1))
    assert "000_e74fd82c0679ccb9.txt" in copied and not ABSOLUTE_PATH.search(copied)
    exported = json.loads(seeded_ui.export(step[2], "en"))
    assert exported["name"] == "newsqa-ai-dẫn-đầu-đoàn-công-tác-tỉnh-quảng-ngãi.md"
    text = exported["text"]
    assert text.startswith("# newsqa conversation\n") and "## You: Ai dẫn đầu đoàn công tác tỉnh Quảng Ngãi?" in text
    assert "**Sources (most relevant first)**" in text and "1. Bộ Ngoại giao và Quảng Ngãi" in text
    assert "File: 000_e74fd82c0679ccb9.txt" in text and "   > " in text and not ABSOLUTE_PATH.search(text)
    assert seeded_ui.export([], "en") == ""
    assert chats.markdown(step[2], texts("vi")).startswith("# Cuộc trò chuyện newsqa")


def test_a_language_switch_renders_earlier_messages_again(seeded_ui):
    from qa.web import chats

    (step,) = ask_in_turn(seeded_ui, "Ai dẫn đầu đoàn công tác tỉnh Quảng Ngãi?", lang="en")
    turns = step[2] + run_chat(seeded_ui, "x" * 3_000, step[2], lang="en")[-1][2][-1:]
    english, vietnamese = chats.history_html(turns, texts("en")), chats.history_html(turns, texts("vi"))
    assert "Sources (most relevant first)" in english[1]["content"] and "Copy answer" in english[1]["content"]
    assert "Nguồn (liên quan nhất trước)" in vietnamese[1]["content"] and "Sao chép" in vietnamese[1]["content"]
    assert "3,000 characters" in english[3]["content"] and "3.000 ký tự" not in vietnamese[3]["content"]
    assert "Câu hỏi dài 3,000 ký tự" in vietnamese[3]["content"]


def test_saved_conversations_come_back_and_are_bounded(seeded_ui):
    from qa.web import chats

    first = ask_in_turn(seeded_ui, "Ai dẫn đầu đoàn công tác tỉnh Quảng Ngãi?", "còn GRDP thì sao?")[-1]
    library = {**first[3], "lang": "en"}
    # a reload: the browser hands back what it kept; the current conversation is shown again
    table, _, _, history, turns, restored, lang, past = seeded_ui.on_load("vi", json.loads(json.dumps(library)))
    assert lang == "en" and "Title" in table  # the language chosen before, the table in it
    assert (
        turns == json.loads(json.dumps(first[2]))
        and len(history) == 4
        and "Sources (most relevant first)" in history[1]["content"]
    )
    assert past["value"] == library["current"] and len(past["choices"]) == 1
    # the next question of the restored conversation is still a follow-up of it
    follow = run_chat(seeded_ui, "còn kim ngạch xuất khẩu?", turns, lang="en", library=restored)[-1]
    assert follow[2][-1]["s"].startswith("Ai dẫn đầu đoàn công tác tỉnh Quảng Ngãi? còn GRDP thì sao?")
    # a past conversation, chosen in the list
    _, _, _, _, fresh, _ = seeded_ui.new_conversation(follow[3], "en")
    shown, turns, _, opened = seeded_ui.open_conversation(library["current"], fresh, "en")
    assert len(turns) == 3 and opened["current"] == library["current"] and len(shown) == 6
    deleted = seeded_ui.delete_conversation(opened, "en")[4]
    assert deleted["conversations"] == []
    # what the browser sends is checked: rubbish is dropped, not shown
    bad = {"current": "x", "conversations": [{"id": "x", "turns": [{"q": "hi", "a": {"sources": "no"}}, 5]}, "junk"]}
    assert seeded_ui.on_load("en", bad)[4] == [] and seeded_ui.on_load("en", "junk")[4] == []
    # bounded: at most MAX_SAVED conversations, and MAX_SAVED_CHARS of them
    many = chats.new_library()
    for i in range(chats.MAX_SAVED + 5):
        many = chats.save(many, f"c{i}", first[2])
    assert (
        len(many["conversations"]) == chats.MAX_SAVED and many["conversations"][0]["id"] == f"c{chats.MAX_SAVED + 4}"
    )
    assert len(json.dumps(many, ensure_ascii=False)) <= chats.MAX_SAVED_CHARS + 10_000


@pytest.mark.parametrize("question", EXAMPLES)
def test_example_chips_are_answered_well(seeded_ui, question):
    from tests.conftest import seed_questions

    evidence = {q["question"]: q["evidence"] for q in seed_questions()}
    (step,) = ask_in_turn(seeded_ui, question)
    answer = step[2][-1]["a"]
    if question.startswith("Kết quả xổ số"):
        assert not answer["found"]  # rightly refused: the articles do not say
        return
    assert answer["found"]
    assert any(e in answer["claims"][0]["text"] for e in evidence[question])  # the first sentence answers


def test_upload_problems_name_files_not_server_paths(fresh, tmp_path):
    ui = build_ui(fresh, fresh.settings).newsqa
    empty = tmp_path / "trong.txt"
    empty.write_text("\n\n", encoding="utf-8")
    status = ui.upload([str(empty)], "en")[0]
    assert "trong.txt" in status and str(fresh.settings.data_dir) not in status and str(tmp_path) not in status
