"""The answer phrase widened to its noun phrase (`qa.question.noun_phrase`, with pyvi's tagger)."""

import pytest

from qa.question.noun_phrase import noun_phrase


def _widened(sentence: str, marked: str) -> str:
    at = sentence.index(marked)
    start, end = noun_phrase(sentence, (at, at + len(marked)))
    return sentence[start:end]


@pytest.mark.parametrize(
    "sentence, marked, phrase",
    [
        ("Tốc độ tua-bin thông thường ở Mỹ là 3600 vòng/phút với công suất 60 Hertz.", "3600", "3600 vòng/phút"),
        ("Trung Lưu sông Rhine chảy qua Hẻm núi sông Rhine giữa Bingen và Bonn.", "Hẻm núi", "Hẻm núi sông Rhine"),
        ("Bảo tàng ban đầu được gọi là Bảo tàng Sản xuất.", "Sản xuất", "Bảo tàng Sản xuất"),
        ("Hiến pháp của bang dựa trên hiến pháp thuộc địa 1855.", "1855", "hiến pháp thuộc địa 1855"),
        ("Lạp thể được bao bọc bởi một lớp màng kép.", "lớp màng kép", "một lớp màng kép"),
    ],
)
def test_the_reader_s_phrase_grows_to_its_noun_phrase(sentence, marked, phrase):
    assert _widened(sentence, marked) == phrase


@pytest.mark.parametrize(
    "sentence, marked",
    [
        ("Các bệnh tự miễn bao gồm viêm tuyến giáp Hashimoto.", "viêm tuyến giáp Hashimoto"),  # a function word
        ("Sự kiện tuyệt chủng kỷ Phấn trắng – Paleogen xảy ra 66 triệu năm trước.", "66 triệu năm"),  # a verb
        ("Ông là giáo sư tại Đại học Harvard, Mỹ.", "Đại học Harvard"),  # "tại", and the comma
        ("Thời kỳ đóng băng cuối bắt đầu từ 74.000 năm trước.", "từ 74.000"),  # opens inside pyvi's word
    ],
)
def test_a_noun_phrase_ends_at_function_words_verbs_and_punctuation(sentence, marked):
    widened = _widened(sentence, marked)
    assert widened.startswith(marked) and "," not in widened and "bao gồm" not in widened
    assert "Paleogen" not in widened and "tại" not in widened


def test_nothing_to_tag_leaves_the_phrase_as_it_is():
    assert noun_phrase("", (0, 0)) == (0, 0)
    assert noun_phrase("...", (0, 3)) == (0, 3)


def test_questions_answered_at_once_tag_alike():
    """The app answers in threads; pyvi's one tagger tags one sentence at a time."""
    from concurrent.futures import ThreadPoolExecutor

    sentence = "Tốc độ tua-bin thông thường ở Mỹ là 3600 vòng/phút với công suất 60 Hertz."
    at = sentence.index("3600")
    with ThreadPoolExecutor(8) as pool:
        got = set(pool.map(lambda _: noun_phrase(sentence, (at, at + 4)), range(64)))
    assert got == {(at, at + len("3600 vòng/phút"))}
