"""Time in questions (qa/question/time_scope.py): explicit dates and periods, relative ones, latest and timeline
words, event anchors, in Vietnamese with and without diacritics and in English; and what is not a date."""

from datetime import date

import pytest

from qa.question.time_scope import earlier_told, mentions, read_time, show_date, show_window

TODAY = date(2021, 5, 2)  # a Sunday: the newest indexed article's date in these tests


def window(question: str) -> tuple[str, str] | None:
    w = read_time(question, TODAY).window
    return (w.start.isoformat(), w.end.isoformat()) if w else None


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Giá vàng ngày 26/4/2021 là bao nhiêu?", ("2021-04-26", "2021-04-26")),
        ("gia vang ngay 26/4/2021 la bao nhieu", ("2021-04-26", "2021-04-26")),
        ("Sáng 24/4 có bao nhiêu ca mắc mới?", ("2021-04-24", "2021-04-24")),
        ("sang 24/4 co bao nhieu ca mac moi", ("2021-04-24", "2021-04-24")),
        ("Ngày 26 tháng 4 năm 2021 có gì?", ("2021-04-26", "2021-04-26")),
        ("ngay 26 thang 4 co gi", ("2021-04-26", "2021-04-26")),
        ("Phiên 21/4 cổ phiếu giảm bao nhiêu?", ("2021-04-21", "2021-04-21")),
        ("Tháng 11/2020 có gì mới?", ("2020-11-01", "2020-11-30")),
        ("thang 11 nam 2020 co gi moi", ("2020-11-01", "2020-11-30")),
        ("Doanh thu quý 1 năm 2021?", ("2021-01-01", "2021-03-31")),
        ("doanh thu quy I/2021", ("2021-01-01", "2021-03-31")),
        ("What was revenue in the first quarter of 2021?", ("2021-01-01", "2021-03-31")),
        ("What happened in March 2020?", ("2020-03-01", "2020-03-31")),
        ("What happened on April 26, 2021?", ("2021-04-26", "2021-04-26")),
        ("What happened on 26 April 2021?", ("2021-04-26", "2021-04-26")),
        ("What happened in the last week of April 2021?", ("2021-04-24", "2021-04-30")),
        ("Tuần cuối tháng 4/2021 có gì?", ("2021-04-24", "2021-04-30")),
        ("Cuối tháng 4 giá xăng thế nào?", ("2021-04-21", "2021-04-30")),
        ("What happened in late April 2021?", ("2021-04-21", "2021-04-30")),
        ("Từ 20/4 đến 25/4 có bao nhiêu ca?", ("2021-04-20", "2021-04-25")),
        ("Năm 2020 doanh thu là bao nhiêu?", ("2020-01-01", "2020-12-31")),
        ("Tháng 12 có gì?", ("2020-12-01", "2020-12-31")),  # no year: the latest December up to today
    ],
)
def test_explicit_dates_and_periods(question, expected):
    assert window(question) == expected


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Hôm qua có bao nhiêu ca mắc?", ("2021-05-01", "2021-05-01")),
        ("hom qua co bao nhieu ca mac", ("2021-05-01", "2021-05-01")),
        ("What happened yesterday?", ("2021-05-01", "2021-05-01")),
        ("Tuần trước có gì?", ("2021-04-19", "2021-04-25")),
        ("What happened last week?", ("2021-04-19", "2021-04-25")),
        ("3 ngày trước có gì?", ("2021-04-29", "2021-04-29")),
        ("What happened two days ago?", ("2021-04-30", "2021-04-30")),
        ("Hai ngày qua có gì?", ("2021-04-30", "2021-05-02")),
        ("What happened in the past 3 days?", ("2021-04-29", "2021-05-02")),
    ],
)
def test_relative_phrases_are_taken_relative_to_today(question, expected):
    scope = read_time(question, TODAY)
    assert window(question) == expected
    assert scope.window.relative and scope.today == TODAY


def test_a_day_without_a_year_is_the_latest_such_day_and_says_so():
    w = read_time("Ngày 24/12 có gì?", TODAY).window
    assert (w.start, w.year_given) == (date(2020, 12, 24), False)
    assert read_time("Ngày 24/12/2019 có gì?", TODAY).window.year_given


@pytest.mark.parametrize(
    "question",
    [
        "Số ca mắc Covid-19 hiện nay là bao nhiêu?",
        "so ca mac covid-19 moi nhat la bao nhieu",
        "Giá vàng hiện tại thế nào?",
        "What is the current death toll?",
        "How many cases so far?",
        "What is the latest price?",
    ],
)
def test_latest_words(question):
    scope = read_time(question, TODAY)
    assert scope.latest and not scope.timeline and not scope.windows


@pytest.mark.parametrize(
    "question",
    [
        "Diễn biến dịch Covid-19 ở Ấn Độ thế nào?",
        "dien bien dich covid-19 o an do the nao",
        "Giá vàng thay đổi ra sao?",
        "Số ca nhiễm tăng giảm như thế nào qua các ngày?",
        "How did the gold price change?",
        "How has the death toll in India evolved over time?",
    ],
)
def test_timeline_words(question):
    assert read_time(question, TODAY).timeline


@pytest.mark.parametrize(
    "question, direction, anchor",
    [
        ("Phiên liền sau khi giá vàng giảm mạnh, giá vàng thế nào?", "after", "giá vàng giảm mạnh"),
        ("Giá xăng đợt điều chỉnh ngay trước kỳ nghỉ lễ 30/4 là bao nhiêu?", "before", "kỳ nghỉ lễ 30/4"),
        ("What did he say right after the election?", "after", "the election"),
        ("What was the price just before the holiday?", "before", "the holiday"),
    ],
)
def test_event_anchors(question, direction, anchor):
    scope = read_time(question, TODAY)
    assert (scope.direction, scope.anchor) == (direction, anchor)


@pytest.mark.parametrize(
    "question",
    [
        "Trận SHB Đà Nẵng thua Sài Gòn FC 1-2 ở vòng 11 V-League 2021 có bao nhiêu khán giả?",  # a score, a season
        "2/3 số học sinh đạt điểm giỏi?",  # a fraction
        "ipad air 4 co 4 khe loa nhung thuc te co may loa",  # "máy" without diacritics is not May
        "Galaxy M51 được bán với giá bao nhiêu?",
        "DEC ban đầu có 3 lớp nhưng phát triển thành bao nhiêu lớp",  # the company, not December
        "Quảng Ngãi xác định mục tiêu đến năm 2030 là gì?",  # a target year
        "Nếu Bkav làm được smartphone 5G, hãng sẽ đứng thứ hai ở Việt Nam sau hãng nào?",  # "thứ hai"
        "Hai trọng tâm phát triển của Quảng Ngãi là gì?",
        "Sau khi bị Tottenham sa thải, Mourinho nhận làm bình luận viên Euro 2020 cho đài nào?",
    ],
)
def test_no_time_where_there_is_none(question):
    scope = read_time(question, TODAY)
    assert not scope.windows and not scope.timeline and not scope.direction


def test_mentions_of_a_day_month_quarter_and_year():
    day = read_time("ngày 26/4/2021", TODAY).window
    assert mentions("Ngày 26/4, Bộ Y tế cho biết", day)
    assert mentions("ngày 26 tháng 4", day) and mentions("26/04/2021", day) and mentions("on April 26", day)
    assert not mentions("126/4 ca", day) and not mentions("26/4/2020", day) and not mentions("Wi-Fi 26.4", day)
    month = read_time("tháng 4/2021", TODAY).window
    assert mentions("trong tháng 4/2021", month) and mentions("in April 2021", month)
    assert not mentions("tháng 4", month)
    quarter = read_time("quý 1/2021", TODAY).window
    assert mentions("trong quý I/2021, hãng", quarter) and not mentions("quý II/2020", quarter)
    year = read_time("năm 2019", TODAY).window
    assert mentions("Năm 2019, tạp chí", year) and not mentions("năm 2020", year)


def test_dates_are_shown_in_the_question_language():
    assert show_date("2021-04-28", "vi") == "28/4/2021"
    assert show_date("2021-04-28", "en") == "April 28, 2021"
    w = read_time("từ 20/4/2021 đến 25/4/2021", TODAY).window
    assert show_window(w, "vi") == "từ 20/4/2021 đến 25/4/2021"
    assert show_window(w, "en") == "from April 20, 2021 to April 25, 2021"


def test_a_sentence_that_tells_an_earlier_state_than_its_passage():
    huawei = [
        "Quý II/2020, Huawei vượt qua Samsung để trở thành hãng smartphone lớn nhất thế giới.",
        "Trong quý I/2021, Huawei đã bị đá văng khỏi top 5.",
        "Samsung vẫn nắm giữ ngôi vương.",  # names no time: not earlier
    ]
    assert earlier_told(huawei, "2021-04-20") == [True, False, False]
    india = ["Ngày 25/4, Ấn Độ ghi nhận 349.691 ca.", "Hôm qua, Ấn Độ ghi nhận 352.991 ca."]
    assert earlier_told(india, "2021-04-27") == [True, False]  # "hôm qua" is 26/4 of an article of 27/4
    assert earlier_told(india, "") == [False, False]  # undated: days without a year are not read
    same_year = ["Năm 2020, doanh thu đạt 10 tỷ.", "Năm 2020, lợi nhuận giảm."]
    assert earlier_told(same_year, "2021-04-20") == [False, False]
    plan = ["Ngày 29/4, Việt Nam ghi nhận 5 ca.", "Đến năm 2025, tỉnh sẽ có 3 bệnh viện mới."]
    assert earlier_told(plan, "2021-04-30") == [False, False]  # a plan is not a later state
