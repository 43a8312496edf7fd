"""The real app in headless Chromium: questions, sources, the article panel, follow-ups, uploads, hostile text.

Needs Debian's chromium at /usr/bin/chromium (scripts/setup.sh --test installs it) and the
playwright Python package. Screenshots go to tests/screenshots/ (git-ignored).
"""

import re
from pathlib import Path

import pytest

from tests.helpers import serve_app

pytestmark = pytest.mark.slow  # a browser / a server: run in the full suite

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 30_000

HOSTILE = """# url = javascript:alert(1)
Cảng Sa Kỳ <script>alert(1)</script> mở rộng <img src=x onerror=alert(1)>

Tỉnh Quảng Ngãi công bố kế hoạch mở rộng cảng Sa Kỳ <script>alert(1)</script> trong năm 2024 với tổng vốn 500 tỷ đồng.

Theo kế hoạch, cảng Sa Kỳ sẽ có thêm hai bến tàu <img src=x onerror=alert(1)> phục vụ tuyến đảo Lý Sơn. Xem [x](javascript:alert(1)) để biết thêm ${alert(1)} {{7*7}}.

Ban quản lý cảng cho biết công trình khởi công vào tháng 6/2024 và hoàn thành sau 18 tháng.
"""

sync_api = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists():
    pytest.skip("chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


def start(pipeline, auth: str = ""):
    """Serve the app over `pipeline` on a free port in a background thread (`.url`, `.close()`)."""
    return serve_app(pipeline, auth=auth)


@pytest.fixture(scope="module")
def app_url(seeded):
    served = start(seeded)
    yield served.url
    served.close()


@pytest.fixture(scope="module")
def browser():
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    yield page
    context.close()


def open_app(page, url):
    page.goto(url)
    page.wait_for_selector("#nq-question textarea")
    page.wait_for_function("() => window.__nqBound === true")


def ask(page, question: str) -> str:
    """Type a question, press Enter, wait for the complete answer; its message HTML."""
    done = page.locator("#nq-chat .nq-actions, #nq-chat .nq-error").count()
    box = page.locator("#nq-question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('#nq-chat .nq-actions, #nq-chat .nq-error').length > n", arg=done
    )
    return page.locator("#nq-chat .nq-answer, #nq-chat .nq-error").last.inner_html()


def focus_is_visible(page) -> bool:
    """The highlighted passage is inside the visible part of the article panel and of the window."""
    return page.evaluate(
        """() => {
          const mark = document.querySelector('#nq-article #nq-focus mark');
          if (!mark) return false;
          const r = mark.getBoundingClientRect();
          let box = mark.parentElement;
          while (box && !(/(auto|scroll)/.test(getComputedStyle(box).overflowY) && box.scrollHeight > box.clientHeight))
            box = box.parentElement;
          const b = box ? box.getBoundingClientRect() : {top: 0, bottom: window.innerHeight};
          return r.bottom > Math.max(b.top, 0) && r.top < Math.min(b.bottom, window.innerHeight);
        }"""
    )


def test_english_question_sources_and_article_panel(page, app_url):
    open_app(page, app_url)
    page.screenshot(path=SCREENSHOTS / "01-start.png")
    answer = ask(page, "what did Quảng Ngãi request?")
    assert "[1]" in answer
    chat = page.locator("#nq-chat")
    assert chat.locator(".nq-sources mark").count() >= 1
    assert chat.locator(".nq-sources .nq-source").first.is_visible()
    page.screenshot(path=SCREENSHOTS / "02-english-answer.png")

    first_cite = page.locator("#nq-chat button.nq-cite").first
    number = first_cite.inner_text().strip()  # "[2]": sources are numbered by retrieval rank
    first_cite.click()
    page.wait_for_selector("#nq-article #nq-focus mark")
    page.wait_for_function("() => document.querySelector('#nq-article .nq-article-title') !== null")
    page.wait_for_timeout(300)
    assert focus_is_visible(page)
    card = page.locator("#nq-chat .nq-sources .nq-source").filter(has=page.locator(".nq-num", has_text=number))
    cited = card.first.locator("mark").first.inner_text()
    assert cited.strip()[:40] in page.locator("#nq-article #nq-focus").inner_text()
    page.screenshot(path=SCREENSHOTS / "03-article-panel.png")

    # A click on a source card (not only on [n]) opens its article too: another source than the one open.
    page.evaluate("() => { document.querySelector('#nq-focus').id = 'nq-seen'; }")
    others = page.locator("#nq-chat .nq-sources .nq-source").filter(has_not=page.locator(".nq-num", has_text=number))
    assert others.count() >= 1
    others.last.locator(".nq-title").click()
    page.wait_for_selector("#nq-article #nq-focus mark")
    assert page.dialogs == []


def test_vietnamese_question_follow_up_and_copy(page, app_url, browser):
    open_app(page, app_url)
    first = ask(page, "Quảng Ngãi đề nghị gì?")
    assert "[1]" in first
    follow = ask(page, "còn Bộ trưởng đáp lại thế nào?")
    assert "Searched:" in follow and "Quảng Ngãi đề nghị gì? còn Bộ trưởng đáp lại thế nào?" in follow
    last = page.locator("#nq-chat .nq-answer").last
    passages = last.inner_text()
    assert "Bộ trưởng Bùi Thanh Sơn khẳng định" in passages or "Bộ trưởng mong muốn" in passages
    page.screenshot(path=SCREENSHOTS / "04-follow-up.png")

    last.locator("button.nq-copy").click()
    page.wait_for_function("() => typeof window.__nqCopied === 'string'")
    copied = page.evaluate("() => window.__nqCopied")
    assert "[1]" in copied and "<" not in copied.split("\n")[0]
    assert re.search(r"^\[1\] .+", copied, flags=re.M)  # the references follow the answer

    # "New conversation" starts over: the next question is not read as a follow-up.
    page.locator("#nq-clear").click()
    page.wait_for_function("() => document.querySelectorAll('#nq-chat .nq-answer').length === 0")
    fresh_start = ask(page, "còn Bộ trưởng đáp lại thế nào?")
    assert "Searched:" not in fresh_start


def test_unanswerable_question_says_not_found(page, app_url):
    open_app(page, app_url)
    answer = ask(page, "Kết quả xổ số miền Bắc ngày 1/5/2024?")
    assert "do not answer this question" in answer  # in the UI's language (an English browser)
    assert page.locator("#nq-chat details.nq-related[open] .nq-source").count() >= 1
    assert page.locator("#nq-chat button.nq-cite").count() == 0
    page.screenshot(path=SCREENSHOTS / "05-not-found.png")


def test_language_toggle_and_empty_question(page, app_url):
    open_app(page, app_url)
    page.wait_for_function("() => document.querySelector('#nq-send').innerText.trim() === 'Ask'")  # browser is en-US
    page.get_by_label("Tiếng Việt").check()
    page.wait_for_function("() => document.querySelector('#nq-send').innerText.trim() === 'Hỏi'")
    page.locator("#nq-send").click()  # an empty question: nothing happens, nothing is added
    page.wait_for_timeout(1000)
    assert page.locator("#nq-chat .nq-error, #nq-chat .nq-question").count() == 0
    page.screenshot(path=SCREENSHOTS / "06-vietnamese-ui.png")


def test_upload_then_ask_hostile_article_stays_inert(browser, fresh, tmp_path):
    served = start(fresh)
    url = served.url
    try:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        open_app(page, url)
        page.wait_for_function("() => document.querySelector('#nq-send').innerText.trim() === 'Hỏi'")  # vi browser

        named = tmp_path / "up" / "<img src=x onerror=alert(2)> cang sa ky; rm -rf.txt"  # a hostile name too
        named.parent.mkdir()
        named.write_text(HOSTILE, encoding="utf-8")
        page.get_by_role("tab", name=re.compile("Bài báo")).click()
        with page.expect_file_chooser() as chooser:
            page.locator("#nq-upload").click()
        chooser.value.set_files(str(named))
        page.wait_for_function("() => /Đã thêm 1/.test(document.querySelector('#nq-status').innerText)")
        page.wait_for_function("() => /Cảng Sa Kỳ/.test(document.querySelector('#nq-articles').innerText)")
        page.screenshot(path=SCREENSHOTS / "07-upload.png")
        kept = Path(fresh.settings.data_dir) / "uploads" / "img-src-x-onerror-alert-2-cang-sa-ky-rm-rf.txt"
        assert kept.is_file()

        page.get_by_role("tab", name=re.compile("Hỏi đáp")).click()
        answer = ask(page, "Cảng Sa Kỳ sẽ có thêm gì?")
        assert "[1]" in answer
        assert "&lt;script&gt;" in answer or "&lt;img" in answer
        page.locator("#nq-chat .nq-source").first.click()
        page.wait_for_selector("#nq-article #nq-focus")
        page.wait_for_timeout(500)
        inert = page.evaluate(
            """() => ({
              scripts: document.querySelectorAll('#nq-chat script, #nq-article script').length,
              images: document.querySelectorAll('#nq-chat img, #nq-article img').length,
              jsLinks: document.querySelectorAll('a[href^="javascript:" i]').length,
              text: document.querySelector('#nq-article').innerText,
            })"""
        )
        assert inert["scripts"] == 0 and inert["images"] == 0 and inert["jsLinks"] == 0
        assert "<script>alert(1)</script>" in inert["text"] and "${alert(1)}" in inert["text"]
        page.screenshot(path=SCREENSHOTS / "08-hostile.png")
        assert dialogs == []
        context.close()
    finally:
        served.close()


def test_password_protects_the_app(browser, seeded):
    from gradio_client import Client

    served = start(seeded, auth="ana:s3cret")
    url = served.url
    try:
        with pytest.raises(Exception):
            Client(url, verbose=False)  # no password, no API
        context = browser.new_context(viewport={"width": 1000, "height": 700})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        page.get_by_label("username").fill("ana")
        page.get_by_label("password").fill("wrong")
        page.get_by_role("button", name="Login").click()
        page.get_by_text("Incorrect Credentials").wait_for()
        assert page.locator("#nq-question").count() == 0
        page.screenshot(path=SCREENSHOTS / "09-login-refused.png")
        page.get_by_label("username").fill("ana")  # the form is emptied after a refusal
        page.get_by_label("password").fill("s3cret")
        page.get_by_role("button", name="Login").click()
        page.wait_for_selector("#nq-question textarea")
        assert "[1]" in ask(page, "what did Quảng Ngãi request?")
        context.close()
    finally:
        served.close()


def test_generated_answer_streams_and_marks_unverified_sentences(browser, seeded, embedder):
    """NEWSQA_LLM against a local scripted OpenAI-compatible server: the browser shows the mode, a
    verified sentence with its evidence, and the unverified one marked, its reason on hover."""
    import dataclasses

    from qa.pipeline import Pipeline
    from tests.helpers import FakeLLM, passage_number

    def script(request):
        n = passage_number(request, "1,9 tỷ USD")
        text = f"Kim ngạch xuất khẩu 9 tháng đầu năm 2023 ước đạt 1,9 tỷ USD [{n}]. Tỉnh đặt mục tiêu 5 tỷ USD [{n}]."
        return {"text": text, "pause": 0.5}

    llm = FakeLLM()
    llm.script = script
    settings = dataclasses.replace(
        seeded.settings, llm="openai:test-model", llm_base_url=llm.url, llm_api_key="sk-test", llm_timeout=20.0
    )
    served = start(Pipeline(settings, seeded.index, embedder))
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page.set_default_timeout(TIMEOUT_MS)
    try:
        open_app(page, served.url)
        answer = ask(page, "Kim ngạch xuất khẩu 9 tháng đầu năm 2023 của Quảng Ngãi đạt bao nhiêu?")
        assert len(llm.requests) == 1
        assert "Written by the language model (openai:test-model)" in answer
        assert "A language model writes the answers" in page.locator("#nq-header").inner_text()
        unverified = page.locator("#nq-chat .nq-unverified").last
        assert unverified.is_visible()
        assert "5 tỷ" in unverified.get_attribute("title")
        assert page.locator("#nq-chat .nq-badge").last.inner_text().strip() == "unverified"
        assert page.locator("#nq-chat .nq-claim:not(.nq-unverified)").count() >= 1
        page.screenshot(path=SCREENSHOTS / "09-generated-answer.png")
    finally:
        page.close()
        served.close()
        llm.close()
