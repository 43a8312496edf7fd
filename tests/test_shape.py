"""The shape of an answer: list and ordinal questions, item markers, enumerated runs (no model)."""

import pytest

from qa.question.shape import (
    Shape,
    arrange,
    cut_enumerations,
    enumeration,
    group_adjacent,
    inline_items,
    item_number,
    items_after_intro,
    lists_inline,
    lists_items,
    may_list,
    question_shape,
)


@pytest.mark.parametrize(
    "question, shape",
    [
        ("Hai trọng tâm phát triển của Quảng Ngãi là gì?", Shape("list", count=2)),
        ("What are the minister's six priorities?", Shape("list", count=6)),
        ("Bộ trưởng nêu những trọng tâm nào của ngành Ngoại giao?", Shape("list")),
        ("bo truong neu nhung trong tam nao", Shape("list")),
        ("Which foreign localities does Quảng Ngãi want to cooperate with?", Shape("list")),
        ("Trọng tâm thứ ba là gì?", Shape("ordinal", ordinal=3)),
        ("trong tam thu ba la gi", Shape("ordinal", ordinal=3)),
        ("What is the third priority?", Shape("ordinal", ordinal=3)),
        ("What was the 2nd item?", Shape("ordinal", ordinal=2)),
        ("what did Quảng Ngãi request?", Shape()),
        ("Ai dẫn đầu đoàn công tác tỉnh Quảng Ngãi?", Shape()),
        ("Bà Vân nói gì?", Shape()),  # "bà" is not "ba" (three)
        ("Năm 2023 tỉnh đạt gì?", Shape()),  # "năm" before a year is no count
        ("Kim ngạch xuất khẩu 9 tháng đầu năm 2023 tăng bao nhiêu phần trăm?", Shape()),
        ("quang ngai xuat khau bao nhieu trong 9 thang dau nam 2023", Shape()),  # a period without diacritics
        ("6 trong tam cua nganh ngoai giao la gi", Shape("list", count=6)),
        ("How many people live in Hanoi?", Shape()),
        ("When did the minister receive the delegation?", Shape()),
        # a count of the noun a "nào" asks is a list of that many; a count elsewhere is not
        ("Quảng Ngãi xác định hai ngành công nghiệp chủ lực nào?", Shape("list", count=2)),
        ("quang ngai xac dinh 2 nganh cong nghiep chu luc nao", Shape("list", count=2)),
        ("Vụ 4 học sinh mất tích ngày nào?", Shape()),
        # a figure of a name or a date is no count ("Covid-19 cases", "24/4")
        ("As of 24/4, which three countries had the most Covid-19 cases?", Shape("list", count=3)),
        ("Tính đến 24/4 những nước nào có nhiều ca Covid-19 nhất?", Shape("list")),
        ("Con trai của ông Trần Tư Hải làm nghề gì?", Shape()),  # "Tư" of a name is no four
        ("X.25 uses what type of network?", Shape()),
    ],
)
def test_question_shape(question, shape):
    assert question_shape(question) == shape


@pytest.mark.parametrize(
    "sentence, number",
    [
        ("Thứ nhất là phải phát huy hiệu quả các khuôn khổ quan hệ.", 1),
        ("Thứ sáu là tham gia đóng góp tích cực.", 6),
        ("Thứ tư, hỗ trợ các ngành.", 4),
        ("Hai là, tăng cường hợp tác.", 2),
        ("First, the council met.", 1),
        ("Secondly: budgets.", 2),
        ("3. Đường sắt tốc độ cao.", 3),
        ("(2) Cảng biển.", 2),
        ("b) Logistics.", 2),
        ("Cuối cùng là phát triển nguồn nhân lực.", 0),
        ("Finally, the vote.", 0),
        ("Thứ Hai tuần sau, ông đến Hà Nội.", None),  # Monday, not the second item
        ("Bộ trưởng nói rõ sáu trọng tâm.", None),
    ],
)
def test_item_number(sentence, number):
    assert item_number(sentence) == number


def test_enumeration_finds_the_run_around_the_anchor():
    sentences = [
        "Bộ trưởng nêu các trọng tâm.",
        "Thứ nhất là A.",
        "Thứ hai là B.",
        "Ảnh: minh họa.",  # a caption between items
        "Thứ ba là C.",
        "Cuối cùng là D.",
        "Đại biểu khác hỏi tiếp.",
        "Thứ nhất là X.",  # a second, shorter list later
        "Thứ hai là Y.",
    ]
    assert enumeration(sentences, anchor=0) == [1, 2, 4, 5]
    assert enumeration(sentences, anchor=4) == [1, 2, 4, 5]
    assert enumeration(sentences, anchor=8) == [7, 8]
    assert enumeration(["Một câu.", "Thứ nhất là A.", "Một câu khác."], anchor=1) == []  # one item is no list


# ---- arranging the reader's ranking into an answer -------------------------------------------------
class FakeHit:
    """What `arrange` reads of a retrieved passage: text, sentence offsets, article id and offset."""

    def __init__(self, article: str, start: int, sentences: list[str]):
        self.text = " ".join(sentences)
        self.sentences, at = [], 0
        for s in sentences:
            self.sentences.append((at, at + len(s)))
            at += len(s) + 1
        self.meta = {"article_id": article, "start": start}


PRIORITIES = [
    "Bộ Ngoại giao đặt ra các trọng tâm.",
    "Thứ nhất là phát huy các khuôn khổ quan hệ.",
    "Thứ hai là tăng cường nghiên cứu.",
    "Thứ ba là thu hút nguồn lực.",
]
MORE = ["Thứ ba là thu hút nguồn lực.", "Thứ tư là hỗ trợ các ngành.", "Đại biểu khác hỏi tiếp."]


def test_list_question_gathers_the_run_across_overlapping_passages():
    hits = [FakeHit("a", 0, PRIORITIES), FakeHit("a", len(" ".join(PRIORITIES[:3])) + 1, MORE)]
    ranked = [((0, 2), 3.0), ((1, 1), 2.0), ((0, 0), 1.0)]
    keys = arrange(Shape("list", count=4), ranked, hits, max_sentences=3, margin=1.0)
    assert keys == [(0, 1), (0, 2), (0, 3), (1, 1)]  # items 1-4 in article order, item 3 once
    assert group_adjacent(keys) == [[(0, 1), (0, 2), (0, 3)], [(1, 1)]]


def test_ordinal_question_picks_that_item():
    hits = [FakeHit("a", 0, PRIORITIES)]
    ranked = [((0, 1), 3.0), ((0, 3), 2.5)]
    assert arrange(Shape("ordinal", ordinal=3), ranked, hits, 3, 1.0) == [(0, 3)]
    assert arrange(Shape("ordinal", ordinal=7), ranked, hits, 3, 1.0) == [(0, 1), (0, 3)]  # no 7th: as one fact


def test_single_fact_keeps_close_runners_up_only():
    hits = [FakeHit("a", 0, PRIORITIES)]
    ranked = [((0, 2), 3.0), ((0, 0), 2.5), ((0, 1), 0.5)]
    assert arrange(Shape(), ranked, hits, 3, 1.0) == [(0, 2), (0, 0)]
    assert arrange(Shape(), ranked, hits, 1, 1.0) == [(0, 2)]


OTHER = ["Tỉnh đặt mục tiêu đến năm 2030.", "Tỉnh có hai ngành chủ lực.", "Tỉnh mong muốn thu hút đầu tư."]
SIX = ["Bộ trưởng nêu sáu trọng tâm.", *[f"Thứ {n} là việc số {i}." for i, n in
       enumerate(["nhất", "hai", "ba", "tư", "năm", "sáu"], 1)]]  # fmt: skip


def test_a_counted_list_comes_from_the_article_that_enumerates_that_many():
    # The best sentence is in another article (no list there): the six items of the other article.
    hits = [FakeHit("a", 0, OTHER), FakeHit("b", 0, SIX)]
    ranked = [((0, 0), 3.0), ((1, 0), 2.9), ((0, 1), 2.8)]
    assert arrange(Shape("list", count=6), ranked, hits, 3, 1.0) == [(1, i) for i in range(1, 7)]
    # without a count, or with another count, no list is taken from elsewhere
    assert arrange(Shape("list"), ranked, hits, 3, 1.0)[0] == (0, 0)
    assert arrange(Shape("list", count=4), ranked, hits, 3, 1.0)[0] == (0, 0)


def test_a_counted_list_whose_first_item_was_not_retrieved_gives_the_rest():
    hits = [FakeHit("a", 0, OTHER), FakeHit("b", 100, SIX[2:])]  # items 2-6 only
    ranked = [((0, 0), 3.0), ((1, 4), 2.9)]
    assert arrange(Shape("list", count=6), ranked, hits, 3, 1.0) == [(1, i) for i in range(5)]


def test_two_counted_items_are_only_taken_around_the_best_sentence():
    two = ["Thứ nhất, viêm gây mệt mỏi.", "Thứ hai, viêm gây mất ngủ."]
    for hits in ([FakeHit("a", 0, OTHER), FakeHit("b", 0, two)], [FakeHit("a", 0, [*OTHER, *OTHER, *two])]):
        ranked = [((0, 0), 3.0), ((len(hits) - 1, 1), 2.9)]
        assert arrange(Shape("list", count=2), ranked, hits, 3, 1.0)[0] == (0, 0)


INLINE = [  # written for this test, in the shapes news writes lists in
    "Có 4 yếu tố giúp người dân làng chài sống lâu, bao gồm: chế độ ăn nhiều cá, lao động đều đặn, "
    "ngủ đủ giấc, cùng tinh thần lạc quan.",
    "Vở diễn dài 60 phút, gồm 4 màn: Khởi nguồn, Lao động, Lễ hội và Đoàn tụ.",
    "Hội nghị bàn về 4 nhiệm vụ chính, gồm: mở rộng thị trường; đào tạo nhân lực; chuyển đổi số; bảo vệ môi trường.",
]


@pytest.mark.parametrize("sentence", INLINE)
def test_a_sentence_that_lists_its_counted_items_itself(sentence):
    assert lists_inline(sentence) and lists_inline(sentence, 4)
    assert not lists_inline(sentence, 3)  # another count than the question's


@pytest.mark.parametrize(
    "sentence",
    [
        "Quảng Ngãi xác định 2 trọng tâm phát triển",  # announced, not listed (a subheading)
        "Tỉnh là tỉnh công nghiệp với hai ngành công nghiệp chủ lực là lọc hóa dầu và luyện kim thép.",
        "Kim ngạch xuất khẩu 9 tháng đầu năm 2023: 1,9 tỷ USD, tăng 8,7%.",  # a period, not a count
        "Tỉnh có 3 trọng tâm: du lịch.",  # fewer items than announced
    ],
)
def test_a_sentence_that_does_not_list_its_count(sentence):
    assert not lists_inline(sentence)


@pytest.mark.parametrize(
    "sentence, count, listed",
    [  # written for this test
        (INLINE[0], 4, True),  # announced, as `lists_inline` reads it
        (
            "Để phòng bệnh, cần rửa tay bằng xà phòng; vệ sinh nhà cửa, phun thuốc; đeo khẩu trang; tiêm vắc xin.",
            4,
            True,
        ),
        ("Đứng đầu là Mỹ với 32 triệu ca; tiếp theo là Ấn Độ với 16 triệu ca và Brazil với 14 triệu ca.", 3, True),
        ("Những cái tên được nhắm đến lúc này là Julian Nagelsmann, Max Allegri hay Brendan Rodgers.", 3, True),
        ("Đội tuyển có Hà Đức Chinh, Nguyễn Công Phượng, Quế Ngọc Hải và Đặng Văn Lâm.", 4, True),
        ("Đội tuyển có Hà Đức Chinh, Nguyễn Công Phượng, Quế Ngọc Hải và Đặng Văn Lâm.", 3, False),
        ("Theo ông, dự án sẽ hoàn thành vào cuối năm 2025 và đưa vào sử dụng.", 3, False),  # clauses, no items
        ("Cơ quan chức năng đang điều tra, làm rõ vụ việc và sẽ xử lý nghiêm các sai phạm theo quy định.", 3, False),
        ("Ông nói: mùa này khó; đội sẽ cố gắng.", 2, False),  # a list of two is too common to go by
    ],
)
def test_a_sentence_that_lists_as_many_items_as_asked(sentence, count, listed):
    assert lists_items(sentence, count) == listed


@pytest.mark.parametrize(
    "sentence, count, items",
    [  # written for this test
        (
            "Tỉnh tổ chức các hoạt động như Lễ hội Hoa, Hội chợ Nông sản và Ẩm thực, Chương trình cà phê miễn phí.",
            3,
            "Lễ hội Hoa, Hội chợ Nông sản và Ẩm thực, Chương trình cà phê miễn phí",  # an item may hold "và"
        ),
        ("Đội hình xuất phát gồm Hải, Phượng và Lâm.", 3, "Hải, Phượng và Lâm"),
        ("Đội hình xuất phát gồm Hải, Phượng và Lâm.", 4, None),  # another count
        ("Ông nói như vậy là chưa đủ, cần thêm thời gian.", 3, None),  # "như vậy" lists nothing
        ("Đội hình xuất phát gồm Hải và Lâm.", 2, None),  # two: `inline_items` reads those after a count
    ],
)
def test_the_items_a_sentence_lists_after_its_intro(sentence, count, items):
    span = items_after_intro(sentence, count)
    assert (sentence[span[0] : span[1]] if span else None) == items


def test_a_sentence_too_short_to_list_the_items():
    assert not may_list("Các chuyên gia y tế khuyến cáo: Hiện nay, chưa có vắc xin phòng bệnh.", 4)
    assert may_list("Tỉnh tổ chức các hoạt động như lễ hội, hội chợ và chương trình cà phê miễn phí.", 3)


@pytest.mark.parametrize(
    "sentence, count, items",
    [
        (
            "Tỉnh là tỉnh công nghiệp với hai ngành công nghiệp chủ lực là lọc hóa dầu và luyện kim thép.",
            2,
            "lọc hóa dầu và luyện kim thép",
        ),
        (INLINE[1], 4, "Khởi nguồn, Lao động, Lễ hội và Đoàn tụ"),
        (INLINE[2], 4, "mở rộng thị trường; đào tạo nhân lực; chuyển đổi số; bảo vệ môi trường"),
        (INLINE[1], 3, None),  # another count than the question's
        ("Tỉnh có 3 trọng tâm: du lịch.", 3, None),  # fewer items than announced
        # a list question that counts nothing: any count, announced with a colon or "gồm"
        ('Tỉnh xác định hai trọng tâm phát triển: "du lịch" và "cảng biển".', None, '"du lịch" và "cảng biển"'),
        ("Tỉnh là tỉnh công nghiệp với hai ngành công nghiệp chủ lực là lọc hóa dầu và luyện kim thép.", None, None),
        (  # quoted items are whole, whatever they hold
            'Tỉnh xác định hai trọng tâm phát triển: "Mở rộng trung tâm lọc, hóa dầu" và "Trung tâm du lịch biển".',
            2,
            '"Mở rộng trung tâm lọc, hóa dầu" và "Trung tâm du lịch biển"',
        ),
    ],
)
def test_the_items_a_sentence_lists_after_its_count(sentence, count, items):
    """The answer phrase of a question counting them ("What are the two main industries…")."""
    span = inline_items(sentence, count)
    assert (sentence[span[0] : span[1]] if span else None) == items


def test_a_list_question_whose_best_sentence_lists_the_items_is_answered_with_it_alone():
    hits = [FakeHit("a", 0, ["Tỉnh xác định hai trọng tâm: du lịch và năng lượng.", *PRIORITIES])]
    ranked = [((0, 0), 3.0), ((0, 2), 2.99), ((0, 3), 2.98)]
    assert arrange(Shape("list", count=2), ranked, hits, 3, 1.0) == [(0, 0)]


def test_an_enumeration_cut_at_a_passage_edge_asks_for_the_chunk_there():
    hits = [
        FakeHit("a", 0, OTHER),
        FakeHit("b", 100, SIX[2:]),  # opens with item 2 (the chunk before holds item 1), ends with item 6
        FakeHit("b", 0, SIX[:2]),  # ends with item 1: the chunk after holds the rest
        FakeHit("c", 0, [*SIX[1:3], "Tỉnh kết luận."]),  # opens with item 1, ends with no item
    ]
    assert cut_enumerations(hits) == [(1, -1), (1, +1), (2, +1)]
