"""What kind of fact a question asks and a sentence gives (`qa.question.kinds`)."""

import pytest

from qa.question.kinds import asked_kind, kind_fit, sentence_kinds


@pytest.mark.parametrize(
    "sentence, number",
    [
        ("Theo đó, trong đợt 1, toàn tỉnh sẽ tiêm 17.050 vắc xin Covid-19 do Bộ Y tế phân bổ.", True),
        ("Giá vàng tăng 1,5% so với hôm qua.", True),
        ("Có 3 người chết trong vụ tai nạn.", True),
        ("Đội tuyển xếp thứ 3 ở bảng B.", True),  # an ordinal answers "đứng thứ mấy"
        # dates, a name with a figure ("Covid-19") and a label ("đợt 1") are not quantities
        ("Đợt tiêm chủng vắc xin Covid-19 đợt 1 tại Đắk Lắk sẽ diễn ngày 24/4 và xong trước ngày 5/5.", False),
        ("Thành phố thực hiện giãn cách theo Chỉ thị 16 từ tháng 4/2021.", False),
    ],
)
def test_a_sentence_gives_a_number_only_when_a_figure_may_be_a_quantity(sentence, number):
    assert ("number" in sentence_kinds(sentence)) is number


def test_a_how_many_question_prefers_the_sentence_with_a_quantity():
    asked = asked_kind("Trong đợt tiêm vắc xin Covid-19, Đắk Lắk sẽ tiêm bao nhiêu liều?")
    assert asked == "number"
    quantity = "Theo đó, trong đợt 1, toàn tỉnh sẽ tiêm 17.050 vắc xin Covid-19 do Bộ Y tế phân bổ."
    schedule = "Đợt tiêm chủng vắc xin Covid-19 đợt 1 tại Đắk Lắk sẽ diễn ngày 24/4 và xong trước ngày 5/5."
    assert kind_fit(asked, sentence_kinds(quantity)) == 1.0
    assert kind_fit(asked, sentence_kinds(schedule)) == -1.0
