"""Who asked whom (`qa.question.roles`, no model): the party a request question names, and whether
a sentence has that party make the request or another party ask it of them. Made-up sentences."""

import pytest

from qa.question.roles import (
    OTHER,
    OWN,
    addressee,
    asks_request,
    makes_request,
    opens_with_verb,
    request_matcher,
    request_teller,
    requester,
)


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("what did Quảng Ngãi request?", ["quang ngai"]),
        ("Quảng Ngãi đề nghị Bộ Ngoại giao những gì?", ["quang ngai"]),  # not the party asked
        ("Trong công điện, Thành ủy Đà Nẵng yêu cầu làm gì?", ["da nang"]),  # "Thành ủy": a common noun
        ("Các nước phương Tây kêu gọi Nga làm gì?", ["tay"]),  # one word right before the verb
        ("Indonesia đã đề nghị những quốc gia nào hỗ trợ?", ["indonesia"]),  # … or its auxiliary
        ("Which countries did Indonesia ask for help?", ["indonesia"]),
        ("What did Ha Long city require for staff at hotels?", ["ha long"]),
        ("HLV Akira Nishino đề nghị Liên đoàn bóng đá điều gì?", ["hlv akira nishino"]),
        ("quang ngai de nghi gi", []),  # no capitals: no name to go by
        ("Các tác giả mong muốn làm gì tiếp theo?", []),
    ],
)
def test_the_requester_is_the_name_before_the_request_verb(question, names):
    assert asks_request(question)
    assert requester(question) == names


def test_what_is_not_a_request_question():
    assert not asks_request("Ai là Bí thư Tỉnh ủy Quảng Ngãi?")
    # "wants" here describes the industries asked about; no one is asked for anything
    assert not asks_request("What are the two main industries Quang Ngai wants to be known for by 2030?")
    # a finding "suggests" what it shows
    assert not asks_request("What does a 2013 report on Nigeria suggest its growth has done?")
    assert asks_request("What did the minister suggest the province do?")
    fit = request_matcher("Ai là Bí thư Tỉnh ủy Quảng Ngãi?")
    assert fit("Bộ trưởng đề nghị tỉnh Quảng Ngãi báo cáo.") is None


@pytest.mark.parametrize(
    ("sentence", "role"),
    [
        ("Đặc biệt, tỉnh Hà Giang mong muốn Bộ hỗ trợ đào tạo cán bộ.", OWN),  # the requester asks
        ("Ông Nam đề nghị tỉnh gửi tài liệu quảng bá của Hà Giang.", OTHER),  # another party asks it
        ("Bộ trưởng đề nghị địa phương chủ động hơn.", None),  # a request, the requester unnamed
        ("Xét nghiệm cho nhân viên các cơ sở lưu trú ở Hà Giang.", None),  # an item of a directive
    ],
)
def test_a_sentence_says_who_makes_the_request(sentence, role):
    for question in ("What did Hà Giang request?", "Hà Giang đề nghị Bộ những gì?"):
        assert request_matcher(question)(sentence) == role


def test_a_long_name_is_found_by_its_last_two_words():
    fit = request_matcher("HLV Akira Nishino đề nghị Liên đoàn điều gì?")
    assert fit("Ông Akira Nishino đề nghị cần có phương án dự phòng.") == OWN
    assert request_matcher("Các tác giả mong muốn làm gì tiếp theo?")("Các tác giả mong muốn làm thêm.") is None


def test_a_sentence_asks_advises_or_obliges():
    assert makes_request("Bộ trưởng đề nghị địa phương chủ động hơn.")
    assert makes_request('"Đừng bao giờ tự bắt rắn, hãy gọi cho người có chuyên môn".')
    assert makes_request("Ông cho biết cần phải có phương án dự phòng.")
    assert not makes_request("Con rắn dài khoảng 1 m và đã được thả về rừng.")


def test_an_item_of_a_directive_opens_with_a_verb():
    assert opens_with_verb("Lấy mẫu xét nghiệm đối với nhân viên các cơ sở lưu trú.")
    assert not opens_with_verb("Ông Imanov cho biết nước này sẵn sàng dừng các hoạt động vũ trang.")


def test_a_sentence_tells_the_named_requester_s_request():
    tells = request_teller("Đại sứ Imanov muốn Armenia làm gì?")
    assert tells("Ông Imanov mong muốn Armenia rút quân.")  # the requester's own
    assert tells("Ông cho biết Armenia cần phải rút quân ngay.")  # an obligation, no one else asking
    assert not tells("Các nghị quyết yêu cầu Armenia rút quân.")  # another party's request
    assert not tells("Armenia đề nghị Imanov ngừng bắn.")  # the requester is asked
    unnamed = request_teller("Các tác giả mong muốn làm gì tiếp theo?")
    assert unnamed("Nhóm nghiên cứu mong muốn mở rộng thử nghiệm.")
    assert not unnamed("Nhóm nghiên cứu đã công bố kết quả.")


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("What did the minister ask Quảng Ngãi to do?", ["quang ngai"]),
        ("Bộ trưởng Bùi Thanh Sơn đề nghị Quảng Ngãi làm gì?", ["quang ngai"]),
        ("Quảng Ngãi đề nghị Bộ Ngoại giao những gì?", ["bo ngoai"]),  # its capitalised words find it
        ("What did the agency ask TikTok to do?", ["tiktok"]),  # one word is a name in English
        ("Các nước phương Tây kêu gọi Nga làm gì?", []),  # … not in Vietnamese ("Liên đoàn")
        ("what did Quảng Ngãi request?", []),
    ],
)
def test_the_party_asked_is_the_name_after_the_request_verb(question, names):
    assert addressee(question) == names


def test_the_party_asked_making_its_own_request_is_another_party_s():
    question = "What did the minister ask Quảng Ngãi to do?"
    fit = request_matcher(question)
    assert fit("Đặc biệt, Quảng Ngãi mong muốn Bộ hỗ trợ tỉnh mở rộng hợp tác quốc tế.") == OTHER
    assert fit("Bộ trưởng cũng đề nghị tỉnh cung cấp thông tin quảng bá.") is None
    assert request_teller(question)("Bộ trưởng cũng đề nghị tỉnh cung cấp thông tin quảng bá.")
    assert not request_teller(question)("Đặc biệt, Quảng Ngãi mong muốn Bộ hỗ trợ tỉnh.")
