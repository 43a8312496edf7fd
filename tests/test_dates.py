"""Article dates (ingest/dates.py, ingest/readers.py): every source of a date, how it was found, what
is never guessed; stored in the registry and listed by `newsqa list`; near-duplicate stories
(ingest/stories.py)."""

import json

import pytest

from ingest.dates import article_date, dateline_date, html_date, url_date
from ingest.readers import parse_html, parse_text
from ingest.stories import StoryGroups, figures, signature
from tests.dated_corpus import gold_article
from tests.dated_corpus import write as write_dated

BODY = "<p>Tỉnh công bố kế hoạch mở rộng cảng biển với tổng vốn 500 tỷ đồng trong năm tới.</p>" * 3


def page(head: str = "", url: str = "https://example.vn/tin/cang-bien.html") -> str:
    return (
        f'<html><head><title>Cảng biển mở rộng</title><link rel="canonical" href="{url}">{head}</head>'
        f"<body><article><h1>Cảng biển mở rộng</h1>{BODY}</article></body></html>"
    )


def test_the_corpus_header_dates_an_article():
    a = parse_text("# url = https://dantri.com.vn/a/b-1.htm\n# date = 20210423\nTiêu đề\nMột câu.\n", "x", "x.txt")
    assert (a.date, a.date_source) == ("2021-04-23", "header")


def test_html_meta_and_json_ld_date_a_page():
    meta = '<meta property="article:published_time" content="2021-04-23T08:56:00+07:00">'
    assert html_date(meta) == ("2021-04-23", "html-meta")
    ld = '<script type="application/ld+json">{"@graph": [{"@type": "NewsArticle", "datePublished": "2020-01-02T10:00:00Z"}]}</script>'
    assert html_date(ld) == ("2020-01-02", "json-ld")
    a = parse_html(page(meta), "p", "p.html")
    assert (a.date, a.date_source) == ("2021-04-23", "html-meta")
    b = parse_html(page(ld), "p", "p.html")
    assert (b.date, b.date_source) == ("2020-01-02", "json-ld")


def test_the_url_and_a_dateline_date_an_article():
    assert url_date("https://dantri.com.vn/xa-hoi/ha-noi-20210430024122844.htm") == "2021-04-30"
    assert url_date("https://example.vn/2021/04/23/tin.html") == "2021-04-23"
    assert url_date("https://example.vn/tin-123.html") == ""
    a = parse_text("# url = https://example.vn/2021/04/23/tin.html\nTiêu đề\nMột câu.\n", "x", "x.txt")
    assert (a.date, a.date_source) == ("2021-04-23", "url")
    b = parse_text("Tiêu đề\n\nHÀ NỘI, 24/10/2023 - Bộ Ngoại giao cho biết hôm nay.\n", "y", "y.txt")
    assert (b.date, b.date_source) == ("2023-10-24", "dateline")
    assert dateline_date("(Dân trí) - Sáng 24/4/2021, Bộ Y tế công bố") == ("2021-04-24", "dateline")


def test_nothing_is_guessed():
    # a dateline without a year, a date further down the text: the article stays undated
    assert dateline_date("Ngày 24/10, Bộ trưởng tiếp đoàn công tác của tỉnh năm 2023.") == ("", "")
    assert article_date(text="Tỉnh có kế hoạch. Ngày 1/5/2024 là ngày nghỉ.") == ("", "")
    a = parse_text("Tiêu đề\n\nNgày 24/10, Bộ trưởng tiếp đoàn công tác.\n\nHạn chót là 1/5/2024.\n", "z", "z.txt")
    assert (a.date, a.date_source) == ("", "")


def test_minhash_groups_copies_not_daily_reports():
    day1, day2 = gold_article("2021-04-24"), gold_article("2021-04-28")
    copy = gold_article("2021-04-28", site="other.example.vn", extra="Bài viết được đăng lại từ một trang tin khác.\n")
    rows = [
        ("a", signature("t", day1), "2021-04-24", figures(day1)),
        ("b", signature("t", day2), "2021-04-28", figures(day2)),
        ("c", signature("t", copy), "2021-04-28", figures(copy)),
        ("d", signature("t", "Một bài khác hẳn về xe buýt điện ở Hà Nội và giá vé của nó."), "2021-04-28", ""),
    ]
    stories = StoryGroups(rows)
    assert stories.groups() == [["b", "c"]]
    assert stories.story("c") == stories.story("b") == "b" and stories.others("b") == ["c"]
    assert stories.others("a") == [] and stories.story("d") == "d"


def test_list_shows_each_date_and_how_it_was_found(run, tmp_path):
    folder = write_dated(tmp_path / "articles")
    assert run("ingest", str(folder)).exit_code == 0
    result = run("list")
    assert result.exit_code == 0
    lines = {line.split("\t")[0]: line.split("\t")[1] for line in result.output.splitlines()}
    assert lines["tintuc.example.vn_kinh-doanh_gia-vang-sjc-24-4-2021"] == "2021-04-24 (header)"
    assert lines["library"] == "undated"
    rows = json.loads(run("list", "--json").output)
    library = next(r for r in rows if r["id"] == "library")
    assert (library["date"], library["date_source"]) == ("", "")
    assert all("minhash" not in r and "figures" not in r for r in rows)


@pytest.mark.parametrize("question", ["Giá vàng SJC ngày 24/4/2021 là bao nhiêu?"])
def test_ask_shows_the_date_of_every_cited_source(run, tmp_path, question):
    folder = write_dated(tmp_path / "articles")
    run("ingest", str(folder))
    text = run("ask", question)
    assert text.exit_code == 0
    assert "55,2 triệu" in text.output and "2021-04-24" in text.output
    answer = json.loads(run("ask", question, "--json").output)
    assert answer["sources"] and all(s["date"] for s in answer["sources"])
    assert answer["sources"][0]["date"] == "2021-04-24" and answer["sources"][0]["date_source"] == "header"
    assert answer["claims"][0]["date"] == "2021-04-24"
