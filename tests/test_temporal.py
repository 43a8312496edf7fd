"""Time-aware answers (qa/answering/temporal.py) over a small dated corpus (tests/dated_corpus.py), with the real
model and Chroma: the date a question names picks that date's article, "latest" the newest (as of
DATE), timelines in date order, an uncovered date is refused with the dates the articles cover,
near-duplicate stories are cited once; each surface (the pipeline's JSON, /api/ask, the chat's
HTML) shows every cited source's date."""

import json
import urllib.request

import pytest

from tests.dated_corpus import write as write_dated
from tests.helpers import serve_app

DAY = {
    "2021-04-20": "tintuc.example.vn_kinh-doanh_gia-vang-sjc-20-4-2021",
    "2021-04-24": "tintuc.example.vn_kinh-doanh_gia-vang-sjc-24-4-2021",
    "2021-04-28": "tintuc.example.vn_kinh-doanh_gia-vang-sjc-28-4-2021",
}
COPY = "baomoi.example.vn_kinh-doanh_gia-vang-sjc-28-4-2021"


@pytest.fixture(scope="module")
def dated(make_settings, embedder, tmp_path_factory):
    from qa.pipeline import Pipeline

    pipeline = Pipeline.open(make_settings(tmp_path_factory.mktemp("dated")), embedder=embedder)
    pipeline.ingest(pipeline.read([write_dated(tmp_path_factory.mktemp("articles"))]).articles)
    return pipeline


@pytest.mark.parametrize(
    "question, day",
    [
        ("Giá vàng SJC ngày 24/4/2021 là bao nhiêu?", "2021-04-24"),
        ("gia vang sjc ngay 20/4 la bao nhieu", "2021-04-20"),
        ("What was the SJC gold price on April 24, 2021?", "2021-04-24"),
    ],
)
def test_the_date_a_question_names_picks_that_dates_article(dated, question, day):
    answer = dated.ask(question)
    assert answer.found and answer.time["kind"] == "window"
    assert answer.sources[0].article_id == DAY[day]
    assert {c.date for c in answer.claims} == {day}
    # date-blind, the same pipeline answers from whichever article scores best, or refuses
    blind = dated.ask(question, time_aware=False)
    assert blind.time == {"kind": "none"}


@pytest.mark.parametrize(
    "question, as_of",
    [
        ("Giá vàng SJC hiện nay là bao nhiêu?", "Tính đến ngày 28/4/2021"),
        ("What is the SJC gold price currently?", "As of April 28, 2021"),
    ],
)
def test_latest_is_the_newest_article_and_says_as_of(dated, question, as_of):
    answer = dated.ask(question)
    assert answer.found and answer.as_of == "2021-04-28"
    assert answer.answer.startswith(as_of) and answer.time_note.startswith(as_of)
    assert "55,9" in answer.claims[0].text
    assert {c.date for c in answer.claims} == {"2021-04-28"}  # every claim from the newest article


@pytest.mark.parametrize("question", ["Giá vàng SJC thay đổi ra sao?", "How did the SJC gold price change?"])
def test_timeline_claims_in_date_order_each_with_date_and_citation(dated, question):
    answer = dated.ask(question)
    assert answer.time["kind"] == "timeline"
    assert [c.date for c in answer.claims] == ["2021-04-20", "2021-04-24", "2021-04-28"]
    assert [c.source for c in answer.claims] == [1, 2, 3]
    assert [s.date for s in answer.sources] == ["2021-04-20", "2021-04-24", "2021-04-28"]
    prices = [next(p for p in ("55,6", "55,2", "55,9") if p in c.text) for c in answer.claims]
    assert prices == ["55,6", "55,2", "55,9"]
    assert answer.plain_text().startswith(answer.time_note)
    assert "2021-04-20: Giá vàng SJC" in answer.plain_text()


def test_a_date_the_articles_do_not_cover_is_refused_with_nearby_dates(dated):
    answer = dated.ask("Giá vàng SJC ngày 5/3/2021 là bao nhiêu?")
    assert not answer.found and answer.time.get("uncovered")
    assert answer.answer.startswith(
        "Các bài báo đã lập chỉ mục không trả lời câu hỏi này. Không có bài báo nào đề ngày 5/3/2021"
    )
    assert "20/4/2021" in answer.answer  # the first date the articles cover after it
    english = dated.ask("What was the SJC gold price on March 5, 2021?")
    assert not english.found and "nearest dates the articles cover: April 20, 2021" in english.answer


def test_relative_dates_say_what_they_were_taken_relative_to(dated):
    answer = dated.ask("Hôm qua giá vàng SJC là bao nhiêu?")  # the newest article is of 28/4: 27/4
    assert "so với bài mới nhất đã lập chỉ mục (28/4/2021): 27/4/2021" in answer.time_note
    assert not answer.found and "28/4/2021" in answer.answer


def test_a_story_told_twice_is_cited_once_with_its_copies(dated):
    answer = dated.ask("Giá vàng SJC ngày 28/4/2021 là bao nhiêu?")
    cited = {s.article_id for s in answer.sources} | {s.article_id for s in answer.related}
    assert not ({DAY["2021-04-28"], COPY} <= cited)  # never both copies
    first = answer.sources[0]
    assert first.article_id in (DAY["2021-04-28"], COPY)
    assert [d["id"] for d in first.duplicates] == [
        COPY if first.article_id == DAY["2021-04-28"] else DAY["2021-04-28"]
    ]
    assert first.duplicates[0]["date"] == "2021-04-28"
    assert "also in 1 more articles" in answer.plain_text()


def test_undated_articles_say_so(dated):
    answer = dated.ask("Thư viện tỉnh mở cửa đến mấy giờ?")
    assert answer.found and answer.sources[0].article_id == "library"
    assert answer.sources[0].date == "" and "(undated)" in answer.plain_text()


def test_json_api_and_chat_html_show_dates(dated):
    from qa.web.render import answer_html, display_date
    from qa.web.strings import TEXT

    served = serve_app(dated)
    try:
        body = json.dumps({"question": "Giá vàng SJC thay đổi ra sao?"}).encode()
        request = urllib.request.Request(
            served.url.rstrip("/") + "/api/ask", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=120) as r:
            answer = json.loads(r.read())
    finally:
        served.close()
    assert [s["date"] for s in answer["sources"]] == ["2021-04-20", "2021-04-24", "2021-04-28"]
    assert [c["date"] for c in answer["claims"]] == ["2021-04-20", "2021-04-24", "2021-04-28"]
    assert answer["time"]["kind"] == "timeline" and answer["time_note"]
    html = answer_html(dated.ask("Giá vàng SJC thay đổi ra sao?"), TEXT["vi"])
    assert html.count('class="nq-claim-date"') == 3 and '<ol class="nq-text nq-timeline">' in html
    assert all(f'<span class="nq-date">{display_date(d, TEXT["vi"])}</span>' in html for d in DAY)
    assert "cũng có trong 1 bài khác" in html
    undated = answer_html(dated.ask("Thư viện tỉnh mở cửa đến mấy giờ?"), TEXT["en"])
    assert '<span class="nq-date nq-undated">undated</span>' in undated


def test_the_time_words_choose_articles_not_the_answers_sentences(dated, monkeypatch):
    """The date, "latest" words and events a question names pick the articles; the answerer ranks
    sentences by the rest of the question (a sentence repeating the date is not the answer for that)."""
    seen = []
    original = dated.answerer.answer

    def spy(question, retrieval, searched=""):
        seen.append((question, searched, retrieval.query.searched))
        return original(question, retrieval, searched=searched)

    monkeypatch.setattr(dated.answerer, "answer", spy)
    assert dated.ask("Giá vàng SJC ngày 24/4/2021 là bao nhiêu?").found
    assert dated.ask("Giá vàng SJC hiện nay là bao nhiêu?").found
    assert len(seen) >= 2
    for texts in seen:
        assert all("24/4" not in t and "hiện nay" not in t and "Giá vàng SJC" in t for t in texts), texts


PHONES = (
    "# doc_id = phones_2021-04-27\n# url = https://tintuc.example.vn/cong-nghe/hang-sao-mai-roi-khoi-top-5.htm\n"
    "# date = 20210427\n"
    "Hãng điện thoại Sao Mai rơi khỏi nhóm 5 hãng lớn nhất\n"
    "Quý II/2020, hãng điện thoại Sao Mai vượt qua mọi đối thủ để trở thành hãng điện thoại lớn nhất cả nước.\n"
    "Trong quý I/2021, hãng điện thoại Sao Mai đã rơi khỏi nhóm 5 hãng điện thoại lớn nhất cả nước.\n"
    "Thị trường điện thoại cả nước tăng trưởng 12% so với cùng kỳ năm ngoái.\n"
)


def test_latest_does_not_lead_with_an_earlier_state_its_article_tells(make_settings, embedder, tmp_path, monkeypatch):
    """A "latest" question's answer does not start with a sentence the article dates before what it
    tells last ("Quý II/2020, … lớn nhất" beside "Trong quý I/2021, … rơi khỏi nhóm 5")."""
    from qa.pipeline import Pipeline

    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "phones.txt").write_text(PHONES, encoding="utf-8")
    pipeline = Pipeline.open(make_settings(tmp_path / "data"), embedder=embedder)
    pipeline.ingest(pipeline.read([tmp_path / "articles"]).articles)
    behind = []
    original = pipeline.answerer.answer

    def spy(question, retrieval, searched=""):
        behind.extend(retrieval.hits[[h.id for h in retrieval.hits].index(i)].text for i, _ in retrieval.behind)
        return original(question, retrieval, searched=searched)

    monkeypatch.setattr(pipeline.answerer, "answer", spy)
    answer = pipeline.ask("Hiện nay hãng điện thoại Sao Mai đứng ở vị trí nào trên thị trường cả nước?")
    assert answer.found and answer.time["kind"] == "latest"
    assert behind, "the earlier state was not marked"
    assert answer.claims[0].text.startswith("Trong quý I/2021"), answer.claims[0].text
