"""Follow-up questions: rules of `contextualize`, and what the combined question retrieves."""

import pytest

from qa.question.conversation import MAX_SEARCHED_CHARS, contextualize, focus, focus_first, focus_matcher, is_follow_up

FIRST_VI = "Quảng Ngãi đề nghị gì?"
FIRST_EN = "what did Quảng Ngãi request?"


@pytest.mark.parametrize(
    "question",
    [
        "còn Bộ trưởng đáp lại thế nào?",
        "Thế còn Bộ Ngoại giao?",
        "Vậy Bộ trưởng nói gì?",
        "Họ muốn hợp tác với những nước nào?",
        "Ông ấy hứa điều gì với tỉnh?",
        "Điều đó được thực hiện khi nào vậy?",
        "Như thế nào?",
        "Tại sao?",
        "and what about Oita?",
        "What about the minister's answer?",
        "How about Japan?",
        "Did they get an answer from the ministry?",
        "When will it happen?",
        "Who proposed that plan?",
        "Why was that?",
    ],
)
def test_follow_ups_are_combined_with_the_previous_question(question):
    assert is_follow_up(question)
    assert contextualize(question, [FIRST_VI]) == f"{FIRST_VI} {question}"


@pytest.mark.parametrize(
    "question",
    [
        "Hai trọng tâm phát triển của Quảng Ngãi là gì?",
        "Bộ trưởng Bùi Thanh Sơn nêu những trọng tâm nào của ngành Ngoại giao?",
        "Thế nào là kinh tế biển theo bài báo về Quảng Ngãi?",
        "Which foreign localities does Quảng Ngãi want to cooperate with?",
        "What did the minister say that the province should prepare for the conference?",
        "Kết quả xổ số miền Bắc ngày 1/5/2024?",
    ],
)
def test_self_contained_questions_are_unchanged(question):
    assert not is_follow_up(question)
    assert contextualize(question, [FIRST_VI]) == question


def test_no_history_or_empty_history_changes_nothing():
    assert contextualize("còn Bộ trưởng?", []) == "còn Bộ trưởng?"
    assert contextualize("còn Bộ trưởng?", ["", "  "]) == "còn Bộ trưởng?"
    assert contextualize("  and   what about Oita? ", []) == "and what about Oita?"


def test_uses_the_latest_searched_question_and_stays_bounded():
    history = ["Ai dẫn đầu đoàn?", FIRST_EN]
    assert contextualize("and Oita?", history) == f"{FIRST_EN} and Oita?"
    assert contextualize(FIRST_EN, [FIRST_EN]) == FIRST_EN  # asked again
    searched = FIRST_VI
    for n in range(40):
        searched = contextualize(f"còn câu hỏi tiếp theo số {n}?", [searched])
    assert len(searched) <= MAX_SEARCHED_CHARS and searched.endswith("còn câu hỏi tiếp theo số 39?")
    assert contextualize("Tại sao", ["Quảng Ngãi đề nghị gì"]) == "Quảng Ngãi đề nghị gì? Tại sao"


def passages(answer) -> list[str]:
    return [s.text for s in answer.sources + answer.related]


def test_follow_up_retrieves_the_ministers_reply(seeded):
    question = "còn Bộ trưởng đáp lại thế nào?"
    searched = contextualize(question, [FIRST_VI])
    assert searched == "Quảng Ngãi đề nghị gì? còn Bộ trưởng đáp lại thế nào?"
    answer = seeded.ask(question, searched=searched)
    assert answer.searched == searched
    assert any("Bộ trưởng Bùi Thanh Sơn khẳng định" in p or "Bộ trưởng mong muốn" in p for p in passages(answer))


@pytest.mark.parametrize("first", [FIRST_VI, FIRST_EN])
def test_english_follow_up_retrieves_oita(seeded, first):
    question = "and what about Oita?"
    answer = seeded.ask(question, searched=contextualize(question, [first]))
    assert any("Oita" in p for p in passages(answer))
    assert answer.found and "Oita" in " ".join(s.text for s in answer.sources)


@pytest.mark.parametrize(
    "question, own",
    [
        ("còn GRDP thì sao?", "GRDP"),
        ("Thế còn Bộ Ngoại giao?", "Bộ Ngoại giao"),
        ("còn sân nhà của họ nằm ở đâu?", "sân nhà của nằm ở đâu"),
        ("ông ấy phân bổ dầu nội địa cho các bang như thế nào?", "phân bổ dầu nội địa cho các bang"),
        ("and when did it end?", "when did end"),
        ("what about Oita?", "Oita"),
        ("Hai trọng tâm phát triển của Quảng Ngãi là gì?", "Hai trọng tâm phát triển của Quảng Ngãi là gì"),
    ],
)
def test_focus_is_what_a_follow_up_asks_itself(question, own):
    assert focus(question) == own


def test_focus_first_and_matcher():
    first = "quang ngai xuat khau bao nhieu trong 9 thang dau nam 2023"
    searched = contextualize("còn GRDP thì sao?", [first])
    assert focus_first("còn GRDP thì sao?", searched) == f"còn GRDP thì sao? {first}?"
    assert focus_first(FIRST_VI, FIRST_VI) == FIRST_VI  # asked alone: unchanged
    match = focus_matcher("còn GRDP thì sao?", searched)
    grdp = "Tổng sản phẩm trên địa bàn tỉnh (GRDP) 6 tháng đầu năm 2023 ước tăng 2,65%."
    export = "Kim ngạch xuất khẩu 9 tháng đầu năm 2023 ước đạt 1,9 tỷ USD."
    assert match(grdp) == 1.0 and match(export) == 0.0
    home = focus_matcher("còn sân nhà của họ nằm ở đâu?", "Đội nào vô địch? còn sân nhà của họ nằm ở đâu?")
    assert home("Sân nhà của Polonia nằm ở Đường Konwiktorka.") > home("Học viện nằm ở tòa nhà Nhà hát Lớn.")
    assert focus_matcher(FIRST_VI, FIRST_VI)("Quảng Ngãi đề nghị gì") == 0.0  # no follow-up: no preference
