"""The app as people use it (issue 17), in headless Chromium at 1366x900 and 390x844: the answer in
view, the phone layout and the article over the page, follow-ups, Arrow-Up, chips that ask, one
language, saved conversations, export, the light/dark switch, the removal that asks first, and
axe-core's accessibility check. Screenshots of both sizes go to tests/screenshots/ (17-*.png).
"""

import json
import re

import pytest

from tests.test_browser import ARGS, CHROMIUM, SCREENSHOTS, TIMEOUT_MS, ask, open_app, start

pytestmark = pytest.mark.slow
sync_api = pytest.importorskip("playwright.sync_api")
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
WHO_LEADS = "Ai dẫn đầu đoàn công tác tỉnh Quảng Ngãi?"


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


def new_page(browser, size="desktop", locale="en-US", context=None):
    width, height = SIZES[size]
    context = context or browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return context, page


def rect(page, selector: str) -> dict:
    return page.evaluate(
        "s => { const r = document.querySelector(s).getBoundingClientRect();"
        " return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height}; }",
        selector,
    )


def overlaps(a: dict, b: dict) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


def in_view(page, selector: str) -> bool:
    """The element's top is inside the window and inside the box that scrolls it."""
    return page.evaluate(
        """s => {
          const el = document.querySelectorAll(s); const e = el[el.length - 1]; if (!e) return false;
          const r = e.getBoundingClientRect();
          let box = e.parentElement;
          while (box && !(/(auto|scroll)/.test(getComputedStyle(box).overflowY) && box.scrollHeight > box.clientHeight))
            box = box.parentElement;
          const b = box ? box.getBoundingClientRect() : {top: 0, bottom: window.innerHeight};
          return r.top >= Math.max(b.top, 0) - 1 && r.top < Math.min(b.bottom, window.innerHeight) - 20;
        }""",
        selector,
    )


def lead_in_view(page) -> bool:
    """The first claim of the last answer is in view."""
    page.evaluate(
        "() => { document.querySelectorAll('#nq-lead').forEach(e => e.removeAttribute('id'));"
        " const a = [...document.querySelectorAll('#nq-chat .nq-answer')].pop();"
        " a.querySelector('.nq-claim, .nq-text').id = 'nq-lead'; }"
    )
    return in_view(page, "#nq-lead")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_layout_answer_in_view_and_article_at_both_sizes(browser, app_url, size):
    context, page = new_page(browser, size)
    try:
        open_app(page, app_url)
        page.wait_for_timeout(500)
        page.screenshot(path=SCREENSHOTS / f"17-{size}-1-start.png")
        assert page.evaluate("window.scrollY") == 0  # the page opens at its top, not at the text box
        title, subtitle, tools = rect(page, "#nq-header h1"), rect(page, "#nq-header p"), rect(page, "#nq-tools")
        assert not overlaps(title, tools) and not overlaps(subtitle, tools)  # the language control covers nothing
        assert subtitle["width"] >= 0.7 * (SIZES[size][0] - 60)  # not one word per line
        box = rect(page, "#nq-question textarea")
        assert 0 <= box["top"] and box["bottom"] <= SIZES[size][1]  # the question box is there to type in

        ask(page, "quang ngai xuat khau bao nhieu trong 9 thang dau nam 2023")
        page.wait_for_timeout(300)
        assert lead_in_view(page)  # the answer's first claim, not the end of its sources
        page.screenshot(path=SCREENSHOTS / f"17-{size}-2-answer.png")
        ask(page, "còn GRDP thì sao?")
        page.wait_for_timeout(300)
        assert lead_in_view(page)
        lead = page.locator("#nq-chat .nq-answer").last.locator(".nq-claim").first.inner_text()
        assert "GRDP" in lead

        page.locator("#nq-chat button.nq-cite").last.click()
        page.wait_for_selector("#nq-article #nq-focus mark")
        page.wait_for_timeout(600)
        assert in_view(page, "#nq-article #nq-focus mark")  # the cited passage, where the reader looks
        page.screenshot(path=SCREENSHOTS / f"17-{size}-3-article.png")
        covered = page.evaluate("document.getElementById('nq-article').classList.contains('nq-overlay')")
        if size == "phone":  # the article covers the page, not below the examples
            panel = rect(page, "#nq-article")
            assert covered and panel["top"] == 0 and panel["height"] >= SIZES[size][1] - 2
            page.locator("#nq-article button.nq-back").click()
            page.wait_for_timeout(300)
            assert not page.evaluate("document.getElementById('nq-article').classList.contains('nq-overlay')")
            assert in_view(page, "#nq-chat button.nq-cite")  # back at the [n] tapped
            page.screenshot(path=SCREENSHOTS / f"17-{size}-4-back.png")
        else:
            assert not covered and not page.locator("#nq-article button.nq-back").is_visible()
    finally:
        context.close()


def test_chips_ask_arrow_up_recalls_and_empty_asks_nothing(browser, app_url):
    context, page = new_page(browser)
    try:
        open_app(page, app_url)
        chip = page.locator("#nq-examples button.nq-chip").first
        before = page.locator("#nq-chat .nq-actions").count()
        chip.click()  # a chip asks, it does not only fill the box
        page.wait_for_function("n => document.querySelectorAll('#nq-chat .nq-actions').length > n", arg=before)
        assert chip.inner_text() in page.locator("#nq-chat .nq-question").last.inner_text()
        assert "8,7%" in page.locator("#nq-chat .nq-answer").last.locator(".nq-claim").first.inner_text()
        box = page.locator("#nq-question textarea")
        box.press("Enter")  # empty: no bubble, no error
        page.wait_for_timeout(800)
        assert page.locator("#nq-chat .nq-question").count() == 1 and page.locator("#nq-chat .nq-error").count() == 0
        box.press("ArrowUp")
        assert box.input_value() == chip.inner_text()
        box.press("Enter")  # what Arrow-Up brought back is asked as typed
        page.wait_for_function("() => document.querySelectorAll('#nq-chat .nq-actions').length === 2")
    finally:
        context.close()


def test_one_language_everywhere(browser, app_url):
    """An English browser: the table headers at first load, the refusal and its header, Gradio's own
    words; after a switch to Vietnamese, the earlier messages too; labels hold text, not HTML."""
    context, page = new_page(browser)
    try:
        open_app(page, app_url)
        page.wait_for_function("() => document.querySelector('#nq-send').innerText.trim() === 'Ask'")
        page.get_by_role("tab", name="Articles").click()
        page.wait_for_selector("#nq-articles th")
        assert page.locator("#nq-articles th").all_inner_texts() == ["Title", "Date", "Chunks", "Id"]
        assert "Choose files to upload" in page.locator("#nq-upload").inner_text()
        page.get_by_role("tab", name="Chat").click()
        refused = ask(page, "Kết quả xổ số miền Bắc ngày 1/5/2024?")
        assert "The indexed articles do not answer this question." in refused and "Closest passages" in refused
        ask(page, WHO_LEADS)
        page.get_by_label("Tiếng Việt").check()
        page.wait_for_function("() => document.querySelector('#nq-send').innerText.trim() === 'Hỏi'")
        page.wait_for_function("() => /Nguồn/.test(document.querySelector('#nq-chat').innerText)")
        chat = page.locator("#nq-chat").inner_text()
        assert (
            "Các bài báo đã lập chỉ mục không trả lời" in chat and "Sources" not in chat and "Copy answer" not in chat
        )
        assert page.evaluate("document.documentElement.lang") == "vi"
        page.get_by_role("tab", name="Bài báo").click()
        page.wait_for_function("() => document.querySelector('#nq-articles th').innerText === 'Tiêu đề'")
        page.screenshot(path=SCREENSHOTS / "17-desktop-5-vietnamese.png")
        text = page.evaluate("document.body.innerText")
        for untranslated in ("Drop File Here", "Click to Upload", "common.complete", "common."):
            assert untranslated not in text
        labels = page.evaluate(
            "[...document.querySelectorAll('#nq-chat [aria-label]')].map(e => e.getAttribute('aria-label'))"
        )
        assert labels and not [label for label in labels if "<" in label or "'s message" in label]
        assert any(label.startswith("Trả lời: ") for label in labels)
    finally:
        context.close()


def test_conversations_survive_a_reload_are_listed_and_export(browser, app_url, tmp_path):
    context, page = new_page(browser)
    try:
        open_app(page, app_url)
        ask(page, WHO_LEADS)
        page.reload()
        page.wait_for_selector("#nq-chat .nq-answer")
        assert WHO_LEADS in page.locator("#nq-chat .nq-question").first.inner_text()  # still there
        with page.expect_download() as download:
            page.locator("#nq-export").click()
        assert download.value.suggested_filename.startswith(
            "newsqa-ai-"
        ) and download.value.suggested_filename.endswith(".md")
        saved = tmp_path / "export.md"
        download.value.save_as(saved)
        markdown = saved.read_text(encoding="utf-8")
        assert (
            f"## You: {WHO_LEADS}" in markdown
            and "**Sources (most relevant first)**" in markdown
            and "   > " in markdown
        )

        page.locator("#nq-clear").click()  # a new conversation; the first one stays listed
        page.wait_for_function("() => document.querySelectorAll('#nq-chat .nq-answer').length === 0")
        ask(page, "What is the fifth priority of the diplomatic sector?")
        page.locator(".sidebar button, button[aria-label*='idebar']").first.click()
        page.wait_for_selector("#nq-past label")
        labels = page.locator("#nq-past label").all_inner_texts()
        assert len(labels) == 2 and labels[1].startswith(WHO_LEADS)
        page.screenshot(path=SCREENSHOTS / "17-desktop-6-past.png")
        page.locator("#nq-past label").nth(1).click()
        page.wait_for_function(
            "q => document.querySelector('#nq-chat .nq-question').innerText.includes(q)", arg=WHO_LEADS
        )
        stored = page.evaluate("Object.keys(localStorage)")
        assert "newsqa-conversations" in stored  # in this browser, not on the server
    finally:
        context.close()


def test_light_dark_switch_is_remembered(browser, app_url):
    context, page = new_page(browser, "phone")
    try:
        open_app(page, app_url)
        dark = page.evaluate("document.body.classList.contains('dark')")
        page.locator("#nq-theme").click()
        page.wait_for_function("d => document.body.classList.contains('dark') !== d", arg=dark)
        page.reload()
        open_app(page, app_url)
        assert page.evaluate("document.body.classList.contains('dark')") != dark
        page.screenshot(path=SCREENSHOTS / "17-phone-5-dark.png")
    finally:
        context.close()


def test_remove_asks_before_it_removes(browser, app_url):
    context, page = new_page(browser)
    try:
        open_app(page, app_url)
        page.get_by_role("tab", name="Articles").click()
        pick = page.locator("#nq-remove-pick input")
        pick.click()
        page.get_by_role("option").first.click()
        page.locator("#nq-remove").click()
        page.wait_for_selector("#nq-confirm-text .nq-confirm")
        question = page.locator("#nq-confirm-text").inner_text()
        assert re.match(r"Remove “.+” \(\d+ chunks\) from the index\? This cannot be undone\.", question)
        page.screenshot(path=SCREENSHOTS / "17-desktop-7-confirm.png")
        page.locator("#nq-remove-no").click()
        page.wait_for_timeout(500)
        assert not page.locator("#nq-confirm-text").is_visible()
        assert page.locator("#nq-articles tbody tr").count() == 2  # nothing removed
    finally:
        context.close()


@pytest.mark.parametrize("locale, lang", [("vi-VN", "vi"), ("en-US", "en")])
def test_no_serious_accessibility_violations(browser, app_url, locale, lang):
    """axe-core (axe-playwright-python) on the chat, with an answer, and on the articles tab."""
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
    context, page = new_page(browser, locale=locale)
    try:
        open_app(page, app_url)
        page.wait_for_function("l => document.documentElement.lang === l || l === 'vi'", arg=lang)
        ask(page, WHO_LEADS)
        axe = axe_module.Axe()
        found = {}
        for tab in ("chat", "articles"):
            if tab == "articles":
                page.get_by_role("tab", name="Bài báo" if lang == "vi" else "Articles").click()
                page.wait_for_selector("#nq-articles th")
            results = axe.run(page).response
            found[tab] = [
                (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                for v in results["violations"]
                if v["impact"] in ("serious", "critical")
            ]
        (SCREENSHOTS / f"17-axe-{lang}.json").write_text(json.dumps(found, indent=1, ensure_ascii=False))
        assert found == {"chat": [], "articles": []}
    finally:
        context.close()
