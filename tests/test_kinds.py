"""What kind of fact a question asks and a sentence gives (`qa.question.kinds`)."""

import pytest

from qa.question.kinds import asked_kind, asked_measure, gives_measure, kind_fit, sentence_kinds


@pytest.mark.parametrize(
    "sentence, number",
    [
        ("Theo kế hoạch, trong đợt 1, toàn tỉnh sẽ tiêm 12.300 liều vắc xin do Bộ Y tế phân bổ.", True),
        ("Giá vàng tăng 1,5% so với hôm qua.", True),
        ("Có 3 người chết trong vụ tai nạn.", True),
        ("Đội tuyển xếp thứ 3 ở bảng B.", True),  # an ordinal answers "đứng thứ mấy"
        # dates, a name with a figure ("Covid-19") and a label ("đợt 1") are not quantities
        ("Đợt tiêm vắc xin Covid-19 đợt 1 tại Hòa Bình sẽ bắt đầu ngày 24/4 và xong trước ngày 5/5.", False),
        ("Thành phố thực hiện giãn cách theo Chỉ thị 16 từ tháng 4/2021.", False),
    ],
)
def test_a_sentence_gives_a_number_only_when_a_figure_may_be_a_quantity(sentence, number):
    assert ("number" in sentence_kinds(sentence)) is number


def test_a_how_many_question_prefers_the_sentence_with_a_quantity():
    asked = asked_kind("Trong đợt tiêm vắc xin Covid-19, Hòa Bình sẽ tiêm bao nhiêu liều?")
    assert asked == "number"
    quantity = "Theo kế hoạch, trong đợt 1, toàn tỉnh sẽ tiêm 12.300 liều vắc xin do Bộ Y tế phân bổ."
    schedule = "Đợt tiêm vắc xin Covid-19 đợt 1 tại Hòa Bình sẽ bắt đầu ngày 24/4 và xong trước ngày 5/5."
    assert kind_fit(asked, sentence_kinds(quantity)) == 1.0
    assert kind_fit(asked, sentence_kinds(schedule)) == -1.0


@pytest.mark.parametrize(
    "question, measure",
    [
        ("Ca nhiễm thứ 4 bao nhiêu tuổi?", "age"),
        ("bn thu 4 bao nhieu tuoi", "age"),
        ("Các đường hầm sâu bao nhiêu mét?", "length"),
        ("How many kilometres long is the river?", "length"),
        ("How many grams of grapes should one eat per day?", "weight"),
        ("Cơ sở sản xuất bị xử phạt bao nhiêu tiền?", "money"),
        ("Tổng vốn đầu tư của dự án là bao nhiêu tỷ đồng?", "money"),
        ("Máy ảnh sẽ có giá bán bao nhiêu?", "money"),
        ("How many dollars did a barrel of oil cost?", "money"),
        ("GRDP tăng bao nhiêu phần trăm?", "percent"),
        # counted nouns are not measures: a passage may give them in words
        ("Bao nhiêu người tham dự?", None),
        ("Có bao nhiêu dòng lục lạp?", None),  # dòng, not đồng
        ("How old are the fossils?", None),  # an age in years, not "tuổi"
        ("How many cases were recorded?", None),
        ("Ai dẫn đầu đoàn công tác?", None),
    ],
)
def test_the_measure_a_number_question_asks(question, measure):
    assert asked_measure(question) == measure


@pytest.mark.parametrize(
    "text, measure, gives",
    [
        ("Bệnh nhân là nữ, 27 tuổi, trú tại huyện Nghi Lộc.", "age", True),
        ("Từ năm 2020, ở tuổi 13, cô theo học đại học.", "age", True),
        ("Cây cầu dài 1.200m, rộng 20 m.", "length", True),
        ("Họ bán lại ngôi nhà với giá 10 triệu USD.", "money", True),
        ("Cơ sở bị phạt 20 triệu đồng.", "money", True),
        ("Xuất khẩu tăng 8,7% so với cùng kỳ.", "percent", True),
        ("Khu glamping nằm trong tòa nhà cao 65 tầng.", "length", False),
        ("Ca nhiễm thứ 4 trở về từ Nhật Bản hôm 14/4.", "age", False),
        ("Năm 2020, công ty có 120 nhân viên.", "money", False),
    ],
)
def test_a_passage_gives_a_measure_only_with_a_figure_of_it(text, measure, gives):
    assert gives_measure(text, measure) is gives
