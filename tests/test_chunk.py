"""The sentence splitter: initials and abbreviations do not end a sentence; real sentence ends do."""

import pytest

from ingest.chunk import chunk_text, split_sentences


def sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


@pytest.mark.parametrize(
    "text",
    [
        "John W. Smith arrived in Hanoi on Monday.",
        "The T. T. Tsui Gallery of Chinese Art opened in 1991.",
        "Ông Nguyễn V. A. phát biểu tại hội nghị.",
        "Phòng trưng bày T. T. Tsui mở cửa năm 1991.",
        "Mr. Smith met Dr. Jones at St. Paul's.",
        "Martin Luther King Jr. Day is a holiday.",
        "The U.S. Congress passed the bill.",
        "Many fruits, e.g. Apples and pears, are grown here.",
        "Ông làm việc tại TP. Hồ Chí Minh từ năm 2010.",
        "Đoàn đến TP. Hà Nội làm việc.",
        "Hội thảo có TS. Nguyễn Văn B. và PGS. TS. Lê Thị C. tham dự.",
        "PGS.TS. Trần Văn D. chủ trì.",
        "Th.S Nguyễn Văn E. trình bày báo cáo.",
        "ThS. Lê Văn F. trình bày báo cáo.",
        "Gạo, cà phê, hạt điều v.v. Đều tăng giá.",
        "Xem mục No. 5 của báo cáo.",
        "GS. Phan Huy Lê là nhà sử học.",
        "Chủ tịch Rajendra K. Pachauri từ chức vào tháng 2 năm 2015.",
    ],
)
def test_initials_and_abbreviations_do_not_end_a_sentence(text):
    assert sentences(text) == [text]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ông nói vậy. Bà đáp lại.", ["Ông nói vậy.", "Bà đáp lại."]),
        ("It rose 5%. Then it fell.", ["It rose 5%.", "Then it fell."]),
        ("Họ đến từ châu Á. Ông nói.", ["Họ đến từ châu Á.", "Ông nói."]),
        ("Ông phản đối việc quốc hữu hóa Tập đoàn năng lượng Ý. Ông khiếu nại.", None),
        ("Nhiệt độ vào khoảng 30 °C. Điều này mang đến hiệu suất.", None),
        ("Gen này nhỏ, chỉ một hoặc hai gen. Các phân tử khác lớn.", None),
        ("He said no. Then he left.", ["He said no.", "Then he left."]),
        ("Năm 2022. Ngày 24/10 đoàn đến.", ["Năm 2022.", "Ngày 24/10 đoàn đến."]),
        ('Ông nói: "Xong." Bà đáp.', ['Ông nói: "Xong."', "Bà đáp."]),
        ("Giá trị là 1.9. Sau đó giảm.", ["Giá trị là 1.9.", "Sau đó giảm."]),
    ],
)
def test_real_sentence_ends_still_split(text, expected):
    got = sentences(text)
    assert len(got) == 2, got
    if expected is not None:
        assert got == expected
    assert " ".join(got) == text


def test_numbers_and_lower_case_never_split():
    text = "GRDP ước tăng 2,65% so với năm 2022. Ngày 24/10, đoàn đến TP. Hà Nội làm việc. Xong."
    assert sentences(text) == [
        "GRDP ước tăng 2,65% so với năm 2022.",
        "Ngày 24/10, đoàn đến TP. Hà Nội làm việc.",
        "Xong.",
    ]
    assert sentences("Tăng 1.9 lần. không tách ở chữ thường.") == ["Tăng 1.9 lần. không tách ở chữ thường."]


def test_paragraphs_always_split_and_offsets_hold():
    text = "Tiêu đề W.\n\nJohn W. Smith đến. Ông nói.\nDòng mới"
    spans = split_sentences(text)
    assert [text[s.start : s.end] for s in spans] == ["Tiêu đề W.", "John W. Smith đến.", "Ông nói.", "Dòng mới"]
    chunks = chunk_text(text, max_chars=30)
    assert all(text[c.start : c.end] == c.text for c in chunks)
    assert {s for c in chunks for s in c.sentences} == set(spans)
