"""What kind of fact a question asks and a sentence gives (`qa.question.kinds`)."""

import pytest

from qa.question.kinds import (
    asked_kind,
    counted_noun,
    counts_noun,
    kind_fit,
    missing_fact,
    names_country,
    names_new,
    sentence_kinds,
    without_birth_dates,
)
from qa.question.measures import asked_measure, gives_measure, measure_figures


@pytest.mark.parametrize(
    "sentence, number",
    [
        ("Theo kế hoạch, trong đợt 1, toàn tỉnh sẽ tiêm 12.300 liều vắc xin do Bộ Y tế phân bổ.", True),
        ("Giá vàng tăng 1,5% so với hôm qua.", True),
        ("Có 3 người chết trong vụ tai nạn.", True),
        ("Đội tuyển xếp thứ 3 ở bảng B.", True),  # an ordinal answers "đứng thứ mấy"
        # a unit written against its figure
        ("UBND thành phố thu hồi khu đất 29ha thuộc dự án khu đô thị mới.", True),
        ("Con rắn dài 3m, nặng 500g.", True),
        ("Mẫu điện thoại mới hỗ trợ mạng 5G.", False),  # "5G" names a network
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
        ("Cây cầu dài bao nhiêu?", "length"),
        ("cay cau dai bao nhieu", "length"),
        ("How tall is the tower?", "length"),
        ("Con cá nặng bao nhiêu?", "weight"),
        ("Hồ nước sâu bao nhiêu?", "length"),
        ("Trạm thu phí bị phạt bao nhiêu?", "money"),
        ("Bị cáo bị phạt bao nhiêu năm tù?", None),  # prison, not money
        ("Chiến dịch kéo dài bao nhiêu ngày?", None),  # a period
        ("Tòa nhà cao bao nhiêu tầng?", None),  # floors are counted
        ("How long was the snake?", None),  # a length or a time
        ("Nhật Bản cam kết bao nhiêu vốn ODA cho Việt Nam?", "money"),
        ("Kim ngạch xuất khẩu cả năm của tỉnh đạt bao nhiêu?", "money"),
        ("How much new-generation aid has Japan committed?", "money"),
        ("Doanh thu tăng bao nhiêu phần trăm?", "percent"),
        ("so luong nguoi tham du la bao nhieu", None),  # lượng, not lương
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


def test_the_figures_of_a_measure_a_sentence_writes():
    sentence = "Cầu Cửa Lò có tổng chiều dài hơn 5,2km, nối hai tỉnh, vốn 1.500 tỷ đồng."
    assert [sentence[a:b] for a, b in measure_figures(sentence, "length")] == ["5,2km"]
    assert [sentence[a:b] for a, b in measure_figures(sentence, "money")] == ["1.500 tỷ đồng"]
    assert measure_figures(sentence, "age") == []
    assert gives_measure("Anh cao 1m75.", "length")


@pytest.mark.parametrize(
    "question, sentence, missing",
    [
        ("Người bán căn nhà cho Lê Hoa tên là gì?", "Chủ cũ đã bán căn nhà cho Lê Hoa với giá 10 triệu USD.", "name"),
        ("Người bán căn nhà cho Lê Hoa tên là gì?", "Chủ cũ, ông Trần Minh, đã bán căn nhà cho Lê Hoa.", None),
        ("khach san do co ten la gi", "Khách sạn nằm ở trung tâm thành phố.", "name"),
        ("What is the name of the singer's manager?", "Người quản lý của ca sĩ đã từ chức.", "name"),
        ("What are the names and ages of the three women?", "Ba cụ bà đã đạp xe hơn 60km.", "name"),
        # named after someone: asks what was named, not a name
        ("Hội nghị đã đặt tên gì theo nhà khoa học?", "Đơn vị đo từ trường được đặt theo tên ông.", None),
        ("Khu kinh tế được thành lập vào năm nào?", "Tỉnh đã hoàn thành quy hoạch khu kinh tế.", "date"),
        ("Khu kinh tế được thành lập vào năm nào?", "Khu kinh tế được thành lập năm 1996.", None),
        # a year a plan runs to is no date of an event, unless the question asks about the plan
        (
            "Khu kinh tế được thành lập vào năm nào?",
            "Tỉnh đã hoàn thành quy hoạch thời kỳ 2021-2030, tầm nhìn đến năm 2050 của khu kinh tế.",
            "date",
        ),
        ("Quy hoạch khu kinh tế đến năm nào?", "Tỉnh đã hoàn thành quy hoạch khu kinh tế đến năm 2035.", None),
        ("Ông làm nghị sĩ từ năm nào?", "Ông làm nghị sĩ từ năm 2011 đến năm 2020.", None),
        ("Cuộc chiến kết thúc vào năm nào?", "Cuộc chiến kéo dài đến năm 1279.", None),  # no plan
        ("On what date did the minister answer questions?", "Bộ trưởng trả lời chất vấn hôm qua.", None),
        ("On what date did the minister answer questions?", "Bộ trưởng phát biểu về nhóm vấn đề chất vấn.", "date"),
        ("Cuộc họp diễn ra ngày nào?", "Cuộc họp diễn ra vào thứ Hai tuần trước.", None),
        (
            "Hệ miễn dịch suy giảm khi nào?",
            "Suy giảm xảy ra khi hệ miễn dịch hoạt động kém.",
            None,
        ),  # a clause answers
        ("Ai dẫn đầu đoàn công tác?", "Đoàn công tác làm việc hai ngày.", None),
        # a figure over another period is another figure; the asked period, or none named, may answer
        ("GRDP 9 tháng đầu năm của tỉnh tăng bao nhiêu phần trăm?", "GRDP 6 tháng đầu năm ước tăng 2,6%.", "period"),
        ("How much did GRDP grow in the first nine months?", "GRDP 6 tháng đầu năm ước tăng 2,6%.", "period"),
        ("Doanh thu quý I của công ty đạt bao nhiêu?", "Doanh thu quý II đạt 120 tỷ đồng.", "period"),
        ("Doanh thu cả năm 2022 đạt bao nhiêu?", "Doanh thu 9 tháng đầu năm 2023 đạt 120 tỷ đồng.", "period"),
        (
            "GRDP 9 tháng đầu năm của tỉnh tăng bao nhiêu phần trăm?",
            "GRDP 9 tháng ước tăng 3%, riêng quý III tăng 4%.",
            None,
        ),
        ("GRDP 9 tháng đầu năm của tỉnh tăng bao nhiêu phần trăm?", "Từ ngày 30 tháng 4, GRDP đã tăng 3%.", None),
        ("Sau 6 tháng, dự án giải ngân được bao nhiêu?", "Dự án đã giải ngân 40 tỷ đồng.", None),
        (
            "Trong 3 tháng, đoàn công tác làm gì?",
            "Trong 6 tháng, đoàn công tác khảo sát 12 dự án.",
            None,
        ),  # no quantity asked
    ],
)
def test_a_name_or_a_day_asked_that_the_sentence_does_not_give(question, sentence, missing):
    assert missing_fact(question, sentence) == missing


@pytest.mark.parametrize(
    "sentence, names",
    [  # written for this test; the question names Indonesia
        ("Indonesia cũng đề nghị Singapore và Australia hỗ trợ tìm kiếm.", True),
        ("Bộ Quốc phòng Indonesia cho biết đã mở rộng vùng tìm kiếm.", False),  # the question's own
        ("Đoàn cứu hộ của Mỹ đã tới nơi.", True),  # "Mỹ": the CLDR writes "Hoa Kỳ"
        ("Ông Nguyễn Minh Đức đã tới hiện trường.", False),  # part of a name
        ("Úc đã gửi một máy bay tuần tra.", False),  # first in the sentence: may be any capitalised word
    ],
)
def test_a_sentence_names_a_country_the_question_does_not(sentence, names):
    assert names_country("Indonesia đã đề nghị những quốc gia nào hỗ trợ tìm kiếm?", sentence) == names


def test_a_sentence_names_what_the_question_does_not():
    question = "Người bán căn nhà cho Lê Hoa tên là gì?"
    assert not names_new(question, "Chủ cũ đã bán căn nhà cho Lê Hoa với giá 10 triệu USD.")
    assert names_new(question, "Chủ cũ, ông Trần Minh, đã bán căn nhà cho Lê Hoa.")


@pytest.mark.parametrize(
    "question, noun",
    [
        ("Năm đó có bao nhiêu em đoạt huy chương?", "em"),
        ("nam do co bao nhieu em doat huy chuong", "em"),
        ("ipad air 4 co 4 khe loa nhung thuc te co may loa", "loa"),
        ("Máy bay có mấy động cơ?", "dong"),
        ("Giá vàng tăng bao nhiêu?", None),  # no noun counted
        ("Tỷ lệ này là bao nhiêu so với năm ngoái?", None),
    ],
)
def test_the_noun_a_how_many_question_counts(question, noun):
    assert counted_noun(question) == noun


def test_a_sentence_counts_the_noun_with_a_figure_the_question_does_not_give():
    question = "iPad Air 4 có 4 khe loa nhưng thực tế có mấy loa?"
    assert not counts_noun("iPad Air 4 được thiết kế với 4 khe loa.", "loa", question)  # the question's own 4
    assert counts_noun("Trên thực tế, máy chỉ có 2 loa.", "loa", question)
    assert counts_noun("Có 25 em đoạt huy chương/3 môn.", "em", "Có bao nhiêu em đoạt huy chương?")
    assert counts_noun("Không có hiệp ước nào nhắc tới quyền cơ bản.", "hiep", "Có bao nhiêu hiệp ước?")
    assert not counts_noun("Cả đoàn đoạt 3 huy chương vàng.", "em", "Có bao nhiêu em đoạt huy chương?")


def test_a_birth_date_dates_no_event():
    """A birth date identifies a person ("sinh năm 1996", "SN 1990"); only a question about a birth asks it."""
    question = "Tiệc cưới được hẹn tổ chức khi nào?"
    blanked = without_birth_dates(question)("Cà Thị Út (sinh năm 1996, trú tại bản Co Hói)")
    assert "1996" not in blanked and blanked.endswith(", trú tại bản Co Hói)")  # offsets kept
    assert "1990" not in without_birth_dates(question)("Anh N.V.K (SN 1990, ở Hà Nam) đi ăn liên hoan.")
    assert "30/9/2020" in without_birth_dates(question)("Tiệc hẹn tổ chức vào trưa ngày 30/9/2020.")
    assert "12" in without_birth_dates(question)("Có 12 học sinh 12 tuổi.")
    assert "1856" in without_birth_dates("Tesla sinh năm nào?")("Tesla sinh năm 1856 tại Smiljan.")
    founded = "Công ty Hòa Bình được thành lập năm nào?"
    assert missing_fact(founded, "Ông Lê Văn Kiểm (sinh năm 1956) là chủ tịch công ty Hòa Bình.") == "date"
    assert missing_fact(founded, "Công ty Hòa Bình được thành lập năm 1987.") is None


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When did the war end?", "date"),
        ("And when did it end?", "date"),
        ("Since when has he lived there?", "date"),
        ("In what year did it happen, when the king died?", "date"),
        # "when" joining a clause asks no date: the question word before it does, or none
        ("How old was Ariel Lin when she had to enter show business?", "number"),
        ("Who was president when the war ended?", "person"),
        ("Where did she live when she was a child?", "place"),
        ("What happens when the immune system is less active than normal?", None),
        ("Lâm Y Thần bao nhiêu tuổi khi bước chân vào làng giải trí?", "number"),
        ("Tiệc cưới được hẹn tổ chức khi nào?", "date"),
    ],
)
def test_when_asks_a_date_only_as_the_question_word(question, kind):
    assert asked_kind(question) == kind
