"""The answer phrase inside a chosen sentence: the reader's phrase checked and widened to the whole
fact, or the clause of a reason or a request (`qa.question.phrase`, no model)."""

import pytest

from qa.question.phrase import addresses, asked_clause, find_phrase, phrase_kind
from qa.question.shape import Shape, question_shape


def _phrase(question: str, sentence: str, reader: str | None) -> str | None:
    span = None
    if reader is not None:
        start = sentence.index(reader)
        span = (start, start + len(reader))
    found = find_phrase(question, sentence, span)
    return sentence[found[0] : found[1]].strip() if found else None


@pytest.mark.parametrize(
    "question, sentence, reader, phrase",
    [
        # a name cut short by the reader: its whole capitalised run
        (
            "Nữ ca sĩ tên thật là gì?",
            "Cô có tên thật là Lê Thị Minh Hằng, sinh năm 1980 tại Huế.",
            "Hằng",
            "Lê Thị Minh Hằng",
        ),
        # an organisation: with the kind word before it
        (
            "Cuộc bình chọn do tạp chí nào tổ chức?",
            "Năm ngoái, tạp chí Forbes xếp cô vào danh sách.",
            "Forbes",
            "tạp chí Forbes",
        ),
        (
            "Which hospital treated the patient?",
            "Bệnh nhân được chuyển tới bệnh viện Chợ Rẫy trong đêm.",
            "Chợ Rẫy",
            "bệnh viện Chợ Rẫy",
        ),
        # an amount: its qualifier, and the noun the question counts
        (
            "Mỗi chuyến xe chở tối đa bao nhiêu khách?",
            "Quy định mới cho phép mỗi chuyến chở không quá 30 khách.",
            "30 khách",
            "không quá 30 khách",
        ),
        (
            "Nhóm lừa đảo chiếm đoạt bao nhiêu ether?",
            "Nhóm này đã chiếm đoạt 250 ether của các nhà đầu tư.",
            "250",
            "250 ether",
        ),
        (
            "Đội tuyển tập luyện trong bao lâu?",
            "Các cầu thủ tập luyện trong 45 phút dưới trời mưa.",
            "45 phút",
            "45 phút",
        ),
        # a date: a year of any century, a time of day with its day, a part of a month
        ("When was the citadel built?", "Tòa thành được xây dựng vào năm 1397 dưới triều Hồ.", "năm 1397", "năm 1397"),
        (
            "Cửa hàng mở cửa trở lại từ khi nào?",
            "Từ 8h sáng mai, các cửa hàng được mở cửa trở lại.",
            "8h",
            "8h sáng mai",
        ),
        (
            "Trận đấu diễn ra lúc nào?",
            "Trận đấu sẽ diễn ra lúc 19h30 ngày 12/6 trên sân Mỹ Đình.",
            "19h30",
            "19h30 ngày 12/6",
        ),
        ("Khi nào sản phẩm lên kệ?", "Sản phẩm dự kiến lên kệ vào cuối tháng 9 tới.", "tháng 9", "cuối tháng 9"),
        # a person asked by a title ("luật sư nào"), without diacritics
        (
            "bac si nao da phau thuat cho benh nhan",
            "Bác sĩ Nguyễn Văn An cho biết ca mổ kéo dài 4 giờ.",
            "Nguyễn Văn An",
            "Nguyễn Văn An",
        ),
        # the reader's phrase of another kind: the pattern-found phrase of the kind asked
        (
            "Giá vé là bao nhiêu?",
            "Ban tổ chức cho biết giá vé là 200.000 đồng cho mỗi người.",
            "Ban tổ chức",
            "200.000 đồng",
        ),
        # an amount in words; something named, asked with "nào"
        (
            "Câu lạc bộ giành cúp bao nhiêu lần?",
            "Họ giành được cúp quốc gia hai lần trong thập niên đó.",
            "hai lần",
            "hai lần",
        ),
        (
            "Đội nào vô địch giải đấu năm ấy?",
            "Năm ấy, đội Hải Phòng FC giành chức vô địch.",
            "Hải Phòng FC",
            "Hải Phòng FC",
        ),
        # "<noun> nào": the name after that noun in the sentence, over the reader's phrase
        (
            "Ông bình luận cho đài nào?",
            "Ông là bình luận viên của đài talkSPORT ở kỳ Euro 2020.",
            "kỳ Euro 2020",
            "talkSPORT",
        ),  # fmt: skip
        (  # typed without diacritics: "clb nao" finds "CLB" all the same
            "o premier league clb nao da chac chan xuong hang",
            "CLB Sheffield United đã chắc chắn rớt hạng mùa này.",
            "rớt hạng",
            "CLB Sheffield United",
        ),
        # one number asked: one quantity, not the period it was counted over
        (
            "Kim ngạch xuất khẩu của tỉnh đạt bao nhiêu?",
            "Kim ngạch xuất khẩu 9 tháng đầu năm 2023 ước đạt 1,9 tỷ USD, tăng 8,7% so với cùng kỳ.",
            "9 tháng đầu năm 2023 ước đạt 1,9 tỷ USD",
            "1,9 tỷ USD",
        ),
        (
            "quang ngai xuat khau bao nhieu",
            "Kim ngạch xuất khẩu 9 tháng đầu năm 2023 ước đạt 1,9 tỷ USD, tăng 8,7% so với cùng kỳ.",
            "9 tháng",
            "1,9 tỷ USD",
        ),
        ("Dự án kéo dài bao lâu?", "Dự án kéo dài 18 tháng với vốn 200 tỷ đồng.", "18 tháng", "18 tháng"),
        (  # two amounts: which one is asked is the reader's call, the phrase is kept
            "Thị trường có bao nhiêu?",
            "Năm 2009 có 374 công ty niêm yết với tổng vốn hóa 162 tỷ euro.",
            "374 công ty niêm yết với tổng vốn hóa 162 tỷ euro",
            "374 công ty niêm yết với tổng vốn hóa 162 tỷ euro",
        ),
        (
            "Dự án kéo dài bao nhiêu tháng?",
            "Dự án kéo dài 18 tháng với vốn 200 tỷ đồng.",
            "18 tháng với vốn 200 tỷ đồng",
            "18 tháng",
        ),
        # a quantity of a measure: the figure of that measure, whatever the reader marked
        (
            "Cây cầu bắc qua sông dài tổng cộng bao nhiêu km?",
            "Cây cầu bắc qua sông có tổng chiều dài tuyến hơn 5,2km nối 2 tỉnh.",
            "2 tỉnh",
            "hơn 5,2km",
        ),
        (
            "Chiếc điện thoại được bán với giá bao nhiêu?",
            "Máy có hai màu, được bán với mức giá 9,49 triệu đồng từ tháng 5.",
            "9,49 triệu đồng",
            "9,49 triệu đồng",
        ),
        # a count of the noun asked: the count the sentence writes of it, not the question's own
        (
            "Máy tính bảng có 4 khe loa nhưng thực tế có mấy loa?",
            "Trên thực tế, máy chỉ có 2 loa, mỗi loa ở một phần đỉnh máy.",
            "một phần đỉnh máy",
            "2 loa",
        ),
        (
            "nam do co bao nhieu em doat huy chuong",
            "Trong 27 em tham gia năm ấy, có 25 em đoạt huy chương, nhất toàn đoàn.",
            "27 em tham gia năm ấy, có 25 em",
            "25 em",
        ),
        # a fact of the kind asked that no pattern recognises: the reader's short phrase
        (
            "Thời kỳ băng hà cuối cùng kết thúc khi nào?",
            "Thời kỳ băng hà cuối cùng kết thúc khoảng 11.600 năm trước, khi khí hậu ấm dần lên.",
            "khoảng 11.600 năm trước",
            "khoảng 11.600 năm trước",
        ),
        ("Thời kỳ băng hà cuối cùng kết thúc khi nào?", "Thời kỳ băng hà cuối cùng kết thúc rất sớm.", None, None),
        # no phrase: only the question's own words, or no kind of fact asked and no clause
        ("Ông Nam sinh năm nào?", "Ông Nam sinh ra ở Nghệ An.", "Ông Nam", None),
        ("Bộ trưởng nói gì về kinh tế?", "Bộ trưởng cho rằng kinh tế đang phục hồi.", "kinh tế", None),
    ],
)
def test_a_fact_s_phrase_is_checked_and_widened(question, sentence, reader, phrase):
    assert _phrase(question, sentence, reader) == phrase


@pytest.mark.parametrize(
    "question, sentence, phrase",
    [
        # a reason: after the cause word, before a purpose word
        (
            "Vì sao chuyến bay bị hủy?",
            "Chuyến bay bị hủy vì thời tiết xấu kéo dài ở sân bay.",
            "thời tiết xấu kéo dài ở sân bay",
        ),
        ("Why was the road closed?", "Con đường bị đóng cửa do sạt lở đất sau mưa lớn.", "sạt lở đất sau mưa lớn"),
        ("tai sao cong ty dong cua nha may", "Công ty đóng cửa nhà máy nhằm cắt giảm chi phí.", "cắt giảm chi phí"),
        ("Vì sao trường cho học sinh nghỉ?", "Vì vậy, trường cho học sinh nghỉ học.", None),  # "vì vậy" is a result
        # no reason word: the cause before the result word ("A nên B"), not "should"
        (
            "Vì sao đám cháy lan nhanh?",
            "Tuy nhiên, kho chứa nhiều gỗ và sơn dễ cháy nên đám cháy lan rất nhanh.",
            "kho chứa nhiều gỗ và sơn dễ cháy",
        ),
        ("Vì sao người dân phải ở nhà?", "Mọi người nên ở nhà.", None),
        # what prompted something: the event after which it happened, before a purpose
        (
            "What prompted the court to warn officials?",
            "Tuyên bố được đưa ra sau khi các bệnh viện báo thiếu ôxy để điều trị.",
            "các bệnh viện báo thiếu ôxy để điều trị",
        ),
        # for another reason question, the event is the last resort: no cause or purpose word
        ("Vì sao tòa cảnh báo?", "Tòa cảnh báo sau khi các bệnh viện báo thiếu ôxy.", "các bệnh viện báo thiếu ôxy"),
        # a request: after the request verb, the question's own verb first
        (
            "Tỉnh đề nghị Bộ điều gì?",
            "Tỉnh mong muốn hợp tác và đề nghị Bộ hỗ trợ kết nối đầu tư.",
            "Bộ hỗ trợ kết nối đầu tư",
        ),
        (
            "What did the ministry ask schools to do?",
            "Bộ yêu cầu các trường rà soát lại học phí.",
            "các trường rà soát lại học phí",
        ),
        # an agency advising its superior ("tham mưu") makes a request too
        (
            "Sở TN&MT đề xuất xử lý các lô đất thừa như thế nào?",
            "Đối với các lô đất thừa, Sở đã tham mưu Thành phố hợp khối các lô đất này.",
            "Thành phố hợp khối các lô đất này",
        ),
        (
            "Các nhà khoa học mong muốn làm gì tiếp theo?",
            "Nhóm cho biết mong muốn mở rộng nghiên cứu ra nhiều nước.",
            "mở rộng nghiên cứu ra nhiều nước",
        ),
    ],
)
def test_a_reason_or_a_request_is_a_clause(question, sentence, phrase):
    assert _phrase(question, sentence, None) == phrase


def test_what_the_phrase_looks_for():
    assert phrase_kind("luat su nao giup ba") == "person"
    assert phrase_kind("Which coach led the team?") == "person"
    assert phrase_kind("Có bao lâu?") == "number"
    assert phrase_kind("Bộ trưởng nói gì?") is None
    assert phrase_kind("Đội nào thắng?") == "name" and question_shape("Hai đội nào vào chung kết?").kind == "list"
    assert asked_clause("Vì sao giá tăng?") == "reason"
    assert asked_clause("Quảng Ngãi đề nghị Bộ Ngoại giao những gì?") == "request"
    assert asked_clause("What did Quảng Ngãi request?") == "request"
    assert asked_clause("Ai là Bí thư?") is None


@pytest.mark.parametrize(
    "question",
    [
        "Vụ 3 học sinh bị ngộ độc xảy ra ngày nào?",  # a count in what is asked about
        "Hai đội hòa nhau với tỷ số bao nhiêu?",
        "When will the second round begin?",  # an ordinal in what is asked about
        "Ông ấy làm nghị sĩ từ năm nào?",  # "năm nào" asks a year, it counts nothing
        "Điện thoại Mate 2 sạc đầy pin trong bao lâu?",  # a duration
    ],
)
def test_one_fact_asked_is_one_fact_whatever_it_counts(question):
    assert question_shape(question) == Shape()


def test_another_question_gets_the_reader_s_phrase_in_the_articles_language():
    question, sentence = "Thủ đô của nước Úc là thành phố gì?", "Thủ đô của nước Úc là Canberra, không phải Sydney."
    start = sentence.index("Canberra")
    span = (start, start + len("Canberra"))
    assert find_phrase(question, sentence, span) == span
    assert find_phrase(question, sentence, span, other_questions=False) is None  # a cross-lingual question


@pytest.mark.parametrize(
    "question, sentence, reader, phrase",
    [
        (
            "Các nhà địa tầng học dùng công cụ gì để xem dữ liệu theo ba chiều?",
            "Các nhà địa tầng học sử dụng các chương trình máy tính để xem dữ liệu theo ba chiều.",
            "máy tính",
            "chương trình máy tính",
        ),
        (
            "Bảo tàng ban đầu được gọi là gì?",
            "Bảo tàng ban đầu được gọi là Bảo tàng Sản xuất.",
            "Sản xuất",
            "Bảo tàng Sản xuất",
        ),
        (
            "Chủ nghĩa Hồi giáo tìm kiếm loại vai trò nào?",
            "Nó tìm kiếm một vai trò chính trị.",
            "chính trị",
            "chính trị",
        ),
    ],
)
def test_another_question_s_phrase_is_the_noun_phrase_it_sits_in(question, sentence, reader, phrase):
    """The reader marks part of a noun phrase; the phrase is all of it, less the question's own words."""
    at = sentence.rindex(reader)
    span = find_phrase(question, sentence, (at, at + len(reader)))
    assert sentence[span[0] : span[1]] == phrase


@pytest.mark.parametrize(
    "question, sentence, reader, phrase",
    [
        (
            "Ca sĩ có nhà ở những thành phố nào?",
            "Cô cho biết có nhà tại Đà Nẵng và Cần Thơ để tiện đi diễn.",
            "Đà Nẵng",
            "Đà Nẵng và Cần Thơ",
        ),
        (
            "Hai trợ lý nào dẫn dắt đội?",
            "Hai trợ lý Văn An và Minh Tú sẽ dẫn dắt đội.",
            "Minh Tú",
            "Văn An và Minh Tú",
        ),
        (
            "Ngôi đền bị cháy vào những năm nào?",
            "Ngôi đền từng bị cháy vào năm 1901, 1925 và 1960.",
            "năm 1901",
            "năm 1901, 1925 và 1960",
        ),  # fmt: skip
    ],
)
def test_a_list_question_s_phrase_holds_every_item_joined_to_the_reader_s(question, sentence, reader, phrase):
    at = sentence.index(reader)
    span = find_phrase(question, sentence, (at, at + len(reader)), several=True)
    assert sentence[span[0] : span[1]] == phrase


def test_a_list_question_gets_no_clause_and_a_count_keeps_its_ordinal():
    assert find_phrase("Tỉnh đề nghị những gì?", "Tỉnh đề nghị Bộ hỗ trợ đầu tư.", None, several=True) is None
    assert _phrase("How many times has Nam won the race?", "Nam lần thứ 12 vô địch giải đua.", "12") == "lần thứ 12"


def test_a_list_of_things_of_no_one_kind_gets_the_reader_s_phrase():
    """ "Hai ví dụ … là gì?" asks several things but no kind of fact: the reader's phrase, as for any
    other question in the articles' language (before: none)."""
    question = "Hai ví dụ của động vật không có xương hàm là gì?"
    sentence = "Các loài không hàm như cá mút đá và cá mút đá myxin có một hệ miễn dịch khác."
    start = sentence.index("cá mút đá và")
    span = (start, start + len("cá mút đá và cá mút đá myxin"))
    assert find_phrase(question, sentence, span, several=True) == span
    assert find_phrase(question, sentence, span, other_questions=False, several=True) is None


def test_which_with_no_name_that_fits_gets_the_reader_s_phrase():
    """ "loại vai trò nào" asks no name: a lowercase phrase of the reader's is the answer ("chính trị")."""
    question = "Chủ nghĩa Hồi giáo tìm kiếm loại vai trò nào?"
    sentence = "Chủ nghĩa Hồi giáo tìm kiếm một vai trò chính trị trong xã hội."
    start = sentence.index("chính trị")
    span = (start, start + len("chính trị"))
    assert find_phrase(question, sentence, span) == span
    assert find_phrase(question, sentence, span, other_questions=False) is None
    assert find_phrase("Đội nào vô địch?", "Đội đã vô địch năm nay.", (0, 3)) is None  # only the question's words


@pytest.mark.parametrize(
    "sentence, found",
    [
        (
            "Út có hộ khẩu thường trú tại bản Co Hói, xã Pá Khoang, thành phố Điện Biên Phủ (Điện Biên).",
            ["bản Co Hói, xã Pá Khoang, thành phố Điện Biên Phủ"],
        ),
        ("Vụ việc xảy ra tại thôn 3, xã Hòa Phong, TP Đà Nẵng vào sáng nay.", ["thôn 3, xã Hòa Phong, TP Đà Nẵng"]),
        ("Ông A trú tại tỉnh Nghệ An.", ["tỉnh Nghệ An"]),
        ("Ông là chủ tịch xã Hòa Phong, huyện Hòa Vang.", ["xã Hòa Phong, huyện Hòa Vang"]),
        ("Đội bóng của tỉnh Nghệ An thắng.", []),  # one unit, no "tại"/"ở": a name, not where something is
        ("Tổ chức Y tế Thế giới cho biết xã hội đang lo.", []),
    ],
)  # fmt: skip
def test_addresses_are_units_with_their_names(sentence, found):
    assert [sentence[a:b] for a, b in addresses(sentence)] == found


def test_a_place_is_its_whole_address():
    sentence = "Út (sinh năm 1996, có hộ khẩu thường trú tại bản Co Hói, xã Pá Khoang, thành phố Điện Biên Phủ)."
    address = "bản Co Hói, xã Pá Khoang, thành phố Điện Biên Phủ"
    for question, reader in (("Út có hộ khẩu thường trú ở đâu?", "Co Hói"), ("ut co ho khau o dau", "năm 1996")):
        at = sentence.index(reader)
        span = find_phrase(question, sentence, (at, at + len(reader)))
        assert sentence[span[0] : span[1]] == address, question


def test_how_asks_no_name():
    """ "như thế nào", "bằng cách nào" end in "nào" but ask how, not which."""
    assert phrase_kind("Sở đề xuất xử lý 15 nghìn lô đất như thế nào?") is None
    assert phrase_kind("lam the nao de giam can") is None
    assert phrase_kind("Bằng cách nào họ vào được?") is None
    assert phrase_kind("Đội nào vô địch?") == "name"


@pytest.mark.parametrize(
    "question, sentence, reader, phrase",
    [
        ("Bảo tàng nào sẽ được mượn các nhạc cụ?", "Các nhạc cụ sẽ được cho Bảo tàng Horniman mượn.", "Horniman",
         "Bảo tàng Horniman"),
        ("Định luật nào định nghĩa lực từ?", "Lực từ được định nghĩa bởi Định luật Lorentz.", "Lorentz",
         "Định luật Lorentz"),
        ("Trận đấu được phát trên đài nào?", "Trận đấu được phát trên đài talkSPORT.", "talkSPORT", "talkSPORT"),
        ("Ông ấy sống ở tỉnh nào?", "Ông ấy sống ở tỉnh Nghệ An.", "Nghệ An", "tỉnh Nghệ An"),  # an address
        ("Chuyên gia nghiên cứu nào nói vậy?", "Chuyên gia nghiên cứu Matthias van Ginneken nói vậy.",
         "Matthias van Ginneken", "Matthias van Ginneken"),
    ],
)  # fmt: skip
def test_a_name_asked_with_its_noun_keeps_the_noun_when_part_of_the_name(question, sentence, reader, phrase):
    """Vietnamese capitalises only a name's first syllable: "Bảo tàng Horniman" is one name."""
    at = sentence.index(reader)
    span = find_phrase(question, sentence, (at, at + len(reader)))
    assert sentence[span[0] : span[1]] == phrase


@pytest.mark.parametrize(
    "question, sentence, phrase",
    [
        # the question's words before its question word place the answer; a name to its end
        (
            "Nếu Bkav làm được smartphone 5G, hãng sẽ đứng thứ hai ở Việt Nam sau hãng nào?",
            "Nếu như tuyên bố này trở thành hiện thực, Bkav sẽ là hãng smartphone thứ 2 tại Việt Nam "
            "thành công chế tạo smartphone 5G, sau Vsmart.",
            "Vsmart",
        ),
        # typed without diacritics; the noun asked kept with the name
        (
            "sieu bao goni do bo vao dao nao cua philippines",
            "Theo Reuters, siêu bão Goni đã có dấu hiệu suy yếu khi đổ bộ vào đảo chính Luzon của Philippines.",
            "đảo chính Luzon",
        ),
        (
            "Keepmoat Homes thuê chuyên gia của tổ chức nào để khai quật?",
            "Keepmoat Homes đã thuê các nhà khảo cổ học của tổ chức Historic England để khai quật.",
            "tổ chức Historic England",
        ),
        # "gì": to the punctuation, the next clause or the question's next word
        ("Trừng phạt thân thể gây ra điều gì cho học sinh?", "Trừng phạt thân thể gây ra nỗi đau thể xác.",
         "nỗi đau thể xác"),
        # no name where a name is asked; nothing the question does not say; the words nowhere
        ("Cô ấy kết hôn với ai?", "Cô ấy kết hôn với một doanh nhân giàu có.", None),
        ("Công ty đặt trụ sở ở đâu?", "Công ty đặt trụ sở ở đâu vẫn là bí mật.", None),
        ("Bạn trai của cô là ai?", "Cô là nữ diễn viên nổi tiếng của màn ảnh Hoa ngữ.", None),
        # a reason or a request is a clause, not a phrase in place
        ("Tỉnh đề nghị Bộ điều gì?", "Tỉnh đề nghị Bộ điều chỉnh quy hoạch.", "Bộ điều chỉnh quy hoạch"),
    ],
)  # fmt: skip
def test_a_vietnamese_question_places_its_answer_where_it_asks(question, sentence, phrase):
    """Vietnamese asks in place: "… sau hãng nào?" / "…, sau Vsmart." (`qa.question.in_place`)."""
    assert _phrase(question, sentence, None) == phrase


def test_in_place_only_in_the_articles_language_and_only_when_nothing_else_is_marked():
    question, sentence = "Trận đấu được phát trên đài nào?", "Trận đấu được phát trên đài talkSPORT tối nay."
    at = sentence.index("talkSPORT")
    assert find_phrase(question, sentence, (at, at + 9)) == (at, at + 9)
    assert find_phrase("Which channel shows the match?", sentence, None, other_questions=False) is None


@pytest.mark.parametrize(
    "question, sentence, reader, phrase",
    [
        # the kind of place before its name, and the larger place in brackets after it
        ("From which port did the ship sail?", "Tàu xuất phát từ cảng Sampit (Indonesia) ngày 2/4.", "Sampit",
         "cảng Sampit (Indonesia)"),
        # a number phrase holding the question's own figure is not its answer; a bare figure takes its noun
        ("How many House seats are apportioned among the 50 states?",
         "Theo Hiến pháp Mỹ, 435 ghế tại Hạ viện được phân bổ cho 50 bang.", "435 ghế tại Hạ viện được phân bổ cho 50 bang",
         "435 ghế"),
        ("Bao nhiêu người đã được lấy mẫu?", "Đã lấy mẫu 1.068 nhân khẩu tại 322 hộ.", "1.068", "1.068"),
    ],
)  # fmt: skip
def test_a_place_keeps_its_kind_and_a_number_is_not_the_question_s(question, sentence, reader, phrase):
    assert _phrase(question, sentence, reader) == phrase


@pytest.mark.parametrize(
    "phrase, fits",
    [
        ("Chúng tôi", False),  # capitalised only because it opens the sentence: a pronoun names no one
        ("Ông", False),
        ("Trần Văn Minh", True),
        ("chuyên gia khí tượng Trần Văn Minh", True),
    ],
)
def test_a_pronoun_is_no_one_s_name(phrase, fits):
    from qa.question.phrase import phrase_fits

    assert phrase_fits("Ai cho rằng tiếng nổ liên quan đến thời tiết?", phrase) is fits
