"""The chat in headless Chromium shows a timeline answer: each claim with its date and citation, the
source cards with their dates and "also in N articles". Screenshot: tests/screenshots/10-timeline.png."""

import pytest

from tests.dated_corpus import write as write_dated
from tests.helpers import serve_app
from tests.test_browser import ARGS, CHROMIUM, SCREENSHOTS, TIMEOUT_MS, ask, open_app, sync_api

pytestmark = pytest.mark.slow


def test_timeline_answer_shows_dates(make_settings, embedder, tmp_path):
    from qa.pipeline import Pipeline

    pipeline = Pipeline.open(make_settings(tmp_path / "data"), embedder=embedder)
    pipeline.ingest(pipeline.read([write_dated(tmp_path / "articles")]).articles)
    served = serve_app(pipeline)
    SCREENSHOTS.mkdir(exist_ok=True)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="en-US").new_page()
            page.set_default_timeout(TIMEOUT_MS)
            open_app(page, served.url)
            html = ask(page, "Giá vàng SJC thay đổi ra sao?")
            answer = page.locator("#nq-chat .nq-answer").last
            answer.evaluate("el => el.scrollIntoView({block: 'start'})")
            page.screenshot(path=SCREENSHOTS / "10-timeline.png")
            dates = answer.locator(".nq-claim-date").all_inner_texts()
            cards = answer.locator(".nq-sources .nq-date").all_inner_texts()
            browser.close()
    finally:
        served.close()
    assert dates == ["2021-04-20", "2021-04-24", "2021-04-28"]
    assert cards == ["20 Apr 2021", "24 Apr 2021", "28 Apr 2021"]  # source cards show the date as read
    assert "nq-time" in html and "nq-dups" in html
